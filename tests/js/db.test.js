// pwa/js/db.js: the database's stores and the all-or-nothing transactions the outbox is built on.

import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { resetDatabase } from "./support/browser.js";

import * as db from "../../pwa/js/db.js";

const { AUDIO, RESPONSES, SETTINGS, VOICE } = db;

beforeEach(resetDatabase);

test("the module is no thenable: the pages' `await import()` of it settles", async () => {
  assert.ok(!("then" in db));
  let timer;
  const imported = await Promise.race([import("../../pwa/js/db.js"),
    new Promise((resolve) => { timer = setTimeout(resolve, 2000, "still waiting"); })]);
  clearTimeout(timer);
  assert.equal(imported.getDb, db.getDb);
});

test("the stores of version 1, with the voice notes indexed by response", async () => {
  const database = await db.getDb();
  assert.equal(database.version, db.DB_VERSION);
  assert.deepEqual([...database.objectStoreNames].sort(), [AUDIO, "campaigns", RESPONSES, SETTINGS, VOICE].sort());
  await db.put(VOICE, { id: "n1", responseId: "r1" });
  await db.put(VOICE, { id: "n2", responseId: "r2" });
  assert.deepEqual(await db.byIndex(VOICE, "response", "r2"), [{ id: "n2", responseId: "r2" }]);
});

test("responses come out in key order, which is queue order for UUIDv7 ids", async () => {
  for (const id of ["0193b", "0193a", "0193c"]) await db.put(RESPONSES, { id });
  assert.deepEqual((await db.getAll(RESPONSES)).map((r) => r.id), ["0193a", "0193b", "0193c"]);
});

test("settings are kept by key, and dropped", async () => {
  await db.saveSetting("language", "tr");
  assert.equal(await db.setting("language"), "tr");
  await db.dropSetting("language");
  assert.equal(await db.setting("language"), undefined);
  assert.equal(await db.count(SETTINGS), 0);
});

test("a transaction's writes are all kept once it resolves, with what its action returned", async () => {
  const returned = await db.transaction([RESPONSES, AUDIO], "readwrite", (stores) => {
    stores[RESPONSES].put({ id: "a" });
    stores[AUDIO].put(new ArrayBuffer(3), "a");
    return "queued";
  });
  assert.equal(returned, "queued");
  const [responses, audio] = await db.getAllOf([RESPONSES, AUDIO]);
  assert.deepEqual([responses, audio.map((b) => b.byteLength)], [[{ id: "a" }], [3]]);
});

test("an action that throws half-way writes nothing and its error is the one told", async () => {
  await assert.rejects(db.transaction([RESPONSES], "readwrite", (stores) => {
    stores[RESPONSES].put({ id: "a" });
    throw new Error("the body could not be read");
  }), /the body could not be read/);
  assert.deepEqual(await db.getAll(RESPONSES), []);
});

test("a read that decides a write stays in the transaction; an error in it undoes everything", async () => {
  await db.put(RESPONSES, { id: "a", tries: 1 });
  await db.transaction([RESPONSES], "readwrite", (stores) => {
    db.withResult(stores[RESPONSES].get("a"), (item) => stores[RESPONSES].put({ ...item, tries: 2 }));
  });
  assert.deepEqual(await db.get(RESPONSES, "a"), { id: "a", tries: 2 });

  await assert.rejects(db.transaction([RESPONSES], "readwrite", (stores) => {
    stores[RESPONSES].delete("a");
    db.withResult(stores[RESPONSES].get("b"), (item) => stores[RESPONSES].put({ ...item, tries: item.tries + 1 }));
  }));
  assert.deepEqual(await db.get(RESPONSES, "a"), { id: "a", tries: 2 }, "the delete before the error is undone");
});

test("a write the database refuses aborts the transaction with that error", async () => {
  const writes = [{ store: RESPONSES, value: { id: "a" } }, { store: RESPONSES, value: { no: "id" } }];
  await assert.rejects(db.writeMany(writes), { name: "DataError" });
  assert.deepEqual(await db.getAll(RESPONSES), []);
});

test("several writes and deletes across stores in one transaction", async () => {
  await db.writeMany([{ store: VOICE, value: { id: "n", responseId: "r" } },
    { store: AUDIO, key: "n", value: new ArrayBuffer(1) }]);
  await db.writeMany([{ store: VOICE, key: "n", drop: true }, { store: AUDIO, key: "n", drop: true },
    { store: SETTINGS, key: "lastSync", value: "now" }]);
  assert.deepEqual(await db.getAllOf([VOICE, AUDIO, SETTINGS]), [[], [], ["now"]]);
});
