// Compile-only (tsc --noEmit, make test): the client's declarations used
// the way docs/client.md shows them. A wrong call here fails the check.
import { connect, diff, merge, type SyncError } from "../../client/sync";

const doc = connect("https://example.test/state/notes/live", { token: "t", maxDelay: 5000 });
const off = doc.on("change", (state, info) => {
  const title: unknown = state.title;
  const v: number = info.version;
  void [title, v, info.local, info.actor];
});
doc.on("status", (s) => (s === "open" ? doc.presence({ name: "ann" }) : undefined));
doc.on("presence", (peers) => Object.keys(peers).length);
doc
  .patch({ title: "hi", gone: null }, { ifMatch: doc.version })
  .then((version: number) => version + 1)
  .catch((e: SyncError) => e.code === "conflict" && e.paths?.length);
const p = diff({ a: 1 }, { b: 2 });
merge(doc.state, p);
off();
doc.close();

// A token function: a fresh token from the app's own auth endpoint on every
// connect (docs/client.md: "Tokens that end").
const live = connect("https://example.test/state/notes/live", {
  token: async () => (await (await fetch("/my-auth/token?doc=notes")).json()).token as string,
});
live.on("error", (e) => (e.code === "rate_limited" ? e.retry_after_ms : undefined));
live.patch({ n: 1 }).catch((e: SyncError) => (e.code === "expired" || e.code === "invalid_patch" ? e.message : e.code));
connect("https://example.test/state/notes/live", { token: () => "sync-token" }).close();
live.close();

// Ordered lists: an object keyed by order keys (docs/client.md, ordered lists).
import { keyBetween, ordered } from "../../client/order";
const cards: { [key: string]: { title: string } } = {};
const first = keyBetween(null, null);
const after: string = keyBetween(first, null);
cards[first] = { title: "one" };
const pairs: [string, { title: string }][] = ordered(cards);
live.patch({ cards: { [first]: null, [keyBetween(after, null)]: pairs[0][1] } });

// Selective sync (docs/client.md: "Selective sync").
const part = connect("https://example.test/state/board/live", { paths: ["/cards/c17", "/meta"] });
part.setPaths(["/cards/c18"]);
part.setPaths(null);
part.close();
