// Starting the app: language, the route in the URL's fragment, the service worker and the sync loop.

import {
  cacheMedia, flyerCampaign, flyerLanguages, keepFlyer, previewCampaign, storedCampaign,
} from "./campaigns.js";
import { saveSetting, setting } from "./db.js";
import { activeSession, changeLanguage, newSession, render, savedDraft } from "./flow.js";
import {
  _, language, languageCodes, loadLanguages, nativeName, preferredLanguage, rememberedLanguage,
  rememberLanguage, setLanguage, setOwnLanguage, useOwnLanguage,
} from "./i18n.js";
import { onOutboxChange } from "./outbox.js";
import { onSync, startSyncLoop } from "./sync-loop.js";
import { icon } from "./icons.js";
import { beforeEachScreen, h, open, register, show } from "./ui.js";
import { watchForUpdates } from "./update.js";
import "./screens/intro.js";

/** The strip of what is waiting; its module loads after the first screen. */
let statusModule = null;
async function renderStatusStrip() {
  statusModule = await import("./screens/status.js");
  statusModule.renderStatusStrip();
}

/** `#flyer=K7M2QX`, `#enrol=...`, `#preview=<id>&lang=ar`; a flyer's own page `/f/K7M2QX` (its campaign
 * handed over in the page, see `handedOver`) is a `flyer` route too. */
function route() {
  const found = Object.fromEntries(new URLSearchParams(location.hash.slice(1)));
  const flyerPath = location.pathname.match(/^\/f\/([^/]+)$/);
  if (flyerPath && !found.flyer) found.flyer = decodeURIComponent(flyerPath[1]);
  return found;
}

/** What the server put in the page of `/f/<code>`: {code, lang, document}; read once. */
function handedOver() {
  const element = document.getElementById("flyer-data");
  if (!element) return null;
  element.remove();
  try {
    return JSON.parse(element.textContent);
  } catch {
    return null;
  }
}

/** The resident's stored choice: this phone's setting, else the `lang` cookie of the server's pages. */
async function storedLanguage() {
  return (await setting("language")) || rememberedLanguage();
}

/** A flyer visitor's start; `download` may already be on its way (started together with the catalog).
 * The language: `wanted` (chosen in the link), the stored choice, the browser's, the campaign's main one. */
async function startFlyer(code, download = null, wanted = null) {
  const found = await (download || flyerCampaign(code, document.documentElement.lang));
  if (!found.record) {
    const text = found.network ? _("No connection. Connect to the internet once to open this poll.")
      : found.error || _("This flyer code is not known.");
    return open("message", found.status === 410 ? _("This poll has closed") : _("Poll not found"), text);
  }
  const [device, stored] = await Promise.all([setting("device"), wanted || storedLanguage(),
    saveSetting("lastFlyer", code)]); // together: each is a round to IndexedDB before the first screen
  const session = newSession(found.record, { channel: "flyer", auth: device ? "device" : "anonymous" });
  await chooseCampaignLanguage(found.record.campaign, stored);
  session.draft.language = document.documentElement.lang;
  render(session);
  cacheMedia(found.record.campaign, flyerLanguages(found.record.campaign, session.draft.language));
}

/** The resident's language: asked for, else the browser's, else the campaign's default. */
async function chooseCampaignLanguage(campaign, wanted) {
  const code = campaign.languages.includes(wanted) ? wanted
    : preferredLanguage(campaign.languages, campaign.default_language);
  await setLanguage(code);
}

async function startPreview(campaignId, lang) {
  const found = await previewCampaign(campaignId, lang);
  document.getElementById("preview-band").hidden = false;
  if (!found.record) return open("message", _("Preview"), found.error || _("This campaign could not be loaded."));
  await chooseCampaignLanguage(found.record.campaign, lang);
  const session = newSession(found.record, { channel: "flyer", auth: "anonymous", preview: true });
  session.draft.language = document.documentElement.lang;
  render(session);
}

async function resumeDraft(saved) {
  const record = await storedCampaign(saved.recordId);
  if (!record) return false;
  const session = newSession(record, saved);
  session.draft = saved.draft;
  render(session);
  return true;
}

