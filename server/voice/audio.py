"""Recognise audio by its bytes, not its name, and read its real duration from what the file holds.

The duration is what the audio adds up to (Opus packets, MP4 samples, WAV frames), never a length the file merely
declares (WebM's Duration, Ogg's last granule, MP4's ``mvhd``/``mehd``): a file that lies about its length would
otherwise slip past the cap. Parsing reads the file through bounded seeks and reads, never the whole file at once;
anything that does not follow the container's layout gives ``None``, and the upload is refused.
"""

import struct
from pathlib import Path

#: Containers we accept, with the content type we serve them as.
CONTAINER_TYPES = {"webm": "audio/webm", "ogg": "audio/ogg", "mp4": "audio/mp4", "wav": "audio/wav"}
#: Declared content types (without parameters) that the client may announce.
ACCEPTED_CONTENT_TYPES = {"audio/webm": "webm", "video/webm": "webm", "audio/ogg": "ogg",
                          "audio/mp4": "mp4", "audio/aac": "mp4", "audio/x-m4a": "mp4", "video/mp4": "mp4",
                          "audio/wav": "wav", "audio/x-wav": "wav", "audio/wave": "wav"}
#: The most bytes one read may take (an MP4 `trun` or `stts` box, a laced WebM block).
MAX_READ = 1 << 20
#: The most boxes, elements or pages one file may have before we stop reading it.
MAX_STEPS = 500_000


class Malformed(ValueError):
    """The bytes do not follow the container's layout (or are too many to read)."""


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
    """The real duration of the audio in `path`, or ``None`` when the file does not let us know it."""
    with path.open("rb") as handle:
        return audio_duration_ms(Reader(handle, path.stat().st_size), container)


def audio_duration_ms(reader: "Reader", container: str) -> int | None:
    parse = {"wav": _wav_duration, "ogg": _ogg_duration, "mp4": _mp4_duration, "webm": _webm_duration}[container]
    try:
        return parse(reader)
    except (Malformed, struct.error):
        return None


class Reader:
    """Bounded random access to a file: every read past the end, or over `MAX_READ`, is `Malformed`."""

    def __init__(self, handle, size: int):
        self.handle, self.size, self.steps = handle, size, 0

    def read(self, offset: int, length: int) -> bytes:
        if offset < 0 or length < 0 or length > MAX_READ or offset + length > self.size:
            raise Malformed("read outside the file")
        self.handle.seek(offset)
        data = self.handle.read(length)
        if len(data) != length:
            raise Malformed("short read")
        return data

    def head(self, offset: int, length: int) -> bytes:
        """Up to `length` bytes from `offset` (fewer at the end of the file)."""
        return self.read(offset, max(0, min(length, self.size - offset)))

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise Malformed("too many parts")


def _ms(units: int, per_second: int) -> int:
    if per_second <= 0:
        raise Malformed("no time scale")
    return round(units * 1000 / per_second)


# --- WAV: PCM frames over a byte rate that matches the format ---------------------------------------------
PCM_FORMATS = {1, 3, 0xFFFE}  # integer PCM, IEEE float, WAVE_FORMAT_EXTENSIBLE


def _wav_duration(reader: Reader) -> int | None:
    offset, byte_rate = 12, None
    while offset + 8 <= reader.size:
        reader.step()
        chunk_id, size = struct.unpack("<4sI", reader.read(offset, 8))
        if chunk_id == b"fmt ":
            byte_rate = _wav_byte_rate(reader.read(offset + 8, 16) if size >= 16 else b"")
        elif chunk_id == b"data":
            if byte_rate is None:
                return None
            return _ms(min(size, reader.size - offset - 8), byte_rate)
        offset += 8 + size + (size & 1)
    return None


