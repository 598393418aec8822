// pwa/js/sync-loop.js: when the page drains the outbox. The loop's timers run on a clock the test moves; its
// drains go to a local server answering like the Wijkstem API.

import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";

import { resetDatabase, serveFrom } from "./support/browser.js";
import { installLoopClock } from "./support/clock.js";
import { queueResponses } from "./support/items.js";
import { startApi } from "./support/wijkstem-api.js";

import * as db from "../../pwa/js/db.js";
import { settleBatch } from "../../pwa/js/outbox.js";
import { backoffSeconds, onSync, requestBackgroundSync, startSyncLoop, syncNow } from "../../pwa/js/sync-loop.js";

const MINUTE = 60 * 1000;
const SYNC = "/api/v1/sync";
const down = () => ({ status: 503, type: "text/plain", body: "Service Unavailable" });

// What a page gives the loop: window events, the document's visibility, the service worker.
const page = new EventTarget();
globalThis.addEventListener = page.addEventListener.bind(page);
globalThis.document = Object.assign(new EventTarget(), { visibilityState: "visible" });
const serviceWorker = Object.assign(new EventTarget(), { getRegistration: async () => undefined });
Object.defineProperty(globalThis, "navigator", { value: { serviceWorker }, configurable: true, writable: true });

let api;
let clock;
const results = [];
const waiting = [];
onSync((result) => {
  results.push(result);
  waiting.splice(0).forEach((resolve) => resolve(result));
});
/** The result of the loop's next attempt (started by a timer or an event), once that attempt has returned
 * (its listeners are told just before). */
