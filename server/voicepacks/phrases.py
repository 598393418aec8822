"""The app's own phrases a resident can hear, read from `pwa/js/phrases.js` (the field app's one list)."""

import re
from functools import lru_cache
from pathlib import Path

from ..i18n import catalog_json
from ..paths import PWA_DIR

PHRASES_FILE = PWA_DIR / "js" / "phrases.js"
#: ``  key: N_("English msgid"),`` (a ``// comment`` may follow), with JavaScript's escapes for quotes and
#: backslashes.
PHRASE_LINE = re.compile(r'^\s*([a-z][a-z0-9_]*)\s*:\s*N_\("((?:[^"\\]|\\.)*)"\)\s*,?\s*(?://.*)?$', re.MULTILINE)


def phrases() -> dict[str, str]:
    """Voice-pack key -> English msgid, in the order of the file."""
    return _read(PHRASES_FILE, PHRASES_FILE.stat().st_mtime)


@lru_cache(maxsize=4)
def _read(path: Path, _mtime: float) -> dict[str, str]:
    source = path.read_text(encoding="utf-8")
    return {key: re.sub(r"\\(.)", r"\1", msgid) for key, msgid in PHRASE_LINE.findall(source)}


def phrase_text(key: str, language: str) -> str | None:
    """The phrase as a resident reads it in `language`, or ``None`` while it is not translated."""
    msgid = phrases().get(key)
    if msgid is None:
        return None
    if language == "en":
        return catalog_json("en").get(msgid) or msgid
    return catalog_json(language).get(msgid)