/** Back from the status panel: to the interview in progress, or the start. */
async function resume() {
  const session = activeSession();
  if (session && !session.finished) return render(session);
  if (session && session.channel === "flyer") return render(newSession(session.record, session));
  const saved = await savedDraft();
  if (!(saved && await resumeDraft(saved))) open("home");
}
register("resume", resume);
register("flyer", startFlyer);

async function start() {
  const given = handedOver();
  const remembered = storedLanguage(); // IndexedDB opens while the languages load
  const { enrol, flyer, preview, lang } = { ...route(), ...(given ? { flyer: given.code, lang: given.lang } : {}) };
  if (enrol || flyer) history.replaceState(null, "", "/app/"); // the code leaves the address bar
  await loadLanguages(); // preloaded by index.html, so usually here already
  const explicit = languageCodes().includes(lang) ? lang : null;
  const guess = explicit || preferredLanguage(languageCodes(), "nl");
  const download = !flyer ? null : given?.document?.campaign ? keepFlyer(given.code, given.document, false)
    : flyerCampaign(flyer.toUpperCase(), guess); // in parallel with the catalog
  const chosen = explicit || (await remembered) || guess;
  document.addEventListener("sessionchange", renderLanguagePicker);
  document.addEventListener("languagechange", () => {
    document.getElementById("live").textContent = ""; // said in the old language already
    renderHeader();
    if (route().preview || !statusModule) return; // the strip is drawn after the first screen (boot)
    statusModule.translateStatusStrip(); // at once: never the old language's strip on the new language's page
    renderStatusStrip();
  });
  await setLanguage(chosen);
  if (preview) return startPreview(preview, lang);
  if (enrol) return open("enrol", enrol.toUpperCase());
  if (flyer) return startFlyer(flyer.toUpperCase(), download, explicit);
  const saved = await savedDraft();
  if (saved && await resumeDraft(saved)) return;
  const lastFlyer = await setting("lastFlyer");
  if (lastFlyer && !(await setting("device"))) return startFlyer(lastFlyer); // a resident reopening the app
  open("home");
}

async function pickLanguage(code) {
  const session = activeSession();
  if (session && !session.finished) return changeLanguage(session, code);
  await setOwnLanguage(code);
  if (!session?.preview) {
    await saveSetting("language", code);
    rememberLanguage(code);
  }
  return resume();
}

function languageOption(code) {
  return h("option", { value: code, lang: code, selected: code === language() }, nativeName(code));
}

/** The header's language picker: the campaign's languages during an interview, else all (which of them no native
 * speaker has checked yet is said once, under the start screen's language buttons). */
function renderLanguagePicker() {
  const session = activeSession();
  const codes = session ? session.campaign.languages : languageCodes();
  const select = h("select", { id: "language-picker", "aria-label": _("Language"),
    onchange: (event) => pickLanguage(event.target.value) }, codes.map(languageOption));
  document.getElementById("language-slot").replaceChildren(icon("language", "icon globe"), select);
}

function renderHeader() {
  renderLanguagePicker();
  document.getElementById("skip-link").textContent = _("Skip to the content");
  document.getElementById("preview-band").textContent = _("Preview: this is how residents see the campaign. Nothing is stored.");
}

/** The field worker's own screens speak the worker's language, also right after a resident's interview. */
const WORKER_SCREENS = new Set(["home", "status", "enrol"]);
beforeEachScreen((name) => (WORKER_SCREENS.has(name) ? useOwnLanguage() : null));

async function boot() {
  try {
    await start();
  } catch (err) {
    show(_("Something went wrong"), h("section", {}, h("h1", {}, _("Something went wrong")),
      h("p", {}, _("Nothing that was saved is lost. Reload the page to try again.")), h("pre", {}, String(err))));
  }
  const preview = route().preview;
  if (!preview) {
    renderStatusStrip();
    onSync(() => renderStatusStrip());
    onOutboxChange(renderStatusStrip);
    setInterval(renderStatusStrip, 15000);
    startSyncLoop();
    watchForUpdates(); // a preview (in the workspace's frame) installs nothing
  } else {
    document.getElementById("status-strip").hidden = true;
  }
  addEventListener("hashchange", () => {
    const { enrol, flyer, preview } = route();
    if (enrol || flyer || preview) start(); // a flyer or enrolment link opened while the app was open
  });
}

boot();
