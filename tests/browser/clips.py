"""Clips for listen mode in the browser tests: the demo's real clips (`ensure_demo` loads its synthetic
espeak-ng speech), as the real server lists them in the campaign document and serves them.

A test that needs a language without clips deletes them through the model (`remove_clips`)."""

import json
import urllib.request

from sqlalchemy import select

from server.extensions import db
from server.voicepacks.models import Clip
from server.voicepacks.operations import delete_clip


def served_audio(base_url: str, code: str) -> dict:
    """The `audio` map of the flyer `code`'s campaign document, as the server sends it to a phone."""
    with urllib.request.urlopen(f"{base_url}/api/v1/sources/{code}", timeout=20) as response:
        return json.load(response)["campaign"]["audio"]


def urls(audio_of_language: dict) -> list[str]:
    """Every clip URL of one language's entry of the `audio` map."""
    return [clip["url"] for group in audio_of_language.values() for clip in group.values()]


def remove_clips(campaign, languages) -> int:
    """Delete every clip of `campaign`'s team (its campaigns and its voice pack) in `languages`; committed."""
    clips = db.session.scalars(select(Clip).where(Clip.team_id == campaign.team_id,
                                                  Clip.language.in_(list(languages)))).all()
    for clip in clips:
        delete_clip(clip)
    db.session.commit()
    return len(clips)


#: Every play and end of listen mode's audio element: the key of the text, the clip's URL and how far it got;
#: and every text given to the phone's speech synthesis (`window.__synthesised`), which listen mode must not
#: need where a clip exists.
HEARD_LOG = """
window.__heard = [];
window.__synthesised = [];
for (const type of ['playing', 'ended']) {
  document.addEventListener(type, (event) => {
    if (event.target.id === 'speaker-audio') {
      const { key, clip } = event.target.dataset;
      window.__heard.push({ type, key, clip, time: event.target.currentTime });
    }
  }, true);
}
if (self.speechSynthesis) {
  const speak = speechSynthesis.speak.bind(speechSynthesis);
  speechSynthesis.speak = (utterance) => { window.__synthesised.push(utterance.text); speak(utterance); };
}
"""


def heard(page) -> list[dict]:
    return page.evaluate("() => window.__heard")


def synthesised(page) -> list[str]:
    return page.evaluate("() => window.__synthesised")


def clear_heard(page) -> None:
    page.evaluate("() => { window.__heard.length = 0; }")


def ended_keys(page) -> list[str]:
    """The keys of the clips that played to their end from a clip URL and really advanced (currentTime > 0)."""
    return [entry["key"] for entry in heard(page)
            if entry["type"] == "ended" and entry["time"] > 0 and entry["clip"].startswith("/api/v1/clips/")]


SCREEN_PARTS = """async () => {
  const { partsOf } = await import('/app/js/speaker.js');
  const button = document.querySelector('main .speaker.big');
  return button ? partsOf(button).map((part) => [part.key, part.clip || null, Boolean(part.text)]) : null;
}"""


def screen_parts(page) -> list[list]:
    """What the screen's big speaker says: [key, its clip's URL or None, has a text] per part."""
    return page.evaluate(SCREEN_PARTS)
