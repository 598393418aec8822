// A local HTTP server answering like the Wijkstem API (docs/sync-protocol.md) for the parts the field app
// drains into: POST /api/v1/sync, and the resumable voice-note upload (POST declares, HEAD tells the offset,
// PATCH appends at Upload-Offset and completes after checking the sha256). It keeps what it stored, logs every
// request, and lets a test put something else between phone and server (`api.meddle`).

import { createHash } from "node:crypto";
import { createServer } from "node:http";

const MAX_BATCH = 100;
const MAX_CHUNK = 1024 * 1024;

const jsonReply = (status, body, headers = {}) => ({ status, headers, type: "application/json",
  body: JSON.stringify(body) });
const errorReply = (status, code, extra = {}, headers = {}) => jsonReply(status,
  { error: { code, message: `(${code})`, field: null, ...extra } }, headers);

/** The canonical form of a response for "same content": keys sorted at every level. */
function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical(value[key])]));
  }
  return value;
}

export class WijkstemApi {
  constructor({ token = "device-token" } = {}) {
    this.token = token;
    /** Every request as {method, path, headers, body (Buffer), json}. */
    this.requests = [];
    /** Stored responses by id (their canonical JSON). */
    this.responses = new Map();
    /** Voice notes by id: {declaration, bytes (Buffer), complete}. */
    this.notes = new Map();
    /** Refusals the next syncs give, by response id: {status: "invalid" | "conflict", errors}. */
    this.refusals = new Map();
    /** What the phone reported as still waiting on it after each drain, in order. */
    this.reports = [];
    /** `meddle(request)` may answer instead of the API: a reply {status, type, body, headers}, or "drop" to
     * cut the connection without an answer; `null` lets the API answer. It may return a promise (a slow line). */
    this.meddle = () => null;
    this.server = createServer((req, res) => this.receive(req, res));
  }

