// Types for the C worker's RPC API, for a worker that binds it:
//
//   [[services]]
//   binding = "STATE_SYNC"
//   service = "c-on-workers"
//
//   import type { StateSync } from "<this repo>/client/rpc";
//   interface Env { STATE_SYNC: StateSync }
//
// Every method resolves (bad input is a value with ok: false, never a
// throw); Workers RPC itself refuses arguments over 32 MiB.
import type { Json, State } from "./sync.js";

export type { Json, State };

/** An RFC 7386 merge patch, or its raw JSON text as bytes (parsed by the
 * C worker like an HTTP body, so every number keeps its digits). */
export type Patch = { [key: string]: Json } | Uint8Array | ArrayBuffer | ArrayBufferView;

/** A version number, or an If-Match / If-None-Match header value as is. */
export type Precondition = number | string;

export interface SyncOptions {
  ifMatch?: Precondition;
  ifNoneMatch?: Precondition;
  /** apply unless a write after this version touched the same paths */
  base?: number | string;
  /** also return the changes after this version, this write included */
  since?: number | string;
  /** 1-64 printable ASCII: a retry applies once */
  idempotencyKey?: string;
  /** "minimal": { id, version } without the state */
  return?: "minimal" | "representation";
  /** who writes, recorded in the journal */
  actor?: string;
  /** "text": the answer as the JSON text the C worker wrote (TextResult);
   * "stream": a successful answer's text as a stream of bytes (StreamResult) */
  as?: "json" | "text" | "stream";
}

/** The answer as the JSON text the C worker wrote, byte for byte what
 * HTTP answers: every number as written (the parsed form holds them as JS
 * numbers, which round past 2^53 and lose -0.0 and 1E400's form). */
export interface TextResult {
  ok: boolean;
  status: number;
  /** the version the answer names (from its ETag), when it names one */
  version?: number;
  replayed?: true;
  /** the body: {"id","version","state"...} or {"error":{...}} */
  text: string;
}

export interface ErrorBody {
  code: string;
  message: string;
  request_id: string;
  paths?: string[];
  reasons?: { path: string; message: string }[];
}

export interface Failed {
  ok: false;
  status: number;
  error: ErrorBody;
}

export interface Change {
  version: number;
  /** milliseconds since the epoch */
  at: number;
  request_id: string;
  actor: string | null;
  patch: { [key: string]: Json };
}

/** state: the whole state, or, with a path, the value at it (any JSON). */
export type StateResult = { ok: true; status: 200; id: string; version: number; path?: string; state: Json } | Failed;
/** The answer's JSON text (as TextResult's text) as a stream of bytes, read
 * from the document's rows as it is read: for a state of any size. */
export type StreamResult = { ok: true; status: 200; version?: number; replayed?: true; stream: ReadableStream<Uint8Array> } | Failed;
export type SyncResult =
  | { ok: true; status: 200; id: string; version: number; state?: State; changes?: Change[]; replayed?: true }
  | Failed;
export type ChangesResult = { ok: true; status: 200; id: string; version: number; changes: Change[] } | Failed;
export type DeleteResult = { ok: true; status: 200; id: string; version: number } | Failed;

type AsText = { as: "text" };
type AsJson = { as?: "json" };
type AsStream = { as: "stream" };
export interface ReadOptions {
  /** a JSON Pointer (RFC 6901): the value there (404 no_such_path when none) */
  path?: string;
}
export interface DeleteOptions {
  ifMatch?: Precondition;
  ifNoneMatch?: Precondition;
  actor?: string;
}

/** The C worker's entrypoint, as a service binding sees it. */
export interface StateSync {
  syncState(id: string, patch: Patch, options: SyncOptions & AsText): Promise<TextResult>;
  syncState(id: string, patch: Patch, options?: SyncOptions & AsJson): Promise<SyncResult>;
  syncState(id: string, patch: Patch, options: SyncOptions & AsStream): Promise<StreamResult>;
  getState(id: string, options: ReadOptions & AsText): Promise<TextResult>;
  /** an answer over 4 MiB: 413 here; ask for it with as "stream" or a path */
  getState(id: string, options?: ReadOptions & AsJson): Promise<StateResult>;
  getState(id: string, options: ReadOptions & AsStream): Promise<StreamResult>;
  getChanges(id: string, since: number | string, options: { limit?: number | string } & AsText): Promise<TextResult>;
  getChanges(id: string, since: number | string, options?: { limit?: number | string } & AsJson): Promise<ChangesResult>;
  getChanges(id: string, since: number | string, options: { limit?: number | string } & AsStream): Promise<StreamResult>;
  deleteState(id: string, options: DeleteOptions & AsText): Promise<TextResult>;
  deleteState(id: string, options?: DeleteOptions & AsJson): Promise<DeleteResult>;
  deleteState(id: string, options: DeleteOptions & AsStream): Promise<StreamResult>;
}
