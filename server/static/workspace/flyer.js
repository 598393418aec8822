// Offer a print button on the flyer page (printing from the browser menu works too).
for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
