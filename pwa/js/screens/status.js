// What is waiting, when the last sync worked, what went wrong in plain words; "send now" and the rescue file.

import { setting } from "../db.js";
import { _, formatDateTime, formatSize, isolate, ngettext } from "../i18n.js";
import { onOutboxChange, summary } from "../outbox.js";
import { downloadRescueFile } from "../rescue.js";
import { syncNow } from "../sync-loop.js";
import { actions, h, notice, open, register, show } from "../ui.js";

/** The last error as a sentence a field worker understands. */
export function errorText(error) {
  if (!error) return null;
  if (error.kind === "network") return _("No connection. Everything is kept on this phone and will be sent later.");
  if (error.kind === "auth") return _("This phone is no longer enrolled. Ask your coordinator for a new enrolment code; nothing is lost.");
  if (error.kind === "busy") return _("The server is busy. We will try again in a moment.");
  if (error.kind === "unexpected") {
    return _("Something other than our server answered (perhaps a Wi-Fi login page). Everything is kept and sent later.");
  }
  return error.message || _("The server could not take the answers right now (error {status}). We will try again.",
    { status: error.status || "?" });
}

export function lastSyncText(lastSync) {
  if (!lastSync) return _("Nothing sent yet");
  const time = formatDateTime(new Date(lastSync), { dateStyle: "short", timeStyle: "short" });
  return _("Last sent: {time}", { time });
}

export function waitingText(waiting, lastSync) {
  if (!waiting.responses && !waiting.voiceNotes) return lastSync ? _("Everything has been sent") : _("Nothing to send");
  return _("Waiting: {answers}, {recordings} ({size})",
    { ...counted(waiting.responses, waiting.voiceNotes), size: formatSize(waiting.bytes) });
}

/** "3 answers" and "1 recording", each in the language's own plural form. */
function counted(answers, recordings) {
  return { answers: ngettext("{count} answer", "{count} answers", answers),
    recordings: ngettext("{count} recording", "{count} recordings", recordings) };
}

/** What the strip last showed, to say it again at once in another language. */
let shown = null;

/** The strip under the header, always visible; redrawn only when what it says changes. */
export async function renderStatusStrip() {
  const strip = document.getElementById("status-strip");
  if (!strip) return;
  const [waiting, lastSync, lastError] = await Promise.all([summary(), setting("lastSync"), setting("lastError")]);
  shown = { waiting, lastSync, lastError };
  drawStrip(strip, shown);
}

/** The strip again in the language just switched to, before anything else runs (its counts are read again
 * afterwards): the page never shows a strip in the language it left. */
export function translateStatusStrip() {
  const strip = document.getElementById("status-strip");
  if (strip && shown) drawStrip(strip, shown);
}

function drawStrip(strip, { waiting, lastSync, lastError }) {
  const error = waiting.responses || waiting.voiceNotes ? errorText(lastError) : null;
  const texts = [waitingText(waiting, lastSync), lastSync ? lastSyncText(lastSync) : null, error];
  if (strip.dataset.shown === JSON.stringify(texts)) return;
  strip.dataset.shown = JSON.stringify(texts);
  strip.replaceChildren(
    h("button", { type: "button", class: "status-button", onclick: () => open("status") },
      h("span", { class: "waiting" }, texts[0]), texts[1] ? [" · ", h("span", { class: "last-sync" }, texts[1])] : ""),
    error ? h("span", { class: "sync-error" }, error) : "");
}

function heldList(waiting) {
  const items = [
    ...waiting.heldResponses.map((r) => ({ id: r.id, reason: r.result?.errors?.[0]?.message || r.result?.status })),
    ...waiting.heldNotes.map((n) => ({ id: n.id, reason: n.error?.message || n.error?.code })),
  ];
  if (!items.length) return null;
  return h("div", {},
    h("h2", {}, _("Not accepted by the server")),
    h("p", { class: "hint" }, _("These stay on the phone. Save a rescue file and give it to your coordinator.")),
    h("ul", { class: "held" }, items.map((item) => h("li", {}, h("code", { dir: "ltr" }, item.id.slice(-12)), " ",
      h("span", { dir: "auto" }, item.reason || "")))));
}

/** What is waiting, when it was last sent and what went wrong: drawn again whenever the outbox changes. */
async function drawState(slot) {
  const [waiting, lastSync, lastError] = await Promise.all([summary(), setting("lastSync"), setting("lastError")]);
  const error = waiting.responses || waiting.voiceNotes ? errorText(lastError) : null;
  slot.replaceChildren(
    h("p", { class: "lead" }, waitingText(waiting, lastSync)),
    h("p", {}, lastSyncText(lastSync)),
    error ? notice(error, "error") : "");
  return waiting;
}

async function statusScreen() {
  const [device, persisted] = await Promise.all([setting("device"), navigator.storage?.persisted?.()]);
  const state = h("div", { class: "sync-state" });
  const held = h("div", { class: "held-slot" });
  const result = h("div", { class: "error-slot" });
  const redraw = async () => held.replaceChildren(heldList(await drawState(state)) || "");
  const sendNow = async () => {
    result.replaceChildren(notice(_("Sending…"), "info"));
    const outcome = await syncNow({ reset: true, includeHeld: true });
    await redraw();
    result.replaceChildren(outcome.ok ? notice(_("Done."), "ok") : "");
  };
  const rescue = async () => {
    const saved = await downloadRescueFile();
    result.replaceChildren(notice(_("Rescue file saved: {answers}, {recordings}.",
      counted(saved.responses, saved.voiceNotes)), "ok"));
  };
  await redraw();
  const stop = onOutboxChange(redraw);
  show(_("Sending and rescue"), h("section", { class: "status" },
    h("h1", {}, _("Sending and rescue")),
    state,
    result,
    actions(h("button", { type: "button", class: "primary", onclick: sendNow }, _("Send now")),
      h("button", { type: "button", class: "secondary", onclick: rescue }, _("Save a rescue file"))),
    held,
    h("h2", {}, _("This phone")),
    device ? h("p", {}, _("Enrolled for {team}.", { team: isolate(device.team) })) : h("p", {}, _("Not enrolled (answers are sent anonymously).")),
    h("p", { class: "hint" }, persisted ? _("The browser keeps this app's data.")
      : _("The browser may clear this app's data when the phone runs out of space. On an iPhone, add the app to the home screen, and send your answers often.")),
    actions(h("button", { type: "button", class: "secondary", onclick: () => open("resume") }, _("Back")))), stop);
}

register("status", statusScreen);
