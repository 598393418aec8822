// The end of an interview: the receipt code for erasure later, the campaign's thanks, the next resident.

import { newSession, render } from "../flow.js";
import { _, pick } from "../i18n.js";
import { actions, h, register, show } from "../ui.js";

function receiptScreen(session) {
  const { campaign, draft } = session;
  const next = () => {
    const fresh = newSession(session.record, session);
    render(fresh);
  };
  show(_("Thank you!"), h("section", { class: "receipt" },
    h("h1", {}, _("Thank you!")),
    session.preview ? h("p", { class: "notice info" }, _("Preview: nothing was stored or sent.")) : null,
    campaign.thanks && pick(campaign.thanks, campaign)
      ? h("p", { class: "lead", dir: "auto" }, pick(campaign.thanks, campaign)) : null,
    h("p", {}, _("Your receipt code:")),
    h("p", { class: "code", dir: "ltr", translate: "no" }, draft.receipt),
    h("p", { class: "hint" }, _("With this code you can ask us later to erase your answers. Write it down or take a photo of it.")),
    actions(h("button", { type: "button", class: "primary", onclick: next },
      session.channel === "door_to_door" ? _("Next resident") : _("Answer again for someone else")))));
}

register("receipt", receiptScreen);
