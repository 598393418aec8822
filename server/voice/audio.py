"""Recognise audio by its bytes, not its name, and read its duration where the container says it."""

import struct
from pathlib import Path

#: Containers we accept, with the content type we serve them as.
CONTAINER_TYPES = {"webm": "audio/webm", "ogg": "audio/ogg", "mp4": "audio/mp4", "wav": "audio/wav"}
#: Declared content types (without parameters) that the client may announce.
ACCEPTED_CONTENT_TYPES = {"audio/webm": "webm", "video/webm": "webm", "audio/ogg": "ogg",
                          "audio/mp4": "mp4", "audio/aac": "mp4", "audio/x-m4a": "mp4", "video/mp4": "mp4",
                          "audio/wav": "wav", "audio/x-wav": "wav", "audio/wave": "wav"}


def base_content_type(content_type: str) -> str:
    """``audio/webm;codecs=opus`` -> ``audio/webm``."""
    return content_type.split(";", 1)[0].strip().lower()


def sniff_container(head: bytes) -> str | None:
    """The container of a file from its first bytes (4 KiB are plenty), or ``None``."""
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head[:64] and b"A_OPUS" in head:
        return "webm"
    if head.startswith(b"OggS") and b"OpusHead" in head[:128]:
        return "ogg"
    if head[4:8] == b"ftyp" and (b"mp4a" in head or head[8:12] in (b"M4A ", b"mp42", b"isom", b"iso5")):
        return "mp4"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    return None


def duration_ms(path: Path, container: str) -> int | None:
    """The duration the container records, or ``None`` where it records none (Chromium's WebM)."""
    data = path.read_bytes()
    try:
        return {"wav": _wav_duration, "ogg": _ogg_duration, "mp4": _mp4_duration,
                "webm": _webm_duration}[container](data)
    except (struct.error, IndexError, ValueError, ZeroDivisionError):
        return None


def _wav_duration(data: bytes) -> int | None:
    offset, byte_rate = 12, None
    while offset + 8 <= len(data):
        chunk_id, size = data[offset:offset + 4], struct.unpack_from("<I", data, offset + 4)[0]
        if chunk_id == b"fmt ":
            byte_rate = struct.unpack_from("<I", data, offset + 16)[0]
        elif chunk_id == b"data" and byte_rate:
            return round(min(size, len(data) - offset - 8) * 1000 / byte_rate)
        offset += 8 + size + (size & 1)
    return None


def _ogg_duration(data: bytes) -> int | None:
    last = data.rfind(b"OggS")
    head = data.find(b"OpusHead")
    if last < 0 or head < 0:
        return None
    granule = struct.unpack_from("<q", data, last + 6)[0]
    pre_skip = struct.unpack_from("<H", data, head + 10)[0]
    return max(0, round((granule - pre_skip) / 48))


def _mp4_duration(data: bytes) -> int | None:
    index = data.find(b"mvhd")
    if index < 0:
        return None
    version = data[index + 4]
    if version == 1:
        timescale, duration = struct.unpack_from(">IQ", data, index + 24)
    else:
        timescale, duration = struct.unpack_from(">II", data, index + 16)
    return round(duration * 1000 / timescale)


# --- WebM (EBML) -----------------------------------------------------------------------------------
SEGMENT, INFO, TIMECODE_SCALE, DURATION, CLUSTER, TIMECODE, SIMPLE_BLOCK, BLOCK_GROUP, BLOCK = (
    0x18538067, 0x1549A966, 0x2AD7B1, 0x4489, 0x1F43B675, 0xE7, 0xA3, 0xA0, 0xA1)
MASTERS = {SEGMENT, INFO, CLUSTER, BLOCK_GROUP}


def _vint(data: bytes, pos: int, keep_marker: bool) -> tuple[int, int]:
    first = data[pos]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8:
        raise ValueError("bad EBML length")
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[pos + 1:pos + length]:
        value = (value << 8) | byte
    return value, pos + length


def _webm_duration(data: bytes) -> int | None:
    """Segment Info's Duration if present, else the last block's time (Chromium writes no Duration)."""
    scale, declared, cluster_time, last_time = 1_000_000, None, 0, None
    pos = 0
    while pos < len(data):
        element, pos = _vint(data, pos, keep_marker=True)
        size_at = pos
        size, pos = _vint(data, pos, keep_marker=False)
        if element in MASTERS:
            continue  # descend into the children (also for unknown-size clusters)
        payload = data[pos:pos + size]
        if element == TIMECODE_SCALE:
            scale = int.from_bytes(payload, "big")
        elif element == DURATION:
            declared = struct.unpack(">f" if size == 4 else ">d", payload)[0]
        elif element == TIMECODE:
            cluster_time = int.from_bytes(payload, "big")
        elif element in (SIMPLE_BLOCK, BLOCK):
            _track, after = _vint(payload, 0, keep_marker=False)
            relative = struct.unpack_from(">h", payload, after)[0]
            last_time = cluster_time + relative
        if size == (1 << (7 * (pos - size_at))) - 1:
            break  # an unknown-size element that is not a container: nothing more to read
        pos += size
    if declared:
        return round(declared * scale / 1_000_000)
    if last_time is None:
        return None
    return round(last_time * scale / 1_000_000) + 20  # plus one Opus frame
