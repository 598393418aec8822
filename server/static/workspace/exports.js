// The exports page: an export being prepared turns into its download link when the job is done.
import { watchProcessing } from "./processing.js";

watchProcessing("li");
