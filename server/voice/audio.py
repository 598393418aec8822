"""Recognise audio by its bytes, not its name, and read its real duration from what the file holds.

The duration is what the audio adds up to (Opus packets, MP4 samples, WAV frames), never a length the file merely
declares (WebM's Duration, Ogg's last granule, MP4's ``mvhd``/``mehd``): a file that lies about its length would
otherwise slip past the cap. Parsing reads the file through bounded seeks and reads, never the whole file at once;
anything that does not follow the container's layout gives ``None``, and the upload is refused.
"""

import bisect
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
#: The most boxes, elements or pages one file may have (five minutes of Chromium WebM are about 16,000): a file
#: of nothing but tiny boxes costs at most a few tenths of a second before it is refused.
MAX_STEPS = 200_000


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


def states_duration(path: Path, container: str) -> bool:
    """Whether the file's header states how long it plays, as players read it: WebM's ``Duration`` (which
    MediaRecorder leaves out), an MP4 that is not fragmented (WebKit's recorder writes fragments and a zero
    ``mvhd`` duration). Ogg (the last page's granule) and WAV (the data size over the byte rate) always do."""
    if container not in ("webm", "mp4"):
        return True
    with path.open("rb") as handle:
        reader = Reader(handle, path.stat().st_size)
        try:
            return _webm_states_duration(reader) if container == "webm" else _mp4_states_duration(reader)
        except (Malformed, struct.error):
            return False


INFO, DURATION = 0x1549A966, 0x4489


def _webm_states_duration(reader: "Reader") -> bool:
    """A non-zero ``Duration`` in the segment's ``Info``, before the first cluster."""
    pos = 0
    while pos < reader.size:
        reader.step()
        head = reader.head(pos, 12)
        element, after_id = _vint(head, 0, keep_marker=True)
        size, after_size = _vint(head, after_id, keep_marker=False)
        pos += after_size
        if element in (SEGMENT, INFO):
            continue  # descend
        if element == CLUSTER:
            return False
        if element == DURATION:
            value = reader.read(pos, size)
            return size in (4, 8) and struct.unpack(">f" if size == 4 else ">d", value)[0] > 0
        pos += size
    return False


def _mp4_states_duration(reader: "Reader") -> bool:
    """No movie fragments, and a movie header whose duration is not zero."""
    duration = 0
    for kind, _box, at, stop in _boxes(reader, 0, reader.size):
        if kind == b"moof":
            return False
        if kind == b"moov":
            for inner, _start, header, _end in _boxes(reader, at, stop):
                if inner == b"mvex":
                    return False
                if inner == b"mvhd":
                    version = reader.read(header, 1)[0]
                    duration = int.from_bytes(reader.read(header + (24 if version == 1 else 16),
                                                          8 if version == 1 else 4), "big")
    return duration > 0


def without_orphan_fragments(source: Path, target: Path) -> bool:
    """Copy an MP4 to `target` without the fragments whose runs point at no audio (WebKit's repeated last
    `moof`, which ffmpeg would otherwise read as garbage frames). ``False``, writing nothing, when there are none
    or the file cannot be read."""
    with source.open("rb") as handle:
        reader = Reader(handle, source.stat().st_size)
        movie = Movie()
        try:
            _mp4_walk(reader, 0, reader.size, movie, None, 0)
            orphans = movie.orphan_fragments()
        except (Malformed, struct.error):
            return False
        if not orphans:
            return False
        with target.open("wb") as out:
            position = 0
            for start, end in [*orphans, (reader.size, reader.size)]:
                handle.seek(position)
                _copy(handle, out, start - position)
                position = end
    return True


def _copy(handle, out, length: int) -> None:
    while length > 0:
        block = handle.read(min(length, 1 << 16))
        if not block:
            raise OSError("the file shrank while being copied")
        out.write(block)
        length -= len(block)


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


