// The outbox: responses and voice notes waiting for the server. Only an explicit acknowledgement
// (created or duplicate, or a complete upload) removes an item; refused items stay, held, for export.

import * as db from "./db.js";
import { AUDIO, RESPONSES, VOICE } from "./db.js";

/** Put a finished response in the outbox and release its recordings, in one transaction. */
export async function queueResponse(body, auth) {
  const notes = await db.byIndex(VOICE, "response", body.id);
  const kept = new Set(body.voice_notes.map((n) => n.id));
  const writes = [{ store: RESPONSES, value: { id: body.id, body, auth, status: "pending", queuedAt: Date.now() } }];
  for (const note of notes) {
    if (kept.has(note.id)) writes.push({ store: VOICE, value: { ...note, status: "pending" } });
    else writes.push({ store: VOICE, key: note.id, drop: true }, { store: AUDIO, key: note.id, drop: true });
  }
  await db.writeMany(writes);
}

/** Responses to send, oldest first; held ones (conflict, invalid) only when the user asks. */
export async function responsesToSend(includeHeld = false) {
  const all = await db.getAll(RESPONSES);
  return all.filter((item) => item.status === "pending" || (includeHeld && item.status === "held"));
}

export async function acknowledgeResponse(id) {
  await db.remove(RESPONSES, id);
}

/** Keep a refused response, with the server's reasons, to show and export. */
export async function holdResponse(id, status, errors) {
  const item = await db.get(RESPONSES, id);
  if (item) await db.put(RESPONSES, { ...item, status: "held", result: { status, errors: errors || [] } });
}

/** A recording made during an interview; it joins the outbox when the response is finished. */
export async function saveDraftNote(note, buffer) {
  await db.writeMany([
    { store: VOICE, value: { ...note, status: "draft" } },
    { store: AUDIO, key: note.id, value: buffer },
  ]);
}

export async function dropNote(id) {
  await db.writeMany([{ store: VOICE, key: id, drop: true }, { store: AUDIO, key: id, drop: true }]);
}

/** Recordings of an interview that was given up. */
export async function dropDraftNotes(responseId) {
  const notes = await db.byIndex(VOICE, "response", responseId);
  await Promise.all(notes.filter((n) => n.status === "draft").map((n) => dropNote(n.id)));
}

export const audioOf = (id) => db.get(AUDIO, id);

/** Notes whose response the server has acknowledged (so no recording arrives without its consent). */
export async function notesToSend(includeHeld = false) {
  const [notes, waiting] = await Promise.all([db.getAll(VOICE), db.getAll(RESPONSES)]);
  const unsent = new Set(waiting.map((r) => r.id));
  return notes.filter((n) => (n.status === "pending" || (includeHeld && n.status === "held"))
    && !unsent.has(n.responseId));
}

export async function updateNote(id, changes) {
  const note = await db.get(VOICE, id);
  if (note) await db.put(VOICE, { ...note, ...changes });
}

export const holdNote = (id, error) => updateNote(id, { status: "held", error });

/** How much is waiting: counts and bytes, refused items counted apart. */
export async function summary() {
  const [responses, notes] = await Promise.all([db.getAll(RESPONSES), db.getAll(VOICE)]);
  const queued = notes.filter((n) => n.status !== "draft");
  return {
    responses: responses.length,
    heldResponses: responses.filter((r) => r.status === "held"),
    voiceNotes: queued.length,
    heldNotes: queued.filter((n) => n.status === "held"),
    bytes: queued.reduce((sum, n) => sum + n.size, 0)
      + responses.reduce((sum, r) => sum + JSON.stringify(r.body).length, 0),
  };
}

/** What the server is told about a recording before its bytes (the upload's declaration). */
export function declaration(note) {
  return {
    id: note.id, response_id: note.responseId, question: note.question, size: note.size,
    content_type: note.contentType, sha256: note.sha256, duration_ms: note.durationMs,
    source: note.source || null,
  };
}
