// The flyer page: a print button (printing from the browser menu works too), and texts that fit the sheet.

for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}

/** The smallest share of the texts' normal size; below it, the page says the texts do not fit. */
const SMALLEST = 0.55;
const STEP = 0.03;

const overflows = (sheet) => sheet.scrollHeight > sheet.clientHeight + 1 || sheet.scrollWidth > sheet.clientWidth + 1;

/** Lower the sheet's --fit until nothing runs off it (long titles, many languages, tall scripts). */
function fit(sheet) {
  let scale = 1;
  sheet.style.setProperty("--fit", "1");
  while (overflows(sheet) && scale - STEP >= SMALLEST - 1e-9) {
    scale = Math.round((scale - STEP) * 100) / 100;
    sheet.style.setProperty("--fit", String(scale));
  }
  const warning = document.getElementById("flyer-too-long");
  if (warning) warning.hidden = !overflows(sheet);
  sheet.dataset.fitted = String(scale);
}

const sheet = document.querySelector(".sheet");
if (sheet) {
  document.fonts.ready.then(() => fit(sheet));
  window.addEventListener("beforeprint", () => fit(sheet));
}
