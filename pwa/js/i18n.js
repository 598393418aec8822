// Interface texts: English msgids looked up in /app/i18n/<lang>.json; {name} placeholders.
// The languages come from /app/i18n/languages.json (translations/languages.json on the server), so a
// language added there appears in the pickers without a change here.

import { compilePlural } from "./plural.js";

export { compilePlural };
export const DEFAULT_LANGUAGE = "nl";
/** Until the table has arrived (and on a first visit that never gets it): Dutch and English. */
let table = { nl: { name: "Nederlands", dir: "ltr", format: "nl", reviewed: false },
  en: { name: "English", dir: "ltr", format: "en-GB", reviewed: false } };
let codes = Object.keys(table);

/** The language table and catalogs a flyer's page `/f/<code>` carries (no request before the first screen). */
function handedOver() {
  try { return JSON.parse(document.getElementById("i18n-data")?.textContent || "null") || {}; } catch { return {}; }
}
const given = typeof document === "undefined" ? {} : handedOver();

/** Load the language table: code, own name, direction, formatting locale, reviewed, resident completeness. */
export async function loadLanguages() {
  try {
    const response = given.languages ? null : await fetch("/app/i18n/languages.json");
    const data = given.languages || (response.ok ? await response.json() : null);
    if (Array.isArray(data?.languages) && data.languages.length) {
      table = Object.fromEntries(data.languages.map((entry) => [entry.code, entry]));
      codes = data.languages.map((entry) => entry.code);
    }
  } catch {
    // offline before the first visit finished: Dutch and English only
  }
}

/** Every language, in the pickers' order. */
export const languageCodes = () => codes;

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
  const text = messages[msgid];
  return format(typeof text === "string" && text ? text : msgid, params);
}

/** English's rule (the message ids' language) until a catalog brings its own. */
const englishPlural = (n) => (n === 1 ? 0 : 1);
let pluralIndex = englishPlural;

/**
 * A message that depends on a number `n`: the language's own form for `n` (Arabic has six, Polish three),
 * else the English singular or plural. `{count}` is `n` unless `params` say otherwise.
 */
export function ngettext(singular, plural, n, params) {
  const forms = messages[singular];
  const values = { count: n, ...params };
  if (Array.isArray(forms) && forms.every((form) => typeof form === "string" && form)) {
    const index = pluralIndex(Math.abs(Math.trunc(Number(n))) || 0);
    return format(forms[Math.min(Math.max(index, 0), forms.length - 1)], values);
  }
  return format(englishPlural(n) ? plural : singular, values);
}

/** Mark a message id for extraction; it is translated with `_()` where it is shown. */
export const N_ = (msgid) => msgid;

export const language = () => current;
export const direction = (code) => (table[code]?.dir === "rtl" ? "rtl" : "ltr");
export const nativeName = (code) => table[code]?.name || code;
/** Whether a native speaker has checked the language's translation (the start screen names the others once). */
export const isReviewed = (code) => Boolean(table[code]?.reviewed);

/**
 * The locale whose formats numbers and dates take: the language's formatting locale from the table, where the
 * browser has data for it; else Dutch (the neighbourhood's default), never the browser's own default, which is
 * often US English ("3/5/26, 3:07 PM" is read as 3 May). Browsers lack ti, so, fy, srn, pap and rif.
 */
export function formattingLocale(code = current) {
  const wanted = table[code]?.format || code;
  for (const candidate of [wanted, table[DEFAULT_LANGUAGE]?.format || DEFAULT_LANGUAGE, DEFAULT_LANGUAGE]) {
    try {
      if (Intl.DateTimeFormat.supportedLocalesOf([candidate]).length) return candidate;
    } catch {
      // not a valid tag: try the next
    }
  }
  return DEFAULT_LANGUAGE;
}

/** Dates the way the server formats them: the language's formatting locale (see above), Latin digits. */
export function formatDateTime(date, options) {
  return new Intl.DateTimeFormat(formattingLocale(), { numberingSystem: "latn", ...options }).format(date);
}

/** Numbers the same way: `1,5` in Dutch, `1.5` in English, Latin digits in Arabic too. */
export function formatNumber(value, options) {
  return new Intl.NumberFormat(formattingLocale(), { numberingSystem: "latn", ...options }).format(value);
}

/** A size as people read it, in the language's own format and unit: "0,6 kB", "18 kB", "1,2 MB" (never "0.0 MB"). */
export function formatSize(bytes) {
  const mega = bytes >= 1e6;
  const value = Math.max(bytes, 0) / (mega ? 1e6 : 1e3);
  return formatNumber(value, { style: "unit", unit: mega ? "megabyte" : "kilobyte", unitDisplay: "short",
    maximumFractionDigits: value < 10 ? 1 : 0 });
}

/** Keep text someone typed (a team's name...) from reordering the sentence around it (bidi isolation). */
export const isolate = (text) => `\u2068${text}\u2069`;

/** The `lang` cookie: the language a resident chose, for the server's pages (closed, results, erasure). */
export function rememberLanguage(code) {
  const secure = location.protocol === "https:" ? "; secure" : "";
  document.cookie = `lang=${code}; path=/; max-age=31536000; samesite=lax${secure}`;
}

export function rememberedLanguage() {
  const found = document.cookie.match(/(?:^|;\s*)lang=([a-z_A-Z]+)/);
  return found && table[found[1]] ? found[1] : null;
}

/** Switch the interface to `code`: load its catalog (cached by the service worker) and set lang/dir. */
export async function setLanguage(code) {
  const wanted = table[code] ? code : DEFAULT_LANGUAGE;
  if (!loaded.has(wanted)) loaded.set(wanted, loadCatalog(wanted));
  messages = await loaded.get(wanted);
  pluralIndex = compilePlural(messages[""]?.plural ?? "n != 1") || englishPlural;
  current = wanted;
  document.documentElement.lang = wanted;
  document.documentElement.dir = direction(wanted);
  document.dispatchEvent(new CustomEvent("languagechange", { detail: wanted }));
}

async function loadCatalog(code) {
  if (given.catalogs?.[code]) return given.catalogs[code];
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

/** The field worker's own language while an interview speaks a resident's (null outside such an interview). */
let ownLanguage = null;

/** The phone user's own language: the field worker's, also while an interview speaks the resident's. */
export const ownLanguageCode = () => ownLanguage ?? current;

/** Speak a resident's language for a field worker's interview; the worker's own is kept to return to. */
export async function setInterviewLanguage(code) {
  if (code === ownLanguageCode()) return useOwnLanguage();
  if (ownLanguage === null) ownLanguage = current;
  return setLanguage(code);
}

/** Back to the field worker's own language after an interview (nothing to do when none was kept). */
export async function useOwnLanguage() {
  const own = ownLanguage;
  ownLanguage = null;
  if (own !== null && own !== current) await setLanguage(own);
}

/** The phone user chose their own language (outside an interview). */
export async function setOwnLanguage(code) {
  ownLanguage = null;
  await setLanguage(code);
}

/** Start loading a catalog without switching to it. */
export function preloadLanguage(code) {
  if (table[code] && !loaded.has(code)) loaded.set(code, loadCatalog(code));
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
