// Draining the outbox: responses in order, in batches, then their recordings in resumable chunks.
// Works in the page and in the service worker (Background Sync). Only explicit acknowledgements remove items.

import { errorCode, errorMessage, request } from "./api.js";
import { saveSetting, setting } from "./db.js";
import * as outbox from "./outbox.js";

export const BATCH_SIZE = 50;
export const CHUNK_BYTES = 32 * 1024;
// "erased": the resident erased this response with their receipt code; the server keeps nothing of it, nor do we.
const ACKS = new Set(["created", "duplicate", "erased"]);
const REFUSALS = new Set(["conflict", "invalid"]);
/** Upload errors that trying again will not fix: the note is held for export. */
const NOTE_REFUSALS = new Set(["voice_note_conflict", "unsupported_audio", "audio_too_large", "audio_too_long",
  "audio_consent_required", "source_required", "upload_too_large", "invalid_input", "source_closed",
  "audio_unreadable", "audio_implausible"]);

class SyncStop extends Error {
  constructor(result) {
    super("sync stopped");
    this.result = result;
  }
}

/** What went wrong, for the status panel: {kind, status, message, retryAfter}. */
function failure(result) {
  if (result.network) return { kind: "network" };
  const kind = result.status === 401 ? "auth" : result.status === 429 ? "busy" : "server";
  const retryAfter = Number(result.headers?.get("Retry-After")) || null;
  return { kind, status: result.status, code: errorCode(result), message: errorMessage(result), retryAfter };
}

function senderHeaders(auth, device, uploadKey) {
  if (auth === "device") return device ? { token: device.token } : null;
  return { headers: uploadKey ? { "Upload-Key": uploadKey } : {} };
}

/** The results of a well-formed reply by item id, or null: it names every item of the batch, by index and id,
 * with a status of the protocol. Anything less (a portal page, a proxy's JSON, a cut reply) tells nothing. */
function acknowledgements(data, batch) {
  if (!data || !Array.isArray(data.results)) return null;
  const byId = new Map();
  for (const result of data.results) {
    const item = batch[result?.index];
    if (item && result.id === item.id && (ACKS.has(result.status) || REFUSALS.has(result.status))) {
      byId.set(item.id, result);
    }
  }
  return byId.size === batch.length ? byId : null;
}

async function sendBatch(batch, context) {
  const sender = senderHeaders(batch[0].auth, context.device);
  if (!sender) throw new SyncStop({ kind: "auth" });
  const json = { responses: batch.map((item) => item.body) };
  if (batch[0].auth === "device") json.device_status = await deviceStatus();
  const result = await request("POST", "/api/v1/sync", { json, lang: context.lang, ...sender });
  if (!result.ok) throw new SyncStop(failure(result));
  const acks = acknowledgements(result.data, batch);
  if (!acks) throw new SyncStop({ kind: "unexpected", status: result.status }); // a portal page, a bad proxy
  const results = [...acks.values()];
  await outbox.settleBatch(results.filter((r) => ACKS.has(r.status)).map((r) => r.id),
    results.filter((r) => REFUSALS.has(r.status)));
}

async function deviceStatus() {
  const waiting = await outbox.summary();
  return { pending_responses: waiting.responses, pending_voice_notes: waiting.voiceNotes,
    pending_bytes: waiting.bytes };
}

/**
 * Tell the coordinator's Phones page what is still waiting on this enrolled phone after a drain, "nothing"
 * included: after every drain that sent something, and whenever it differs from the last report. A report
 * that does not arrive is made after the next drain; it never holds up the answers themselves.
 */
async function reportStatus(context, offered) {
  if (!context.device) return;
  const status = await deviceStatus();
  const said = JSON.stringify(status);
  if (!offered && said === await setting("reportedStatus")) return;
  const result = await request("PUT", "/api/v1/devices/me/status",
    { json: status, token: context.device.token, lang: context.lang });
  await saveSetting("reportedStatus", result.ok ? said : null);
}

/** Consecutive items with the same sender, at most BATCH_SIZE each: order is kept. */
function batches(items) {
  const groups = [];
  for (const item of items) {
    const last = groups[groups.length - 1];
    if (last && last[0].auth === item.auth && last.length < BATCH_SIZE) last.push(item);
    else groups.push([item]);
  }
  return groups;
}

