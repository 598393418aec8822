// The recording studio: a recorder beside each text (see recorder.js), and each saved recording shown once
// the server has prepared it.

import { watchProcessing } from "./processing.js";
import { busy, setUpRecorders } from "./recorder.js";

setUpRecorders();
watchProcessing("li.studio-item", { keep: busy, swapped: setUpRecorders });
