// The question form: show only the settings of the chosen type, and record spoken prompts in the browser.
// Without JavaScript every setting stays visible and prompts are uploaded as files.

import { watchProcessing } from "./processing.js";
import { busy, setUpRecorders } from "./recorder.js";

function showSettingsFor(type) {
  for (const section of document.querySelectorAll("[data-types]")) {
    section.hidden = !section.dataset.types.split(" ").includes(type);
  }
}

function setUpTypeSwitch() {
  const select = document.getElementById("f-type");
  if (!select) return;
  showSettingsFor(select.value);
  select.addEventListener("change", () => showSettingsFor(select.value));
}

setUpTypeSwitch();
setUpRecorders();
watchProcessing("section.prompt", { keep: busy, swapped: setUpRecorders });