/** Where the server is with a note: its offset and state, declaring it first if needed. */
async function serverOffset(note, options) {
  if (note.declared) {
    const head = await request("HEAD", `/api/v1/voice-notes/${note.id}`, options);
    if (head.ok) {
      const offset = Number(head.headers.get("Upload-Offset")) || 0;
      return { offset, complete: offset >= note.size };
    }
    if (!head.network && head.status !== 404) throw new SyncStop(failure(head));
  }
  const declared = await request("POST", "/api/v1/voice-notes", { ...options, json: outbox.declaration(note) });
  if (!declared.ok) return { refused: declared };
  await outbox.updateNote(note.id, { declared: true });
  return { offset: declared.data.offset, complete: declared.data.state === "complete" };
}

async function uploadNote(note, context) {
  const sender = senderHeaders(note.auth, context.device, note.uploadKey);
  if (!sender) throw new SyncStop({ kind: "auth" });
  const options = { lang: context.lang, ...sender };
  let position = await serverOffset(note, options);
  if (position.refused) return refuseNote(note, position.refused);
  const audio = await outbox.audioOf(note.id);
  if (!audio) return outbox.holdNote(note.id, { code: "audio_missing", message: null, status: 0 });
  let restarts = 0;
  while (!position.complete) {
    const chunk = audio.slice(position.offset, position.offset + CHUNK_BYTES);
    const headers = { ...(options.headers || {}), "Content-Type": "application/offset+octet-stream",
      "Upload-Offset": String(position.offset) };
    const sent = await request("PATCH", `/api/v1/voice-notes/${note.id}`, { ...options, headers, body: chunk });
    if (sent.ok) {
      position = { offset: sent.data.offset, complete: sent.data.state === "complete" };
    } else if (sent.status === 409 && errorCode(sent) === "offset_mismatch") {
      position = { offset: Number(sent.headers.get("Upload-Offset")) || 0, complete: false };
    } else if (errorCode(sent) === "checksum_mismatch" && restarts < 1) {
      restarts += 1;
      position = { offset: 0, complete: false };
    } else {
      return refuseNote(note, sent);
    }
  }
  await outbox.dropNote(note.id);
}

async function refuseNote(note, result) {
  if (result.network || result.status === 401 || result.status === 429 || result.status >= 500) {
    throw new SyncStop(failure(result));
  }
  const code = errorCode(result);
  if (code === "response_erased") return outbox.dropNote(note.id); // erased by the resident: keep no copy
  if (NOTE_REFUSALS.has(code) || result.status === 404 || code === "checksum_mismatch") {
    await outbox.holdNote(note.id, { code, message: errorMessage(result), status: result.status });
    return;
  }
  throw new SyncStop(failure(result));
}

/** Send everything in order; returns how many items were offered to the server. */
async function drainOnce(includeHeld, context) {
  let offered = 0;
  for (const batch of batches(await outbox.responsesToSend(includeHeld))) {
    await sendBatch(batch, context);
    offered += batch.length;
  }
  for (const note of await outbox.notesToSend(includeHeld)) {
    await uploadNote(note, context);
    offered += 1;
  }
  return offered;
}

/**
 * Send what is waiting. `includeHeld` also retries refused items (when the user taps "sync now").
 * Returns {ok: true} or {ok: false, error}; one drain at a time per origin (Web Locks where present).
 */
export async function drain(includeHeld = false) {
  const run = async () => {
    try {
      const context = { device: await setting("device"), lang: (await setting("language")) || "nl" };
      const offered = await drainOnce(includeHeld, context);
      if (offered) await saveSetting("lastSync", new Date().toISOString());
      await reportStatus(context, offered);
      await saveSetting("lastError", null);
      outbox.outboxChanged();
      return { ok: true };
    } catch (err) {
      const error = err instanceof SyncStop ? err.result : { kind: "client", message: String(err) };
      await saveSetting("lastError", { ...error, at: new Date().toISOString() });
      outbox.outboxChanged();
      return { ok: false, error };
    }
  };
  if (self.navigator?.locks) {
    return navigator.locks.request("wijkstem-sync", { ifAvailable: true },
      (lock) => (lock ? run() : { ok: false, busy: true }));
  }
  return run();
}
