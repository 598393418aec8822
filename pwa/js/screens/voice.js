// The recording panel: record, see time and level, stop, listen back, record again or delete.

import { persist } from "../flow.js";
import { _, ngettext } from "../i18n.js";
import { audioOf, dropNote, saveDraftNote } from "../outbox.js";
import { checkStorage, MAX_SECONDS, startRecording, supported } from "../recorder.js";
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
  return h("audio", { controls: true, src: url, preload: "metadata", "aria-label": _("Listen to your recording") });
}

/** The panel for one question; `changed()` runs when a recording is kept or deleted. */
export function voicePanel(session, question, changed) {
  const panel = h("div", { class: "voice-panel" });
  let active = null;

  const idle = (message) => {
    panel.replaceChildren(
      message || "",
      h("button", { type: "button", class: "record", onclick: record }, h("span", { "aria-hidden": "true" }, "🎤 "),
        _("Start recording")),
      h("p", { class: "hint" }, ngettext("You can talk for up to {minutes} minute.",
        "You can talk for up to {minutes} minutes.", MAX_SECONDS / 60, { minutes: MAX_SECONDS / 60 })));
  };

  const recorded = async () => {
    const kept = session.draft.voice[question.key];
    panel.replaceChildren(
      h("p", { class: "notice ok", role: "status" }, _("Recorded: {time}", { time: clock(kept.durationMs) })),
      await playback(session, kept) || "",
      h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary", onclick: async () => { await forget(session, question); changed(); record(); } },
          _("Record again")),
        h("button", { type: "button", class: "secondary", onclick: async () => { await forget(session, question); changed(); idle(); } },
          _("Delete recording"))));
  };

  async function record() {
    const room = await checkStorage();
    if (!room.ok) return idle(notice(_("This phone is almost full. Send what is waiting first, then record."), "error"));
    const time = h("span", { class: "timer", role: "timer", dir: "ltr" }, "0:00");
    const bar = h("span", { class: "bar" });
    const stop = h("button", { type: "button", class: "record stop", onclick: () => finish() }, _("Stop recording"));
    try {
      active = await startRecording({
        onTick: ({ ms, level }) => {
          time.textContent = `${clock(ms)} / ${clock(MAX_SECONDS * 1000)}`;
          bar.style.transform = `scaleX(${level.toFixed(2)})`;
        },
        onAutoStop: () => finish(),
      });
    } catch {
      return idle(notice(_("The microphone could not be used. Allow it in the browser's settings, or answer by tapping."), "error"));
    }
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
    await keepRecording(session, question, recording);
    announce(_("Recorded: {time}", { time: clock(recording.durationMs) }));
    changed();
    await recorded();
  }

  if (!supported()) idle(notice(_("This browser cannot record sound. Please answer by tapping."), "error"));
  else if (session.draft.voice[question.key]) recorded();
  else idle();
  panel.cancel = () => active?.cancel();
  return panel;
}
