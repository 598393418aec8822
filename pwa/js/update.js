// The service worker: registration, "ready to work offline" once, and offering a new version.
// The new version waits until the user taps "update"; the interview in progress is kept in IndexedDB,
// so the reload that follows loses nothing.

import { saveSetting, setting } from "./db.js";
import { _ } from "./i18n.js";
import { announce, h } from "./ui.js";

const HOUR = 60 * 60 * 1000;
/** Read once by the service worker's install, removed when it activates (`sw.js`). */
const HANDOVER_CACHE = "wijkstem-handover";
/** Set when the user tapped "update": the new worker's taking over then reloads the page. */
let updating = false;

/** What the banner shows now, redrawn whenever the language changes. */
let drawBanner = null;

/** Show `build()`'s content in the banner (in the new language after a change); returns a `hide()`. */
function showBanner(build) {
  const banner = document.getElementById("update-banner");
  if (drawBanner) document.removeEventListener("languagechange", drawBanner);
  const draw = () => banner.replaceChildren(...build());
  drawBanner = draw;
  draw();
  banner.hidden = false;
  document.addEventListener("languagechange", draw);
  return () => {
    if (drawBanner !== draw) return; // something else is in the banner now
    banner.hidden = true;
    document.removeEventListener("languagechange", draw);
    drawBanner = null;
  };
}

function offerUpdate(worker) {
  showBanner(() => [
    h("span", {}, _("A new version of the app is ready.")),
    h("button", { type: "button", class: "primary", onclick: () => {
      updating = true;
      worker.postMessage({ type: "skip-waiting" });
    } },
      _("Update now"))]);
}

function watchInstalling(registration) {
  const worker = registration.installing;
  if (!worker) return;
  worker.addEventListener("statechange", () => {
    if (worker.state === "installed" && navigator.serviceWorker.controller) offerUpdate(worker);
  });
}

async function sayReadyOnce() {
  if (await setting("offlineReady")) return;
  await saveSetting("offlineReady", true);
  announce(_("The app is ready to work offline."));
  const hide = showBanner(() => [h("span", {}, _("The app is ready to work offline."))]);
  setTimeout(hide, 6000);
}

/** Phones that installed the app before flyer pages were the app kept a worker for `/app/` only: the one for
 * `/` does its work now. */
async function forgetOldScope() {
  const registrations = await navigator.serviceWorker.getRegistrations();
  const old = registrations.filter((r) => new URL(r.scope).pathname === "/app/");
  await Promise.all(old.map((r) => r.unregister().catch(() => false)));
}

/** A flyer's page carries the first screen's code and style in the page: they go to a cache, where the service
 * worker's install finds them by their versioned address instead of downloading them again. */
async function handOverInlineFiles() {
  const inline = [...document.querySelectorAll("script[data-src], style[data-href]")];
  if (!inline.length || !("caches" in self)) return;
  try {
    const cache = await caches.open(HANDOVER_CACHE);
    await Promise.all(inline.map((element) => cache.put(element.dataset.src || element.dataset.href,
      new Response(element.textContent, { headers: { "Content-Type":
        element.dataset.src ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8" } }))));
  } catch {
    // no room: the service worker downloads them
  }
}

export async function watchForUpdates() {
  if (!("serviceWorker" in navigator)) return;
  await handOverInlineFiles();
  let registration;
  try {
    registration = await navigator.serviceWorker.register("/app/sw.js", { scope: "/", type: "module",
      updateViaCache: "none" });
  } catch {
    return; // no service worker here (an old browser): the app still works while online
  }
  forgetOldScope();
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (updating) {
      updating = false;
      location.reload(); // the interview in progress is in IndexedDB and comes back after the reload
    }
  });
  if (registration.waiting && navigator.serviceWorker.controller) offerUpdate(registration.waiting);
  registration.addEventListener("updatefound", () => watchInstalling(registration));
  navigator.serviceWorker.ready.then(sayReadyOnce);
  setInterval(() => navigator.onLine && registration.update().catch(() => {}), HOUR);
}
