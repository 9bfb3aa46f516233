// Types for client/persist.js: offline persistence for client/sync.js.
import type { Offline } from "./sync.js";

/** Where records are kept: each call returns a promise; values are
 * structured-cloneable. */
export interface Storage {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
}

export interface OfflineStore extends Offline {
  /** settles once everything saved so far is stored */
  flushed(): Promise<void>;
  /** forgets what is kept for the document at url (on sign-out, say) */
  clear(url: string): Promise<void>;
}

/** Keeps, per document and per subject, the server's state with its
 * version and every pending write with its mid and creation time. Pass it
 * as connect()'s offline option. subject: the token's subject (the user),
 * so two users of one browser never share pending writes; onError hears a
 * storage failure (default: console.error). */
export function offline(options?: { storage?: Storage; subject?: string; onError?: (e: unknown) => void }): OfflineStore;
/** The browser's IndexedDB (database name, default "cw-sync"), writes committed with strict durability. */
export function indexedDBStore(name?: string, idb?: IDBFactory): Storage;
/** A Map in this process, of structured clones (the default). */
export function memoryStore(): Storage;
/** The sub claim of a JWT, unverified (a storage key, not a permission); "" when none. */
export function subjectOf(token: string): string;
