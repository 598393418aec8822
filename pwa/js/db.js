// The one module that owns IndexedDB: its name, version, stores, upgrade and a cached connection.
// Each operation is one short transaction; nothing unrelated is awaited inside it. A read that decides a write
// is made in the same transaction (`transaction` and `withResult`), so no other tab or worker can slip in between.

export const DB_NAME = "wijkstem";
export const DB_VERSION = 1;
/** Key-value settings: device, language, last sync, the draft in progress. */
export const SETTINGS = "settings";
/** Downloaded campaign documents, keyed by campaign id. */
export const CAMPAIGNS = "campaigns";
/** The outbox of responses, keyed by their UUIDv7 (time-ordered, so key order is queue order). */
export const RESPONSES = "responses";
/** The outbox of voice notes: what the server is told about each recording (small, listed often). */
export const VOICE = "voice";
/** The recordings' bytes as ArrayBuffers (some Safari versions fail to store Blobs), keyed by note id. */
export const AUDIO = "audio";

let opening = null;

function upgrade(db) {
  if (!db.objectStoreNames.contains(SETTINGS)) db.createObjectStore(SETTINGS);
  if (!db.objectStoreNames.contains(CAMPAIGNS)) db.createObjectStore(CAMPAIGNS, { keyPath: "id" });
  if (!db.objectStoreNames.contains(RESPONSES)) db.createObjectStore(RESPONSES, { keyPath: "id" });
  if (!db.objectStoreNames.contains(VOICE)) {
    db.createObjectStore(VOICE, { keyPath: "id" }).createIndex("response", "responseId");
  }
  if (!db.objectStoreNames.contains(AUDIO)) db.createObjectStore(AUDIO);
}

/** The open database (opened once per page or worker). */
export function getDb() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => upgrade(request.result);
      request.onsuccess = () => {
        const db = request.result;
        db.onversionchange = () => { db.close(); opening = null; };
        resolve(db);
      };
      request.onerror = () => { opening = null; reject(request.error); };
    });
  }
  return opening;
}

/** Resolves when `tx` has committed; rejects when it was aborted, then nothing of it was written. (A failed
 * request aborts its transaction, so `abort` follows every `error`, with the request's error as `tx.error`.) */
function finished(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error || new DOMException("The transaction was aborted.", "AbortError"));
  });
}

/**
 * One transaction over `names` (store names), all or nothing. `action(stores)` gets the object stores by name
 * and makes its requests at once; a read that decides a write continues in `withResult(request, use)`, inside
 * the transaction, never after an `await` (an awaited promise may let the transaction commit in between).
 * Resolves with what `action` returned, after the transaction committed.
 */
export async function transaction(names, mode, action) {
  const db = await getDb();
  const tx = db.transaction(names, mode);
  const committed = finished(tx);
  const stores = Object.fromEntries(names.map((name) => [name, tx.objectStore(name)]));
  let result;
  try {
    result = action(stores);
  } catch (err) {
    committed.catch(() => null);
    try {
      tx.abort();
    } catch {
      // aborted already: the error that made `action` stop is the one to tell
    }
    throw err;
  }
  await committed;
  return result;
}

/** Continue with a request's result inside its transaction; an error thrown by `use` aborts the transaction.
 * (Not named `then`: a module exporting `then` is a thenable, and `await import()` of it never settles.) */
export function withResult(request, use) {
  request.onsuccess = () => use(request.result);
}

async function run(store, mode, action) {
  const request = await transaction([store], mode, (stores) => action(stores[store]));
  return request.result;
}

export const get = (store, key) => run(store, "readonly", (s) => s.get(key));
export const getAll = (store) => run(store, "readonly", (s) => s.getAll());
export const put = (store, value, key) => run(store, "readwrite", (s) => (key === undefined ? s.put(value) : s.put(value, key)));
export const remove = (store, key) => run(store, "readwrite", (s) => s.delete(key));
export const count = (store) => run(store, "readonly", (s) => s.count());
export const byIndex = (store, index, key) => run(store, "readonly", (s) => s.index(index).getAll(key));

/** Every record of each store in `names`, read in one transaction (one consistent picture), in that order. */
export async function getAllOf(names) {
  const requests = await transaction(names, "readonly", (stores) => names.map((name) => stores[name].getAll()));
  return requests.map((request) => request.result);
}

/** Several writes and deletes across stores in one transaction: all or nothing.
 * Each entry is {store, value, key} (a put) or {store, key, drop: true} (a delete). */
export async function writeMany(entries) {
  await transaction([...new Set(entries.map((e) => e.store))], "readwrite", (stores) => {
    for (const { store, value, key, drop } of entries) {
      if (drop) stores[store].delete(key);
      else if (key === undefined) stores[store].put(value);
      else stores[store].put(value, key);
    }
  });
}

export const setting = (key) => get(SETTINGS, key);
export const saveSetting = (key, value) => put(SETTINGS, value, key);
export const dropSetting = (key) => remove(SETTINGS, key);
