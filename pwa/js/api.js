// The fetch wrapper: never throws; answers {ok, status, data, headers} or {ok: false, network: true}.

const TIMEOUT_MS = 30000;

async function readBody(response) {
  if (response.status === 204 || response.status === 304) return null;
  const type = response.headers.get("Content-Type") || "";
  if (!type.includes("json")) return null;
  try {
    return await response.json();
  } catch {
    return null; // a proxy's page or a cut-off body: not an acknowledgement
  }
}

/**
 * One request to the server.
 * options: json (a body to send as JSON), body (raw bytes), headers, token (device bearer token),
 * lang (for the language of error messages), etag (If-None-Match).
 */
export async function request(method, path, options = {}) {
  const headers = { ...(options.headers || {}) };
  const init = { method, headers, credentials: "same-origin", cache: "no-store" };
  if (options.json !== undefined) {
    init.body = JSON.stringify(options.json);
    headers["Content-Type"] = "application/json";
  } else if (options.body !== undefined) {
    init.body = options.body;
  }
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  if (options.lang) headers["Accept-Language"] = options.lang;
  if (options.etag) headers["If-None-Match"] = options.etag;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeout || TIMEOUT_MS);
  init.signal = controller.signal;
  try {
    const response = await fetch(path, init);
    const data = await readBody(response);
    return { ok: response.ok, status: response.status, data, headers: response.headers };
  } catch {
    return { ok: false, network: true, status: 0, data: null, headers: null };
  } finally {
    clearTimeout(timer);
  }
}

/** The server's error code of a failed request, if it sent one. */
export function errorCode(result) {
  return result?.data?.error?.code || null;
}

/** The server's (already translated) message of a failed request, if it sent one. */
export function errorMessage(result) {
  return result?.data?.error?.message || null;
}
