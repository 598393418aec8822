// The start: an enrolled field worker's campaigns, or, on a phone that is not enrolled, a code field.

import { refreshCampaigns, teamCampaigns } from "../campaigns.js";
import { setting } from "../db.js";
import { newSession, render } from "../flow.js";
import { _, isolate, language, pick } from "../i18n.js";
import { actions, h, notice, open, register, show } from "../ui.js";

function campaignCard(record) {
  const { campaign } = record;
  const start = () => render(newSession(record, { channel: "door_to_door", auth: "device" }));
  return h("li", { class: "card" },
    h("h2", { dir: "auto" }, pick(campaign.title, campaign)),
    h("p", { class: "hint" }, campaign.languages.map((code) => code.toUpperCase()).join(" · ")),
    h("button", { type: "button", class: "primary", onclick: start }, _("New resident")));
}

async function fieldHome(device) {
  const list = h("ul", { class: "cards" });
  const status = h("div", { class: "error-slot" });
  const fill = (records) => {
    list.replaceChildren(...records.map(campaignCard));
    if (!records.length) status.replaceChildren(notice(_("There are no campaigns on this phone yet."), "info"));
  };
  fill(await teamCampaigns());
  show(_("Campaigns"), h("section", {},
    h("h1", {}, _("Campaigns")),
    h("p", { class: "hint" }, _("This phone collects for {team}.", { team: isolate(device.team) })),
    list, status,
    actions(h("button", { type: "button", class: "secondary", onclick: () => open("status") }, _("Sending and rescue")))));
  const { result, campaigns } = await refreshCampaigns(device, language());
  if (result.ok || result.status === 304) {
    status.replaceChildren();
    fill(campaigns);
  } else if (result.status === 401) {
    status.replaceChildren(notice(_("This phone is no longer enrolled. Ask your coordinator for a new enrolment code."), "error"));
  }
}

function welcome() {
  const input = h("input", { id: "code", autocomplete: "off", autocapitalize: "characters", spellcheck: "false",
    inputmode: "text", maxlength: 20, dir: "ltr" });
  const go = (event) => {
    event.preventDefault();
    const code = input.value.toUpperCase().replace(/[^0-9A-Z]/g, "");
    if (code.length >= 8) open("enrol", code);
    else if (code) open("flyer", code);
  };
  show(_("Welcome"), h("section", {},
    h("h1", {}, _("Welcome to Wijkstem")),
    h("p", { class: "lead" }, _("Scan the QR code on a flyer to answer a neighbourhood poll.")),
    h("form", { class: "code-form", onsubmit: go },
      h("label", { for: "code" }, _("Or type the code from the flyer or from your coordinator")),
      input,
      actions(h("button", { type: "submit", class: "primary" }, _("Continue"))))));
}

async function home() {
  const device = await setting("device");
  if (device) await fieldHome(device);
  else welcome();
}

register("home", home);
