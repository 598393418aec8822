// Consent before anything is stored: separately for the answers and for recordings of the voice.

import { abandon, go, persist } from "../flow.js";
import { _ } from "../i18n.js";
import { actions, h, notice, open, register, show } from "../ui.js";

function yesNo(name, legend, explanation, value, onChange) {
  const option = (answer, label) => h("label", { class: "choice" },
    h("input", { type: "radio", name, value: answer ? "yes" : "no", checked: value === answer,
      onchange: () => onChange(answer) }),
    h("span", {}, label));
  return h("fieldset", { class: "consent" },
    h("legend", {}, legend),
    h("p", { class: "hint" }, explanation),
    h("div", { class: "choices two" }, option(true, _("Yes")), option(false, _("No"))));
}

function consentScreen(session) {
  const { consent } = session.draft;
  const error = h("div", { class: "error-slot" });
  const next = async () => {
    if (consent.answers === null || consent.audio === null) {
      error.replaceChildren(notice(_("Please answer both questions."), "error"));
      return;
    }
    if (!consent.answers) {
      await abandon(session);
      open("message", _("Thank you"), _("No problem. Nothing has been stored."), session);
      return;
    }
    await persist(session);
    await go(session, 1);
  };
  show(_("Before we start"), h("section", {},
    h("h1", {}, _("Before we start")),
    yesNo("consent-answers", _("May we store your answers?"),
      _("We do not ask for your name or address. Your answers are used only for this neighbourhood poll."),
      consent.answers, (v) => { consent.answers = v; }),
    yesNo("consent-audio", _("May we record your voice when you speak an answer?"),
      _("Only if you choose to speak. Recordings are kept no longer than needed and nobody tries to find out who spoke."),
      consent.audio, (v) => { consent.audio = v; }),
    error,
    actions(h("button", { type: "button", class: "secondary", onclick: () => go(session, -1) }, _("Back")),
      h("button", { type: "button", class: "primary", onclick: next }, _("Next")))));
}

register("consent", consentScreen);
