// The start: an enrolled field worker's campaigns, or, on a phone that is not enrolled, a code field.

import { chooseRoute, refreshCampaigns, routeSource, teamCampaigns } from "../campaigns.js";
import { setting } from "../db.js";
import { newSession, render } from "../flow.js";
import { _, isolate, language, pick } from "../i18n.js";
import { actions, h, notice, open, register, show } from "../ui.js";

/** The day's route (a route, a street, a team: the campaign's door-to-door sources), the phone's default
 * preselected; none when the campaign has none. */
function routePicker(record, chosen) {
  const sources = record.campaign.sources || [];
  if (!sources.length) return null;
  const id = `route-${record.id}`;
  return h("p", { class: "route" },
    h("label", { for: id }, _("Today's route or team")),
    h("select", { id, onchange: (event) => chooseRoute(record, event.target.value) },
      sources.map((source) => h("option", { value: source.code, selected: source.code === chosen?.code, dir: "auto" },
        source.name)),
      h("option", { value: "", selected: !chosen }, _("None of these"))));
}

async function campaignCard(record) {
  const { campaign } = record;
  const start = async () => render(newSession(record, { channel: "door_to_door", auth: "device",
    source: await routeSource(record) }));
  return h("li", { class: "card" },
    h("h2", { dir: "auto" }, pick(campaign.title, campaign)),
    h("p", { class: "hint" }, campaign.languages.map((code) => code.toUpperCase()).join(" · ")),
    routePicker(record, await routeSource(record)),
    h("button", { type: "button", class: "primary", onclick: start }, _("New resident")));
}

async function fieldHome(device) {
  const list = h("ul", { class: "cards" });
  const status = h("div", { class: "error-slot" });
  let shown = null;
  const fill = async (records) => {
    const versions = JSON.stringify(records.map((record) => record.campaign.etag));
    if (versions === shown) return; // unchanged: a tap on a card is never lost to a redraw
    shown = versions;
    list.replaceChildren(...await Promise.all(records.map(campaignCard)));
    if (!records.length) status.replaceChildren(notice(_("There are no campaigns on this phone yet."), "info"));
  };
  await fill(await teamCampaigns());
  show(_("Campaigns"), h("section", {},
    h("h1", {}, _("Campaigns")),
    h("p", { class: "hint" }, _("This phone collects for {team}.", { team: isolate(device.team) })),
    list, status,
    actions(h("button", { type: "button", class: "secondary", onclick: () => open("status") }, _("Sending and rescue")))));
  const { result, campaigns } = await refreshCampaigns(device, language());
  if (result.ok || result.status === 304) {
    status.replaceChildren();
    await fill(campaigns);
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
