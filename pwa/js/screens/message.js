// A short message screen: nothing stored, a closed poll, an unknown code. `spoken`: the phrases that say it
// (during an interview; before a campaign is on the phone there is nothing to say it with).

import { newSession, render } from "../flow.js";
import { _ } from "../i18n.js";
import { opened, speakerButton } from "../speaker.js";
import { actions, h, open, register, show } from "../ui.js";

function messageScreen(title, text, session = null, spoken = []) {
  const again = session
    ? h("button", { type: "button", class: "primary", onclick: () => render(newSession(session.record, session)) },
      session.channel === "door_to_door" ? _("Next resident") : _("Start again"))
    : h("button", { type: "button", class: "primary", onclick: () => open("home") }, _("Home"));
  const speaker = session ? speakerButton(spoken, { big: true }) : null;
  show(title, h("section", {}, h("div", { class: "screen-top" }, h("h1", {}, title), speaker),
    h("p", { class: "lead" }, text), actions(again)));
  if (session) opened(session, spoken, speaker);
}

register("message", messageScreen);
