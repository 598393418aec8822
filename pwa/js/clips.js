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

/** A clip as an object URL. A screen's clips are fetched when it opens, so a tap starts the first one at once:
 * Safari lets an audio element play only when `play()` is called in the tap itself, and then keeps letting that
 * element play. `onUnreachable` runs when the clip turns out to be unreachable. */
export function clipSource(url, onUnreachable = null) {
  if (!fetched.has(url)) {
    fetched.set(url, fetch(url).then(async (response) => {
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
