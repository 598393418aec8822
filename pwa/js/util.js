// Small helpers that work in pages and in the service worker alike.

let lastMillis = 0;
let sequence = 0;

/** A time-ordered UUID (RFC 9562 version 7), monotonic within this page or worker. */
export function uuid7() {
  let millis = Date.now();
  if (millis <= lastMillis) {
    millis = lastMillis;
    sequence += 1;
  } else {
    sequence = 0;
  }
  lastMillis = millis;
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  for (let i = 0; i < 6; i += 1) bytes[i] = Math.floor(millis / 2 ** (8 * (5 - i))) & 0xff;
  bytes[6] = 0x70 | ((sequence >> 8) & 0x0f);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | (bytes[8] & 0x3f);
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The alphabet of codes people read aloud or type: no 0/O, 1/I/L look-alikes. */
const CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A random code to write down, e.g. the receipt a resident keeps (10 characters, about 49 bits). */
export function humanCode(length = 10) {
  const values = crypto.getRandomValues(new Uint32Array(length));
  return [...values].map((v) => CODE_ALPHABET[v % CODE_ALPHABET.length]).join("");
}

/** A random key of 32 URL-safe characters (for anonymous uploads). */
export function randomKey() {
  return toBase64(crypto.getRandomValues(new Uint8Array(24)).buffer).replace(/\+/g, "-").replace(/\//g, "_");
}

export async function sha256Hex(buffer) {
  const digest = await crypto.subtle.digest("SHA-256", buffer);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export function toBase64(buffer) {
  const bytes = new Uint8Array(buffer);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
