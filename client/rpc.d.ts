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
import type { Json, State } from "./sync";

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

export type StateResult = { ok: true; status: 200; id: string; version: number; state: State } | Failed;
export type SyncResult =
  | { ok: true; status: 200; id: string; version: number; state?: State; changes?: Change[]; replayed?: true }
  | Failed;
export type ChangesResult = { ok: true; status: 200; id: string; version: number; changes: Change[] } | Failed;
export type DeleteResult = { ok: true; status: 200; id: string; version: number } | Failed;

/** The C worker's entrypoint, as a service binding sees it. */
export interface StateSync {
  syncState(id: string, patch: Patch, options?: SyncOptions): Promise<SyncResult>;
  getState(id: string): Promise<StateResult>;
  getChanges(id: string, since: number | string, options?: { limit?: number | string }): Promise<ChangesResult>;
  deleteState(id: string, options?: { ifMatch?: Precondition; ifNoneMatch?: Precondition; actor?: string }): Promise<DeleteResult>;
}