def _wav_byte_rate(fmt: bytes) -> int:
    """The byte rate, checked against channels x sample rate x sample width (a lie would shorten the audio)."""
    if len(fmt) < 16:
        raise Malformed("short fmt chunk")
    audio_format, channels, rate, byte_rate, block_align, bits = struct.unpack("<HHIIHH", fmt)
    if audio_format not in PCM_FORMATS or not 1 <= channels <= 8 or not 1000 <= rate <= 384_000 \
            or bits not in (8, 16, 24, 32, 64) or block_align != channels * bits // 8 \
            or byte_rate != rate * block_align:
        raise Malformed("not plain PCM")
    return byte_rate


# --- Opus packets (in Ogg and WebM): each packet's TOC byte says how long it plays (RFC 6716, 3.1) ----------
def opus_packet_samples(packet: bytes) -> int:
    """The packet's length in 48 kHz samples, from its first (and for code 3 its second) byte."""
    if not packet:
        return 0  # an empty packet is a lost frame: it plays nothing
    toc = packet[0]
    config = toc >> 3
    if config < 12:
        frame = (480, 960, 1920, 2880)[config & 3]
    elif config < 16:
        frame = (480, 960)[config & 1]
    else:
        frame = (120, 240, 480, 960)[config & 3]
    code = toc & 3
    if code == 3:
        if len(packet) < 2:
            raise Malformed("Opus code 3 without a frame count")
        frames = packet[1] & 0x3F
    else:
        frames = 1 if code == 0 else 2
    if frame * frames > 5760:
        raise Malformed("Opus packet over 120 ms")
    return frame * frames


# --- Ogg: walk the pages, add up the Opus stream's audio packets ------------------------------------------
def _ogg_duration(reader: Reader) -> int | None:
    offset, serial, packets, samples, pre_skip = 0, None, 0, 0, 0
    packet_open = False  # the previous page ended inside a packet
    while offset < reader.size:
        reader.step()
        header = reader.read(offset, 27)
        if header[:4] != b"OggS":
            raise Malformed("not an Ogg page")
        page_serial, count = struct.unpack_from("<I", header, 14)[0], header[26]
        lacing = reader.read(offset + 27, count)
        data_at = offset + 27 + count
        offset = data_at + sum(lacing)
        if serial is None and reader.head(data_at, 8) == b"OpusHead":
            serial = page_serial
            pre_skip = struct.unpack("<H", reader.read(data_at + 10, 2))[0]
        if page_serial != serial:
            continue
        for length in lacing:
            if not packet_open:  # a packet starts here; its first two bytes lie in this segment
                packets += 1
                if packets > 2:  # after OpusHead and OpusTags
                    samples += opus_packet_samples(reader.read(data_at, min(length, 2)))
            packet_open = length == 255
            data_at += length
        if offset > reader.size:
            raise Malformed("page past the end")
    if serial is None:
        return None
    return round(max(0, samples - pre_skip) / 48)


# --- WebM (EBML): add up the Opus packets of every block --------------------------------------------------
SEGMENT, CLUSTER, BLOCK_GROUP, SIMPLE_BLOCK, BLOCK = 0x18538067, 0x1F43B675, 0xA0, 0xA3, 0xA1
MASTERS = {SEGMENT, CLUSTER, BLOCK_GROUP}


def _vint(data: bytes, pos: int, keep_marker: bool) -> tuple[int, int]:
    if pos >= len(data):
        raise Malformed("EBML number past the end")
    first = data[pos]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8 or pos + length > len(data):
        raise Malformed("bad EBML number")
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[pos + 1:pos + length]:
        value = (value << 8) | byte
    return value, pos + length


def _webm_duration(reader: Reader) -> int | None:
    pos, samples, blocks = 0, 0, 0
    while pos < reader.size:
        reader.step()
        head = reader.head(pos, 12)
        element, after_id = _vint(head, 0, keep_marker=True)
        size, after_size = _vint(head, after_id, keep_marker=False)
        pos += after_size
        if element in MASTERS:
            continue  # descend into the children (also for unknown-size segments and clusters)
        if size == (1 << (7 * (after_size - after_id))) - 1:
            raise Malformed("unknown size outside a container")
        if element in (SIMPLE_BLOCK, BLOCK):
            samples += _block_samples(reader.read(pos, size))
            blocks += 1
        pos += size
    return round(samples / 48) if blocks else None


