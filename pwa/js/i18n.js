// Interface texts: English msgids looked up in /app/i18n/<lang>.json; {name} placeholders.

/** The neighbourhood's languages, each named in itself (the same list as server/i18n.py). */
export const LANGUAGES = {
  nl: { name: "Nederlands" },
  en: { name: "English" },
  tr: { name: "Türkçe" },
  ar: { name: "العربية", dir: "rtl" },
  rif: { name: "Tarifit (Tmaziɣt)" },
  pl: { name: "Polski" },
  uk: { name: "Українська" },
  so: { name: "Soomaali" },
  ti: { name: "ትግርኛ" },
  pap: { name: "Papiamentu" },
  srn: { name: "Sranantongo" },
  fy: { name: "Frysk" },
};
export const DEFAULT_LANGUAGE = "nl";

let messages = {};
let current = DEFAULT_LANGUAGE;
const loaded = new Map();

/** Fill `{name}` placeholders from `params`. */
export function format(text, params) {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (match, key) => (key in params ? String(params[key]) : match));
}

/** The translation of an English message id in the current language (the msgid itself if missing). */
export function _(msgid, params) {
  return format(messages[msgid] || msgid, params);
}

/** Mark a message id for extraction; it is translated with `_()` where it is shown. */
export const N_ = (msgid) => msgid;

export const language = () => current;
export const direction = (code) => (LANGUAGES[code]?.dir === "rtl" ? "rtl" : "ltr");
export const nativeName = (code) => LANGUAGES[code]?.name || code;

/** Switch the interface to `code`: load its catalog (cached by the service worker) and set lang/dir. */
export async function setLanguage(code) {
  const wanted = LANGUAGES[code] ? code : DEFAULT_LANGUAGE;
  if (!loaded.has(wanted)) loaded.set(wanted, loadCatalog(wanted));
  messages = await loaded.get(wanted);
  current = wanted;
  document.documentElement.lang = wanted;
  document.documentElement.dir = direction(wanted);
  document.dispatchEvent(new CustomEvent("languagechange", { detail: wanted }));
}

async function loadCatalog(code) {
  try {
    const response = await fetch(`/app/i18n/${code}.json`);
    const catalog = response.ok ? await response.json() : null;
    if (catalog && typeof catalog === "object") return catalog;
  } catch {
    // offline and not cached: English msgids are shown
  }
  loaded.delete(code); // try again next time
  return {};
}

/** Start loading a catalog without switching to it. */
export function preloadLanguage(code) {
  if (LANGUAGES[code] && !loaded.has(code)) loaded.set(code, loadCatalog(code));
}

/** The first of the browser's languages that is in `available`, else `fallback`. */
export function preferredLanguage(available, fallback) {
  for (const tag of navigator.languages || [navigator.language || ""]) {
    const base = tag.toLowerCase().split("-")[0];
    if (available.includes(tag.toLowerCase())) return tag.toLowerCase();
    if (available.includes(base)) return base;
  }
  return fallback;
}

/** A campaign text in the current language, else the campaign's default, else any. */
export function pick(texts, campaign) {
  if (!texts) return "";
  return texts[current] || texts[campaign?.default_language] || Object.values(texts)[0] || "";
}
