"""Automatic transcription as a pluggable interface; no backend is needed, and none is configured by default.

A backend is any object with a `name` and a `transcribe(path, content_type, language)` method returning a
`Transcript`. Register a factory under a name with `register_backend`, or point ``TRANSCRIPTION_BACKEND`` at
``"package.module:factory"``; the factory gets ``TRANSCRIPTION_OPTIONS`` as keyword arguments.
"""

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Protocol

from flask import current_app


@dataclass(frozen=True)
class Transcript:
    """What a backend heard, and the language it heard it in (if it can tell)."""

    text: str
    language: str | None = None


class TranscriptionBackend(Protocol):
    name: str

    def transcribe(self, path: Path, content_type: str, language: str | None) -> Transcript:
        """The words spoken in the recording at `path`; `language` is the resident's, as a hint."""


class TranscriptionFailed(Exception):
    """A backend could not transcribe a recording (its message is logged, not shown)."""


_FACTORIES: dict[str, Callable[..., TranscriptionBackend]] = {}


def register_backend(name: str, factory: Callable[..., TranscriptionBackend]) -> None:
    """Make `factory` available as ``TRANSCRIPTION_BACKEND = name``."""
    _FACTORIES[name] = factory


def resolve_factory(setting: str) -> Callable[..., TranscriptionBackend]:
    """A registered factory, or one named ``"module:attribute"``."""
    if setting in _FACTORIES:
        return _FACTORIES[setting]
    module_name, _, attribute = setting.partition(":")
    if not attribute:
        raise LookupError(f"no transcription backend {setting!r}")
    return getattr(import_module(module_name), attribute)


def configured_backend() -> TranscriptionBackend | None:
    """The app's backend (built once per app), or ``None`` when transcription is not set up."""
    setting = current_app.config.get("TRANSCRIPTION_BACKEND")
    if not setting:
        return None
    cache = current_app.extensions.setdefault("wijkstem.transcription", {})
    if setting not in cache:
        factory = resolve_factory(setting)
        cache[setting] = factory(**current_app.config.get("TRANSCRIPTION_OPTIONS", {}))
    return cache[setting]
