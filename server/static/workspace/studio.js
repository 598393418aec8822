// The recording studio: a recorder beside each text (see recorder.js).

import { setUpRecorders } from "./recorder.js";

setUpRecorders();
