// Types for client/sync.js: the live sync client, protocol 1.

/** A JSON value as the state holds it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A document's state: always a JSON object. */
export type State = { [key: string]: Json };
/** An RFC 7386 merge patch: null removes a member. */
export type MergePatch = { [key: string]: Json };

/** The error a rejected patch carries: the server's (as over HTTP), or the
 * client's own: "invalid_patch" (a value JSON cannot carry, refused before
 * sending; "invalid_presence" is presence()'s), "payload_too_large" (the
 * server closed the socket with 1009 on a frame over its limit: the largest
 * write sent on it, not sent again; a larger presence is cleared instead,
 * with an error event), "expired" (a write sent before, older than the server's
 * idempotency window, not sent again) and "closed" (the document was
 * closed first: a write not yet acknowledged may or may not have been
 * applied). */
export interface SyncError extends Error {
  code: "invalid_patch" | "invalid_presence" | "expired" | "closed" | "payload_too_large" | (string & {});
  message: string;
  request_id?: string;
  /** conflict: this patch's paths a write after the base touched */
  paths?: string[];
  /** schema_violation: each violation */
  reasons?: { path: string; message: string }[];
}

export type Status = "connecting" | "open" | "reconnecting" | "closed";

/** What a change event says about its cause. */
export interface ChangeInfo {
  /** the server version the state is based on (-1 before the first) */
  version: number;
  /** the patch just applied, when one was */
  patch?: MergePatch;
  /** who wrote it, when the server knows */
  actor?: string | null;
  /** a patch this client just made (applied optimistically) */
  local?: boolean;
  snapshot?: boolean;
  reset?: boolean;
  /** the state and pending writes kept by the offline option, shown at load */
  restored?: boolean;
  /** the mid of this client's patch the server just acked or rejected */
  ack?: string;
  reject?: string;
}

export interface ConnectOptions {
  /** a token (JWT) for the document, sent as the bearer.<token>
   * subprotocol; or a function returning one (or a promise of one), called
   * on every connect, so a socket closed when its token ended (4001
   * token_expired, 4002 key_revoked) reconnects at once with a fresh one */
  token?: string | (() => string | Promise<string>);
  /** first reconnect delay bound, ms (default 250); doubles up to maxDelay */
  minDelay?: number;
  /** longest reconnect delay bound, ms (default 10000) */
  maxDelay?: number;
  /** how often to send the protocol's ping, ms (default 30000) */
  ping?: number;
  /** selective sync: only the subtrees at these JSON Pointers (RFC 6901),
   * e.g. ["/cards/c17", "/meta"]; the state holds just them, and writes
   * that touch none of them are not sent to this client */
  paths?: string[];
  /** keeps the server's state and the pending writes across reloads:
   * offline() from client/persist.js */
  offline?: Offline;
  /** a WebSocket class, when the platform has none */
  WebSocket?: typeof WebSocket;
}

/** What connect() needs of client/persist.js's offline(). */
/** paths: the selective sync's the state was kept for (null: the whole
 * document); watch, when given, hears every failed write (an error event). */
export interface Offline {
  load(url: string): Promise<{ version: number; state: State; paths?: string[] | null; pending: unknown[] } | undefined>;
  save(url: string, record: { version: number; state: State; paths?: string[] | null; pending: unknown[] }): void;
  watch?(fn: (error: unknown) => void): () => void;
}

export interface SyncDocument {
  /** the server's state with this client's pending patches on top (read only) */
  readonly state: State;
  /** the server version state is based on; -1 until the first snapshot */
  readonly version: number;
  readonly status: Status;
  /** how many of this client's writes are not yet acknowledged */
  readonly pending: number;
  /** the other peers this client has heard of (listed when it joined, or
   * since their first presence frame, until their leave): peer id ->
   * presence data */
  readonly peers: { [peer: string]: Json };
  on(event: "change", fn: (state: State, info: ChangeInfo) => void): () => void;
  on(event: "status", fn: (status: Status) => void): () => void;
  on(event: "presence", fn: (peers: { [peer: string]: Json }) => void): () => void;
  /** a server error frame (bad_frame, rate_limited with retry_after_ms,
   * invalid_token, ...), or code "token" when the token function failed */
  on(event: "error", fn: (error: { code: string; message: string; retry_after_ms?: number }) => void): () => void;
  /** The store contract of React's useSyncExternalStore and of Svelte:
   * calls listener with the state now and after every change; returns the
   * unsubscribe function. */
  subscribe(listener: (state: State) => void): () => void;
  /** The state; the same object until the next change. */
  getSnapshot(): State;
  /** Applies patch locally at once; resolves with the version the server
   * gave it, or rejects with a SyncError (the state is then rebuilt from
   * the server's plus what is still pending). Survives reconnects. */
  patch(patch: MergePatch, options?: { ifMatch?: number; base?: number }): Promise<number>;
  /** Changes the paths this client syncs (null: the whole document),
   * without reconnecting; the server answers with a snapshot of them. */
  setPaths(paths: string[] | null): void;
  /** Sets this client's presence (at most 1 KiB of JSON); null clears it.
   * Throws a SyncError with code invalid_presence, keeping the presence it
   * had, for data JSON cannot carry or that is not an object or null. */
  presence(data: { [key: string]: Json } | null): void;
  close(): void;
}

/** Opens a live document: url is its /state/{id}/live (http(s) or ws(s)). */
export function connect(url: string, options?: ConnectOptions): SyncDocument;

/** RFC 7386: patch applied to a copy of target. */
export function merge(target: Json, patch: Json): Json;

/** The merge patch that turns a into b. */
export function diff(a: State, b: State): MergePatch;
