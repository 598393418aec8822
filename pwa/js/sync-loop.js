// When the page drains the outbox: on opening, on `online`, on an interval, after each new response, and
// through Background Sync where the browser has it. Failures back off min(2^n, 300) s; the user or the
// returning connection resets the backoff.

import { drain } from "./sync.js";

const INTERVAL_MS = 60 * 1000;
const MAX_BACKOFF_S = 300;
const BUSY_RETRY_MS = 5000;
let failures = 0;
let timer = null;
let running = null;
/** An attempt asked for with `reset` while one was running: {includeHeld, promise, resolve}. */
let again = null;
const listeners = new Set();

/** Call `listener(result)` after every attempt (and when the service worker synced). */
export function onSync(listener) {
  listeners.add(listener);
}

export const backoffSeconds = (n) => Math.min(2 ** n, MAX_BACKOFF_S);

function schedule(result) {
  clearTimeout(timer);
  let wait = failures ? backoffSeconds(failures) * 1000 : INTERVAL_MS;
  if (result?.busy) wait = BUSY_RETRY_MS; // the service worker is draining right now
  if (result?.error?.retryAfter) wait = Math.max(wait, result.error.retryAfter * 1000);
  timer = setTimeout(() => syncNow(), wait);
}

function deferred() {
  let resolve;
  const promise = new Promise((done) => { resolve = done; });
  return { promise, resolve, includeHeld: false };
}

/** Try now. `reset` (a tap on "send now", or the connection coming back) starts the backoff over. */
export async function syncNow({ reset = false, includeHeld = false } = {}) {
  if (reset) failures = 0;
  if (running) {
    if (!reset) return running;
    // the connection came back or the user tapped during an attempt: once more right after it, held items
    // included if anyone asked for them, and the caller hears how that attempt went
    again ||= deferred();
    again.includeHeld ||= includeHeld;
    return again.promise;
  }
  clearTimeout(timer);
  running = (async () => {
    const result = await drain(includeHeld);
    if (result.ok) failures = 0;
    else if (!result.busy) failures += 1;
    schedule(result);
    for (const listener of listeners) listener(result);
    return result;
  })();
  let result;
  try {
    result = await running;
  } finally {
    running = null;
  }
  if (again) {
    const next = again;
    again = null;
    const followed = syncNow({ reset: true, includeHeld: includeHeld || next.includeHeld });
    next.resolve(followed);
    return followed;
  }
  return result;
}

/** Ask the browser to sync even after the page is closed (Chromium's Background Sync). */
export async function requestBackgroundSync() {
  try {
    const registration = await navigator.serviceWorker?.getRegistration();
    if (registration?.sync) await registration.sync.register("outbox");
  } catch {
    // not granted or not supported: the page's own triggers remain
  }
}

export function startSyncLoop() {
  addEventListener("online", () => syncNow({ reset: true }));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") syncNow();
  });
  navigator.serviceWorker?.addEventListener("message", (event) => {
    if (event.data?.type === "synced") for (const listener of listeners) listener(event.data.result);
  });
  syncNow();
}
