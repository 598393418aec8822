// pwa/js/outbox.js: what waits on the phone, and the transactions that keep it whole.

import assert from "node:assert/strict";
import { beforeEach, describe, test } from "node:test";

import { countTransactions, failingMidway, resetDatabase } from "./support/browser.js";
import { draftNote, queueResponses, queueResponseWithNote, responseBody } from "./support/items.js";

import * as db from "../../pwa/js/db.js";
import * as outbox from "../../pwa/js/outbox.js";

const { AUDIO, RESPONSES, VOICE } = db;
const ids = (items) => items.map((item) => item.id);
const writes = (transactions) => transactions.filter((t) => t.mode === "readwrite");

beforeEach(resetDatabase);

describe("queueing a finished response", () => {
  test("the response waits as pending with its body and sender, in queue order", async () => {
    const bodies = await queueResponses(3, "anonymous");
    const waiting = await outbox.responsesToSend();
    assert.deepEqual(ids(waiting), ids(bodies));
    assert.deepEqual(waiting[0].body, bodies[0]);
    assert.equal(waiting[0].auth, "anonymous");
    assert.equal(waiting[0].status, "pending");
  });

  test("its listed recordings join the outbox, the ones it no longer lists are dropped with their bytes", async () => {
    const { body, note } = await queueResponseWithNote();
    const { note: discarded } = await draftNote(body.id); // a second take recorded after the body was made
    await outbox.queueResponse(body, "device");
    assert.deepEqual(ids(await db.getAll(VOICE)), [note.id]);
    assert.equal((await db.get(VOICE, note.id)).status, "pending");
    assert.equal(await outbox.audioOf(discarded.id), undefined);
    assert.ok(await outbox.audioOf(note.id));
  });

  test("reading the recordings and writing the outbox is one transaction", async () => {
    const draftId = (await draftNote(responseBody().id)).note.responseId;
    const body = { ...responseBody(), id: draftId };
    const { transactions } = await countTransactions(() => outbox.queueResponse(body, "device"));
    assert.deepEqual(transactions, [{ mode: "readwrite", stores: [RESPONSES, VOICE, AUDIO] }]);
  });

  test("a failure half-way leaves no response queued and every recording a draft", async () => {
    const responseId = responseBody().id;
    const { note: kept } = await draftNote(responseId);
    const { note: dropped } = await draftNote(responseId);
    const body = { ...responseBody({ voiceNotes: [kept] }), id: responseId };
    await assert.rejects(failingMidway("delete", 2, () => outbox.queueResponse(body, "device")));
    assert.deepEqual(await db.getAll(RESPONSES), []);
    assert.deepEqual((await db.getAll(VOICE)).map((n) => [n.id, n.status]),
      [[kept.id, "draft"], [dropped.id, "draft"]]);
    assert.ok(await outbox.audioOf(dropped.id));
  });
});

describe("settling a batch", () => {
  test("acknowledged ids leave, refused ones are held with the server's reasons", async () => {
    const [created, duplicate, conflict, invalid] = ids(await queueResponses(4));
    const errors = [{ field: "answers.0.value", code: "invalid_answer", message: "Past niet." }];
    await outbox.settleBatch([created, duplicate], [{ id: conflict, status: "conflict" },
      { id: invalid, status: "invalid", errors }]);
    const left = await db.getAll(RESPONSES);
    assert.deepEqual(ids(left), [conflict, invalid]);
    assert.deepEqual(left.map((item) => [item.status, item.result]),
      [["held", { status: "conflict", errors: [] }], ["held", { status: "invalid", errors }]]);
    assert.ok(left[1].body.answers, "a held response keeps its body, for the rescue file");
  });

  test("a whole batch is settled in one transaction", async () => {
    const queued = ids(await queueResponses(50));
    const { transactions } = await countTransactions(() => outbox.settleBatch(queued.slice(0, 48),
      [{ id: queued[48], status: "conflict" }, { id: queued[49], status: "invalid" }]));
    assert.deepEqual(transactions, [{ mode: "readwrite", stores: [RESPONSES] }]);
    assert.equal((await db.getAll(RESPONSES)).length, 2);
  });

  test("a failure half-way removes nothing and holds nothing", async () => {
    const queued = ids(await queueResponses(10));
    await assert.rejects(failingMidway("delete", 5, () => outbox.settleBatch(queued.slice(0, 8),
      [{ id: queued[8], status: "invalid" }])));
    const left = await db.getAll(RESPONSES);
    assert.deepEqual(ids(left), queued);
    assert.ok(left.every((item) => item.status === "pending"));
  });

  test("an id no longer in the outbox is not brought back by a refusal", async () => {
    const [gone] = ids(await queueResponses(1));
    await outbox.settleBatch([gone]);
    await outbox.settleBatch([], [{ id: gone, status: "conflict" }]);
    assert.deepEqual(await db.getAll(RESPONSES), []);
  });
});

