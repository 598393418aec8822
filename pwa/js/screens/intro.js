// The campaign's first screen: what it is about, the language choice, and "start".

import { changeLanguage, go } from "../flow.js";
import { _, isReviewed, language, nativeName, pick, REVIEW_NOTE } from "../i18n.js";
import { actions, h, open, register, show } from "../ui.js";

/** Big buttons, one per campaign language, each named in itself; a mark on those no native speaker has
 * checked yet, explained below the buttons. */
export function languageButtons(codes, onPick) {
  const unreviewed = codes.some((code) => !isReviewed(code));
  return h("fieldset", { class: "languages" },
    h("legend", {}, _("Choose your language")),
    codes.map((code) => h("button", {
      type: "button", class: "choice language", lang: code, "aria-pressed": String(code === language()),
      "aria-describedby": isReviewed(code) ? null : "review-note", onclick: () => onPick(code),
    }, nativeName(code), isReviewed(code) ? null : h("span", { class: "review-mark", "aria-hidden": "true" }, "*"))),
    unreviewed ? h("p", { id: "review-note", class: "hint review-note" }, "* ", _(REVIEW_NOTE)) : null);
}

function introScreen(session) {
  const { campaign } = session;
  const title = pick(campaign.title, campaign);
  const home = session.channel === "door_to_door" && !session.preview
    ? h("button", { type: "button", class: "secondary", onclick: () => open("home") }, _("Back to campaigns"))
    : null;
  show(title, h("section", { class: "intro" },
    h("h1", { dir: "auto" }, title),
    h("p", { class: "team", dir: "auto" }, campaign.team),
    campaign.intro && pick(campaign.intro, campaign)
      ? h("p", { class: "lead", dir: "auto" }, pick(campaign.intro, campaign)) : null,
    campaign.languages.length > 1 ? languageButtons(campaign.languages, (code) => changeLanguage(session, code)) : null,
    actions(home, h("button", { type: "button", class: "primary", onclick: () => go(session, 1) }, _("Start")))));
}

register("intro", introScreen);
