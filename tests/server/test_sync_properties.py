"""Property: whatever the network does (lost requests, lost acknowledgements, resends, reorderings, chunks split
anywhere, damaged chunks), a client that retries what was not acknowledged ends with exactly the database state
of one clean, in-order delivery."""

import random
import shutil
import string
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from server.extensions import db
from server.responses.models import Answer, Response, SyncConflict
from server.voice.models import VoiceNote
from tests.factories import voice_declaration, wav_bytes

VISITOR_KEY = "property-visitor-key-0123456789"
CHUNK = "application/offset+octet-stream"
MAX_STEPS = 3000

# --- what one example delivers --------------------------------------------------------------------------

TEXT = st.builds(str.__add__, st.sampled_from(string.ascii_letters),
                 st.text(string.ascii_letters + string.digits + " .,!?éëïöü€-", max_size=40))
ANSWER_VALUES = {
    "missen": st.sampled_from(["groen", "spelen", "bankjes", "licht"]),
    "plekken": st.lists(st.sampled_from(["buurthuis", "markt", "park", "bieb"]), min_size=1, max_size=4,
                        unique=True),
    "veilig": st.sampled_from(["yes", "no"]),
    "jaren": st.integers(0, 100),
    "idee": TEXT,
}


@st.composite
def response_specs(draw) -> dict:
    """One resident's response (campaign and source are filled in at delivery time)."""
    optional = draw(st.lists(st.sampled_from(sorted(ANSWER_VALUES)), unique=True))
    answers = [{"question": "wonen", "value": draw(st.integers(1, 5))}]
    answers += [{"question": key, "value": draw(ANSWER_VALUES[key])} for key in optional]
    note_questions = draw(st.lists(st.sampled_from(["vertel", "idee", "missen"]), max_size=2))
    wants_notes = bool(note_questions)
    audio = draw(st.booleans())
    return {
        "id": str(uuid.uuid4()),
        "sender": draw(st.sampled_from(["device", "device", "visitor"])),
        "language": draw(st.sampled_from(["nl", "en", "tr", "ar"])),
        "collected_at": f"2026-11-{draw(st.integers(1, 28)):02d}T{draw(st.integers(0, 23)):02d}:15:00+01:00",
        "consent": {"answers": True, "audio": audio},
        "meta": {"buurt": draw(st.sampled_from([None, "Noord", "Zuid"])),
                 "age_bracket": draw(st.sampled_from([None, "18-26", "66-79"]))},
        "answers": draw(st.permutations(answers)),
        # without audio consent the notes are refused (or deleted when they came first): "doomed" notes
        "voice_notes": [{"id": str(uuid.uuid4()), "question": q} for q in note_questions] if audio else [],
        "doomed_notes": [{"id": str(uuid.uuid4()), "question": q} for q in note_questions]
        if wants_notes and not audio else [],
        "receipt": draw(st.sampled_from([None, "BON-1234", "BON-5678"])),
        "note_seconds": draw(st.lists(st.sampled_from([0.05, 0.1, 0.2, 0.3]), min_size=2, max_size=2)),
    }


@st.composite
def deliveries(draw) -> list[dict]:
    return draw(st.lists(response_specs(), min_size=1, max_size=6))


@dataclass
class Note:
    """A recording on the client, with what it needs to upload."""

    body: dict
    data: bytes
    sender: str
    doomed: bool
    offset: int | None = 0
    state: str = "new"  # new, uploading, done
    damaged: bool = False


@dataclass
class Plan:
    """The originals per sender, invalid items, conflicting versions and notes of one example."""

    originals: dict = field(default_factory=lambda: {"device": [], "visitor": []})
    invalid: dict = field(default_factory=lambda: {"device": [], "visitor": []})
    conflicts: dict = field(default_factory=lambda: {"device": [], "visitor": []})
    notes: list = field(default_factory=list)


def make_plan(specs: list[dict], campaign, flyer) -> Plan:
    plan = Plan()
    for spec in specs:
        sender = spec["sender"]
        body = {key: value for key, value in spec.items() if key not in ("sender", "doomed_notes", "note_seconds")}
        body.update(campaign_id=str(campaign.id), campaign_version=1,
                    channel="door_to_door" if sender == "device" else "flyer",
                    source=None if sender == "device" else flyer.code)
        plan.originals[sender].append(body)
        plan.invalid[sender].append({**body, "id": str(uuid.uuid4()), "language": "xx"})
        plan.conflicts[sender].append({**body, "answers": [
            {**a, "value": a["value"] % 5 + 1} if a["question"] == "wonen" else a for a in body["answers"]]})
        refs = [(ref, False) for ref in body["voice_notes"]] + [(ref, True) for ref in spec["doomed_notes"]]
        for (ref, doomed), seconds in zip(refs, spec["note_seconds"], strict=False):
            data = wav_bytes(seconds, rate=8000 + 50 * len(plan.notes))
            declaration = voice_declaration(body["id"], data, id=ref["id"], question=ref["question"],
                                            source=body["source"])
            plan.notes.append(Note(declaration, data, sender, doomed))
    return plan