const nextAttempt = async () => {
  const result = await new Promise((resolve) => waiting.push(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  return result;
};
const syncRequests = () => api.made("POST", SYNC).length;

/** Let the loop's clock run `ms`; when that starts a drain, its result, else null. */
function wait(ms) {
  const attempt = nextAttempt();
  return clock.advance(ms) ? attempt : null;
}

/** Fail `n` attempts in a row from a fresh start (the last wait then pending is the n-th backoff). */
async function failInARow(n) {
  api.meddle = down;
  await syncNow({ reset: true });
  for (let i = 1; i < n; i += 1) await wait(clock.pending()[0]);
}

before(async () => {
  await resetDatabase();
  api = await startApi();
  serveFrom(api.url);
  clock = installLoopClock();
});

after(async () => {
  clock.uninstall();
  await api.stop();
});

beforeEach(async () => {
  api.meddle = () => null;
  await syncNow({ reset: true });
  api.requests.length = 0;
  await queueResponses(1, "anonymous"); // always something to send
});

test("the backoff is min(2^n, 300) seconds after the n-th failure in a row", () => {
  const expected = [2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300];
  assert.deepEqual(expected.map((_, i) => backoffSeconds(i + 1)), expected);
});

describe("after each attempt the loop waits", () => {
  test("a minute after a success", async () => {
    assert.deepEqual(await syncNow(), { ok: true });
    assert.deepEqual(clock.pending(), [MINUTE]);
    assert.equal(await wait(MINUTE - 1), null);
    assert.deepEqual(await wait(1), { ok: true });
    assert.deepEqual(clock.pending(), [MINUTE]);
  });

  test("twice as long after each failure in a row, never more than five minutes, and nothing is lost", async () => {
    api.meddle = down;
    const queued = await db.getAll(db.RESPONSES);
    const result = await syncNow();
    assert.equal(result.error.kind, "server");
    for (const seconds of [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]) {
      assert.deepEqual(clock.pending(), [seconds * 1000]);
      const made = syncRequests();
      assert.equal(await wait(seconds * 1000 - 1), null, `no attempt before ${seconds} s`);
      assert.equal(syncRequests(), made);
      assert.equal((await wait(1)).ok, false);
      assert.equal(syncRequests(), made + 1);
    }
    assert.deepEqual(await db.getAll(db.RESPONSES), queued);
    api.meddle = () => null;
    assert.deepEqual(await wait(300 * 1000), { ok: true });
    assert.deepEqual(clock.pending(), [MINUTE], "a success ends the backoff");
    assert.deepEqual(await db.getAll(db.RESPONSES), []);
  });

  test("at least the Retry-After the server asks for", async () => {
    api.meddle = () => ({ status: 429, type: "application/json", headers: { "Retry-After": "120" },
      body: '{"error": {"code": "rate_limited", "message": "Even wachten."}}' });
    assert.equal((await syncNow()).error.retryAfter, 120);
    assert.deepEqual(clock.pending(), [120 * 1000]);
  });

  test("five seconds while another drain holds the lock, which is no failure", async () => {
    await failInARow(2);
    assert.deepEqual(clock.pending(), [4000]);
    navigator.locks = { request: (_name, _options, callback) => callback(null) };
    try {
      assert.deepEqual(await wait(4000), { ok: false, busy: true });
      assert.deepEqual(clock.pending(), [5000]);
    } finally {
      delete navigator.locks;
    }
    assert.equal((await wait(5000)).ok, false);
    assert.deepEqual(clock.pending(), [8000], "the third failure in a row");
  });
});

describe("the backoff starts over", () => {
  test("when the user taps send now", async () => {
    await failInARow(5);
    assert.deepEqual(clock.pending(), [32000]);
    await syncNow({ reset: true, includeHeld: true });
    assert.deepEqual(clock.pending(), [2000]);
  });

  test("when the connection comes back, and the events of the page start drains", async () => {
    api.meddle = down;
    const opening = nextAttempt();
    startSyncLoop();
    assert.equal((await opening).ok, false, "opening the app drains");
    for (const seconds of [2, 4, 8]) await wait(seconds * 1000);
    assert.deepEqual(clock.pending(), [16000]);
    const made = syncRequests();
    const online = nextAttempt();
    page.dispatchEvent(new Event("online"));
    assert.equal((await online).ok, false);
    assert.equal(syncRequests(), made + 1);
    assert.deepEqual(clock.pending(), [2000]);

    api.meddle = () => null;
    const visible = nextAttempt();
    document.dispatchEvent(new Event("visibilitychange"));
    assert.deepEqual(await visible, { ok: true });
    assert.deepEqual(clock.pending(), [MINUTE]);

    const fromWorker = { ok: true };
    const message = nextAttempt();
    serviceWorker.dispatchEvent(Object.assign(new Event("message"), { data: { type: "synced", result: fromWorker } }));
    assert.equal(await message, fromWorker, "the service worker's drains are told to the listeners too");
  });

  /** An attempt the server holds until the test releases it with `reply`. */
  async function heldAttempt() {
    let release;
    api.meddle = () => new Promise((resolve) => { release = resolve; });
    const attempt = syncNow();
    while (!release) await new Promise((resolve) => setImmediate(resolve));
    return { attempt, release: (reply) => { api.meddle = () => null; release(reply); } };
  }

  test("when the connection comes back during an attempt: one more attempt right after it", async () => {
    const { attempt, release } = await heldAttempt();
    const online = syncNow({ reset: true });
    release(down());
    assert.deepEqual(await online, { ok: true }, "the event's drain is the one after");
    assert.deepEqual(await attempt, { ok: true });
    assert.equal(syncRequests(), 2);
    assert.deepEqual(clock.pending(), [MINUTE]);
  });

  test("send now during an automatic attempt: the attempt right after it sends the held responses too", async () => {
    const [held] = await queueResponses(1, "anonymous");
    await settleBatch([], [{ id: held.id, status: "invalid" }]);
    const { attempt, release } = await heldAttempt();
    assert.equal(api.made("POST", SYNC)[0].json.responses.length, 1, "held ones wait for the user");
    const tapped = syncNow({ reset: true, includeHeld: true });
    release(down());
    assert.deepEqual(await tapped, { ok: true }, "the user hears how their attempt went");
    await attempt;
    assert.ok(api.made("POST", SYNC)[1].json.responses.some((body) => body.id === held.id));
    assert.deepEqual(await db.getAll(db.RESPONSES), []);
  });
});

test("Background Sync is asked for where the browser has it, and its absence is no error", async () => {
  const tags = [];
  serviceWorker.getRegistration = async () => ({ sync: { register: async (tag) => tags.push(tag) } });
  await requestBackgroundSync();
  assert.deepEqual(tags, ["outbox"]);
  const refused = async () => { throw new DOMException("Background Sync is off.", "NotAllowedError"); };
  serviceWorker.getRegistration = async () => ({ sync: { register: refused } });
  await requestBackgroundSync();
  serviceWorker.getRegistration = async () => undefined;
  await requestBackgroundSync();
});
