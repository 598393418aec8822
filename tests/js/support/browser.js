// What the field app finds in a browser, for its modules to run in Node: IndexedDB (fake-indexeddb, in memory),
// `self`, `crypto`, and a `fetch` that resolves the app's relative paths ("/api/v1/sync") against the test's
// server, as a page does against its own origin. Import this before any module of pwa/js/.

import "fake-indexeddb/auto";

import { webcrypto } from "node:crypto";

import { DB_NAME } from "../../../pwa/js/db.js";

globalThis.self = globalThis;
globalThis.crypto ??= webcrypto; // Node 18 (Debian 12's) has it only as a module
const nodeFetch = globalThis.fetch;
let origin = null;

/** Requests of the app go to `url` (a local server) from now on; `null` makes them fail like a dead network. */
export function serveFrom(url) {
  origin = url;
}

globalThis.fetch = (input, init) => {
  if (!origin) return Promise.reject(new TypeError("Failed to fetch"));
  return nodeFetch(new URL(input, origin), init);
};

/** A new, empty database: the open connection closes itself on `versionchange` (db.js) and reopens on use. */
export function resetDatabase() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(DB_NAME);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error("the database is still open elsewhere"));
  });
}

/**
 * Count the transactions the app opens while `action` runs, by mode and stores.
 * Returns {result, transactions: [{mode, stores}]}.
 */
export async function countTransactions(action) {
  const open = IDBDatabase.prototype.transaction;
  const transactions = [];
  IDBDatabase.prototype.transaction = function counted(stores, mode = "readonly", ...rest) {
    transactions.push({ mode, stores: [stores].flat() });
    return open.call(this, stores, mode, ...rest);
  };
  try {
    return { result: await action(), transactions };
  } finally {
    IDBDatabase.prototype.transaction = open;
  }
}

/**
 * Make the `n`-th call (1-based) of `method` on IDBObjectStore ("put", "delete") abort its transaction, as a
 * full disk or a closing tab would, while `action` runs. Returns what `action` threw or returned.
 */
export async function failingMidway(method, n, action) {
  const original = IDBObjectStore.prototype[method];
  let calls = 0;
  IDBObjectStore.prototype[method] = function failing(...args) {
    calls += 1;
    const request = original.apply(this, args);
    if (calls === n) this.transaction.abort();
    return request;
  };
  try {
    return await action();
  } finally {
    IDBObjectStore.prototype[method] = original;
  }
}