describe("what is sent", () => {
  test("held responses wait for the user: sent again only when asked", async () => {
    const [first, second] = ids(await queueResponses(2));
    await outbox.settleBatch([], [{ id: first, status: "invalid" }]);
    assert.deepEqual(ids(await outbox.responsesToSend()), [second]);
    assert.deepEqual(ids(await outbox.responsesToSend(true)), [first, second]);
  });

  test("a recording is offered only once its response has left the outbox", async () => {
    const { body, note } = await queueResponseWithNote();
    await draftNote(responseBody().id); // an interview still going on
    assert.deepEqual(await outbox.notesToSend(), []);
    await outbox.settleBatch([], [{ id: body.id, status: "conflict" }]);
    assert.deepEqual(await outbox.notesToSend(true), [], "not while its response is held");
    await outbox.settleBatch([body.id]);
    assert.deepEqual(ids(await outbox.notesToSend()), [note.id]);
  });

  test("held recordings are offered again only when asked", async () => {
    const { body, note } = await queueResponseWithNote();
    await outbox.settleBatch([body.id]);
    await outbox.holdNote(note.id, { code: "unsupported_audio", message: null, status: 415 });
    assert.deepEqual(await outbox.notesToSend(), []);
    assert.deepEqual(ids(await outbox.notesToSend(true)), [note.id]);
  });

  test("the summary counts what waits, held items apart, and the bytes", async () => {
    const { note } = await queueResponseWithNote({ size: 1000 });
    const [, held] = await queueResponses(2);
    await outbox.settleBatch([], [{ id: held.id, status: "invalid" }]);
    await draftNote(responseBody().id, { size: 5000 }); // a draft is not waiting yet
    const summary = await outbox.summary();
    assert.equal(summary.responses, 3);
    assert.deepEqual(ids(summary.heldResponses), [held.id]);
    assert.equal(summary.voiceNotes, 1);
    assert.deepEqual(summary.heldNotes, []);
    const bodies = (await db.getAll(RESPONSES)).reduce((sum, r) => sum + JSON.stringify(r.body).length, 0);
    assert.equal(summary.bytes, note.size + bodies);
  });
});

describe("changing a recording", () => {
  test("two changes made at once both stay (read and write in one transaction)", async () => {
    const { note } = await queueResponseWithNote();
    const error = { code: "unsupported_audio", message: null, status: 415 };
    await Promise.all([outbox.updateNote(note.id, { declared: true }), outbox.holdNote(note.id, error)]);
    const stored = await db.get(VOICE, note.id);
    assert.equal(stored.declared, true);
    assert.equal(stored.status, "held");
    assert.deepEqual(stored.error, error);
  });

  test("changing a note that is gone does not bring it back", async () => {
    const { note } = await queueResponseWithNote();
    await outbox.dropNote(note.id);
    await outbox.updateNote(note.id, { declared: true });
    assert.equal(await db.get(VOICE, note.id), undefined);
  });

  test("giving up an interview drops its draft recordings only, in one transaction", async () => {
    const given = responseBody().id;
    await draftNote(given);
    await draftNote(given);
    const { note: other } = await draftNote(responseBody().id);
    const { note: queued, body } = await queueResponseWithNote();
    const { transactions } = await countTransactions(() => outbox.dropDraftNotes(given));
    assert.equal(writes(transactions).length, 1);
    assert.deepEqual(ids(await db.getAll(VOICE)).sort(), [other.id, queued.id].sort());
    assert.equal((await db.getAll(AUDIO)).length, 2);
    await outbox.dropDraftNotes(body.id);
    assert.ok(await db.get(VOICE, queued.id), "a recording already in the outbox is no draft");
  });
});

test("the declaration tells the server what the protocol asks, nothing more", async () => {
  const { note } = await queueResponseWithNote();
  assert.deepEqual(outbox.declaration(note), {
    id: note.id, response_id: note.responseId, question: "vertel", size: note.size,
    content_type: "audio/webm;codecs=opus", sha256: note.sha256, duration_ms: 4000, source: null,
  });
});

describe("screens hear of every change", () => {
  test("queueing, settling, holding and dropping each tell the listeners; a stopped listener hears no more", async () => {
    let heard = 0;
    const stop = outbox.onOutboxChange(() => { heard += 1; });
    const { body, note } = await queueResponseWithNote();
    assert.equal(heard, 1);
    await outbox.settleBatch([body.id]);
    assert.equal(heard, 2);
    await outbox.holdNote(note.id, { code: "unsupported_audio" });
    assert.equal(heard, 3);
    await outbox.dropNote(note.id);
    assert.equal(heard, 4);
    stop();
    await queueResponses(1);
    assert.equal(heard, 4);
  });
});
