// Recording a spoken text in the browser (MediaRecorder) into a form's file input, to listen to before saving.
// Used by the question form (its prompts) and the recording studio. Without JavaScript the form uploads a file.
// The server normalises every recording (mono Opus, loudness, silence trimmed), so the bitrate here only keeps
// the upload small.

const BITS_PER_SECOND = 32000;

function format(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

function fileExtension(mimeType) {
  if (mimeType.includes("ogg")) return "ogg";
  if (mimeType.includes("mp4") || mimeType.includes("aac")) return "m4a";
  return "webm";
}

export class PromptRecorder {
  constructor(element) {
    this.element = element;
    this.form = element.closest("form");
    this.input = this.form.querySelector('input[type="file"]');
    this.recordButton = element.querySelector("[data-record]");
    this.stopButton = element.querySelector("[data-stop]");
    this.status = element.querySelector("[data-status]");
    this.playback = element.querySelector("[data-playback]");
    this.recordButton.addEventListener("click", () => this.start());
    this.stopButton.addEventListener("click", () => this.stop());
    element.hidden = false;
  }

  async start() {
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch {
      this.status.textContent = this.element.dataset.textDenied;
      return;
    }
    this.chunks = [];
    this.startedAt = performance.now();
    this.recorder = new MediaRecorder(stream, { audioBitsPerSecond: BITS_PER_SECOND });
    this.recorder.addEventListener("dataavailable", (event) => this.chunks.push(event.data));
    this.recorder.addEventListener("stop", () => this.finish(stream));
    this.recorder.start();
    this.recordButton.disabled = true;
    this.stopButton.disabled = false;
    this.stopButton.focus();
    this.status.textContent = this.element.dataset.textRecording;
  }

  stop() {
    if (this.recorder && this.recorder.state !== "inactive") this.recorder.stop();
  }

  finish(stream) {
    for (const track of stream.getTracks()) track.stop();
    const type = this.recorder.mimeType || "audio/webm";
    const blob = new Blob(this.chunks, { type });
    const file = new File([blob], `prompt.${fileExtension(type)}`, { type });
    const transfer = new DataTransfer();
    transfer.items.add(file);
    this.input.files = transfer.files;
    if (this.playback.src) URL.revokeObjectURL(this.playback.src);
    this.playback.src = URL.createObjectURL(blob);
    this.playback.hidden = false;
    const seconds = Math.max(1, Math.round((performance.now() - this.startedAt) / 1000));
    this.status.textContent = format(this.element.dataset.textRecorded, { seconds });
    this.recordButton.disabled = false;
    this.stopButton.disabled = true;
    this.recordButton.focus();
  }
}

function canRecord() {
  return "MediaRecorder" in window && navigator.mediaDevices && typeof DataTransfer !== "undefined";
}

export function setUpRecorders(root = document) {
  if (!canRecord()) return;
  for (const element of root.querySelectorAll("[data-recorder]")) new PromptRecorder(element);
}

// A saved recording is prepared by the server in the background ("being prepared", `[data-processing]`):
// the studio and the question page swap in each text once it is ready (processing.js), unless `busy`.
/** Whether someone is recording in `element` or has chosen a file there: it is not swapped meanwhile. */
export function busy(element) {
  const input = element.querySelector('input[type="file"]');
  const stop = element.querySelector("[data-stop]");
  return (input && input.files && input.files.length > 0) || (stop && !stop.disabled);
}