# --- WebM (EBML): add up the Opus packets of every block of the Opus track ---------------------------------
SEGMENT, CLUSTER, BLOCK_GROUP, SIMPLE_BLOCK, BLOCK = 0x18538067, 0x1F43B675, 0xA0, 0xA3, 0xA1
TRACKS, TRACK_ENTRY, TRACK_NUMBER, CODEC_ID = 0x1654AE6B, 0xAE, 0xD7, 0x86
MASTERS = {SEGMENT, CLUSTER, BLOCK_GROUP, TRACKS, TRACK_ENTRY}


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
    entries: list[dict] = []  #: the track entries: {"number", "codec"}
    while pos < reader.size:
        reader.step()
        head = reader.head(pos, 12)
        element, after_id = _vint(head, 0, keep_marker=True)
        size, after_size = _vint(head, after_id, keep_marker=False)
        pos += after_size
        if element == TRACK_ENTRY:
            entries.append({})
        if element in MASTERS:
            continue  # descend into the children (also for unknown-size segments and clusters)
        if size == (1 << (7 * (after_size - after_id))) - 1:
            raise Malformed("unknown size outside a container")
        if element in (TRACK_NUMBER, CODEC_ID) and entries:
            value = reader.read(pos, min(size, 64))
            entries[-1]["number" if element == TRACK_NUMBER else "codec"] = \
                int.from_bytes(value, "big") if element == TRACK_NUMBER else value
        elif element in (SIMPLE_BLOCK, BLOCK):
            opus = {entry.get("number") for entry in entries if entry.get("codec") == b"A_OPUS"}
            samples += _block_samples(reader.read(pos, size), opus)
            blocks += 1
        pos += size
    return round(samples / 48) if blocks else None


def _block_samples(block: bytes, opus_tracks: set) -> int:
    """The 48 kHz samples of a (Simple)Block of an Opus track: its frames (laced or not) are Opus packets."""
    track, at = _vint(block, 0, keep_marker=False)
    if track not in opus_tracks:
        return 0  # another track's block (a video, say) plays alongside, it adds no time
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
# A fragment's run counts only where its bytes lie in an `mdat` box: WebKit's MediaRecorder writes its last
# `moof` twice, the first copy pointing into the second instead of at audio, and players skip that copy too.
MP4_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"mvex"}
TFHD_BASE_OFFSET, TFHD_DESCRIPTION, TFHD_DURATION, TFHD_SIZE, TFHD_BASE_IS_MOOF = 0x1, 0x2, 0x8, 0x10, 0x20000
TRUN_DATA_OFFSET, TRUN_FIRST_FLAGS = 0x1, 0x4
#: At most this many samples in all fragments (five minutes of AAC are about 14,000).
MAX_SAMPLES = 1_000_000
TRUN_FIELDS = ((0x100, "duration"), (0x200, "size"), (0x400, "flags"), (0x800, "offset"))


class Movie:
    """What the boxes tell: per track its time scale, handler and sample time, the fragments' runs, and where
    the media data lies."""

    def __init__(self):
        self.tracks: dict[int, dict] = {}  #: track id -> {"timescale", "handler", "units"}
        self.defaults: dict[int, tuple[int, int]] = {}  #: track id -> default (duration, size), from trex
        self.runs: list[tuple[int, int, list, list, tuple]] = []  #: (track id, first byte, durations, sizes, moof)
        self.media: list[tuple[int, int]] = []  #: (start, end) of each mdat's payload
        self.samples = 0  #: in all fragments' runs, at most MAX_SAMPLES

    def duration_ms(self) -> int | None:
        self.media.sort()  # boxes do not overlap: at most one mdat can hold a run
        for track_id, start, durations, sizes, _moof in self.runs:
            if track_id not in self.tracks:
                raise Malformed("a fragment of an unknown track")
            self.tracks[track_id]["units"] += self.played_units(start, durations, sizes)
        tracks = [t for t in self.tracks.values() if t["handler"] == b"soun"] or list(self.tracks.values())
        if not tracks:
            return None
        return max(_ms(track["units"], track["timescale"]) for track in tracks)

    def played_units(self, start: int, durations: list, sizes: list) -> int:
        """The run's time if its bytes lie in one mdat (a run's data is contiguous), else none of it."""
        index = bisect.bisect_right(self.media, (start, float("inf"))) - 1  # the last mdat that begins before
        inside = index >= 0 and self.media[index][0] <= start and start + sum(sizes) <= self.media[index][1]
        return sum(durations) if inside else 0

    def orphan_fragments(self) -> list[tuple[int, int]]:
        """The (start, end) of each `moof` whose runs all point outside the media data."""
        self.media.sort()
        playing: dict[tuple, bool] = {}
        for _track, start, durations, sizes, moof in self.runs:
            playing[moof] = playing.get(moof, False) or self.played_units(start, durations, sizes) > 0 \
                or not durations
        return sorted(moof for moof, plays in playing.items() if not plays)

    def count_samples(self, count: int) -> None:
        self.samples += count
        if self.samples > MAX_SAMPLES:
            raise Malformed("too many samples")


def _mp4_duration(reader: Reader) -> int | None:
    """The longest sound track, from its samples; ``mvhd``, ``mdhd`` and ``mehd`` durations are claims, not read."""
    movie = Movie()
    _mp4_walk(reader, 0, reader.size, movie, None, 0)
    return movie.duration_ms()