def _block_samples(block: bytes) -> int:
    """The 48 kHz samples of a (Simple)Block: its frames (laced or not) are Opus packets."""
    _track, at = _vint(block, 0, keep_marker=False)
    if at + 3 > len(block):
        raise Malformed("short block")
    lacing = (block[at + 2] >> 1) & 3
    at += 3
    if lacing == 0:
        return opus_packet_samples(block[at:])
    return sum(opus_packet_samples(frame) for frame in _laced_frames(block, at, lacing))


def _laced_frames(block: bytes, at: int, lacing: int) -> list[bytes]:
    if at >= len(block):
        raise Malformed("short laced block")
    count, at = block[at] + 1, at + 1
    sizes = []
    if lacing == 1:  # Xiph
        for _ in range(count - 1):
            size = 0
            while True:
                if at >= len(block):
                    raise Malformed("short Xiph lacing")
                size, at = size + block[at], at + 1
                if block[at - 1] != 255:
                    break
            sizes.append(size)
    elif lacing == 3:  # EBML
        size, at = _vint(block, at, keep_marker=False)
        sizes.append(size)
        for _ in range(count - 2):
            start = at
            raw, at = _vint(block, at, keep_marker=False)
            size += raw - ((1 << (7 * (at - start) - 1)) - 1)
            sizes.append(size)
    else:  # fixed
        if (len(block) - at) % count:
            raise Malformed("uneven fixed lacing")
        sizes = [(len(block) - at) // count] * (count - 1)
    sizes.append(len(block) - at - sum(sizes))
    if any(size < 0 for size in sizes):
        raise Malformed("lace sizes past the block")
    frames = []
    for size in sizes:
        frames.append(block[at:at + size])
        at += size
    return frames


# --- MP4: add up each track's samples, in its sample table (stts) and in every fragment (trun) -------------
MP4_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"mvex", b"moof", b"traf"}
TFHD_BASE_OFFSET, TFHD_DESCRIPTION, TFHD_DURATION = 0x1, 0x2, 0x8
TRUN_FIELDS = ((0x100, "duration"), (0x200, "size"), (0x400, "flags"), (0x800, "offset"))


class Movie:
    """What the boxes tell: per track its time scale, handler and sample time, and the fragments' defaults."""

    def __init__(self):
        self.tracks: dict[int, dict] = {}  #: track id -> {"timescale", "handler", "units"}
        self.defaults: dict[int, int] = {}  #: track id -> default sample duration (trex)
        self.fragment_units: dict[int, int] = {}  #: track id -> time units in fragments

    def duration_ms(self) -> int | None:
        for track_id, units in self.fragment_units.items():
            if track_id not in self.tracks:
                raise Malformed("a fragment of an unknown track")
            self.tracks[track_id]["units"] += units
        tracks = [t for t in self.tracks.values() if t["handler"] == b"soun"] or list(self.tracks.values())
        if not tracks:
            return None
        return max(_ms(track["units"], track["timescale"]) for track in tracks)


def _mp4_duration(reader: Reader) -> int | None:
    """The longest sound track, from its samples; ``mvhd``, ``mdhd`` and ``mehd`` durations are claims, not read."""
    movie = Movie()
    _mp4_walk(reader, 0, reader.size, movie, None, 0)
    return movie.duration_ms()


def _boxes(reader: Reader, start: int, end: int):
    """``(type, payload start, end)`` of each box between `start` and `end`."""
    pos = start
    while pos + 8 <= end:
        reader.step()
        size, kind = struct.unpack(">I4s", reader.read(pos, 8))
        header = 8
        if size == 1:
            size, header = struct.unpack(">Q", reader.read(pos + 8, 8))[0], 16
        elif size == 0:
            size = end - pos  # to the end of the file
        if size < header or pos + size > end:
            raise Malformed("a box past its parent")
        yield kind, pos + header, pos + size
        pos += size


