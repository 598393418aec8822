"""Reading the real duration of a recording from its container: any bytes give a duration or ``None``."""

import io
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.voice.audio import (
    Reader,
    audio_duration_ms,
    duration_ms,
    opus_packet_samples,
    sniff_container,
    without_orphan_fragments,
)
from tests.factories import wav_bytes

FFMPEG = shutil.which("ffmpeg")
ENCODINGS = {
    "webm": ["-c:a", "libopus", "-live", "1", "-f", "webm"],
    "ogg": ["-c:a", "libopus", "-f", "ogg"],
    "mp4": ["-c:a", "aac", "-movflags", "frag_keyframe+empty_moov", "-f", "mp4"],
    "wav": ["-f", "wav"],
}


def duration(data: bytes, container: str) -> int | None:
    return audio_duration_ms(Reader(io.BytesIO(data), len(data)), container)


@pytest.fixture(scope="module")
def recordings(tmp_path_factory) -> dict[str, bytes]:
    """Two seconds of a tone in every accepted container, made by ffmpeg."""
    if FFMPEG is None:
        pytest.skip("ffmpeg is not installed")
    out = {}
    for container, args in ENCODINGS.items():
        path = tmp_path_factory.mktemp("audio") / container
        subprocess.run([FFMPEG, "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=2",
                        "-b:a", "24k", *args, str(path)], check=True)
        out[container] = path.read_bytes()
    return out


@pytest.mark.parametrize("container", ENCODINGS)
def test_real_files_give_their_real_length(recordings, container):
    assert sniff_container(recordings[container][:4096]) == container
    assert 1950 <= duration(recordings[container], container) <= 2050


#: Three seconds recorded by WebKitGTK 2.50's MediaRecorder from its mock microphone, as the field app stores it:
#: fragmented MP4 with AAC, its `ftyp` written twice and its last `moof` written twice, the first copy pointing
#: into the second instead of at audio.
WEBKIT_RECORDING = Path(__file__).parent / "data" / "webkit-recording.mp4"


def top_level_boxes(data: bytes) -> list[bytes]:
    kinds, pos = [], 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack_from(">I4s", data, pos)
        kinds.append(kind)
        pos += size
    return kinds


def ffmpeg_errors(path: Path) -> str:
    return subprocess.run([FFMPEG, "-v", "error", "-i", str(path), "-f", "null", "-"], capture_output=True,
                          text=True, check=True).stderr


def test_webkit_recording_gives_the_length_of_its_audio():
    data = WEBKIT_RECORDING.read_bytes()
    assert sniff_container(data[:4096]) == "mp4"
    assert top_level_boxes(data) == [b"ftyp", b"ftyp", b"moov", b"moof", b"mdat", b"moof", b"mdat", b"moof",
                                     b"moof", b"mdat"]
    assert duration(data, "mp4") == 2879  # 124 AAC frames of 1024 samples at 44.1 kHz, the repeated one not counted


@pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed")
def test_webkit_recording_without_its_orphan_fragment_decodes_cleanly(tmp_path):
    """ffmpeg reads the first copy of the repeated `moof`: 34 garbage frames, heard as noise or a cut."""
    assert "Invalid data" in ffmpeg_errors(WEBKIT_RECORDING)
    cleaned = tmp_path / "cleaned.mp4"
    assert without_orphan_fragments(WEBKIT_RECORDING, cleaned)
    assert ffmpeg_errors(cleaned) == ""
    assert duration_ms(cleaned, "mp4") == duration_ms(WEBKIT_RECORDING, "mp4")
    assert top_level_boxes(cleaned.read_bytes()).count(b"moof") == 3


def test_files_without_orphan_fragments_are_left_alone(recordings, tmp_path):
    source = tmp_path / "fragmented.mp4"
    source.write_bytes(recordings["mp4"])
    assert not without_orphan_fragments(source, tmp_path / "cleaned.mp4")
    assert not (tmp_path / "cleaned.mp4").exists()


