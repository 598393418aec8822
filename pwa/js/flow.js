// One resident's interview: intro, consent, one question per screen, optional meta, receipt.
// After consent the draft is kept in IndexedDB at every step, so a reload or an update loses nothing.
// In preview mode nothing is stored at all.

import { cacheMedia, flyerLanguages } from "./campaigns.js";
import { dropSetting, saveSetting, setting } from "./db.js";
import { language, ownLanguageCode, rememberLanguage, setInterviewLanguage, setLanguage } from "./i18n.js";
import { dropDraftNotes, queueResponse } from "./outbox.js";
import { requestBackgroundSync, syncNow } from "./sync-loop.js";
import { open } from "./ui.js";
import { humanCode, uuid7 } from "./util.js";

/** A new session for `record` (a stored campaign, flyer or preview); `source` ({code, name} or null) is where its
 * responses are counted: a flyer's own, else the door-to-door route chosen for it (`campaigns.routeSource`). */
export function newSession(record, { channel, auth, preview = false, source }) {
  return {
    record, campaign: record.campaign, source: source === undefined ? record.source : source, channel, auth, preview,
    draft: { id: uuid7(), language: ownLanguageCode(), consent: { answers: null, audio: null }, answers: {},
      voice: {}, meta: { buurt: null, age_bracket: null }, step: 0, receipt: null, listen: false },
  };
}

/** The screens of this interview, in order; voice-only questions need consent for recording. */
export function steps(session) {
  const { campaign, draft } = session;
  const questions = campaign.questions
    .filter((q) => q.voice !== "only" || draft.consent.audio !== false)
    .map((q) => ({ kind: "question", question: q }));
  const meta = campaign.buurten?.length || campaign.age_brackets?.length ? [{ kind: "meta" }] : [];
  return [{ kind: "intro" }, { kind: "consent" }, ...questions, ...meta, { kind: "receipt" }];
}

/** Keep the draft (only once consent was given, never in preview). */
export async function persist(session) {
  if (session.preview || session.finished || !session.draft.consent.answers) return;
  await saveSetting("draft", { recordId: session.record.id, channel: session.channel, auth: session.auth,
    source: session.source ?? null, draft: session.draft });
}

let active = null;

/** The interview on screen (or last on screen), if any. */
export const activeSession = () => active;

/** A field worker's interview keeps the worker's own language for the worker's screens; a flyer visitor (or a
 * preview) has no other. */
const interviewed = (session) => session.channel !== "flyer" && !session.preview;

/** Show the session's current step, in the session's language (the resident's, once chosen). */
export function render(session, switched = false) {
  const wanted = session.draft.language;
  if (wanted && wanted !== language() && !switched) {
    (interviewed(session) ? setInterviewLanguage(wanted) : setLanguage(wanted)).then(() => render(session, true));
    return;
  }
  if (active !== session) {
    active = session;
    document.dispatchEvent(new CustomEvent("sessionchange"));
  }
  const all = steps(session);
  const index = Math.min(session.draft.step, all.length - 1);
  const step = all[index];
  const position = { index, questionNumber: all.slice(0, index + 1).filter((s) => s.kind === "question").length,
    questionCount: all.filter((s) => s.kind === "question").length };
  open(step.kind, session, step, position);
}

export async function go(session, delta) {
  session.draft.step = Math.max(0, session.draft.step + delta);
  await persist(session);
  render(session);
}

export async function changeLanguage(session, code) {
  session.draft.language = code;
  if (interviewed(session)) {
    await setInterviewLanguage(code); // the resident's; the worker's own screens return to the worker's
  } else {
    await setLanguage(code);
    if (!session.preview) { // a resident on their own phone: that language's clips for offline use
      await saveSetting("language", code);
      rememberLanguage(code);
      cacheMedia(session.campaign, flyerLanguages(session.campaign, code));
    }
  }
  await persist(session);
  render(session);
}

/** The next screen; leaving the last question (or the meta screen) finishes the response. */
export async function advance(session) {
  const next = steps(session)[session.draft.step + 1];
  if (next?.kind === "receipt") await finish(session);
  else await go(session, 1);
}

/** Consent for the answers was refused: forget everything, store nothing. */
export async function abandon(session) {
  if (!session.preview) {
    await dropDraftNotes(session.draft.id);
    await dropSetting("draft");
  }
}

/** The response as the server's sync endpoint takes it. */
export function responseBody(session) {
  const { campaign, draft } = session;
  const voiceNotes = Object.entries(draft.voice).map(([question, note]) => ({ id: note.id, question }));
  const spoken = new Set(Object.keys(draft.voice));
  const answers = Object.entries(draft.answers)
    .filter(([question, value]) => !spoken.has(question) && value !== null && value !== undefined)
    .map(([question, value]) => ({ question, value }));
  return {
    id: draft.id, campaign_id: campaign.id, campaign_version: campaign.version, language: draft.language,
    channel: session.channel, source: session.source?.code || null, collected_at: new Date().toISOString(),
    consent: { answers: true, audio: Boolean(draft.consent.audio) }, meta: { ...draft.meta },
    answers, voice_notes: voiceNotes, receipt: draft.receipt,
  };
}

/** Put the finished response in the outbox and show the receipt. */
export async function finish(session) {
  session.draft.receipt = humanCode(10);
  session.finished = session.preview;
  if (!session.preview) {
    await queueResponse(responseBody(session), session.auth);
    session.finished = true;
    await dropSetting("draft");
    requestBackgroundSync();
    syncNow();
  }
  await go(session, 1);
}

/** The interview that was in progress when the app closed, if any. */
export async function savedDraft() {
  return setting("draft");
}
