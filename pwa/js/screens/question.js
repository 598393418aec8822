// One question per screen: the text, a speaker that says it (and its choices), the answer controls or
// "say it instead".

import { advance, go, persist } from "../flow.js";
import { _, language, pick } from "../i18n.js";
import { icon } from "../icons.js";
import { campaignText, opened, partsOf as parts, phrase, sayNow, setParts, speakerButton } from "../speaker.js";
import { actions, h, notice, register, show } from "../ui.js";
import { answerControl, isAnswered } from "./inputs.js";
import { forget, voicePanel } from "./voice.js";

/** Whether this question is answered by voice now (voice-only, or "say it instead" chosen). */
function speaking(session, question) {
  if (question.voice === "only") return true;
  return session.sayIt?.[question.key] ?? Boolean(session.draft.voice[question.key]);
}

function sayItToggle(session, question, redraw) {
  const toVoice = !speaking(session, question);
  const button = h("button", {
    type: "button", class: "secondary say-it",
    onclick: async () => {
      redraw.cancel();
      if (!toVoice) await forget(session, question);
      session.sayIt = { ...session.sayIt, [question.key]: toVoice };
      redraw();
    },
  }, toVoice ? [icon("mic"), _("Say it instead")] : _("Answer by tapping instead"));
  button.spoken = [phrase(session.campaign, toVoice ? "say_it_instead" : "answer_by_tapping", button)];
  return button;
}

function questionScreen(session, step, position) {
  const { question } = step;
  const { campaign, draft } = session;
  const text = pick(question.text, campaign);
  const answered = () => isAnswered(question, draft.answers[question.key]) || Boolean(draft.voice[question.key]);
  const nextButton = h("button", { type: "button", class: "primary" });
  const error = h("div", { class: "error-slot" });
  const refresh = () => {
    nextButton.replaceChildren(answered() || question.required ? _("Next") : _("Skip"), icon("next"));
    error.replaceChildren();
    if (body) setParts(speaker, spoken(body.spoken || [])); // "skip" became "next", or back
    persist(session);
  };
  const canSpeak = question.voice !== "off" && draft.consent.audio;
  const heading = h("h1", { dir: "auto" }, text);
  const said = campaignText(campaign, `q:${question.key}`, question.text,
    { target: heading, prompt: question.prompts?.[language()] });
  const speaker = speakerButton([], { big: true });
  let body = null;
  const redraw = () => questionScreen(session, step, position);
  redraw.cancel = () => body?.cancel?.();
  const toggle = canSpeak && question.voice === "allowed" ? sayItToggle(session, question, redraw) : null;
  /** What the screen says: the question, its choices or the recorder's step, "say it instead", next or skip. */
  const spoken = (steps) => [said, ...steps, ...(toggle?.spoken || []),
    phrase(campaign, answered() || question.required ? "next" : "skip", nextButton)];
  if (speaking(session, question) && canSpeak) {
    body = voicePanel(session, question, refresh, (steps) => setParts(speaker, spoken(steps)));
  } else {
    body = answerControl(question, draft.answers, refresh, campaign);
  }
  nextButton.onclick = async () => {
    if (question.required && !answered()) {
      error.replaceChildren(notice(_("This question needs an answer."), "error"));
      sayNow(session, [phrase(campaign, "needs_answer")]);
      return;
    }
    if (!answered()) delete draft.answers[question.key];
    body.cancel?.();
    await advance(session);
  };
  refresh();
  show(text, h("section", { class: "question" },
    h("p", { class: "progress" }, _("Question {number} of {total}", { number: position.questionNumber, total: position.questionCount })),
    h("div", { class: "screen-top" }, heading, speaker),
    body,
    toggle,
    error,
    actions(h("button", { type: "button", class: "secondary", onclick: () => { body.cancel?.(); go(session, -1); } },
      icon("back"), _("Back")), nextButton)), () => body.cancel?.());
  setParts(speaker, spoken(body.spoken || []));
  opened(session, parts(speaker), speaker);
}

register("question", questionScreen);
