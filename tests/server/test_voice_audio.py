"""Reading the real duration of a recording from its container: any bytes give a duration or ``None``."""

import io
import shutil
import struct
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.voice.audio import Reader, audio_duration_ms, opus_packet_samples, sniff_container
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


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def test_mp4_duration_comes_from_the_samples_not_from_mehd(recordings):
    """A fragmented file may declare any `mehd`/`mvhd` length; the samples in its runs are what plays."""
    data = recordings["mp4"]
    mvex = data.index(b"mvex") - 4
    lie = box(b"mehd", bytes(4) + struct.pack(">I", 1))  # "1 unit long"
    size = struct.unpack_from(">I", data, mvex)[0]
    patched = data[:mvex] + struct.pack(">I", size + len(lie)) + data[mvex + 4:mvex + 8] + lie + \
        data[mvex + 8:]
    moov = patched.index(b"moov") - 4
    patched = patched[:moov] + struct.pack(">I", struct.unpack_from(">I", patched, moov)[0] + len(lie)) + \
        patched[moov + 4:]
    assert 1950 <= duration(patched, "mp4") <= 2050


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


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(data=st.binary(max_size=2048), container=st.sampled_from(sorted(ENCODINGS)))
def test_any_bytes_give_a_duration_or_none(data, container):
    result = duration(data, container)
    assert result is None or (isinstance(result, int) and result >= 0)


@FUZZ
@given(container=st.sampled_from(sorted(ENCODINGS)), edits=st.lists(
    st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)), min_size=1, max_size=8))
def test_damaged_real_files_give_a_duration_or_none(recordings, container, edits):
    data = bytearray(recordings[container])
    for position, value in edits:
        data[position % len(data)] = value
    result = duration(bytes(data), container)
    assert result is None or (isinstance(result, int) and result >= 0)
