// Recording a voice note: MediaRecorder at about 24 kb/s (Opus in WebM where supported, else MP4/AAC),
// with the recorder's real content type, a timer, a level meter and a maximum length.

export const BITS_PER_SECOND = 24000;
export const MAX_SECONDS = 120;
/** Free space we want before recording: a few minutes of audio plus room for the app. */
const MIN_FREE_BYTES = 5 * 1024 * 1024;
const TYPES = ["audio/webm;codecs=opus", "audio/mp4", "audio/ogg;codecs=opus", "audio/webm"];

export function supported() {
  return Boolean(navigator.mediaDevices?.getUserMedia && self.MediaRecorder);
}

export function chooseType() {
  return TYPES.find((type) => MediaRecorder.isTypeSupported?.(type)) || "";
}

/** Whether there is room to store a recording; also asks the browser to keep our data. */
export async function checkStorage() {
  requestPersistence();
  if (!navigator.storage?.estimate) return { ok: true };
  const { quota = Infinity, usage = 0 } = await navigator.storage.estimate();
  return { ok: quota - usage >= MIN_FREE_BYTES, free: quota - usage };
}

/** Ask once that the browser does not evict what is waiting to be sent. */
export async function requestPersistence() {
  try {
    if (navigator.storage?.persist && !(await navigator.storage.persisted())) return await navigator.storage.persist();
    return true;
  } catch {
    return false;
  }
}

/**
 * Start recording. `onTick({ms, level})` runs about ten times a second; the recording stops by itself
 * after `maxSeconds`. Returns {stop(): Promise<{buffer, contentType, durationMs}>, cancel()}.
 */
export async function startRecording({ onTick, onAutoStop, maxSeconds = MAX_SECONDS }) {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
  const mimeType = chooseType();
  const recorder = new MediaRecorder(stream, { mimeType: mimeType || undefined, audioBitsPerSecond: BITS_PER_SECOND });
  const chunks = [];
  recorder.ondataavailable = (event) => { if (event.data.size) chunks.push(event.data); };
  const meter = levelMeter(stream);
  const started = performance.now();
  let stopped = null;
  const elapsed = () => Math.round(performance.now() - started);
  const ticker = setInterval(() => {
    onTick?.({ ms: elapsed(), level: meter.level() });
    if (elapsed() >= maxSeconds * 1000) onAutoStop?.();
  }, 100);
  const finish = () => {
    clearInterval(ticker);
    meter.close();
    stream.getTracks().forEach((track) => track.stop());
  };
  recorder.start(1000);
  return {
    stop() {
      if (!stopped) {
        const durationMs = Math.min(elapsed(), maxSeconds * 1000);
        stopped = new Promise((resolve) => {
          recorder.onstop = async () => {
            finish();
            const contentType = recorder.mimeType || mimeType || "audio/webm";
            const blob = new Blob(chunks, { type: contentType });
            resolve({ buffer: await blob.arrayBuffer(), contentType, durationMs });
          };
          recorder.stop();
        });
      }
      return stopped;
    },
    cancel() {
      if (recorder.state !== "inactive") recorder.stop();
      finish();
    },
  };
}

/** The microphone's loudness, 0 to 1, from an AnalyserNode. */
function levelMeter(stream) {
  const Context = self.AudioContext || self.webkitAudioContext;
  if (!Context) return { level: () => 0, close() {} };
  const context = new Context();
  const analyser = context.createAnalyser();
  analyser.fftSize = 512;
  context.createMediaStreamSource(stream).connect(analyser);
  const samples = new Uint8Array(analyser.fftSize);
  return {
    level() {
      analyser.getByteTimeDomainData(samples);
      let peak = 0;
      for (const sample of samples) peak = Math.max(peak, Math.abs(sample - 128));
      return Math.min(1, peak / 64);
    },
    close() { context.close(); },
  };
}
