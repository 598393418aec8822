// The campaign's first screen: what it is about, the language choice, listen mode, and "start".

import { changeLanguage, go, persist } from "../flow.js";
import { _, isReviewed, language, nativeName, pick } from "../i18n.js";
import { icon } from "../icons.js";
import { campaignText, opened, phrase, speakerButton } from "../speaker.js";
import { actions, h, open, register, show } from "../ui.js";

/** Big buttons, one per campaign language, each named in itself; below them, once and quietly, which of these
 * languages no native speaker has checked yet (not a mark on every button; hidden in listen mode, as every
 * long text is). */
export function languageButtons(codes, onPick) {
  const unreviewed = codes.filter((code) => !isReviewed(code));
  const names = unreviewed.flatMap((code, index) => [index ? ", " : "",
    h("span", { lang: code, dir: "auto" }, nativeName(code))]);
  return h("fieldset", { class: "languages" },
    h("legend", { class: "readable" }, icon("language"), " ", _("Choose your language")),
    codes.map((code) => h("button", {
      type: "button", class: "choice language", lang: code, "aria-pressed": String(code === language()),
      onclick: () => onPick(code),
    }, nativeName(code))),
    unreviewed.length ? h("p", { id: "review-note", class: "hint review-note readable" },
      _("Not checked by a native speaker yet:"), " ", ...names) : null);
}

/** Listen mode: this interview's screens say themselves, and long texts are heard instead of shown. */
function listenMode(session) {
  session.draft.listen = true;
  document.documentElement.classList.add("listening");
  persist(session);
}

function introScreen(session) {
  const { campaign } = session;
  const title = pick(campaign.title, campaign);
  const home = session.channel === "door_to_door" && !session.preview
    ? h("button", { type: "button", class: "secondary", onclick: () => open("home") }, _("Back to campaigns"))
    : null;
  const heading = h("h1", { dir: "auto" }, title);
  const intro = campaign.intro && pick(campaign.intro, campaign)
    ? h("p", { class: "lead readable", dir: "auto" }, pick(campaign.intro, campaign)) : null;
  const languages = campaign.languages.length > 1
    ? languageButtons(campaign.languages, (code) => changeLanguage(session, code)) : null;
  const start = h("button", { type: "button", class: "primary", onclick: () => go(session, 1) }, _("Start"),
    icon("next"));
  const spoken = [campaignText(campaign, "title", campaign.title, { target: heading }),
    campaignText(campaign, "intro", campaign.intro, { target: intro }),
    ...(languages ? [phrase(campaign, "choose_language", languages)] : []), phrase(campaign, "start", start)];
  const speaker = speakerButton(spoken, { big: true, text: _("Read aloud"), onPlay: () => listenMode(session) });
  speaker.classList.add("listen-mode");
  show(title, h("section", { class: "intro" },
    heading,
    h("p", { class: "team", dir: "auto" }, campaign.team),
    speaker,
    intro,
    languages,
    actions(home, start)));
  opened(session, spoken, speaker);
}

register("intro", introScreen);
