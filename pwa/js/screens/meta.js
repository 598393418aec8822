// Optional, coarse facts about the resident: neighbourhood and age bracket. Never names or addresses.

import { advance, go, persist } from "../flow.js";
import { _, language } from "../i18n.js";
import { icon } from "../icons.js";
import { PHRASES } from "../phrases.js";
import { campaignText, opened, phrase, speakerButton } from "../speaker.js";
import { actions, h, register, show } from "../ui.js";

/** The phrase key of each age bracket (`pwa/js/phrases.js`); a bracket without one is shown as it is. */
const AGE_PHRASES = { "0-17": "age_0_17", "18-26": "age_18_26", "27-40": "age_27_40", "41-65": "age_41_65",
  "66-79": "age_66_79", "80+": "age_80" };

/** A group of radio buttons; `said(value, label)` gives each value's spoken part (its label is its target). */
function group(name, legend, values, chosen, onPick, shown, said) {
  const spoken = [];
  const fieldset = h("fieldset", {},
    h("legend", {}, legend),
    h("div", { class: "choices compact" }, values.map((value) => {
      const label = h("label", { class: "choice" },
        h("input", { type: "radio", name, value, checked: chosen === value, onchange: () => onPick(value) }),
        h("span", { class: "label", dir: "auto" }, shown(value)));
      const part = said(value, label);
      if (part) spoken.push(part);
      return label;
    })));
  fieldset.spoken = spoken;
  return fieldset;
}

const ageLabel = (bracket) => (AGE_PHRASES[bracket] ? _(PHRASES[AGE_PHRASES[bracket]]) : bracket);

function metaScreen(session) {
  const { campaign, draft } = session;
  const set = (key) => (value) => { draft.meta[key] = value; persist(session); };
  const hint = h("p", { class: "hint readable" }, _("This helps us see who we reached. You may skip it."));
  const buurt = campaign.buurten?.length ? group("buurt", _("Which part of the neighbourhood do you live in?"),
    campaign.buurten, draft.meta.buurt, set("buurt"), (name) => name,
    // a buurt's name is the same in every language: the campaign text `buurt:<name>`, recorded per language
    (name, label) => campaignText(campaign, `buurt:${name}`, { [language()]: name }, { target: label })) : null;
  const age = campaign.age_brackets?.length ? group("age", _("How old are you?"), campaign.age_brackets,
    draft.meta.age_bracket, set("age_bracket"), ageLabel,
    (bracket, label) => (AGE_PHRASES[bracket] ? phrase(campaign, AGE_PHRASES[bracket], label) : null)) : null;
  const send = h("button", { type: "button", class: "primary", onclick: () => advance(session) }, _("Send"), icon("next"));
  const spoken = [phrase(campaign, "about_you"), phrase(campaign, "about_you_explained", hint),
    ...(buurt ? [phrase(campaign, "which_buurt", buurt), ...buurt.spoken] : []),
    ...(age ? [phrase(campaign, "how_old", age), ...age.spoken] : []),
    phrase(campaign, "send", send)];
  const speaker = speakerButton(spoken, { big: true });
  show(_("About you (optional)"), h("section", {},
    h("div", { class: "screen-top" }, h("h1", {}, _("About you (optional)")), speaker),
    hint, buurt, age,
    actions(h("button", { type: "button", class: "secondary", onclick: () => go(session, -1) }, icon("back"), _("Back")),
      send)));
  opened(session, spoken, speaker);
}

register("meta", metaScreen);