# --- the client and its unreliable network --------------------------------------------------------------

class Client:
    """A client that keeps everything not acknowledged and retries it over a network that misbehaves.

    The network is unreliable but fair: after two failures in a row the next request goes through.
    """

    def __init__(self, http, auth: dict, rng: random.Random):
        self.http, self.rng, self.failures = http, rng, 0
        self.headers = {"device": auth, "visitor": {"Upload-Key": VISITOR_KEY}}

    def send(self, method: str, url: str, sender: str, **kwargs):
        """The reply, or None when the request or its reply got lost (a request may also arrive twice)."""
        fate = self.rng.random() if self.failures < 2 else 1.0
        self.failures = self.failures + 1 if fate < 0.2 else 0
        if fate < 0.1:
            return None  # lost on the way to the server
        headers = {**self.headers[sender], **kwargs.pop("headers", {})}
        reply = self.http.open(url, method=method, headers=headers, **kwargs)
        if fate < 0.2:
            return None  # stored, but the acknowledgement got lost
        if fate < 0.3:
            reply = self.http.open(url, method=method, headers=headers, **kwargs)  # sent twice
        return reply


@dataclass
class Outbox:
    """What one sender still has to send, and what it may send again."""

    pending: list
    conflicts: list
    sent: list
    acked: set = field(default_factory=set)

    def ready_conflicts(self) -> list:
        return [body for body in self.conflicts if body["id"] in self.acked]

    def has_work(self) -> bool:
        return bool(self.pending or self.ready_conflicts())


def deliver_messily(client: Client, plan: Plan, rng: random.Random) -> None:
    outboxes = {sender: Outbox(plan.originals[sender] + plan.invalid[sender], list(plan.conflicts[sender]),
                               list(plan.originals[sender])) for sender in ("device", "visitor")}
    for _ in range(MAX_STEPS):
        actions = [("note", note) for note in plan.notes if note.state != "done"]
        actions += [("sync", sender) for sender, outbox in outboxes.items() if outbox.has_work()]
        if not actions:
            return
        kind, target = rng.choice(actions)
        if kind == "note":
            upload_step(client, target, rng)
        else:
            sync_step(client, target, outboxes[target], rng)
    raise AssertionError(f"the client did not finish within the step budget: {outboxes}, "
                         f"{[(n.state, n.offset, len(n.data), n.doomed) for n in plan.notes]}")


def sync_step(client: Client, sender: str, outbox: Outbox, rng: random.Random) -> None:
    """Send part of the outbox, in any order, with resends of acknowledged items and late conflicting versions."""
    batch = rng.sample(outbox.pending, rng.randint(min(1, len(outbox.pending)), len(outbox.pending)))
    done = [body for body in outbox.sent if body["id"] in outbox.acked]
    batch += rng.sample(done, min(len(done), rng.randint(0, 2)))
    ready = outbox.ready_conflicts()
    batch += rng.sample(ready, min(len(ready), rng.randint(0 if outbox.pending else 1, 1)))
    rng.shuffle(batch)
    reply = client.send("POST", "/api/v1/sync", sender, json={"responses": batch})
    if reply is None:
        return
    assert reply.status_code == 200, reply.json
    for body, result in zip(batch, reply.json["results"], strict=True):
        assert result["id"] == body["id"]
        if body in outbox.conflicts:
            assert result["status"] == "conflict", result
            outbox.conflicts.remove(body)
        elif body["language"] == "xx":
            assert result["status"] == "invalid", result
        else:
            assert result["status"] in ("created", "duplicate"), result
            outbox.acked.add(body["id"])
        if body in outbox.pending:
            outbox.pending.remove(body)  # an explicit answer: acknowledged, or left for a human


