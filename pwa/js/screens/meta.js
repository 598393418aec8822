// Optional, coarse facts about the resident: neighbourhood and age bracket. Never names or addresses.

import { advance, go, persist } from "../flow.js";
import { _ } from "../i18n.js";
import { icon } from "../icons.js";
import { opened, phrase, speakerButton } from "../speaker.js";
import { actions, h, register, show } from "../ui.js";

function group(name, legend, values, chosen, onPick) {
  return h("fieldset", {},
    h("legend", {}, legend),
    h("div", { class: "choices compact" }, values.map((value) => h("label", { class: "choice" },
      h("input", { type: "radio", name, value, checked: chosen === value, onchange: () => onPick(value) }),
      h("span", { class: "label", dir: "auto" }, value)))));
}

function metaScreen(session) {
  const { campaign, draft } = session;
  const set = (key) => (value) => { draft.meta[key] = value; persist(session); };
  const hint = h("p", { class: "hint readable" }, _("This helps us see who we reached. You may skip it."));
  const buurt = campaign.buurten?.length ? group("buurt", _("Which part of the neighbourhood do you live in?"),
    campaign.buurten, draft.meta.buurt, set("buurt")) : null;
  const age = campaign.age_brackets?.length ? group("age", _("How old are you?"), campaign.age_brackets,
    draft.meta.age_bracket, set("age_bracket")) : null;
  const send = h("button", { type: "button", class: "primary", onclick: () => advance(session) }, _("Send"), icon("next"));
  const spoken = [phrase(campaign, "about_you"), phrase(campaign, "about_you_explained", hint),
    ...(buurt ? [phrase(campaign, "which_buurt", buurt)] : []), ...(age ? [phrase(campaign, "how_old", age)] : []),
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
