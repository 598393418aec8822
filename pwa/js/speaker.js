// Listen mode's one voice (docs/listen-mode.md): a screen's texts in order, each from the team's clip, else the
// phone's own voice for exactly that language, else not at all: never a wrong-language voice.
// One player at a time; a new screen stops it; the button that speaks shows it and stops it when tapped again.

import { clipSource, fetchedClip, reachable } from "./clips.js";
import { _, language } from "./i18n.js";
import { icon } from "./icons.js";
import { PHRASES } from "./phrases.js";
import { h } from "./ui.js";

const synth = self.speechSynthesis || null;

/** A campaign text; `key` as in the campaign document's `audio` map ("title", "q:<key>", "q:<key>:<choice>").
 * `prompt`: the question's older recorded prompt, used when there is no clip. */
export function campaignText(campaign, key, texts, { target = null, prompt = null } = {}) {
  const lang = language();
  const clip = campaign?.audio?.[lang]?.campaign?.[key]?.url || prompt || null;
  return { key, text: texts?.[lang] || null, clip, lang, target };
}

/** One of the app's phrases (`pwa/js/phrases.js`): the team's voice-pack clip, else the catalog's text. */
export function phrase(campaign, key, target = null) {
  const lang = language();
  const text = _(PHRASES[key]);
  const translated = text !== PHRASES[key] || lang === "en";
  return { key, text: translated ? text : null, clip: campaign?.audio?.[lang]?.phrases?.[key]?.url || null, lang, target };
}

/** The phone's voice for exactly `lang` (its `lang` tag's first part), or null. */
export function voiceFor(lang) {
  return synth?.getVoices().find((voice) => voice.lang.toLowerCase().split(/[-_]/)[0] === lang) || null;
}

/** Whether this part can be heard on this phone. */
export const audible = (part) => Boolean((part.clip && reachable(part.clip)) || (part.text && voiceFor(part.lang)));

let element = null;
/** The one audio element, kept in the page (so a browser that unlocked it once keeps it unlocked). */
function player() {
  if (!element) element = document.body.appendChild(h("audio", { id: "speaker-audio", preload: "auto", hidden: true }));
  return element;
}

function playClip(source) {
  return new Promise((resolve, reject) => {
    const audio = player();
    const done = (ok) => {
      audio.onended = audio.onpause = audio.onerror = null;
      if (ok) resolve(); else reject(new Error("clip did not play"));
    };
    audio.onended = () => done(true);
    audio.onpause = () => audio.ended || done(true); // stopped; at the natural end "ended" follows
    audio.onerror = () => done(false);
    audio.src = source;
    audio.play().catch(() => done(false));
  });
}

function speakText(text, lang) {
  const voice = voiceFor(lang);
  if (!voice || !text) return Promise.reject(new Error("no voice"));
  return new Promise((resolve) => {
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = voice.lang;
    try {
      utterance.voice = voice;
    } catch {
      // a voice list that is not the browser's own: the language tag chooses the voice
    }
    const timer = setTimeout(resolve, 5000 + text.length * 150); // a voice that never says it ended
    utterance.onend = utterance.onerror = () => { clearTimeout(timer); resolve(); };
    synth.speak(utterance);
  });
}

let current = null;
let hushed = false;

/** While the microphone records, the phone says nothing (it would end up in the recording). */
export function hush(on) {
  hushed = on;
  if (on) stop();
}

async function say(part, run) {
  if (part.clip) {
    try {
      const source = fetchedClip(part.clip) || await clipSource(part.clip, null, { urgent: true });
      if (current === run) {
        Object.assign(player().dataset, { key: part.key, clip: part.clip }); // what is playing (tests, debugging)
        await playClip(source);
      }
      return;
    } catch {
      // not downloaded (offline before it was cached) or not playable here: the phone's own voice
    }
  }
  if (current === run) await speakText(part.text, part.lang).catch(() => {});
}

function mark(button, playing) {
  button?.classList.toggle("playing", playing);
}

/** Say `parts` one after another, showing each part's `target` while it is said; `button` shows it plays. */
export async function play(parts, button = null) {
  stop();
  if (hushed) return;
  const run = { button };
  current = run;
  mark(button, true);
  for (const part of parts.filter(audible)) {
    if (current !== run) return;
    part.target?.classList.add("spoken");
    try {
      await say(part, run);
    } finally {
      part.target?.classList.remove("spoken");
    }
  }
  if (current === run) stop();
}

/** Silence: the clip, the phone's voice and the sequence. */
export function stop() {
  const was = current;
  current = null;
  if (element && !element.paused) element.pause();
  if (synth && (synth.speaking || synth.pending)) synth.cancel();
  mark(was?.button, false);
}

const parts = new WeakMap();

function refresh(button) {
  button.hidden = !parts.get(button).some(audible);
}

/** The speaker buttons on the page now (a screen's buttons are made before `show` puts them there). */
function refreshAll() {
  for (const button of document.querySelectorAll("button.speaker")) if (parts.has(button)) refresh(button);
}

/** A speaker button for `list` (its parts can be set later with `setParts`); hidden when nothing in it can be
 * heard on this phone. `label`: what it reads (small buttons); `text`: words shown beside the pictogram. */
export function speakerButton(list = [], { big = false, label = null, text = null, onPlay = null } = {}) {
  const button = h("button", {
    type: "button", class: `speaker${big ? " big" : ""}${text ? " with-text" : ""}`,
    "aria-label": text ? null : label ? `${_("Read aloud")}: ${label}` : _("Read aloud"),
    onclick: () => {
      if (current?.button === button) return stop();
      onPlay?.();
      return play(parts.get(button), button);
    },
  }, icon("speaker"), icon("stop"), text ? h("span", {}, text) : null);
  setParts(button, list);
  return button;
}

export function setParts(button, list) {
  parts.set(button, list);
  refresh(button);
  for (const part of list) if (part.clip) clipSource(part.clip, refreshAll).catch(() => {});
}

export const partsOf = (button) => parts.get(button);

/** After a resident's screen is shown: listen mode marks the page, and the screen says itself once. */
export function opened(session, list, button = null) {
  document.documentElement.classList.toggle("listening", Boolean(session.draft.listen));
  if (session.draft.listen) play(list, button);
}

/** In listen mode, say something that just appeared (an error, the recorder's next step). */
export function sayNow(session, list, button = null) {
  if (session.draft.listen) play(list, button);
}

document.addEventListener("screenchange", () => {
  stop();
  document.documentElement.classList.remove("listening");
});
synth?.addEventListener?.("voiceschanged", refreshAll); // a browser lists its voices a moment after the page opens
self.addEventListener("online", refreshAll); // clips not kept on the phone can be fetched again (clips.js)
