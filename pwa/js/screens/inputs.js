// The answer controls, one builder per question type. Each writes the answer into `answers[key]`
// and calls `changed()`; `isAnswered(question, value)` says whether a value is a valid answer.
// A control's `spoken` lists what listen mode says: each choice, with its own small speaker button.

import { _, pick } from "../i18n.js";
import { icon } from "../icons.js";
import { campaignText, phrase, speakerButton } from "../speaker.js";
import { h } from "../ui.js";

/** The five faces: value, the phrase key that says it, the label. */
const SMILEYS = [
  [1, "very_unhappy", () => _("Very unhappy")], [2, "unhappy", () => _("Unhappy")],
  [3, "in_between", () => _("In between")], [4, "happy", () => _("Happy")], [5, "very_happy", () => _("Very happy")],
];

function choiceFace(choice) {
  if (choice.pictogram_url) return h("img", { src: choice.pictogram_url, alt: "", width: 56, height: 56 });
  if (choice.emoji) return h("span", { class: "emoji", "aria-hidden": "true" }, choice.emoji);
  return null;
}

function options(question, type, answers, changed, items) {
  const key = question.key;
  const isChecked = (value) => (type === "checkbox" ? (answers[key] || []).includes(value) : answers[key] === value);
  const update = (value, checked) => {
    if (type === "radio") answers[key] = value;
    else {
      const chosen = new Set(answers[key] || []);
      if (checked) chosen.add(value); else chosen.delete(value);
      answers[key] = [...chosen];
    }
    changed();
  };
  const item = ({ value, face, label, title, part }) => {
    part.target = h("div", { class: "choice-item" }, h("label", { class: "choice", title },
      h("input", { type, name: `q-${key}`, value: String(value), checked: isChecked(value),
        onchange: (event) => update(value, event.target.checked) }),
      face, h("span", { class: "label", dir: "auto" }, label)),
    speakerButton([part], { label: title || label }));
    return part.target;
  };
  const list = h("div", { class: `choices ${items.length <= 2 ? "two" : ""} ${question.type}` }, items.map(item));
  list.spoken = items.map((entry) => entry.part);
  return list;
}

/** A campaign's choices: the label in the resident's language, said by the team's clip `q:<key>:<choice>`. */
const choiceItems = (q, campaign) => q.choices.map((c) => ({ value: c.key, face: choiceFace(c),
  label: pick(c.label, campaign), part: campaignText(campaign, `q:${q.key}:${c.key}`, c.label) }));

const builders = {
  single_choice: (q, answers, changed, campaign) => options(q, "radio", answers, changed, choiceItems(q, campaign)),
  multiple_choice: (q, answers, changed, campaign) => {
    const hint = h("p", { class: "hint" }, _("You may choose more than one."));
    const list = options(q, "checkbox", answers, changed, choiceItems(q, campaign));
    const box = h("div", {}, hint, list);
    box.spoken = [phrase(campaign, "more_than_one", hint), ...list.spoken];
    return box;
  },
  smiley: (q, answers, changed, campaign) => options(q, "radio", answers, changed,
    SMILEYS.map(([value, key, label]) => ({ value, face: icon(`smiley${value}`, "icon face"),
      label: h("span", { class: "visually-hidden" }, label()), title: label(), part: phrase(campaign, key) }))),
  yes_no: (q, answers, changed, campaign) => options(q, "radio", answers, changed, [
    { value: "yes", face: icon("yes", "icon face answer-yes"), label: _("Yes"), part: phrase(campaign, "yes") },
    { value: "no", face: icon("no", "icon face answer-no"), label: _("No"), part: phrase(campaign, "no") }]),
  number: (q, answers, changed) => {
    const input = h("input", { type: "number", inputmode: "numeric", id: `q-${q.key}`, class: "number",
      min: q.min ?? null, max: q.max ?? null, step: 1, value: answers[q.key] ?? "",
      oninput: () => {
        answers[q.key] = input.value === "" ? null : Number(input.value);
        changed();
      } });
    const step = (delta) => {
      const current = answers[q.key];
      const wanted = Number.isInteger(current) ? current + delta : (q.min ?? 0);
      input.value = String(Math.min(q.max ?? Infinity, Math.max(q.min ?? -Infinity, wanted)));
      input.dispatchEvent(new Event("input"));
    };
    return h("div", { class: "number-row" },
      h("button", { type: "button", class: "step", "aria-label": _("One less"), onclick: () => step(-1) }, "−"),
      h("label", { class: "visually-hidden", for: `q-${q.key}` }, _("Number")), input,
      h("button", { type: "button", class: "step", "aria-label": _("One more"), onclick: () => step(1) }, "+"));
  },
  short_text: (q, answers, changed) => h("div", {},
    h("label", { class: "visually-hidden", for: `q-${q.key}` }, _("Your answer")),
    h("textarea", { id: `q-${q.key}`, dir: "auto", rows: 4, maxlength: q.max_length || 300,
      oninput: (event) => { answers[q.key] = event.target.value; changed(); } }, answers[q.key] || "")),
};

export function answerControl(question, answers, changed, campaign) {
  const build = builders[question.type];
  return build ? build(question, answers, changed, campaign) : null;
}

/** Whether `value` answers `question` the way the server accepts. */
export function isAnswered(question, value) {
  switch (question.type) {
    case "single_choice": return question.choices.some((c) => c.key === value);
    case "multiple_choice": return Array.isArray(value) && value.length > 0;
    case "smiley": return Number.isInteger(value) && value >= 1 && value <= 5;
    case "yes_no": return value === "yes" || value === "no";
    case "number": return Number.isInteger(value) && (question.min == null || value >= question.min)
      && (question.max == null || value <= question.max);
    case "short_text": return typeof value === "string" && value.trim().length > 0
      && value.trim().length <= (question.max_length || 300);
    default: return false;
  }
}
