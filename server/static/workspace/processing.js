// Items of a page that are being prepared by a background job (marked `data-processing`: a recording being
// normalised, an export being written) are swapped for their fresh version once the job is done, without a reload.

const POLL_MS = 3000;
const POLL_LIMIT = 100;

/**
 * Every `POLL_MS`, fetch this page again and replace each `container` element (by id) that holds a
 * `[data-processing]` marker with its fresh version once that no longer does. `keep(element)` says when an
 * element must stay as it is (someone is using it); `swapped(element)` sets up a new one.
 */
export function watchProcessing(container, { keep = () => false, swapped = () => {} } = {}) {
  let polls = 0;
  async function poll() {
    const waiting = [...document.querySelectorAll("[data-processing]")]
      .map((marker) => marker.closest(container)).filter((element) => element && element.id);
    if (!waiting.length || polls++ >= POLL_LIMIT) return;
    try {
      const reply = await fetch(location.pathname + location.search, { credentials: "same-origin" });
      if (reply.ok) {
        const fresh = new DOMParser().parseFromString(await reply.text(), "text/html");
        for (const element of waiting) {
          const replacement = fresh.getElementById(element.id);
          if (!replacement || replacement.querySelector("[data-processing]") || keep(element)) continue;
          element.replaceWith(replacement);
          swapped(replacement);
        }
      }
    } catch {
      // offline for a moment: the next poll tries again
    }
    setTimeout(poll, POLL_MS);
  }
  setTimeout(poll, POLL_MS);
}
