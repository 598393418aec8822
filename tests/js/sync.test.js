// pwa/js/sync.js against a local server answering like the Wijkstem API: what removes an item from the phone,
// what leaves it in place, the batches, and the resumable upload of recordings.

import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";

import { countTransactions, failingMidway, resetDatabase, serveFrom } from "./support/browser.js";
import { queueResponses, queueResponseWithNote } from "./support/items.js";
import { startApi } from "./support/wijkstem-api.js";

import * as db from "../../pwa/js/db.js";
import { BATCH_SIZE, CHUNK_BYTES, drain } from "../../pwa/js/sync.js";

const { AUDIO, RESPONSES, VOICE } = db;
const TOKEN = "Xb3-device-token";
const SYNC = "/api/v1/sync";
const NOTE = /^\/api\/v1\/voice-notes\/[0-9a-f-]+$/;
const STRANGER = "01900000-0000-7000-8000-000000000000";
const ids = (items) => items.map((item) => item.id);
const sentIds = (request) => ids(request.json.responses);
let api;

/** Everything the phone holds for the server. */
async function outboxContents() {
  const [responses, notes, audio] = await db.getAllOf([RESPONSES, VOICE, AUDIO]);
  return { responses, notes, audio };
}

beforeEach(async () => {
  await resetDatabase();
  api = await startApi({ token: TOKEN });
  serveFrom(api.url);
  await db.saveSetting("device", { id: "0193-device", token: TOKEN });
  await db.saveSetting("language", "nl");
});

afterEach(() => api.stop());

