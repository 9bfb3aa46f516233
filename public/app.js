// The example app: a shared task board, built only on the client library.
// Columns and cards are lists under merge patch (objects keyed by order
// keys, client/order.js), so inserts and moves by several people never
// conflict; presence says who is here and which card each edits; edits
// made offline are kept on this device (client/persist.js) and sent once
// the server is back; a read token gives a read-only view. The raw JSON
// view is behind a tab. The state:
//   { columns: { <key>: { name, cards: { <key>: { text, by } } } } }
import { connect, diff } from "./sync.js";
import { keyBetween, ordered } from "./order.js";
import { indexedDBStore, offline } from "./persist.js";

const params = new URLSearchParams(location.search);
const id = params.get("doc") || "demo";
const name = params.get("name") || `tab-${Math.random().toString(36).slice(2, 6)}`;
// A token in the fragment: never sent in a request line, so never logged.
const token = new URLSearchParams(location.hash.slice(1)).get("token") || undefined;
// Its claims, unverified: only to shape the page (the server decides).
let claims = {};
try {
  claims = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
} catch {}
const readOnly = claims.scope === "read";

const $ = (sel) => document.querySelector(sel);
// An element with properties (dataset merged, not replaced) and children.
function el(tag, { dataset = {}, ...props } = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  Object.assign(node.dataset, dataset);
  node.append(...children);
  return node;
}
const note = (text, error = false) => {
  $("#note").textContent = text;
  $("#note").className = error ? "error" : "";
};

// The app shell works offline too (sw.js caches it).
navigator.serviceWorker?.register("./sw.js").catch(() => {});

$("#doc").textContent = id;
document.body.classList.toggle("readonly", readOnly);
$("#readonly").hidden = !readOnly;
const kept = offline({ storage: indexedDBStore(), subject: claims.sub ?? name });
const doc = connect(`${location.origin}/state/${encodeURIComponent(id)}/live`, { token, offline: kept });
globalThis.doc = doc; // for the browser test, and for trying things in the console
globalThis.kept = kept;

// Writes: each a merge patch; a refusal is shown, and the state rolls back.
function write(patch, what) {
  note(`${what}...`);
  doc.patch(patch).then(
    (v) => note(`${what}: saved as version ${v}`),
    (e) => note(`${e.code}: ${e.message}`, true),
  );
}
const columns = () => ordered(doc.state.columns);
const cardsOf = (col) => ordered(doc.state.columns?.[col]?.cards);
const lastKey = (list) => list.at(-1)?.[0] ?? null;
const inColumn = (col, cards) => ({ columns: { [col]: { cards } } });

// A card moved within its column (by -1 or +1) or to the next column.
function move(col, key, by) {
  const list = cardsOf(col);
  const i = list.findIndex(([k]) => k === key);
  const j = i + by;
  if (j < 0 || j >= list.length) return;
  const [a, b] = by < 0 ? [list[j - 1]?.[0] ?? null, list[j][0]] : [list[j][0], list[j + 1]?.[0] ?? null];
  write(inColumn(col, { [key]: null, [keyBetween(a, b)]: list[i][1] }), "moved");
}
function shift(col, key, by) {
  const cols = columns();
  const to = cols[cols.findIndex(([k]) => k === col) + by]?.[0];
  if (!to) return;
  const card = doc.state.columns[col].cards[key];
  write({ columns: { [col]: { cards: { [key]: null } }, [to]: { cards: { [keyBetween(lastKey(cardsOf(to)), null)]: card } } } }, "moved");
}

// Presence: who is here, and the card each edits.
let editing = null;
const present = () => doc.presence({ name, editing });
present();

