// The end of an interview: the campaign's thanks and the receipt code, what it is for and where to use it
// (the erasure page, or the community centre), and two ways to keep it: a picture, or shown big.

import { newSession, render } from "../flow.js";
import { _, direction, language, pick } from "../i18n.js";
import { icon } from "../icons.js";
import { campaignText, opened, phrase, speakerButton } from "../speaker.js";
import { actions, h, register, show } from "../ui.js";

/** The erasure page's address as a resident would type it. */
const eraseAddress = () => `${location.host}/erase`;

/** The code drawn on a picture with the campaign's name and where to use it; downloaded as a PNG. */
function saveAsPicture(title, code) {
  const canvas = h("canvas", { width: 900, height: 520 });
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = "#1b1b1b";
  ctx.textAlign = "center";
  ctx.direction = direction(language());
  ctx.font = "bold 38px system-ui, sans-serif";
  ctx.fillText(title, 450, 80, 840);
  ctx.font = "32px system-ui, sans-serif";
  ctx.fillText(_("Your code:"), 450, 170, 840);
  ctx.direction = "ltr";
  ctx.font = "bold 96px ui-monospace, monospace";
  ctx.fillText(code, 450, 300, 860);
  ctx.font = "34px system-ui, sans-serif";
  ctx.fillText(eraseAddress(), 450, 440, 840);
  canvas.toBlob((blob) => {
    const link = h("a", { href: URL.createObjectURL(blob), download: `wijkstem-${code}.png`, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  }, "image/png");
}

/** The code filling the screen, to show to the community worker (Escape or "Back" closes it). */
function showBig(code) {
  const dialog = h("dialog", { class: "code-big", "aria-label": _("Your code:"), onclose: () => dialog.remove() },
    h("p", { class: "code-large", dir: "ltr", translate: "no" }, code),
    h("button", { type: "button", class: "primary", onclick: () => dialog.close() }, icon("back"), _("Back")));
  document.body.append(dialog);
  dialog.showModal();
}

function receiptScreen(session) {
  const { campaign, draft } = session;
  const next = () => render(newSession(session.record, session));
  const title = pick(campaign.title, campaign);
  const thanks = campaign.thanks && pick(campaign.thanks, campaign)
    ? h("p", { class: "lead readable", dir: "auto" }, pick(campaign.thanks, campaign)) : null;
  const code = h("p", { class: "code", dir: "ltr", translate: "no" }, draft.receipt);
  const erase = h("p", { class: "erase" }, h("span", { class: "readable" },
    _("You can do that on this website, or at the community centre."), " "),
  h("a", { href: "/erase", target: "_blank", rel: "noopener", dir: "ltr" }, eraseAddress()));
  const keep = actions(
    h("button", { type: "button", class: "secondary", onclick: () => saveAsPicture(title, draft.receipt) },
      icon("save"), _("Save as picture")),
    h("button", { type: "button", class: "secondary", onclick: () => showBig(draft.receipt) },
      icon("enlarge"), _("Show big")));
  const explained = h("p", { class: "hint readable" }, _("With this code, you can have your answers deleted later."));
  const spoken = [phrase(campaign, "thank_you"), campaignText(campaign, "thanks", campaign.thanks, { target: thanks }),
    phrase(campaign, "receipt_code", code), phrase(campaign, "receipt_explained", explained),
    phrase(campaign, "erase_where", erase), phrase(campaign, "keep_code", keep)];
  const speaker = speakerButton(spoken, { big: true });
  show(_("Thank you!"), h("section", { class: "receipt" },
    h("div", { class: "screen-top" }, h("h1", {}, _("Thank you!")), speaker),
    session.preview ? h("p", { class: "notice info" }, _("Preview: nothing was stored or sent.")) : null,
    thanks,
    h("p", {}, _("Your code:")),
    code, explained, erase, keep,
    actions(h("button", { type: "button", class: "primary", onclick: next },
      session.channel === "door_to_door" ? _("Next resident") : _("Answer again for someone else")))));
  opened(session, spoken, speaker);
}

register("receipt", receiptScreen);