describe("only a well-formed acknowledgement naming the item removes it", () => {
  test("created and duplicate: the responses leave the phone, and arrive once", async () => {
    const queued = await queueResponses(3);
    api.meddle = (request) => { // the server stores the batch, but its reply is lost on the way
      api.meddle = () => null;
      api.answer(request);
      return "drop";
    };
    assert.deepEqual(await drain(), { ok: false, error: { kind: "network" } });
    assert.deepEqual(ids((await outboxContents()).responses), ids(queued));
    assert.deepEqual(await drain(), { ok: true });
    assert.deepEqual(api.made("POST", SYNC).map(sentIds), [ids(queued), ids(queued)]);
    assert.deepEqual(await db.getAll(RESPONSES), []);
    assert.equal(api.responses.size, 3);
    assert.ok(await db.setting("lastSync"));
    assert.equal(await db.setting("lastError"), null);
  });

  test("conflict and invalid: the responses stay, held with the server's reasons, and wait for the user", async () => {
    const [created, conflict, invalid] = await queueResponses(3);
    api.responses.set(conflict.id, "another answer stored under this id");
    const errors = [{ field: "answers.0.value", code: "invalid_answer", message: "Dit antwoord past niet." }];
    api.refusals.set(invalid.id, { status: "invalid", errors });
    assert.deepEqual(await drain(), { ok: true });
    const held = await db.getAll(RESPONSES);
    assert.deepEqual(ids(held), [conflict.id, invalid.id]);
    assert.deepEqual(held.map((item) => [item.status, item.result.status, item.result.errors[0].code]),
      [["held", "conflict", "conflict"], ["held", "invalid", "invalid_answer"]]);
    assert.deepEqual(held.map((item) => item.body), [conflict, invalid]);
    assert.ok(!api.responses.has(invalid.id) && api.responses.has(created.id));

    await drain();
    assert.equal(api.made("POST", SYNC).length, 1, "held responses are not sent again by themselves");
    api.refusals.clear();
    api.responses.delete(conflict.id);
    assert.deepEqual(await drain(true), { ok: true }); // the user taps "send now"
    assert.deepEqual(sentIds(api.made("POST", SYNC)[1]), [conflict.id, invalid.id]);
    assert.deepEqual(await db.getAll(RESPONSES), []);
  });

  const results = (request, change) => JSON.stringify({ results: request.json.responses
    .map((item, index) => change({ index, id: item.id, status: "created" }, index)) });
  const json = (status, body) => ({ status, type: "application/json", body });
  const cases = {
    "a server error (500)": [() => json(500, '{"error": {"code": "internal_error", "message": "Fout."}}'),
      { kind: "server", status: 500, code: "internal_error", message: "Fout.", retryAfter: null }],
    "a gateway's 502 page": [() => ({ status: 502, type: "text/html", body: "<h1>Bad Gateway</h1>" }),
      { kind: "server", status: 502, code: null, message: null, retryAfter: null }],
    "a Wi-Fi login page (HTML 200)": [() => ({ status: 200, type: "text/html",
      body: "<html><body>Welkom op de wifi. Log in.</body></html>" }), { kind: "unexpected", status: 200 }],
    "a proxy's 200 with other JSON": [() => json(200, '{"status": "ok"}'), { kind: "unexpected", status: 200 }],
    "a 200 cut off in the middle": [(r) => json(200, results(r, (x) => x).slice(0, 40)),
      { kind: "unexpected", status: 200 }],
    "results for another id": [(r) => json(200, results(r, (x) => ({ ...x, id: STRANGER }))),
      { kind: "unexpected", status: 200 }],
    "results under the wrong index": [(r) => json(200, results(r, (x) => ({ ...x, index: x.index + 1 }))),
      { kind: "unexpected", status: 200 }],
    "a status outside the protocol": [(r) => json(200, results(r, (x) => ({ ...x, status: "stored" }))),
      { kind: "unexpected", status: 200 }],
    "results for only part of the batch": [(r) => json(200, results(r, (x) => x).replace(/,\{"index":2[^}]*\}/, "")),
      { kind: "unexpected", status: 200 }],
    "a cut connection": [() => "drop", { kind: "network" }],
    "a revoked token (401)": [() => json(401, '{"error": {"code": "invalid_token", "message": "Opnieuw koppelen."}}'),
      { kind: "auth", status: 401, code: "invalid_token", message: "Opnieuw koppelen.", retryAfter: null }],
    "too many requests (429)": [() => ({ ...json(429, '{"error": {"code": "rate_limited", "message": "Wacht."}}'),
      headers: { "Retry-After": "120" } }),
    { kind: "busy", status: 429, code: "rate_limited", message: "Wacht.", retryAfter: 120 }],
  };
  for (const [name, [reply, error]] of Object.entries(cases)) {
    test(`${name} leaves everything in place`, async () => {
      const queued = await queueResponses(3);
      const { note } = await queueResponseWithNote();
      const before = await outboxContents();
      api.meddle = (request) => (request.path === SYNC ? reply(request) : null);
      assert.deepEqual(await drain(), { ok: false, error });
      assert.deepEqual(await outboxContents(), before);
      assert.equal(api.made("POST", SYNC).length, 1);
      assert.deepEqual(api.made("POST", /voice-notes/), [], "no recording before its response is acknowledged");
      const lastError = await db.setting("lastError");
      assert.equal(lastError.kind, error.kind);
      assert.ok(lastError.at);
      assert.deepEqual(ids(before.responses), [...ids(queued), note.responseId]);
    });
  }

  test("no network at all leaves everything in place", async () => {
    await queueResponses(2);
    const before = await outboxContents();
    serveFrom(null);
    assert.deepEqual(await drain(), { ok: false, error: { kind: "network" } });
    assert.deepEqual(await outboxContents(), before);
  });

  test("a phone without its token sends nothing and keeps everything", async () => {
    await queueResponses(2);
    await db.dropSetting("device");
    assert.deepEqual(await drain(), { ok: false, error: { kind: "auth" } });
    assert.deepEqual(api.requests, []);
    assert.equal((await db.getAll(RESPONSES)).length, 2);
  });
});

