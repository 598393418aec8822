// Enrolling this phone with the one-time code from the coordinator's QR code.

import { enrol } from "../campaigns.js";
import { _, language } from "../i18n.js";
import { requestPersistence } from "../recorder.js";
import { actions, h, notice, open, register, show } from "../ui.js";

async function enrolScreen(code) {
  const status = h("div", { class: "error-slot" }, notice(_("Enrolling this phone…"), "info"));
  const retry = h("button", { type: "button", class: "primary", hidden: true, onclick: () => enrolScreen(code) },
    _("Try again"));
  show(_("Enrol this phone"), h("section", {},
    h("h1", {}, _("Enrol this phone")),
    h("p", { class: "code", dir: "ltr", translate: "no" }, code),
    status, actions(h("button", { type: "button", class: "secondary", onclick: () => open("home") }, _("Home")), retry)));
  const result = await enrol(code, language());
  if (result.ok) {
    requestPersistence();
    open("home");
    return;
  }
  retry.hidden = !result.network && result.status !== 429 && result.status < 500;
  status.replaceChildren(notice(result.network
    ? _("No connection. Connect to the internet to enrol this phone, then try again.")
    : result.data?.error?.message || _("Enrolment did not work."), "error"));
}

register("enrol", enrolScreen);
