// Interface texts: English msgids looked up in /app/i18n/<lang>.json; {name} placeholders.
// The languages come from /app/i18n/languages.json (translations/languages.json on the server), so a
// language added there appears in the pickers without a change here.

export const DEFAULT_LANGUAGE = "nl";
/** Until the table has arrived (and on a first visit that never gets it): Dutch and English. */
let table = { nl: { name: "Nederlands", dir: "ltr", format: "nl", reviewed: false },
  en: { name: "English", dir: "ltr", format: "en", reviewed: false } };
let codes = Object.keys(table);

/** Load the language table: code, own name, direction, formatting locale, reviewed, resident completeness. */
export async function loadLanguages() {
  try {
    const response = await fetch("/app/i18n/languages.json");
    const data = response.ok ? await response.json() : null;
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

/**
 * Compile gettext's Plural-Forms expression (C syntax: `n`, integers, `! % * / + - < <= > >= == != && || ?:`
 * and parentheses) into a function of n, without `eval` (forbidden by the app's CSP). Anything else: null.
 */
export function compilePlural(expression) {
  const tokens = String(expression).match(/\d+|n|&&|\|\||[<>=!]=|[-+*/%<>!?:()]|\S/g) || [];
  let at = 0;
  const peek = () => tokens[at];
  const take = (token) => (tokens[at] === token ? (at += 1, true) : false);
  const binary = (next, operators) => () => {
    let left = next();
    for (let op = peek(); operators[op]; op = peek()) {
      at += 1;
      const [a, b, apply] = [left, next(), operators[op]];
      left = (n) => apply(a(n), b(n));
    }
    return left;
  };
  const toInt = (value) => (typeof value === "boolean" ? Number(value) : value);
  function primary() {
    const token = tokens[at++];
    if (token === "n") return (n) => n;
    if (/^\d+$/.test(token || "")) return () => Number(token);
    if (token === "!") { const inner = primary(); return (n) => Number(!toInt(inner(n))); }
    if (token === "-") { const inner = primary(); return (n) => -toInt(inner(n)); }
    if (token === "(") { const inner = conditional(); if (!take(")")) throw new Error("')'"); return inner; }
    throw new Error(`unexpected ${token}`);
  }
  const int = (f) => (a, b) => toInt(f(toInt(a), toInt(b)));
  const product = binary(primary, { "*": int((a, b) => a * b), "/": int((a, b) => Math.trunc(a / b)),
    "%": int((a, b) => a % b) });
  const sum = binary(product, { "+": int((a, b) => a + b), "-": int((a, b) => a - b) });
  const relation = binary(sum, { "<": int((a, b) => Number(a < b)), ">": int((a, b) => Number(a > b)),
    "<=": int((a, b) => Number(a <= b)), ">=": int((a, b) => Number(a >= b)) });
  const equality = binary(relation, { "==": int((a, b) => Number(a === b)), "!=": int((a, b) => Number(a !== b)) });
  const and = binary(equality, { "&&": int((a, b) => Number(Boolean(a) && Boolean(b))) });
  const or = binary(and, { "||": int((a, b) => Number(Boolean(a) || Boolean(b))) });
  function conditional() {
    const test = or();
    if (!take("?")) return test;
    const yes = conditional();
    if (!take(":")) throw new Error("':'");
    const no = conditional();
    return (n) => (toInt(test(n)) ? yes(n) : no(n));
  }
  try {
    const rule = conditional();
    return at === tokens.length ? (n) => toInt(rule(n)) : null;
  } catch {
    return null;
  }
}

/** Mark a message id for extraction; it is translated with `_()` where it is shown. */
export const N_ = (msgid) => msgid;

export const language = () => current;
export const direction = (code) => (table[code]?.dir === "rtl" ? "rtl" : "ltr");
export const nativeName = (code) => table[code]?.name || code;
/** Whether a native speaker has checked the language's translation (pickers mark the others). */
export const isReviewed = (code) => Boolean(table[code]?.reviewed);
export const REVIEW_NOTE = N_("not yet checked by a native speaker");

/** Numbers and dates the way the server formats them: the language's formatting locale, Latin digits. */
export function formatDateTime(date, options) {
  const locale = table[current]?.format || current;
  try {
    return new Intl.DateTimeFormat(locale, { numberingSystem: "latn", ...options }).format(date);
  } catch {
    return new Intl.DateTimeFormat(undefined, options).format(date);
  }
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