describe("batches", () => {
  test(`responses go in queue order, ${BATCH_SIZE} at most a batch, within the server's limit`, async () => {
    assert.ok(BATCH_SIZE >= 20 && BATCH_SIZE <= 100); // docs/sync-protocol.md: 100 at most, 20 to 50 on a slow line
    const queued = await queueResponses(2 * BATCH_SIZE + 7);
    assert.deepEqual(await drain(), { ok: true });
    const batches = api.made("POST", SYNC).map(sentIds);
    assert.deepEqual(batches.map((batch) => batch.length), [BATCH_SIZE, BATCH_SIZE, 7]);
    assert.deepEqual(batches.flat(), ids(queued));
    assert.deepEqual(api.made("POST", SYNC)[0].json.responses[0], queued[0], "the body exactly as stored");
  });

  test("each sender's run of responses is its own batch: the device's with its token and status", async () => {
    const first = await queueResponses(2, "anonymous");
    const device = await queueResponses(3, "device");
    const last = await queueResponses(1, "anonymous");
    await drain();
    const [a, b, c] = api.made("POST", SYNC);
    assert.deepEqual([a, b, c].map(sentIds), [ids(first), ids(device), ids(last)]);
    assert.equal(a.headers.authorization, undefined);
    assert.equal(a.json.device_status, undefined);
    assert.equal(b.headers.authorization, `Bearer ${TOKEN}`);
    assert.deepEqual(b.json.device_status, { pending_responses: 4, pending_voice_notes: 0,
      pending_bytes: [...device, ...last].reduce((sum, body) => sum + JSON.stringify(body).length, 0) });
    assert.equal(b.headers["accept-language"], "nl");
  });

  test("a failed batch stops the drain: the batches before it are done, the rest wait in order", async () => {
    const queued = await queueResponses(2 * BATCH_SIZE + 1);
    let batch = 0;
    api.meddle = (request) => {
      batch += 1;
      return batch === 2 ? { status: 503, type: "text/plain", body: "down" } : null;
    };
    assert.equal((await drain()).error.kind, "server");
    assert.equal(api.made("POST", SYNC).length, 2);
    assert.deepEqual(ids(await db.getAll(RESPONSES)), ids(queued.slice(BATCH_SIZE)));
    await drain();
    assert.deepEqual(api.made("POST", SYNC).slice(2).map(sentIds).flat(), ids(queued.slice(BATCH_SIZE)));
  });

  test("a batch's acknowledgements are written in one transaction", async () => {
    await queueResponses(BATCH_SIZE);
    const { transactions } = await countTransactions(() => drain());
    const responseWrites = transactions.filter((t) => t.mode === "readwrite" && t.stores.includes(RESPONSES));
    assert.equal(responseWrites.length, 1);
    assert.deepEqual(await db.getAll(RESPONSES), []);
  });

  test("a failure writing the acknowledgements removes nothing; the next drain finds them duplicates", async () => {
    const queued = await queueResponses(10);
    const result = await failingMidway("delete", 4, () => drain());
    assert.equal(result.ok, false);
    assert.equal(result.error.kind, "client");
    assert.deepEqual(ids(await db.getAll(RESPONSES)), ids(queued));
    assert.deepEqual(await drain(), { ok: true });
    assert.deepEqual(await db.getAll(RESPONSES), []);
    assert.equal(api.responses.size, 10);
  });
});

describe("what the phone reports as still waiting", () => {
  const nothing = { pending_responses: 0, pending_voice_notes: 0, pending_bytes: 0 };

  test("after a drain that sent everything, the phone reports nothing (the sync's own report was before)", async () => {
    const { note } = await queueResponseWithNote();
    await queueResponses(2);
    assert.deepEqual(await drain(), { ok: true });
    const [batch] = api.made("POST", SYNC);
    assert.deepEqual(batch.json.device_status.pending_responses, 3);
    assert.deepEqual(batch.json.device_status.pending_voice_notes, 1);
    assert.ok(batch.json.device_status.pending_bytes > note.size);
    assert.deepEqual(api.reports, [nothing]);
    assert.equal(api.made("PUT", "/api/v1/devices/me/status")[0].headers.authorization, `Bearer ${TOKEN}`);
  });

  test("held items are reported as still waiting; an unchanged state is not reported again", async () => {
    const [held] = await queueResponses(1);
    api.refusals.set(held.id, { status: "invalid", errors: [] });
    await drain();
    assert.equal(api.reports.length, 1);
    assert.equal(api.reports[0].pending_responses, 1);
    await drain();
    await drain();
    assert.equal(api.reports.length, 1, "nothing changed, nothing sent: no new report");
  });

  test("a report that did not arrive is made after the next drain", async () => {
    await queueResponses(1);
    api.meddle = (request) => (request.method === "PUT" ? "drop" : null);
    assert.deepEqual(await drain(), { ok: true }, "the answers arrived: the drain worked");
    api.meddle = () => null;
    assert.deepEqual(api.reports, []);
    await drain();
    assert.deepEqual(api.reports, [nothing]);
  });

  test("a visitor's phone (not enrolled) reports nothing", async () => {
    await db.dropSetting("device");
    await queueResponses(1, "anonymous");
    await drain();
    assert.deepEqual(api.made("PUT", /status/), []);
  });
});

