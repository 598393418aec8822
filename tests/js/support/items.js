// Responses and recordings as the field app makes them (flow.js, screens/voice.js), with the app's own helpers.

import * as outbox from "../../../pwa/js/outbox.js";
import { randomKey, sha256Hex, uuid7 } from "../../../pwa/js/util.js";

/** A finished response's body (docs/sync-protocol.md, "One response"), with a new time-ordered id. */
export function responseBody({ voiceNotes = [], campaign = "0193a7c2-0000-7000-8000-00000000c0de" } = {}) {
  return {
    id: uuid7(), campaign_id: campaign, campaign_version: 1, language: "nl", channel: "door_to_door",
    source: null, collected_at: new Date().toISOString(), consent: { answers: true, audio: voiceNotes.length > 0 },
    meta: { buurt: null, age_bracket: null }, answers: [{ question: "wonen", value: 4 }],
    voice_notes: voiceNotes.map((note) => ({ id: note.id, question: note.question })), receipt: null,
  };
}

/** `n` responses queued by `auth` ("device" or "anonymous"), oldest first; returns their bodies. */
export async function queueResponses(n, auth = "device") {
  const bodies = [];
  for (let i = 0; i < n; i += 1) {
    const body = responseBody();
    await outbox.queueResponse(body, auth);
    bodies.push(body);
  }
  return bodies;
}

/** Bytes that look like nothing in particular, `size` long. */
export function bytes(size, seed = 7) {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i += 1) data[i] = (i * 31 + seed) & 0xff;
  return data.buffer;
}

/** A recording kept as a draft for the response `responseId`, as the voice screen saves it. */
export async function draftNote(responseId, { size = 80 * 1024, auth = "device", question = "vertel" } = {}) {
  const buffer = bytes(size);
  const note = {
    id: uuid7(), responseId, question, contentType: "audio/webm;codecs=opus", size, sha256: await sha256Hex(buffer),
    durationMs: 4000, auth, uploadKey: auth === "anonymous" ? randomKey() : null, source: null, declared: false,
  };
  await outbox.saveDraftNote(note, buffer);
  return { note, buffer };
}

/** A response with one recording, both queued: returns {body, note, buffer}. */
export async function queueResponseWithNote(options = {}) {
  const draftId = uuid7();
  const { note, buffer } = await draftNote(draftId, options);
  const body = { ...responseBody({ voiceNotes: [note] }), id: draftId };
  await outbox.queueResponse(body, options.auth || "device");
  return { body, note, buffer };
}
