"""Make the demo's synthetic clips with espeak-ng: every demo campaign text and voice-pack phrase, per language.

Run from the checkout after changing a demo text or an app phrase's translation (re-running is safe; only what
changed is made again)::

    python server/demo_audio/make.py

Each clip is normalised exactly as the server normalises a recording (`server.voicepacks.normalise`) and written
as ``<lang>/<key>.ogg`` (``:`` in a key becomes ``.``); ``manifest.json`` keeps the sha256 of the text each was
made for, so `server.demo` skips a clip whose text has changed since instead of storing wrong audio.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from server.demo import DEMO_DEFINITION  # noqa: E402
from server.voicepacks.normalise import ffmpeg_command  # noqa: E402
from server.voicepacks.operations import campaign_texts, text_hash  # noqa: E402
from server.voicepacks.phrases import phrase_text, phrases  # noqa: E402

#: espeak-ng voice per catalog language (`espeak-ng --voices`). Somali, Tigrinya, Tarifit, Sranan Tongo and
#: Frisian have none: a demo in those languages stays unrecorded, and the studio shows it as not ready.
VOICES = {"nl": "nl", "en": "en-gb", "tr": "tr", "ar": "ar", "pl": "pl", "uk": "uk", "pap": "pap"}
MANIFEST = HERE / "manifest.json"
#: Lower than a person's recording (24 kb/s): a synthetic voice is clear at 12 kb/s (Opus' wideband speech
#: mode), and one language of the demo (campaign and its voice pack: 57 texts) stays under the 300 KB budget of
#: issue 10; at 16 kb/s Arabic and Turkish were 335 and 339 KB.
BITRATE = "12k"


def file_name(key: str) -> str:
    return key.replace(":", ".") + ".ogg"


def texts(language: str) -> dict[str, str]:
    """Every text a resident can hear in `language` in the demo: key -> text."""
    found = {key: text for key, text in campaign_texts(DEMO_DEFINITION, language).items() if text}
    found.update({key: text for key in phrases() if (text := phrase_text(key, language))})
    return found


def speak(voice: str, text: str, target: Path) -> None:
    with tempfile.TemporaryDirectory() as folder:
        wav = Path(folder, "speech.wav")
        espeak = ["espeak-ng", "-v", voice, "-s", "150", "-w", str(wav), text]
        subprocess.run(espeak, check=True, timeout=60)  # noqa: S603 (a developer's tool, our own texts)
        convert = ffmpeg_command("ffmpeg", "wav", wav, target, BITRATE)
        subprocess.run(convert, check=True, capture_output=True, timeout=60)  # noqa: S603


def make() -> dict:
    manifest = json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {}
    for language in DEMO_DEFINITION["languages"]:
        voice = VOICES.get(language)
        if voice is None:
            continue
        folder = HERE / language
        folder.mkdir(exist_ok=True)
        wanted = texts(language)
        made = manifest.setdefault(language, {})
        for key, text in wanted.items():
            target = folder / file_name(key)
            if made.get(key) != text_hash(text) or not target.exists():
                speak(voice, text, target)
                made[key] = text_hash(text)
        for key in set(made) - set(wanted):
            (folder / file_name(key)).unlink(missing_ok=True)
            del made[key]
    MANIFEST.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return manifest


def report(manifest: dict) -> None:
    for language in manifest:
        sizes = [path.stat().st_size for path in (HERE / language).glob("*.ogg")]
        print(f"{language}: {len(sizes)} clips, {sum(sizes)} bytes")


if __name__ == "__main__":
    report(make())
