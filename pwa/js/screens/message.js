// A short message screen: nothing stored, a closed poll, an unknown code.

import { newSession, render } from "../flow.js";
import { _ } from "../i18n.js";
import { actions, h, open, register, show } from "../ui.js";

function messageScreen(title, text, session = null) {
  const again = session
    ? h("button", { type: "button", class: "primary", onclick: () => render(newSession(session.record, session)) },
      session.channel === "door_to_door" ? _("Next resident") : _("Start again"))
    : h("button", { type: "button", class: "primary", onclick: () => open("home") }, _("Home"));
  show(title, h("section", {}, h("h1", {}, title), h("p", { class: "lead" }, text), actions(again)));
}

register("message", messageScreen);