let stale = false; // a render waits while a card's text is being edited
function render() {
  if (document.activeElement?.matches?.(".card input")) return void (stale = true);
  stale = false;
  const editors = {};
  for (const p of Object.values(doc.peers)) if (p?.editing) (editors[p.editing] ??= []).push(p.name);
  $("#start").hidden = readOnly || !!doc.state.columns || doc.version < 0;
  $("#board").replaceChildren(
    ...columns().map(([col, c]) =>
      el("div", { className: "column", dataset: { key: col } }, el("h2", { textContent: c?.name ?? "" }), ...cardsOf(col).map(([key, card]) => cardView(col, key, card, editors[key])), addView(col)),
    ),
  );
}
function cardView(col, key, card, who = []) {
  const input = el("input", { value: card?.text ?? "", disabled: readOnly, ariaLabel: "card" });
  input.addEventListener("focus", () => ((editing = key), present()));
  input.addEventListener("blur", () => {
    editing = null;
    present();
    if (input.value !== (card?.text ?? "")) write(inColumn(col, { [key]: { text: input.value } }), "edited");
    if (stale) setTimeout(render);
  });
  input.addEventListener("keydown", (e) => e.key === "Enter" && input.blur());
  const tool = (label, title, fn) => el("button", { textContent: label, title, onclick: fn });
  return el(
    "div",
    { className: "card", dataset: { key } },
    input,
    el("div", { className: "editing", textContent: who.length ? `✎ ${who.join(", ")}` : "" }),
    el(
      "div",
      { className: "tools" },
      tool("↑", "up", () => move(col, key, -1)),
      tool("↓", "down", () => move(col, key, 1)),
      tool("←", "to the column before", () => shift(col, key, -1)),
      tool("→", "to the next column", () => shift(col, key, 1)),
      tool("✕", "delete", () => write(inColumn(col, { [key]: null }), "deleted")),
    ),
  );
}
function addView(col) {
  const input = el("input", { className: "add", placeholder: "+ card", ariaLabel: "new card" });
  input.addEventListener("keydown", (e) => {
    if (e.key !== "Enter" || !input.value.trim()) return;
    write(inColumn(col, { [keyBetween(lastKey(cardsOf(col)), null)]: { text: input.value.trim(), by: name } }), "added");
    input.value = "";
  });
  return input;
}

$("#start").onclick = () => write({ columns: { a0: { name: "To do" }, a1: { name: "Doing" }, a2: { name: "Done" } } }, "started");
$("#column").addEventListener("keydown", (e) => {
  const label = $("#column").value.trim();
  if (e.key !== "Enter" || !label) return;
  write({ columns: { [keyBetween(lastKey(columns()), null)]: { name: label } } }, "added a column");
  $("#column").value = "";
});

// The header: version, connection, what is kept offline, peers.
function status() {
  $("#version").textContent = doc.version;
  $("#status").textContent = doc.status;
  $("#status").dataset.status = doc.status;
  const offlineNow = doc.status !== "open";
  $("#offline").hidden = !offlineNow && !doc.pending;
  $("#offline").textContent = offlineNow ? `offline: ${doc.pending} edit(s) kept on this device` : `${doc.pending} edit(s) sending`;
}
doc.on("status", status);
doc.on("presence", (peers) => {
  $("#peers").replaceChildren(...Object.entries(peers).map(([peer, data]) => el("li", { textContent: data?.name ?? peer, dataset: { peer, editing: data?.editing ?? "" } })));
  render();
});
doc.on("error", (e) => note(`${e.code}: ${e.message}`, true));

// The JSON view: the whole document, editable; Apply sends the difference.
const editor = $("#editor");
let dirty = false; // the editor holds an edit not yet applied
editor.addEventListener("input", () => (dirty = true));
doc.subscribe((state) => {
  status();
  render();
  if (!dirty) editor.value = JSON.stringify(state, null, 2);
});
$("#apply").addEventListener("click", () => {
  let next;
  try {
    next = JSON.parse(editor.value);
  } catch (e) {
    return note(`not JSON: ${e.message}`, true);
  }
  if (next === null || typeof next !== "object" || Array.isArray(next)) return note("the document is a JSON object", true);
  const patch = diff(doc.state, next);
  dirty = false;
  if (!Object.keys(patch).length) return note("no change");
  write(patch, "saving");
});
for (const [tab, view] of [["#tab-board", "#board-view"], ["#tab-json", "#json-view"]])
  $(tab).onclick = () => {
    for (const t of ["#tab-board", "#tab-json"]) $(t).ariaSelected = String(t === tab);
    $("#board-view").hidden = view !== "#board-view";
    $("#json-view").hidden = view !== "#json-view";
  };
