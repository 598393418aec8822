// The outbox: responses and voice notes waiting for the server. Only an explicit acknowledgement
// (created or duplicate, or a complete upload) removes an item; refused items stay, held, for export.

import * as db from "./db.js";
import { AUDIO, RESPONSES, VOICE } from "./db.js";

/** Told of every change to the outbox (and of every sync's outcome), in this page or worker. */
const changes = new EventTarget();
/** The same news between the pages and the service worker of this origin. */
const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel("wijkstem-outbox") : null;
channel?.unref?.(); // Node (the tests): an open channel must not keep the process alive
channel?.addEventListener("message", () => changes.dispatchEvent(new Event("change")));

/** Call `listener()` whenever what waits on this phone, or the last sync's outcome, may have changed (here, in
 * another tab or in the service worker); returns the function that stops it. Screens showing a status redraw. */
export function onOutboxChange(listener) {
  changes.addEventListener("change", listener);
  return () => changes.removeEventListener("change", listener);
}

/** Tell every screen (of every page of this origin) that the outbox or the sync's outcome changed. */
export function outboxChanged() {
  changes.dispatchEvent(new Event("change"));
  channel?.postMessage("change");
}


/** Put a finished response in the outbox and release its recordings (the ones it still lists; the others are
 * dropped with their bytes), in one transaction. */
export async function queueResponse(body, auth) {
  const kept = new Set(body.voice_notes.map((n) => n.id));
  await db.transaction([RESPONSES, VOICE, AUDIO], "readwrite", (stores) => {
    stores[RESPONSES].put({ id: body.id, body, auth, status: "pending", queuedAt: Date.now() });
    db.withResult(stores[VOICE].index("response").getAll(body.id), (notes) => {
      for (const note of notes) {
        if (kept.has(note.id)) {
          stores[VOICE].put({ ...note, status: "pending" });
        } else {
          stores[VOICE].delete(note.id);
          stores[AUDIO].delete(note.id);
        }
      }
    });
  });
  outboxChanged();
}

/** Responses to send, oldest first; held ones (conflict, invalid) only when the user asks. */
export async function responsesToSend(includeHeld = false) {
  const all = await db.getAll(RESPONSES);
  return all.filter((item) => item.status === "pending" || (includeHeld && item.status === "held"));
}

/**
 * The server's answer to one batch, in one transaction: the `acknowledged` ids leave the outbox, the `refused`
 * ones ({id, status, errors}) are kept, held with the server's reasons, to show and export. All or nothing.
 */
export async function settleBatch(acknowledged, refused = []) {
  await db.transaction([RESPONSES], "readwrite", (stores) => {
    const responses = stores[RESPONSES];
    for (const id of acknowledged) responses.delete(id);
    for (const { id, status, errors } of refused) {
      db.withResult(responses.get(id), (item) => {
        if (item) responses.put({ ...item, status: "held", result: { status, errors: errors || [] } });
      });
    }
  });
  outboxChanged();
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
  outboxChanged();
}

/** Recordings of an interview that was given up, in one transaction. */
export async function dropDraftNotes(responseId) {
  await db.transaction([VOICE, AUDIO], "readwrite", (stores) => {
    db.withResult(stores[VOICE].index("response").getAll(responseId), (notes) => {
      for (const note of notes.filter((n) => n.status === "draft")) {
        stores[VOICE].delete(note.id);
        stores[AUDIO].delete(note.id);
      }
    });
  });
}

export const audioOf = (id) => db.get(AUDIO, id);

/** Notes whose response the server has acknowledged (so no recording arrives without its consent). */
export async function notesToSend(includeHeld = false) {
  const [notes, waiting] = await db.getAllOf([VOICE, RESPONSES]);
  const unsent = new Set(waiting.map((r) => r.id));
  return notes.filter((n) => (n.status === "pending" || (includeHeld && n.status === "held"))
    && !unsent.has(n.responseId));
}

/** Change some fields of a note, read and written in one transaction (no other change is lost in between). */
export async function updateNote(id, changes) {
  await db.transaction([VOICE], "readwrite", (stores) => {
    db.withResult(stores[VOICE].get(id), (note) => {
      if (note) stores[VOICE].put({ ...note, ...changes });
    });
  });
  outboxChanged();
}

export const holdNote = (id, error) => updateNote(id, { status: "held", error });

/** How much is waiting: counts and bytes, refused items counted apart. */
export async function summary() {
  const [responses, notes] = await db.getAllOf([RESPONSES, VOICE]);
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
