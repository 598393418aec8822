// The recording panel: record, see time and level, stop, listen back, record again or delete.

import { persist } from "../flow.js";
import { _, ngettext } from "../i18n.js";
import { audioOf, dropNote, saveDraftNote } from "../outbox.js";
import { checkStorage, MAX_SECONDS, startRecording, supported } from "../recorder.js";
import { icon } from "../icons.js";
import { hush, phrase, sayNow } from "../speaker.js";
import { announce, h, notice } from "../ui.js";
import { randomKey, sha256Hex, uuid7 } from "../util.js";

const clock = (ms) => `${Math.floor(ms / 60000)}:${String(Math.floor(ms / 1000) % 60).padStart(2, "0")}`;

async function keepRecording(session, question, recording) {
  const { draft } = session;
  const note = {
    id: uuid7(), responseId: draft.id, question: question.key, contentType: recording.contentType,
    size: recording.buffer.byteLength, sha256: await sha256Hex(recording.buffer), durationMs: recording.durationMs,
    auth: session.auth, uploadKey: session.auth === "anonymous" ? randomKey() : null,
    source: session.source?.code || null, declared: false,
  };
  if (session.preview) session.previewAudio = { ...session.previewAudio, [note.id]: recording.buffer };
  else await saveDraftNote(note, recording.buffer);
  draft.voice[question.key] = { id: note.id, durationMs: note.durationMs, size: note.size,
    contentType: note.contentType };
  await persist(session);
}

/** Delete the question's recording, if any. */
export async function forget(session, question) {
  const kept = session.draft.voice[question.key];
  if (!kept) return;
  delete session.draft.voice[question.key];
  if (!session.preview) await dropNote(kept.id);
  await persist(session);
}

async function playback(session, kept) {
  const buffer = session.preview ? session.previewAudio?.[kept.id] : await audioOf(kept.id);
  if (!buffer) return null;
  const url = URL.createObjectURL(new Blob([buffer], { type: kept.contentType }));
  return withKnownDuration(h("audio", { controls: true, src: url, preload: "metadata",
    "aria-label": _("Listen to your recording") }));
}

/** MediaRecorder's WebM states no duration: the player would show "0:00" (duration Infinity). Seeking far past
 * the end makes Chromium read to the end and learn it; then the player goes back to the start. */
function withKnownDuration(audio) {
  audio.addEventListener("loadedmetadata", () => {
    if (Number.isFinite(audio.duration)) return;
    const settle = () => {
      if (!Number.isFinite(audio.duration)) return;
      audio.removeEventListener("durationchange", settle);
      audio.currentTime = 0;
    };
    audio.addEventListener("durationchange", settle);
    audio.currentTime = Number.MAX_SAFE_INTEGER;
  }, { once: true });
  return audio;
}

/** The panel for one question; `changed()` runs when a recording is kept or deleted. `onSteps(parts)` gets
 * what listen mode says for the panel's current step (said at once after a resident's action). */
export function voicePanel(session, question, changed, onSteps = () => {}) {
  const panel = h("div", { class: "voice-panel" });
  const say = (key, target) => phrase(session.campaign, key, target);
  const steps = (parts, now) => {
    panel.spoken = parts;
    onSteps(parts);
    if (now) sayNow(session, parts);
  };
  let active = null;

  /** Ready to record; `message`: why the last try did not work, said by the phrase `key`. */
  const idle = (message, key = null, now = false) => {
    const button = h("button", { type: "button", class: "record", onclick: record }, icon("mic"), _("Start recording"));
    panel.replaceChildren(message || "", button,
      h("p", { class: "hint" }, ngettext("You can talk for up to {minutes} minute.",
        "You can talk for up to {minutes} minutes.", MAX_SECONDS / 60, { minutes: MAX_SECONDS / 60 })));
    steps([...(key ? [say(key, message)] : []), say("record_how", button)], now);
  };

  const recorded = async (now = false) => {
    const kept = session.draft.voice[question.key];
    const again = h("button", { type: "button", class: "secondary", onclick: async () => { await forget(session, question); changed(); record(); } },
      _("Record again"));
    const drop = h("button", { type: "button", class: "secondary", onclick: async () => { await forget(session, question); changed(); idle(null, null, true); } },
      _("Delete recording"));
    const listen = say("listen_recording");
    steps([listen, say("record_again", again), say("delete_recording", drop)], false);
    listen.target = await playback(session, kept);
    panel.replaceChildren(
      h("p", { class: "notice ok", role: "status" }, _("Recorded: {time}", { time: clock(kept.durationMs) })),
      listen.target || "", h("div", { class: "actions" }, again, drop));
    if (now) sayNow(session, panel.spoken);
  };

  async function record() {
    hush(true); // nothing the phone says may end up in the recording
    const room = await checkStorage();
    if (!room.ok) {
      hush(false);
      return idle(notice(_("This phone is almost full. Send what is waiting first, then record."), "error"), "phone_full", true);
    }
    const time = h("span", { class: "timer", role: "timer", dir: "ltr" }, "0:00");
    const bar = h("span", { class: "bar" });
    const stop = h("button", { type: "button", class: "record stop", onclick: () => finish() }, icon("stop"), _("Stop recording"));
    try {
      active = await startRecording({
        onTick: ({ ms, level }) => {
          time.textContent = `${clock(ms)} / ${clock(MAX_SECONDS * 1000)}`;
          bar.style.transform = `scaleX(${level.toFixed(2)})`;
        },
        onAutoStop: () => finish(),
      });
    } catch {
      hush(false);
      return idle(notice(_("The microphone could not be used. Allow it in the browser's settings, or answer by tapping."), "error"),
        "microphone_blocked", true);
    }
    steps([], false);
    panel.replaceChildren(h("p", { class: "recording" }, h("span", { class: "dot", "aria-hidden": "true" }), _("Recording…"), " ", time),
      h("span", { class: "meter", "aria-hidden": "true" }, bar), stop);
    stop.focus();
    announce(_("Recording…"));
  }

  async function finish() {
    if (!active) return;
    const current = active;
    active = null;
    const recording = await current.stop();
    hush(false);
    await keepRecording(session, question, recording);
    announce(_("Recorded: {time}", { time: clock(recording.durationMs) }));
    changed();
    await recorded(true);
  }

  if (!supported()) idle(notice(_("This browser cannot record sound. Please answer by tapping."), "error"), "cannot_record");
  else if (session.draft.voice[question.key]) recorded();
  else idle();
  panel.cancel = () => {
    active?.cancel();
    hush(false);
  };
  return panel;
}