describe("recordings", () => {
  const chunks = () => api.made("PATCH", NOTE);

  test("a recording is uploaded only after its response was acknowledged, then leaves the phone", async () => {
    const { body, note, buffer } = await queueResponseWithNote({ size: 2 * CHUNK_BYTES + 100 });
    api.refusals.set(body.id, { status: "invalid", errors: [] });
    await drain();
    await drain(true);
    assert.deepEqual(api.made("POST", /voice-notes/), [], "not while its response is held");

    api.refusals.clear();
    assert.deepEqual(await drain(true), { ok: true });
    const order = api.requests.map((r) => `${r.method} ${r.path.replace(/[0-9a-f-]{36}/, "ID")}`);
    assert.deepEqual(order.slice(-6), ["POST /api/v1/sync", "POST /api/v1/voice-notes",
      "PATCH /api/v1/voice-notes/ID", "PATCH /api/v1/voice-notes/ID", "PATCH /api/v1/voice-notes/ID",
      "PUT /api/v1/devices/me/status"]);
    const stored = api.notes.get(note.id);
    assert.ok(stored.complete);
    assert.deepEqual(stored.bytes, Buffer.from(buffer));
    assert.deepEqual(stored.declaration, { id: note.id, response_id: body.id, question: "vertel", size: note.size,
      content_type: "audio/webm;codecs=opus", sha256: note.sha256, duration_ms: 4000, source: null });
    assert.deepEqual(await outboxContents(), { responses: [], notes: [], audio: [] });
  });

  test("chunks are sent at the server's offset, as offset+octet-stream, at most CHUNK_BYTES each", async () => {
    const { note } = await queueResponseWithNote({ size: 3 * CHUNK_BYTES });
    await drain();
    assert.deepEqual(chunks().map((c) => [c.headers["upload-offset"], c.body.length, c.headers["content-type"]]),
      [0, 1, 2].map((i) => [String(i * CHUNK_BYTES), CHUNK_BYTES, "application/offset+octet-stream"]));
    assert.ok(chunks().every((c) => c.headers.authorization === `Bearer ${TOKEN}`));
    assert.ok(api.notes.get(note.id).complete);
  });

  test("an upload cut after its first chunk resumes from the offset HEAD tells", async () => {
    const { note, buffer } = await queueResponseWithNote({ size: 3 * CHUNK_BYTES - 5 });
    api.meddle = (request) => (request.method === "PATCH" && chunks().length === 2 ? "drop" : null);
    assert.deepEqual(await drain(), { ok: false, error: { kind: "network" } });
    assert.equal(api.notes.get(note.id).bytes.length, CHUNK_BYTES);
    const kept = await outboxContents();
    assert.equal(kept.notes[0].declared, true);
    assert.deepEqual(kept.audio, [buffer]);

    api.meddle = () => null;
    assert.deepEqual(await drain(), { ok: true });
    assert.equal(api.made("HEAD", NOTE).length, 1);
    assert.equal(api.made("POST", /voice-notes$/).length, 1, "declared once");
    assert.deepEqual(chunks().map((c) => c.headers["upload-offset"]),
      ["0", String(CHUNK_BYTES), String(CHUNK_BYTES), String(2 * CHUNK_BYTES)]);
    assert.deepEqual(api.notes.get(note.id).bytes, Buffer.from(buffer));
    assert.deepEqual((await outboxContents()).notes, []);
  });

  test("a chunk stored but its reply lost: the server's offset is the truth, nothing is sent twice", async () => {
    const { note, buffer } = await queueResponseWithNote({ size: 2 * CHUNK_BYTES + 1 });
    api.meddle = (request) => {
      if (request.method !== "PATCH" || chunks().length !== 2) return null;
      api.answer(request);
      return "drop";
    };
    await drain();
    api.meddle = () => null;
    await drain();
    assert.deepEqual(chunks().map((c) => c.headers["upload-offset"]),
      ["0", String(CHUNK_BYTES), String(2 * CHUNK_BYTES)]);
    assert.deepEqual(api.notes.get(note.id).bytes, Buffer.from(buffer));
  });

  test("a lost reply to the declaration: declaring again tells the state and the upload goes on", async () => {
    const { note, buffer } = await queueResponseWithNote({ size: CHUNK_BYTES + 1 });
    api.meddle = (request) => {
      if (request.path !== "/api/v1/voice-notes") return null;
      api.meddle = () => null;
      api.answer(request);
      return "drop";
    };
    await drain();
    assert.equal((await db.get(VOICE, note.id)).declared, false);
    assert.deepEqual(await drain(), { ok: true });
    assert.equal(api.made("POST", /voice-notes$/).length, 2);
    assert.deepEqual(api.notes.get(note.id).bytes, Buffer.from(buffer));
  });

  test("a wrong offset (a cached HEAD) is corrected by the server's offset_mismatch", async () => {
    const { note, buffer } = await queueResponseWithNote({ size: 2 * CHUNK_BYTES });
    api.meddle = (request) => (request.method === "PATCH" && chunks().length === 2 ? "drop" : null);
    await drain();
    api.meddle = (request) => (request.method === "HEAD"
      ? { status: 200, type: null, body: "", headers: { "Upload-Offset": String(CHUNK_BYTES + 7) } } : null);
    assert.deepEqual(await drain(), { ok: true });
    assert.deepEqual(chunks().slice(2).map((c) => c.headers["upload-offset"]),
      [String(CHUNK_BYTES + 7), String(CHUNK_BYTES)]);
    assert.deepEqual(api.notes.get(note.id).bytes, Buffer.from(buffer));
  });

  test("bytes damaged on the way: the server resets, the phone sends everything again once", async () => {
    const { note, buffer } = await queueResponseWithNote({ size: 2 * CHUNK_BYTES });
    api.meddle = (request) => {
      if (request.method === "PATCH" && chunks().length === 1) request.body[10] ^= 0xff;
      return null;
    };
    assert.deepEqual(await drain(), { ok: true });
    assert.deepEqual(chunks().map((c) => c.headers["upload-offset"]),
      ["0", String(CHUNK_BYTES), "0", String(CHUNK_BYTES)]);
    assert.deepEqual(api.notes.get(note.id).bytes, Buffer.from(buffer));
  });

  test("bytes that never match their checksum: the recording is held, kept for the rescue file", async () => {
    const { note, buffer } = await queueResponseWithNote({ size: CHUNK_BYTES });
    api.meddle = (request) => {
      if (request.method === "PATCH") request.body[0] ^= 0xff;
      return null;
    };
    assert.deepEqual(await drain(), { ok: true });
    assert.equal(chunks().length, 2, "one new start, then it stops");
    const { notes, audio } = await outboxContents();
    assert.equal(notes[0].status, "held");
    assert.deepEqual(notes[0].error, { code: "checksum_mismatch", message: "(checksum_mismatch)", status: 422 });
    assert.deepEqual(audio, [buffer]);
    await drain();
    assert.equal(chunks().length, 2, "a held recording waits for the user");
  });

  test("a refused declaration holds the recording; a server error keeps it pending", async () => {
    const { note } = await queueResponseWithNote();
    api.meddle = (request) => (request.method === "POST" && request.path.startsWith("/api/v1/voice-notes")
      ? { status: 503, type: "text/html", body: "<p>Onderhoud</p>" } : null);
    assert.equal((await drain()).error.status, 503);
    assert.equal((await db.get(VOICE, note.id)).status, "pending");
    api.meddle = (request) => (request.method === "POST" && request.path.startsWith("/api/v1/voice-notes")
      ? { status: 415, type: "application/json", body: '{"error": {"code": "unsupported_audio", "message": "Nee."}}' }
      : null);
    assert.deepEqual(await drain(), { ok: true });
    const held = await db.get(VOICE, note.id);
    assert.deepEqual([held.status, held.error], ["held", { code: "unsupported_audio", message: "Nee.", status: 415 }]);
    assert.ok(await db.get(AUDIO, note.id));
  });

  test("a visitor's recording is sent with its upload key, never a token", async () => {
    const { note } = await queueResponseWithNote({ auth: "anonymous" });
    assert.deepEqual(await drain(), { ok: true });
    const noteRequests = api.requests.filter((r) => r.path.startsWith("/api/v1/voice-notes"));
    assert.ok(noteRequests.length > 1);
    assert.ok(noteRequests.every((r) => r.headers["upload-key"] === note.uploadKey && !r.headers.authorization));
    assert.ok(api.notes.get(note.id).complete);
  });
});

describe("one drain at a time", () => {
  const withLocks = async (locks, action) => {
    Object.defineProperty(globalThis, "navigator", { value: { locks }, configurable: true, writable: true });
    try {
      return await action();
    } finally {
      delete globalThis.navigator;
    }
  };

  test("while another tab or the service worker drains, this one sends nothing", async () => {
    await queueResponses(1);
    const asked = [];
    const busy = { request: (name, options, callback) => { asked.push([name, options]); return callback(null); } };
    assert.deepEqual(await withLocks(busy, () => drain()), { ok: false, busy: true });
    assert.deepEqual(asked, [["wijkstem-sync", { ifAvailable: true }]]);
    assert.deepEqual(api.requests, []);
  });

  test("with the lock, the drain runs inside it", async () => {
    await queueResponses(1);
    const free = { request: (name, options, callback) => callback({ name, mode: "exclusive" }) };
    assert.deepEqual(await withLocks(free, () => drain()), { ok: true });
    assert.deepEqual(await db.getAll(RESPONSES), []);
  });
});
