"""Builders of request bodies that match the demo campaign."""

import hashlib

from server.util import uuid7

FULL_ANSWERS = [
    {"question": "wonen", "value": 4},
    {"question": "missen", "value": "groen"},
    {"question": "plekken", "value": ["park", "markt"]},
    {"question": "veilig", "value": "no"},
    {"question": "jaren", "value": 12},
    {"question": "idee", "value": "Meer bankjes bij de speeltuin"},
]


def response_body(campaign, **overrides) -> dict:
    """A valid door-to-door response to the demo campaign; override any field."""
    body = {
        "id": str(uuid7()),
        "campaign_id": str(campaign.id),
        "campaign_version": 1,
        "language": "nl",
        "channel": "door_to_door",
        "collected_at": "2026-11-28T10:15:00+01:00",
        "consent": {"answers": True, "audio": True},
        "meta": {"buurt": "Noord", "age_bracket": "27-40"},
        "answers": [dict(a) for a in FULL_ANSWERS],
        "voice_notes": [],
        "receipt": None,
    }
    body.update(overrides)
    return body


def flyer_body(campaign, source, **overrides) -> dict:
    return response_body(campaign, channel="flyer", source=source.code, **overrides)


def voice_declaration(response_id, data: bytes, content_type="audio/wav", **overrides) -> dict:
    body = {"id": str(uuid7()), "response_id": str(response_id), "question": "vertel", "size": len(data),
            "content_type": content_type, "sha256": hashlib.sha256(data).hexdigest(), "duration_ms": None}
    body.update(overrides)
    return body


def wav_bytes(seconds: float = 0.5, rate: int = 8000) -> bytes:
    """A real, small PCM WAV file (a quiet tone)."""
    import io
    import math
    import struct
    import wave

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        frames = int(seconds * rate)
        out.writeframes(b"".join(struct.pack("<h", int(3000 * math.sin(i / 8))) for i in range(frames)))
    return buffer.getvalue()


def spoken_wav(text: str = "Hoe fijn woon je in de buurt?", voice: str = "nl", silence_ms: int = 0) -> bytes:
    """Real speech made by espeak-ng as a WAV file, with `silence_ms` of silence before and after it."""
    import subprocess

    speech = subprocess.run(["espeak-ng", "-v", voice, "--stdout", text], check=True, capture_output=True,
                            timeout=60).stdout
    if not silence_ms:
        return speech
    import io
    import wave

    with wave.open(io.BytesIO(speech)) as source:
        params, frames = source.getparams(), source.readframes(source.getnframes())
    pad = b"\x00" * (params.framerate * params.sampwidth * silence_ms // 1000)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setparams(params)
        out.writeframes(pad + frames + pad)
    return buffer.getvalue()


def make_team(slug: str = "andere-buurt", name: str = "Wijkteam Andere Buurt"):
    """A second team, flushed (the caller commits)."""
    from server.extensions import db
    from server.teams.models import Team

    team = Team(slug=slug, name=name, kind="municipal")
    db.session.add(team)
    db.session.flush()
    return team


def make_campaign(team, publish: bool = True, **definition_overrides):
    """A campaign like the demo one for `team`, published unless asked otherwise (the caller commits)."""
    import copy

    from server.campaigns.operations import create_campaign, publish_campaign
    from server.demo import DEMO_DEFINITION

    campaign = create_campaign(team, {**copy.deepcopy(DEMO_DEFINITION), **definition_overrides})
    if publish:
        publish_campaign(campaign)
    return campaign


def svg_qr_image(svg: str, scale: int = 8):
    """Draw an SVG QR code made by `qrcode`'s SvgPathImage (unit squares in one path) as a PIL image."""
    import re

    from PIL import Image, ImageDraw

    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y in re.findall(r"M(\d+),(\d+)H", re.search(r'<path d="([^"]+)"', svg).group(1)):
        left, top = int(x) * scale, int(y) * scale
        draw.rectangle([left, top, left + scale - 1, top + scale - 1], 0)
    return image
