// A clock the test moves, for the sync loop's own timers: setTimeout calls made from pwa/js/sync-loop.js wait
// for `advance`; every other timer (Node's HTTP client, api.js's time limit) keeps running on real time, so the
// loop's drains still talk to a real server.

const LOOP_MODULE = "/pwa/js/sync-loop.js";

export function installLoopClock() {
  const realSetTimeout = globalThis.setTimeout;
  const realClearTimeout = globalThis.clearTimeout;
  const timers = new Map();
  let now = 0;
  let made = 0;

  globalThis.setTimeout = function setTimeout(callback, ms = 0, ...args) {
    const caller = new Error().stack.split("\n")[2] || "";
    if (!caller.includes(LOOP_MODULE)) return realSetTimeout(callback, ms, ...args);
    made += 1;
    const handle = { loopTimer: made };
    timers.set(handle, { at: now + ms, run: () => callback(...args) });
    return handle;
  };
  globalThis.clearTimeout = function clearTimeout(handle) {
    if (!timers.delete(handle)) realClearTimeout(handle);
  };

  return {
    /** How long each of the loop's timers still has to wait, in ms. */
    pending: () => [...timers.values()].map((timer) => timer.at - now),
    /** Move the clock on by `ms` and run the loop's timers that are due; returns how many ran. */
    advance(ms) {
      now += ms;
      const due = [...timers].filter(([, timer]) => timer.at <= now);
      for (const [handle, timer] of due) {
        timers.delete(handle);
        timer.run();
      }
      return due.length;
    },
    uninstall() {
      globalThis.setTimeout = realSetTimeout;
      globalThis.clearTimeout = realClearTimeout;
    },
  };
}
