// Consent before anything is stored: separately for the answers and for recordings of the voice.
// Short sentences, a pictogram on each answer; in listen mode the explanations are heard, not shown.

import { abandon, go, persist } from "../flow.js";
import { _ } from "../i18n.js";
import { icon } from "../icons.js";
import { opened, phrase, sayNow, speakerButton } from "../speaker.js";
import { actions, h, notice, open, register, show } from "../ui.js";

/** One consent question: its legend, its explanation and Yes / No, each with a pictogram and a speaker;
 * `spoken`: the phrases that say the question and its explanation. */
function yesNo(session, name, [legend, explanation], spoken, value, onChange) {
  const option = (answer, key, text) => {
    const part = phrase(session.campaign, key);
    const label = h("label", { class: "choice" },
      h("input", { type: "radio", name, value: key, checked: value === answer, onchange: () => onChange(answer) }),
      icon(key, `icon answer-${key}`), h("span", {}, text));
    part.target = h("div", { class: "choice-item" }, label, speakerButton([part], { label: text }));
    return part;
  };
  const answers = [option(true, "yes", _("Yes")), option(false, "no", _("No"))];
  const fieldset = h("fieldset", { class: "consent" },
    h("legend", {}, legend),
    h("p", { class: "hint readable" }, explanation),
    h("div", { class: "choices two" }, answers.map((part) => part.target)));
  fieldset.spoken = [{ ...spoken[0], target: fieldset }, spoken[1], ...answers];
  return fieldset;
}

function consentScreen(session) {
  const { campaign, draft } = session;
  const { consent } = draft;
  const error = h("div", { class: "error-slot" });
  const say = (key) => phrase(campaign, key);
  const next = async () => {
    if (consent.answers === null || consent.audio === null) {
      error.replaceChildren(notice(_("Please answer both questions."), "error"));
      sayNow(session, [say("answer_both")]);
      return;
    }
    if (!consent.answers) {
      await abandon(session);
      open("message", _("Thank you!"), _("No problem. Nothing has been stored."), session,
        [say("thank_you"), say("nothing_stored")]);
      return;
    }
    await persist(session);
    await go(session, 1);
  };
  const answersQuestion = yesNo(session, "consent-answers", [_("May we store your answers?"),
    _("We do not ask your name or address. We use your answers only for this poll.")],
  [say("consent_answers"), say("consent_answers_explained")], consent.answers, (v) => { consent.answers = v; });
  const audioQuestion = yesNo(session, "consent-audio", [_("May we record your voice?"),
    _("Only when you speak an answer. We delete it later. We never try to find out who you are.")],
  [say("consent_audio"), say("consent_audio_explained")], consent.audio, (v) => { consent.audio = v; });
  const nextButton = h("button", { type: "button", class: "primary", onclick: next }, _("Next"), icon("next"));
  const heading = h("h1", {}, _("Before we start"));
  const spoken = [say("before_we_start"), ...answersQuestion.spoken, ...audioQuestion.spoken,
    phrase(campaign, "next", nextButton)];
  const speaker = speakerButton(spoken, { big: true });
  show(_("Before we start"), h("section", {},
    h("div", { class: "screen-top" }, heading, speaker),
    answersQuestion,
    audioQuestion,
    error,
    actions(h("button", { type: "button", class: "secondary", onclick: () => go(session, -1) }, icon("back"), _("Back")),
      nextButton)));
  opened(session, spoken, speaker);
}

register("consent", consentScreen);
