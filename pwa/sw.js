// The service worker (scope `/`, so that a flyer's page `/f/<code>` is the app too; it answers only for `/app/`
// and `/f/` and leaves every other address to the network): a versioned precache of the app shell, catalogs and pictograms; the media cache for
// campaign prompts and listen mode's clips; cleanup of old caches; a new version waits for the page's "skip-waiting" message;
// Background Sync drains the outbox when the page is closed (Chromium).

import { MEDIA_CACHE } from "./js/campaigns.js";
import { drain } from "./js/sync.js";

// The server fills this in from the files in pwa/ and the catalogs (server/pwa_assets.py).
const PRECACHE = /* precache-manifest */ { version: "unversioned", files: ["/app/"], languages: ["nl"] };
const SHELL_CACHE = `wijkstem-shell-${PRECACHE.version}`;
const RUNTIME_CACHE = "wijkstem-runtime";
const OWN_CACHES = new Set([SHELL_CACHE, RUNTIME_CACHE, MEDIA_CACHE]);

/** Catalogs of the phone's own languages, besides the ones in the manifest. */
function phoneCatalogs() {
  const codes = (self.navigator.languages || []).map((tag) => tag.toLowerCase().split("-")[0]);
  return [...new Set(codes)].filter((code) => PRECACHE.languages.includes(code))
    .map((code) => `/app/i18n/${code}.json`);
}

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    const urls = [...new Set([...PRECACHE.files, ...phoneCatalogs()])];
    const missing = [];
    for (const url of urls) { // a versioned file never changes: the copy a page handed over or an old version kept
      const kept = url.includes("?v=") ? await caches.match(url) : null;
      if (kept) await cache.put(url, kept);
      else missing.push(url);
    }
    await cache.addAll(missing.map((url) => new Request(url, { cache: "no-cache" })));
    if (!self.registration.active) await self.skipWaiting(); // the first version: nothing to interrupt
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith("wijkstem-") && !OWN_CACHES.has(name))
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data?.type === "skip-waiting") self.skipWaiting();
});

async function cacheFirst(request, cacheName) {
  const cached = await caches.match(request, { cacheName: SHELL_CACHE }) || await caches.match(request, { cacheName });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) (await caches.open(cacheName)).put(request, response.clone());
  return response;
}

async function staleWhileRevalidate(request) {
  const cached = await caches.match(request);
  const fresh = fetch(request).then(async (response) => {
    if (response.ok) await (await caches.open(RUNTIME_CACHE)).put(request, response.clone());
    return response;
  });
  if (cached) {
    fresh.catch(() => null);
    return cached;
  }
  return fresh;
}

async function appShell(request) {
  const cached = await caches.match("/app/", { cacheName: SHELL_CACHE });
  if (cached) return cached;
  return fetch(request);
}

/** A flyer's link `/f/<code>` on a phone that has the app: its shell at once, which finds the code in the address
 * and the campaign stored on the phone (refreshed in the background); else the page with the campaign in it. */
async function flyerPage(request) {
  return (await caches.match("/app/", { cacheName: SHELL_CACHE })) || fetch(request);
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname.startsWith("/app/")) {
    event.respondWith(appShell(request));
  } else if (request.mode === "navigate" && url.pathname.startsWith("/f/")) {
    event.respondWith(flyerPage(request));
  } else if (url.pathname.startsWith("/app/i18n/")) {
    event.respondWith(staleWhileRevalidate(request));
  } else if (url.pathname.startsWith("/api/v1/prompts/") || url.pathname.startsWith("/api/v1/clips/")
    || url.pathname.startsWith("/app/pictograms/")) { // immutable: a new recording is a new address
    event.respondWith(cacheFirst(request, MEDIA_CACHE));
  } else if (url.pathname.startsWith("/app/")) {
    event.respondWith(cacheFirst(request, RUNTIME_CACHE));
  }
});

async function notifyClients(result) {
  for (const client of await self.clients.matchAll({ type: "window" })) client.postMessage({ type: "synced", result });
}

self.addEventListener("sync", (event) => {
  if (event.tag !== "outbox") return;
  event.waitUntil((async () => {
    const result = await drain();
    await notifyClients(result);
    if (!result.ok && !result.busy && result.error?.kind === "network") throw new Error("offline: retry later");
  })());
});
