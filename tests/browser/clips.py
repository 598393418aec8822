"""Clips for listen mode in the browser tests: real speech from espeak-ng, stored and served by the real server.

Until the server's clips (docs/listen-mode.md, the voiceserver branch) are merged, the bytes are kept as recorded
question prompts (`add_prompt`, served at `/api/v1/prompts/<id>`, public and immutable like a clip) and the
campaign document's `audio` map is added to the flyer's download by a Playwright route. Once `clips` exist,
`audio_map` should insert clip rows through their model and the route can go."""

import json
import re
import subprocess

from playwright.sync_api import BrowserContext

from server.campaigns.operations import add_prompt
from server.extensions import db
from server.i18n import catalog_json
from server.paths import PWA_DIR

ESPEAK_VOICES = {"nl": "nl", "ar": "ar", "en": "en-gb", "tr": "tr"}


def speech(text: str, lang: str) -> bytes:
    """`text` said by espeak-ng in `lang`, as a WAV file (fast, so a screen's clips play in a few seconds)."""
    return subprocess.run(["espeak-ng", "-v", ESPEAK_VOICES[lang], "-s", "320", "--stdout", text],
                          check=True, capture_output=True).stdout


def phrases() -> dict[str, str]:
    source = (PWA_DIR / "js" / "phrases.js").read_text(encoding="utf-8")
    return dict(re.findall(r'^\s+(\w+): N_\("((?:[^"\\]|\\.)*)"\),?$', source, flags=re.M))


def campaign_texts(definition: dict, lang: str) -> dict[str, str]:
    """The campaign texts a resident hears in `lang`, by their key in the `audio` map."""
    texts = {key: definition[key][lang] for key in ("title", "intro", "thanks") if definition.get(key, {}).get(lang)}
    for question in definition["questions"]:
        texts[f"q:{question['key']}"] = question["text"][lang]
        for choice in question.get("choices", []):
            texts[f"q:{question['key']}:{choice['key']}"] = choice["label"][lang]
    return texts


def audio_map(campaign, lang: str) -> dict:
    """Record every campaign text and every app phrase of `lang` and return `audio[lang]` (committed)."""
    holder = campaign.definition["questions"][0]["key"]
    catalog = catalog_json(lang)

    def clip(text: str) -> dict:
        data = speech(text, lang)
        prompt = add_prompt(campaign, holder, lang, data)
        return {"url": f"/api/v1/prompts/{prompt.id}", "bytes": len(data), "duration_ms": 0}

    result = {"campaign": {key: clip(text) for key, text in campaign_texts(campaign.definition, lang).items()},
              "phrases": {key: clip(catalog.get(msgid) or msgid) for key, msgid in phrases().items()}}
    db.session.commit()
    return result


def serve_audio(context: BrowserContext, code: str, audio: dict) -> None:
    """The flyer's campaign document as the server will send it: with its `audio` map."""

    def add_audio(route):
        try:
            response = route.fetch()
        except Exception:  # offline: the app falls back to its stored copy
            route.abort()
            return
        document = response.json()
        document["campaign"]["audio"] = audio
        route.fulfill(response=response, body=json.dumps(document))

    context.route(f"**/api/v1/sources/{code}", add_audio)


#: Every play and end of listen mode's audio element, with the key of the text and how far it got.
HEARD_LOG = """
window.__heard = [];
for (const type of ['playing', 'ended']) {
  document.addEventListener(type, (event) => {
    if (event.target.id === 'speaker-audio') {
      window.__heard.push({ type, key: event.target.dataset.key, time: event.target.currentTime });
    }
  }, true);
}
"""


def heard(page) -> list[dict]:
    return page.evaluate("() => window.__heard")


def clear_heard(page) -> None:
    page.evaluate("() => { window.__heard.length = 0; }")


def ended_keys(page) -> list[str]:
    """The keys of the clips that played to their end (and really advanced: currentTime > 0)."""
    return [entry["key"] for entry in heard(page) if entry["type"] == "ended" and entry["time"] > 0]


SCREEN_PARTS = """async () => {
  const { partsOf } = await import('/app/js/speaker.js');
  const button = document.querySelector('main .speaker.big');
  return button ? partsOf(button).map((part) => [part.key, Boolean(part.clip), Boolean(part.text)]) : null;
}"""


def screen_parts(page) -> list[list]:
    """What the screen's big speaker says: [key, has a clip, has a text] per part."""
    return page.evaluate(SCREEN_PARTS)