def _mp4_walk(reader: Reader, start: int, end: int, movie: Movie, track: dict | None, depth: int) -> None:
    if depth > 8:
        raise Malformed("boxes nested too deep")
    for kind, at, stop in _boxes(reader, start, end):
        if kind == b"trak":
            track = {"id": None, "timescale": 0, "handler": None, "units": 0}
            _mp4_walk(reader, at, stop, movie, track, depth + 1)
            if track["id"] is None or track["id"] in movie.tracks:
                raise Malformed("a track without a unique id")
            movie.tracks[track.pop("id")] = track
        elif kind == b"traf":
            _fragment(reader, at, stop, movie)
        elif kind in MP4_CONTAINERS:
            _mp4_walk(reader, at, stop, movie, track, depth + 1)
        elif kind == b"trex":
            track_id, _index, duration = struct.unpack(">III", reader.read(at + 4, 12))
            movie.defaults[track_id] = duration
        elif track is not None and kind in TRACK_BOXES:
            TRACK_BOXES[kind](reader, at, stop, track)


def _tkhd(reader: Reader, at: int, _stop: int, track: dict) -> None:
    version = reader.read(at, 1)[0]
    track["id"] = struct.unpack(">I", reader.read(at + (20 if version == 1 else 12), 4))[0]


def _mdhd(reader: Reader, at: int, _stop: int, track: dict) -> None:
    version = reader.read(at, 1)[0]
    track["timescale"] = struct.unpack(">I", reader.read(at + (20 if version == 1 else 12), 4))[0]


def _hdlr(reader: Reader, at: int, _stop: int, track: dict) -> None:
    track["handler"] = reader.read(at + 8, 4)


def _stts(reader: Reader, at: int, stop: int, track: dict) -> None:
    count = struct.unpack(">I", reader.read(at + 4, 4))[0]
    if at + 8 + count * 8 > stop:
        raise Malformed("stts past its box")
    entries = reader.read(at + 8, count * 8)
    track["units"] += sum(samples * delta for samples, delta in struct.iter_unpack(">II", entries))


TRACK_BOXES = {b"tkhd": _tkhd, b"mdhd": _mdhd, b"hdlr": _hdlr, b"stts": _stts}


def _fragment(reader: Reader, start: int, end: int, movie: Movie) -> None:
    """A track fragment: its header (track, default duration), then the runs that add up its samples."""
    track_id = default = None
    for kind, at, stop in _boxes(reader, start, end):
        if kind == b"tfhd":
            flags, track_id = struct.unpack(">II", reader.read(at, 8))
            flags &= 0xFFFFFF
            default = movie.defaults.get(track_id)
            if flags & TFHD_DURATION:
                skip = 8 * bool(flags & TFHD_BASE_OFFSET) + 4 * bool(flags & TFHD_DESCRIPTION)
                default = struct.unpack(">I", reader.read(at + 8 + skip, 4))[0]
        elif kind == b"trun":
            if track_id is None:
                raise Malformed("trun before tfhd")
            movie.fragment_units[track_id] = movie.fragment_units.get(track_id, 0) + \
                _run_units(reader, at, stop, default)


def _run_units(reader: Reader, at: int, stop: int, default: int | None) -> int:
    flags, count = struct.unpack(">II", reader.read(at, 8))
    fields = [name for bit, name in TRUN_FIELDS if flags & bit]
    first = at + 8 + 4 * bool(flags & 0x1) + 4 * bool(flags & 0x4)
    if "duration" not in fields:
        if default is None:
            raise Malformed("samples without a duration")
        return count * default
    stride = 4 * len(fields)
    if first + count * stride > stop:
        raise Malformed("trun past its box")
    column = fields.index("duration")
    entries = reader.read(first, count * stride)
    return sum(row[column] for row in struct.iter_unpack(">" + "I" * len(fields), entries))
