// The rescue file: everything not yet on the server, in one JSON file that `wijkstem import-rescue` reads.

import { getAll, RESPONSES, setting, VOICE } from "./db.js";
import { audioOf, declaration } from "./outbox.js";
import { toBase64 } from "./util.js";

export async function rescueDocument() {
  const [device, responses, notes] = await Promise.all([setting("device"), getAll(RESPONSES), getAll(VOICE)]);
  const voiceNotes = [];
  for (const note of notes.filter((n) => n.status !== "draft")) {
    const audio = await audioOf(note.id);
    if (audio) voiceNotes.push({ ...declaration(note), data: toBase64(audio) });
  }
  return {
    format: "wijkstem-rescue-1",
    device_id: device ? device.id : null,
    exported_at: new Date().toISOString(),
    responses: responses.map((item) => item.body),
    voice_notes: voiceNotes,
  };
}

/** Offer the rescue file as a download; returns how many responses and notes it holds. */
export async function downloadRescueFile() {
  const rescue = await rescueDocument();
  const blob = new Blob([JSON.stringify(rescue)], { type: "application/json" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `wijkstem-rescue-${rescue.exported_at.slice(0, 19).replace(/[:T]/g, "-")}.json`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  return { responses: rescue.responses.length, voiceNotes: rescue.voice_notes.length };
}
