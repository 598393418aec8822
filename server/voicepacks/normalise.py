"""Every clip the same way: mono Opus in Ogg, a loudness target, silence trimmed at both ends (ffmpeg).

The input's container is recognised from its bytes first and ffmpeg is told to read only that container, so
a file that is not one of the recordings we accept never reaches a general-purpose demuxer. ffmpeg runs with
a timeout and stops after `MAX_SECONDS` of sound.
"""

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from ..errors import N_, ApiError
from ..voice.audio import duration_ms, sniff_container

#: ffmpeg demuxer per recognised container (browsers record WebM or MP4; files may be WAV, Ogg, MP3, FLAC).
DEMUXERS = {"webm": "matroska", "ogg": "ogg", "mp4": "mov", "wav": "wav", "mp3": "mp3", "flac": "flac"}
BITRATE = "24k"
MAX_SECONDS = 60
FFMPEG_TIMEOUT = 30
#: Quieter than this counts as silence when trimming the ends.
SILENCE = "-45dB"
#: Shorter than this after trimming: nothing was said.
MIN_MS = 100
TRIM = f"silenceremove=start_periods=1:start_duration=0.05:start_threshold={SILENCE}"
FILTERS = ",".join([TRIM, "areverse", TRIM, "areverse", "loudnorm=I=-18:TP=-2:LRA=11", "aresample=48000"])
CONTENT_TYPE = "audio/ogg"


@dataclass(frozen=True)
class Normalised:
    data: bytes
    duration_ms: int
    content_type: str = CONTENT_TYPE


def sniff(head: bytes) -> str | None:
    """The container of an upload (`voice.audio.sniff_container`, plus MP3 and FLAC files), or ``None``."""
    container = sniff_container(head)
    if container is None and head.startswith(b"\x1a\x45\xdf\xa3"):
        container = "webm"  # WebM with another codec than Opus (Firefox may record Vorbis)
    if container is None and head.startswith(b"fLaC"):
        container = "flac"
    if container is None and (head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")):
        container = "mp3"
    return container


def ffmpeg_command(binary: str, container: str, source: Path, target: Path, bitrate: str = BITRATE) -> list[str]:
    return [binary, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-protocol_whitelist", "file",
            "-f", DEMUXERS[container], "-i", str(source), "-vn", "-sn", "-dn", "-map_metadata", "-1",
            "-t", str(MAX_SECONDS), "-af", FILTERS, "-ac", "1", "-c:a", "libopus", "-b:a", bitrate,
            "-application", "voip", "-f", "ogg", str(target)]


def ffmpeg_binary() -> str:
    """:raise ApiError 503: ffmpeg is not installed (or `FFMPEG_BINARY` is empty)."""
    binary = current_app.config.get("FFMPEG_BINARY")
    found = shutil.which(binary) if binary else None
    if found is None:
        raise ApiError(503, "audio_tools_missing", N_("Recordings cannot be processed on this server now."))
    return found


def normalise(data: bytes) -> Normalised:
    """`data` as small mono Opus with its real duration.

    :raise ApiError 422: ``unsupported_audio`` (not a recording we accept, or damaged), ``recording_silent``.
    :raise ApiError 503: ffmpeg is missing.
    """
    container = sniff(data[:4096])
    if container is None:
        raise ApiError(422, "unsupported_audio", N_("This is not a supported audio recording."), field="file")
    binary = ffmpeg_binary()
    with tempfile.TemporaryDirectory(prefix="wijkstem-clip-") as folder:
        source, target = Path(folder, "in"), Path(folder, "out.ogg")
        source.write_bytes(data)
        run(ffmpeg_command(binary, container, source, target))
        output = target.read_bytes() if target.exists() else b""
        length = duration_ms(target, "ogg") if output else None
    if not output or not length or length < MIN_MS:
        raise ApiError(422, "recording_silent", N_("Nothing could be heard in this recording."), field="file")
    return Normalised(output, length)


def run(command: list[str]) -> None:
    """Run ffmpeg; a failure or a timeout means the input was not audio it could read."""
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=FFMPEG_TIMEOUT,  # noqa: S603
                       env={"PATH": os.environ.get("PATH", "")})
    except subprocess.TimeoutExpired as err:
        raise ApiError(422, "unsupported_audio", N_("This is not a supported audio recording."),
                       field="file") from err
    except (subprocess.CalledProcessError, OSError) as err:
        raise ApiError(422, "unsupported_audio", N_("This is not a supported audio recording."),
                       field="file") from err