@pytest.mark.parametrize("claimed", [1, 10 ** 9])
def test_mp4_duration_comes_from_the_samples_not_from_mehd_or_mvhd(claimed):
    """A fragmented file may claim any length in `mehd` or `mvhd`; the samples in its runs are what plays."""
    data = bytearray(WEBKIT_RECORDING.read_bytes())
    mehd = data.index(b"mehd") + 4
    assert data[mehd] == 1  # version 1: a 64-bit fragment duration
    data[mehd + 4:mehd + 12] = claimed.to_bytes(8, "big")
    mvhd = data.index(b"mvhd") + 4
    data[mvhd + 16:mvhd + 20] = min(claimed, 2 ** 32 - 1).to_bytes(4, "big")
    assert duration(bytes(data), "mp4") == 2879


@pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed")
def test_webm_with_a_video_track_gives_the_length_of_its_audio(tmp_path):
    """`video/webm` is accepted: only the Opus track's blocks are audio (the video's used to count as Opus)."""
    path = tmp_path / "with-video.webm"
    subprocess.run([FFMPEG, "-v", "error", "-y", "-f", "lavfi", "-i", "sine=duration=2", "-f", "lavfi", "-i",
                    "testsrc=duration=2:size=64x64:rate=50", "-c:a", "libopus", "-c:v", "libvpx", "-b:v", "50k",
                    "-f", "webm", str(path)], check=True)
    assert sniff_container(path.read_bytes()[:4096]) == "webm"
    assert 1950 <= duration_ms(path, "webm") <= 2050


def test_opus_packet_lengths_follow_rfc_6716():
    assert opus_packet_samples(bytes([0xFC])) == 960  # CELT 20 ms, one frame (what Chromium writes)
    assert opus_packet_samples(bytes([0xFD])) == 1920  # two frames
    assert opus_packet_samples(bytes([0xFF, 0x03])) == 2880  # code 3, three frames
    assert opus_packet_samples(bytes([0x18])) == 2880  # SILK 60 ms
    assert opus_packet_samples(b"") == 0


def test_wav_with_a_byte_rate_that_does_not_match_its_format_tells_nothing():
    data = bytearray(wav_bytes(2))
    assert duration(bytes(data), "wav") == 2000
    data[28:32] = (1_600_000).to_bytes(4, "little")  # 100 times the real rate: 2 s would read as 20 ms
    assert duration(bytes(data), "wav") is None


def test_streaming_wav_with_an_open_data_size_is_measured_by_its_bytes():
    data = bytearray(wav_bytes(2))
    data[40:44] = b"\xff\xff\xff\xff"
    assert duration(bytes(data), "wav") == 2000


@pytest.mark.parametrize("container", ENCODINGS)
def test_truncated_files_give_a_length_or_none(recordings, container):
    data = recordings[container]
    for end in range(0, len(data), max(1, len(data) // 97)):
        result = duration(data[:end], container)
        assert result is None or 0 <= result <= 2050


#: Long property tests (300 examples each): with the slow tests.
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.slow
@FUZZ
@given(data=st.binary(max_size=2048), container=st.sampled_from(sorted(ENCODINGS)))
def test_any_bytes_give_a_duration_or_none(data, container):
    result = duration(data, container)
    assert result is None or (isinstance(result, int) and result >= 0)


@pytest.mark.slow
@FUZZ
@given(container=st.sampled_from(sorted(ENCODINGS)), edits=st.lists(
    st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)), min_size=1, max_size=8))
def test_damaged_real_files_give_a_duration_or_none(recordings, container, edits):
    data = bytearray(recordings[container])
    for position, value in edits:
        data[position % len(data)] = value
    result = duration(bytes(data), container)
    assert result is None or (isinstance(result, int) and result >= 0)


@pytest.mark.slow
@FUZZ
@given(edits=st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)),
                      min_size=1, max_size=8))
def test_damaged_webkit_recordings_are_cleaned_or_left_alone(tmp_path_factory, edits):
    data = bytearray(WEBKIT_RECORDING.read_bytes())
    for position, value in edits:
        data[position % len(data)] = value
    folder = tmp_path_factory.mktemp("damaged")
    source, target = folder / "source.mp4", folder / "cleaned.mp4"
    source.write_bytes(bytes(data))
    assert without_orphan_fragments(source, target) == target.exists()
    result = duration(bytes(data), "mp4")
    assert result is None or (isinstance(result, int) and result >= 0)
