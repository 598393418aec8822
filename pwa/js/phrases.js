// The app's own phrases a resident can hear, each with a voice-pack key (docs/listen-mode.md).
// The server reads this file too (server/voicepacks/phrases.py): the studio lists exactly these phrases.
// A new resident-facing text gets a key here, so a team can record it once per language.

const N_ = (msgid) => msgid;

/** Voice-pack key → English msgid (the catalogs translate it). */
export const PHRASES = {
  choose_language: N_("Choose your language"),
  start: N_("Start"),
  before_we_start: N_("Before we start"),
  consent_answers: N_("May we store your answers?"),
  consent_answers_explained: N_("We do not ask for your name or address. Your answers are used only for this neighbourhood poll."),
  consent_audio: N_("May we record your voice when you speak an answer?"),
  consent_audio_explained: N_("Only if you choose to speak. Recordings are kept no longer than needed and nobody tries to find out who spoke."),
  yes: N_("Yes"),
  no: N_("No"),
  next: N_("Next"),
  back: N_("Back"),
  skip: N_("Skip"),
  say_it_instead: N_("Say it instead"),
  start_recording: N_("Start recording"),
  stop_recording: N_("Stop recording"),
  listen_recording: N_("Listen to your recording"),
  record_again: N_("Record again"),
  thank_you: N_("Thank you!"),
  receipt_code: N_("Your receipt code:"),
  receipt_explained: N_("With this code you can ask us later to erase your answers. Write it down or take a photo of it."),
};
