// One question per screen: the text, a button to hear it, the answer controls or "say it instead".

import { advance, go, persist } from "../flow.js";
import { _, language, pick } from "../i18n.js";
import { actions, h, notice, register, show } from "../ui.js";
import { answerControl, isAnswered } from "./inputs.js";
import { forget, voicePanel } from "./voice.js";

/** A button that plays the recorded prompt, or else speaks the text where the phone has a voice. */
function listenButton(question, text) {
  const url = question.prompts?.[language()];
  const synth = self.speechSynthesis;
  const hasVoice = () => synth?.getVoices().some((v) => v.lang.toLowerCase().startsWith(language()));
  if (!url && !hasVoice()) return null;
  let audio = null;
  const play = () => {
    if (url) {
      audio = audio || new Audio(url);
      audio.currentTime = 0;
      audio.play().catch(() => {});
      return;
    }
    synth.cancel();
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = language();
    synth.speak(utterance);
  };
  return h("button", { type: "button", class: "listen", onclick: play },
    h("span", { "aria-hidden": "true" }, "🔊 "), _("Listen to the question"));
}

/** Whether this question is answered by voice now (voice-only, or "say it instead" chosen). */
function speaking(session, question) {
  if (question.voice === "only") return true;
  return session.sayIt?.[question.key] ?? Boolean(session.draft.voice[question.key]);
}

function questionScreen(session, step, position) {
  const { question } = step;
  const { campaign, draft } = session;
  const text = pick(question.text, campaign);
  const answered = () => isAnswered(question, draft.answers[question.key]) || Boolean(draft.voice[question.key]);
  const nextButton = h("button", { type: "button", class: "primary" });
  const error = h("div", { class: "error-slot" });
  const refresh = () => {
    nextButton.textContent = answered() || question.required ? _("Next") : _("Skip");
    error.replaceChildren();
    persist(session);
  };
  const canSpeak = question.voice !== "off" && draft.consent.audio;
  let body;
  if (speaking(session, question) && canSpeak) {
    body = voicePanel(session, question, refresh);
  } else {
    body = answerControl(question, draft.answers, refresh, campaign);
  }
  const toggle = canSpeak && question.voice === "allowed" ? h("button", {
    type: "button", class: "secondary say-it",
    onclick: async () => {
      const toVoice = !speaking(session, question);
      body.cancel?.();
      if (!toVoice) await forget(session, question);
      session.sayIt = { ...session.sayIt, [question.key]: toVoice };
      questionScreen(session, step, position);
    },
  }, speaking(session, question) ? _("Answer by tapping instead") : [h("span", { "aria-hidden": "true" }, "🎤 "), _("Say it instead")]) : null;
  nextButton.onclick = async () => {
    if (question.required && !answered()) {
      error.replaceChildren(notice(_("This question needs an answer."), "error"));
      return;
    }
    if (!answered()) delete draft.answers[question.key];
    body.cancel?.();
    await advance(session);
  };
  refresh();
  show(text, h("section", { class: "question" },
    h("p", { class: "progress" }, _("Question {number} of {total}", { number: position.questionNumber, total: position.questionCount })),
    h("h1", { dir: "auto" }, text),
    listenButton(question, text),
    body,
    toggle,
    error,
    actions(h("button", { type: "button", class: "secondary", onclick: () => { body.cancel?.(); go(session, -1); } }, _("Back")),
      nextButton)), () => body.cancel?.());
}

register("question", questionScreen);
