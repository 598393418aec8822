// The app's own phrases a resident can hear, each with a voice-pack key (docs/listen-mode.md).
// The server reads this file too (server/voicepacks/phrases.py): the studio lists exactly these phrases.
// A new resident-facing text gets a key here, so a team can record it once per language
// (tests/server/test_listen_phrases.py fails otherwise). Screens play them with `phrase(campaign, key)`.

const N_ = (msgid) => msgid;

/** Voice-pack key → English msgid (the catalogs translate it). */
export const PHRASES = {
  // the first screen and the consent
  choose_language: N_("Choose your language"),
  start: N_("Start"),
  before_we_start: N_("Before we start"),
  consent_answers: N_("May we store your answers?"),
  consent_answers_explained: N_("We do not ask your name or address. We use your answers only for this poll."),
  consent_audio: N_("May we record your voice?"),
  consent_audio_explained: N_("Only when you speak an answer. We delete it later. We never try to find out who you are."),
  yes: N_("Yes"),
  no: N_("No"),
  answer_both: N_("Please answer both questions."),
  nothing_stored: N_("No problem. Nothing has been stored."),
  // the questions
  next: N_("Next"),
  skip: N_("Skip"),
  needs_answer: N_("This question needs an answer."),
  more_than_one: N_("You may choose more than one."),
  very_unhappy: N_("Very unhappy"),
  unhappy: N_("Unhappy"),
  in_between: N_("In between"),
  happy: N_("Happy"),
  very_happy: N_("Very happy"),
  // saying an answer
  say_it_instead: N_("Say it instead"),
  answer_by_tapping: N_("Answer by tapping instead"),
  record_how: N_("Tap the microphone and speak. Tap the square to stop."),
  listen_recording: N_("Listen to your recording"),
  record_again: N_("Record again"),
  delete_recording: N_("Delete recording"),
  cannot_record: N_("This browser cannot record sound. Please answer by tapping."),
  microphone_blocked: N_("The microphone could not be used. Allow it in the browser's settings, or answer by tapping."),
  phone_full: N_("This phone is almost full. Send what is waiting first, then record."),
  // about you, the end
  about_you: N_("About you (optional)"),
  about_you_explained: N_("This helps us see who we reached. You may skip it."),
  which_buurt: N_("Which part of the neighbourhood do you live in?"),
  how_old: N_("How old are you?"),
  // the age brackets (AGE_BRACKETS in server/responses/models.py), said and shown
  age_0_17: N_("Under 18"),
  age_18_26: N_("18 to 26"),
  age_27_40: N_("27 to 40"),
  age_41_65: N_("41 to 65"),
  age_66_79: N_("66 to 79"),
  age_80: N_("80 or older"),
  send: N_("Send"),
  thank_you: N_("Thank you!"),
  receipt_code: N_("Your code:"),
  receipt_explained: N_("With this code, you can have your answers deleted later."),
  erase_where: N_("You can do that on this website, or at the community centre."),
  keep_code: N_("Save the code as a picture, or show it to the person who helps you."),
};
