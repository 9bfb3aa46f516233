// Compile-only (make test-types): a consumer of the packed client package
// (npm pack client/, installed into a scratch project), by its export paths.
import { connect, type SyncDocument } from "@c-on-workers/client";
import { keyBetween, ordered } from "@c-on-workers/client/order";
import { indexedDBStore, memoryStore, offline } from "@c-on-workers/client/persist";
import type { StateSync } from "@c-on-workers/client/rpc";

const doc: SyncDocument = connect("https://example.test/state/board/live", {
  offline: offline({ storage: typeof indexedDB === "undefined" ? memoryStore() : indexedDBStore(), subject: "ann" }),
});
const key: string = keyBetween(null, null);
doc.patch({ cards: { [key]: { text: "one" } } });
const items: [string, unknown][] = ordered(doc.getSnapshot().cards as { [k: string]: unknown });
const unsubscribe: () => void = doc.subscribe(() => items.length);
unsubscribe();
export async function read(sync: StateSync) {
  return sync.getState("board");
}
// Every method takes as: "stream" (rpc.d.ts, docs/rpc.md).
export async function streams(sync: StateSync): Promise<ReadableStream<Uint8Array>[]> {
  const all = [
    await sync.syncState("board", { n: 1 }, { since: 0, as: "stream" }),
    await sync.getState("board", { as: "stream" }),
    await sync.getChanges("board", 0, { limit: 10, as: "stream" }),
    await sync.deleteState("board", { ifMatch: 2, as: "stream" }),
  ];
  return all.flatMap((r) => (r.ok ? [r.stream] : []));
}
