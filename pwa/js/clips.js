// Listen mode's clips (docs/listen-mode.md): each fetched once into an object URL, offline from the media cache
// through the service worker; and which could not be reached (offline, and not kept for this language).

const fetched = new Map();
const ready = new Map();
/** Clips that could not be fetched while offline: until the phone is online again they cannot be heard, so a
 * speaker of nothing else is hidden rather than silent (speaker.js). */
const unreachable = new Set();

export const reachable = (url) => !unreachable.has(url);
/** The clip's object URL if it is fetched already (so a tap can play it without waiting at all). */
export const fetchedClip = (url) => ready.get(url) || null;

/** At most this many clips are fetched at once: a browser opens only six connections to a server, so a screen
 * with many clips on a slow link (or a server that answers slowly) must leave some for the next screen's code
 * and the app's own requests; otherwise "Next" waits for clips nobody asked to hear yet. */
const AT_ONCE = 2;
const waiting = [];
let running = 0;

/** Runs `start` (a function returning a promise) when a turn is free; `urgent` (a tap) goes first. */
function inTurn(start, urgent) {
  return new Promise((resolve, reject) => {
    const job = () => {
      running += 1;
      start().then(resolve, reject).finally(() => {
        running -= 1;
        if (waiting.length) waiting.shift()();
      });
    };
    if (running < AT_ONCE) job();
    else if (urgent) waiting.unshift(job);
    else waiting.push(job);
  });
}

/** A clip as an object URL. A screen's clips are fetched when it opens, so a tap starts the first one at once:
 * Safari lets an audio element play only when `play()` is called in the tap itself, and then keeps letting that
 * element play. `onUnreachable` runs when the clip turns out to be unreachable. */
export function clipSource(url, onUnreachable = null, { urgent = false } = {}) {
  if (!fetched.has(url)) {
    fetched.set(url, inTurn(() => fetch(url), urgent).then(async (response) => {
      if (!response.ok) throw new Error(`clip ${response.status}`);
      ready.set(url, URL.createObjectURL(await response.blob()));
      return ready.get(url);
    }).catch((err) => {
      fetched.delete(url);
      if (!navigator.onLine || err instanceof TypeError) {
        unreachable.add(url);
        onUnreachable?.();
      }
      throw err;
    }));
  }
  return fetched.get(url);
}

self.addEventListener("online", () => unreachable.clear());