def _boxes(reader: Reader, start: int, end: int):
    """``(type, box start, payload start, end)`` of each box between `start` and `end`."""
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
        yield kind, pos, pos + header, pos + size
        pos += size


def _mp4_walk(reader: Reader, start: int, end: int, movie: Movie, track: dict | None, depth: int) -> None:
    if depth > 8:
        raise Malformed("boxes nested too deep")
    for kind, box, at, stop in _boxes(reader, start, end):
        if kind == b"trak":
            track = {"id": None, "timescale": 0, "handler": None, "units": 0}
            _mp4_walk(reader, at, stop, movie, track, depth + 1)
            if track["id"] is None or track["id"] in movie.tracks:
                raise Malformed("a track without a unique id")
            movie.tracks[track.pop("id")] = track
        elif kind == b"moof":
            _movie_fragment(reader, (box, stop), at, movie)
        elif kind == b"mdat":
            movie.media.append((at, stop))
        elif kind in MP4_CONTAINERS:
            _mp4_walk(reader, at, stop, movie, track, depth + 1)
        elif kind == b"trex":
            track_id, _index, duration, size = struct.unpack(">IIII", reader.read(at + 4, 16))
            movie.defaults[track_id] = (duration, size)
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


def _movie_fragment(reader: Reader, moof: tuple[int, int], start: int, movie: Movie) -> None:
    """Each track fragment's runs, with where their data starts (ISO/IEC 14496-12, 8.8.7 and 8.8.8)."""
    data_end = moof[0]  # the implicit base of the first track fragment
    for kind, _box, at, stop in _boxes(reader, start, moof[1]):
        if kind == b"traf":
            data_end = _track_fragment(reader, moof, data_end, at, stop, movie)


def _track_fragment(reader: Reader, moof: tuple[int, int], base: int, start: int, end: int, movie: Movie) -> int:
    """Add the runs of one track fragment; the end of its data (the next fragment's implicit base)."""
    track_id = defaults = None
    position = base
    for kind, _box, at, stop in _boxes(reader, start, end):
        if kind == b"tfhd":
            flags, track_id = struct.unpack(">II", reader.read(at, 8))
            defaults, base = _fragment_header(reader, at + 8, flags & 0xFFFFFF, movie.defaults.get(track_id),
                                              moof[0], base)
            position = base
        elif kind == b"trun":
            if track_id is None:
                raise Malformed("trun before tfhd")
            movie.count_samples(struct.unpack(">I", reader.read(at + 4, 4))[0])
            start_at, durations, sizes = _run(reader, at, stop, defaults, base, position)
            movie.runs.append((track_id, start_at, durations, sizes, moof))
            position = start_at + sum(sizes)
    return position


def _fragment_header(reader: Reader, at: int, flags: int, trex, moof: int, base: int):
    """The fragment's default (duration, size) and its base data offset."""
    duration, size = trex or (None, None)
    if flags & TFHD_BASE_OFFSET:
        base = struct.unpack(">Q", reader.read(at, 8))[0]
        at += 8
    elif flags & TFHD_BASE_IS_MOOF:
        base = moof
    at += 4 * bool(flags & TFHD_DESCRIPTION)
    if flags & TFHD_DURATION:
        duration = struct.unpack(">I", reader.read(at, 4))[0]
        at += 4
    if flags & TFHD_SIZE:
        size = struct.unpack(">I", reader.read(at, 4))[0]
    return (duration, size), base


def _run(reader: Reader, at: int, stop: int, defaults, base: int, position: int):
    """``(first byte, durations, sizes)`` of a track run."""
    flags, count = struct.unpack(">II", reader.read(at, 8))
    at += 8
    if flags & TRUN_DATA_OFFSET:
        position = base + struct.unpack(">i", reader.read(at, 4))[0]
        at += 4
    at += 4 * bool(flags & TRUN_FIRST_FLAGS)
    fields = [name for bit, name in TRUN_FIELDS if flags & bit]
    if at + count * 4 * len(fields) > stop:
        raise Malformed("trun past its box")
    rows = list(struct.iter_unpack(">" + "I" * len(fields), reader.read(at, count * 4 * len(fields)))) \
        if fields else []
    columns = {name: [row[index] for row in rows] for index, name in enumerate(fields)}
    default_duration, default_size = defaults or (None, None)
    durations = columns.get("duration") or _repeat(default_duration, count)
    sizes = columns.get("size") or _repeat(default_size, count)
    return position, durations, sizes


def _repeat(value: int | None, count: int) -> list:
    if value is None:
        raise Malformed("samples without a duration or size")
    return [value] * count