def upload_step(client: Client, note: Note, rng: random.Random) -> None:
    """One request of the note's upload: declare, ask the offset, or send a chunk (maybe damaged)."""
    url = f"/api/v1/voice-notes/{note.body['id']}"
    if note.state == "new":
        reply = client.send("POST", "/api/v1/voice-notes", note.sender, json=note.body)
        if reply is None:
            return
        if reply.status_code == 422 and reply.json["error"]["code"] == "audio_consent_required":
            assert note.doomed
            note.state = "done"
            return
        assert reply.status_code in (200, 201), reply.json
        note.state, note.offset = "uploading", reply.json["offset"]
        note.state = "done" if reply.json["state"] == "complete" else note.state
        return
    if note.offset is None:
        reply = client.send("HEAD", url, note.sender)
        if reply is not None:
            settle(note, reply)
        return
    remaining = len(note.data) - note.offset
    size = rng.randint(min(remaining, len(note.data) // 6), remaining) if remaining else 0
    chunk = note.data[note.offset:note.offset + size]
    if chunk and not note.damaged and rng.random() < 0.1:
        note.damaged = True  # once per note: a network that damages every try never delivers
        chunk = bytes([chunk[0] ^ 0xFF]) + chunk[1:]
    reply = client.send("PATCH", url, note.sender, data=chunk,
                        headers={"Upload-Offset": str(note.offset), "Content-Type": CHUNK})
    if reply is None:
        note.offset = None  # unknown now: ask with HEAD
        return
    settle(note, reply)


def settle(note: Note, reply) -> None:
    """Follow the server's word on the offset, as the protocol says."""
    if reply.status_code == 404:
        assert note.doomed, "only a note whose response refused audio may disappear"
        note.state, note.offset = "new", 0
        return
    if reply.status_code == 422 and reply.json["error"]["code"] == "checksum_mismatch":
        note.offset = 0
        return
    assert reply.status_code in (200, 409), (reply.status_code, reply.json if reply.data else None)
    note.offset = int(reply.headers["Upload-Offset"])
    if note.offset == int(reply.headers.get("Upload-Length", -1)):  # the server keeps a note whole only when verified
        note.state = "done"


def deliver_cleanly(http, auth: dict, plan: Plan) -> None:
    """Every response once, in order, then every note in one chunk."""
    headers = {"device": auth, "visitor": {"Upload-Key": VISITOR_KEY}}
    for sender in ("device", "visitor"):
        if plan.originals[sender]:
            reply = http.post("/api/v1/sync", json={"responses": plan.originals[sender]}, headers=headers[sender])
            assert {r["status"] for r in reply.json["results"]} == {"created"}
    for note in plan.notes:
        reply = http.post("/api/v1/voice-notes", json=note.body, headers=headers[note.sender])
        if note.doomed:
            assert reply.status_code == 422
            continue
        reply = http.patch(f"/api/v1/voice-notes/{note.body['id']}", data=note.data,
                           headers={**headers[note.sender], "Upload-Offset": "0", "Content-Type": CHUNK})
        assert reply.json["state"] == "complete"


# --- comparing database states --------------------------------------------------------------------------

def snapshot(app) -> dict:
    db.session.expire_all()
    media = Path(app.config["MEDIA_DIR"])
    responses = {r.id: (r.campaign_id, r.campaign_version, r.language, r.channel, r.source_id, r.device_id,
                        r.collected_at, r.consent_answers, r.consent_audio, r.buurt, r.age_bracket, r.receipt_hash,
                        r.content_hash, r.review_state) for r in db.session.scalars(select(Response))}
    answers = sorted((str(a.response_id), a.question_key, a.choice_key or "", a.number or -1, a.text or "")
                     for a in db.session.scalars(select(Answer)))
    notes = {n.id: (n.response_id, n.question_key, n.device_id, n.source_id, n.upload_key_hash, n.size,
                    n.content_type, n.sha256, n.duration_ms, n.received_bytes, n.state, n.container,
                    (media / n.storage_name).read_bytes())
             for n in db.session.scalars(select(VoiceNote))}
    stored_files = {p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file()}
    note_files = {name for n in db.session.scalars(select(VoiceNote))
                  for name in (n.storage_name, n.playback_name, n.timed_name) if name}  # and the copies made of it
    assert stored_files == note_files, "a file without its note, or a note without its file"
    return {"responses": responses, "answers": answers, "notes": notes}


def forget_everything_collected(app) -> None:
    for model in (Answer, SyncConflict, VoiceNote, Response):
        db.session.execute(delete(model))
    db.session.commit()
    for folder in ("voice", "playback"):  # the recordings (and their timed copies), and the playback copies
        shutil.rmtree(Path(app.config["MEDIA_DIR"]) / folder, ignore_errors=True)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=deliveries(), rng=st.randoms(use_true_random=False))
def test_any_messy_delivery_ends_as_one_clean_delivery(app, client, auth, campaign, flyer, specs, rng):
    plan = make_plan(specs, campaign, flyer)
    forget_everything_collected(app)
    deliver_messily(Client(client, auth, rng), plan, rng)
    messy = snapshot(app)
    forget_everything_collected(app)
    deliver_cleanly(client, auth, plan)
    clean = snapshot(app)
    assert messy == clean
    assert len(clean["responses"]) == len(specs)
    assert all(note[10] == "complete" for note in clean["notes"].values())