  async start() {
    await new Promise((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${this.server.address().port}`;
    return this;
  }

  async stop() {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** The requests made so far to `method path` (path a string or a RegExp). */
  made(method, path) {
    return this.requests.filter((r) => r.method === method
      && (path instanceof RegExp ? path.test(r.path) : r.path === path));
  }

  async receive(req, res) {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const request = { method: req.method, path: req.url, headers: req.headers, body, json: null };
    if ((req.headers["content-type"] || "").includes("json")) {
      try {
        request.json = JSON.parse(body.toString("utf8"));
      } catch {
        request.json = undefined;
      }
    }
    this.requests.push(request);
    const reply = (await this.meddle(request)) || this.answer(request);
    if (reply === "drop") {
      req.socket.destroy();
      return;
    }
    res.writeHead(reply.status, { ...(reply.type ? { "Content-Type": reply.type } : {}), ...reply.headers });
    res.end(req.method === "HEAD" ? undefined : reply.body);
  }

  answer(request) {
    const auth = request.headers.authorization;
    if (auth !== undefined && auth !== `Bearer ${this.token}`) {
      return errorReply(401, "invalid_token", {}, { "WWW-Authenticate": "Bearer" });
    }
    if (request.path === "/api/v1/sync" && request.method === "POST") return this.sync(request);
    if (request.path === "/api/v1/devices/me/status" && request.method === "PUT") {
      this.reports.push(request.json);
      return jsonReply(200, { ...request.json, status_reported_at: new Date().toISOString() });
    }
    if (request.path === "/api/v1/voice-notes" && request.method === "POST") return this.declare(request, auth);
    const note = /^\/api\/v1\/voice-notes\/([0-9a-f-]+)$/.exec(request.path);
    if (note && request.method === "HEAD") return this.offset(note[1]);
    if (note && request.method === "PATCH") return this.append(note[1], request);
    return errorReply(404, "not_found");
  }

  sync(request) {
    if (request.json === undefined || !Array.isArray(request.json?.responses)) {
      return errorReply(422, "invalid_input", { field: "responses" });
    }
    const items = request.json.responses;
    if (items.length > MAX_BATCH) return errorReply(413, "batch_too_large", { limit: MAX_BATCH });
    const results = items.map((item, index) => {
      const refusal = this.refusals.get(item.id);
      if (refusal) return { index, id: item.id, ...refusal };
      const content = JSON.stringify(canonical(item));
      const stored = this.responses.get(item.id);
      if (stored === undefined) {
        this.responses.set(item.id, content);
        return { index, id: item.id, status: "created" };
      }
      if (stored === content) return { index, id: item.id, status: "duplicate" };
      return { index, id: item.id, status: "conflict", errors: [{ field: "id", code: "conflict", message: "(c)" }] };
    });
    return jsonReply(200, { results, server_time: new Date().toISOString() });
  }

  state(id) {
    const note = this.notes.get(id);
    return { id, state: note.complete ? "complete" : "uploading", offset: note.bytes.length,
      size: note.declaration.size, duration_ms: note.declaration.duration_ms ?? null };
  }

  stateReply(status, id) {
    const note = this.notes.get(id);
    return jsonReply(status, this.state(id), { "Upload-Offset": String(note.bytes.length),
      "Upload-Length": String(note.declaration.size) });
  }

  declare(request, auth) {
    const declaration = request.json;
    if (!declaration?.id || !declaration.response_id || !(declaration.size > 0) || !declaration.sha256) {
      return errorReply(422, "invalid_input");
    }
    if (auth === undefined && (request.headers["upload-key"] || "").length < 22) {
      return errorReply(401, "upload_key_required", { field: "Upload-Key" });
    }
    const known = this.notes.get(declaration.id);
    if (known) {
      const same = ["response_id", "question", "size", "content_type", "sha256"]
        .every((field) => known.declaration[field] === declaration[field]);
      return same ? this.stateReply(200, declaration.id) : errorReply(409, "voice_note_conflict");
    }
    this.notes.set(declaration.id, { declaration, bytes: Buffer.alloc(0), complete: false });
    return this.stateReply(201, declaration.id);
  }

  offset(id) {
    if (!this.notes.has(id)) return errorReply(404, "voice_note_not_found");
    const note = this.notes.get(id);
    return { status: 200, type: null, body: "", headers: { "Upload-Offset": String(note.bytes.length),
      "Upload-Length": String(note.declaration.size) } };
  }

  append(id, request) {
    const note = this.notes.get(id);
    if (!note) return errorReply(404, "voice_note_not_found");
    if (note.complete) return this.stateReply(200, id);
    const declared = request.headers["upload-offset"] || "";
    if (!/^\d+$/.test(declared)) return errorReply(400, "offset_required", { field: "Upload-Offset" });
    if (request.headers["content-type"] !== "application/offset+octet-stream") {
      return errorReply(415, "chunk_type_required");
    }
    if (Number(declared) !== note.bytes.length) {
      return errorReply(409, "offset_mismatch", { field: "Upload-Offset", offset: note.bytes.length },
        { "Upload-Offset": String(note.bytes.length) });
    }
    if (request.body.length > MAX_CHUNK) return errorReply(413, "chunk_too_large");
    if (note.bytes.length + request.body.length > note.declaration.size) return errorReply(413, "upload_too_large");
    note.bytes = Buffer.concat([note.bytes, request.body]);
    if (note.bytes.length === note.declaration.size) {
      if (createHash("sha256").update(note.bytes).digest("hex") !== note.declaration.sha256) {
        note.bytes = Buffer.alloc(0); // a failed check resets the upload
        return errorReply(422, "checksum_mismatch", {}, { "Upload-Offset": "0" });
      }
      note.complete = true;
    }
    return this.stateReply(200, id);
  }
}

/** A started API; stop it with `await api.stop()`. */
export const startApi = (options) => new WijkstemApi(options).start();
