// The one module that owns IndexedDB: its name, version, stores, upgrade and a cached connection.
// Each operation is one short transaction; nothing unrelated is awaited inside it.

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

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(store, mode, action) {
  const db = await getDb();
  const tx = db.transaction(store, mode);
  const result = done(action(tx.objectStore(store)));
  await new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
  });
  return result;
}

export const get = (store, key) => run(store, "readonly", (s) => s.get(key));
export const getAll = (store) => run(store, "readonly", (s) => s.getAll());
export const put = (store, value, key) => run(store, "readwrite", (s) => (key === undefined ? s.put(value) : s.put(value, key)));
export const remove = (store, key) => run(store, "readwrite", (s) => s.delete(key));
export const count = (store) => run(store, "readonly", (s) => s.count());
export const byIndex = (store, index, key) => run(store, "readonly", (s) => s.index(index).getAll(key));

/** Several writes and deletes across stores in one transaction: all or nothing.
 * Each entry is {store, value, key} (a put) or {store, key, drop: true} (a delete). */
export async function writeMany(entries) {
  const db = await getDb();
  const tx = db.transaction([...new Set(entries.map((e) => e.store))], "readwrite");
  for (const { store, value, key, drop } of entries) {
    const target = tx.objectStore(store);
    if (drop) target.delete(key);
    else if (key === undefined) target.put(value);
    else target.put(value, key);
  }
  return new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
  });
}

export const setting = (key) => get(SETTINGS, key);
export const saveSetting = (key, value) => put(SETTINGS, value, key);
export const dropSetting = (key) => remove(SETTINGS, key);
