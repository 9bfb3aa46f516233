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
// A name kept on this device (it keys the edits kept offline, without a
// token: a new one on every load would leave them behind).
let name = params.get("name");
try {
  name ||= localStorage.boardName ||= `guest-${Math.random().toString(36).slice(2, 6)}`;
} catch {
  name ||= "guest";
}
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

// Writes: each a merge patch (against base, when given: a write since to
// the same paths makes it a conflict); a refusal is shown, and the state
// rolls back.
function write(patch, what, base) {
  note(`${what}...`);
  doc.patch(patch, base >= 0 ? { base } : {}).then(
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
  write(inColumn(col, { [key]: null, [keyBetween(a, b)]: list[i][1] }), "moved", mine());
}
// A move copies the card as read: against that version, so an edit by
// someone else meanwhile is a conflict, not lost (unless a write of ours
// is still out: it would conflict with it).
const mine = () => (doc.pending ? undefined : doc.version);
function shift(col, key, by) {
  const cols = columns();
  const to = cols[cols.findIndex(([k]) => k === col) + by]?.[0];
  if (!to) return;
  const card = doc.state.columns[col].cards[key];
  write({ columns: { [col]: { cards: { [key]: null } }, [to]: { cards: { [keyBetween(lastKey(cardsOf(to)), null)]: card } } } }, "moved", mine());
}

// Presence: who is here, and the card each edits.
let editing = null;
const present = () => doc.presence({ name, editing });
present();

// The board's elements are kept across renders (a column's and a card's by
// its key), so what is being typed, the focus and the caret survive every
// change and presence; a render updates them in place. While it runs, the
// focus and blur it may cause are not the user's.
const views = new Map();
let rendering = false;
let focused = null; // { input, at }: the card being edited, and its text then
// Puts children in parent in this order, moving only what is out of place
// (a node left in place keeps its focus and an input method's composition).
function place(parent, children) {
  children.forEach((c, i) => parent.children[i] !== c && parent.insertBefore(c, parent.children[i] ?? null));
  while (parent.children.length > children.length) parent.lastChild.remove();
}
function render() {
  const active = document.activeElement;
  const [from, to] = [active?.selectionStart, active?.selectionEnd];
  const editors = {};
  for (const p of Object.values(doc.peers)) if (p?.editing) (editors[p.editing] ??= []).push(p.name);
  $("#start").hidden = readOnly || !!doc.state.columns || doc.version < 0;
  const seen = new Set();
  const view = (key, make) => (seen.add(key), views.get(key) ?? views.set(key, make()).get(key));
  rendering = true;
  try {
    place(
      $("#board"),
      columns().map(([col, c]) => {
        const v = view(col, () => columnView(col));
        v.title.textContent = c?.name ?? "";
        place(v.node, [v.title, ...cardsOf(col).map(([key, card]) => view(`${col}/${key}`, () => cardView(col, key)).update(card, editors[key] ?? [])), v.add]);
        return v.node;
      }),
    );
    for (const key of views.keys()) if (!seen.has(key)) views.delete(key);
    if (active?.isConnected && document.activeElement !== active) {
      active.focus();
      active.setSelectionRange?.(from, to);
    }
  } finally {
    rendering = false;
  }
  // The card being edited was moved or deleted meanwhile: the edit goes
  // nowhere, and says so.
  if (focused && !focused.input.isConnected) {
    const { input, at } = focused;
    focused = editing = null;
    present();
    if (input.value !== at) note("the card was moved or deleted meanwhile: the edit is not saved", true);
  }
}
function columnView(col) {
  return { node: el("div", { className: "column", dataset: { key: col } }), title: el("h2"), add: addView(col) };
}
// A card's text is written against the version its edit began at: a card
// moved, deleted or edited by someone else meanwhile is a conflict (the
// server's base check), never a copy or a card brought back.
function cardView(col, key) {
  const input = el("input", { disabled: readOnly, ariaLabel: "card" });
  const who = el("div", { className: "editing" });
  let card = null;
  let base;
  input.addEventListener("focus", () => {
    if (rendering) return;
    editing = key;
    focused = { input, at: input.value };
    base = doc.pending ? undefined : doc.version; // (a write of ours still out would conflict with it)
    present();
  });
  input.addEventListener("blur", () => {
    if (rendering || focused?.input !== input) return;
    const at = focused.at;
    focused = editing = null;
    present();
    if (input.value === at) return void (input.value = card?.text ?? ""); // nothing typed: the text as it is now
    if (!doc.state.columns?.[col]?.cards?.[key]) return note("the card was moved or deleted meanwhile: the edit is not saved", true);
    write(inColumn(col, { [key]: { text: input.value } }), "edited", base);
  });
  input.addEventListener("keydown", (e) => e.key === "Enter" && !e.isComposing && input.blur());
  const tool = (label, title, fn) => el("button", { textContent: label, title, onclick: fn });
  const node = el(
    "div",
    { className: "card", dataset: { key } },
    input,
    who,
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
  return {
    update(next, editors) {
      card = next;
      // what is being typed stays; the server's text shows once it is done
      if (document.activeElement !== input) input.value = card?.text ?? "";
      who.textContent = editors.length ? `✎ ${editors.join(", ")}` : "";
      return node;
    },
  };
}
function addView(col) {
  const input = el("input", { className: "add", placeholder: "+ card", ariaLabel: "new card" });
  input.addEventListener("keydown", (e) => {
    if (e.key !== "Enter" || e.isComposing || !input.value.trim()) return;
    const text = input.value.trim();
    input.value = "";
    write(inColumn(col, { [keyBetween(lastKey(cardsOf(col)), null)]: { text, by: name } }), "added");
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
// The difference from what the editor showed, against its version: others'
// changes since stay, and one to the same paths is a conflict.
const editor = $("#editor");
let dirty = false; // the editor holds an edit not yet applied
let shown = { state: {}, version: -1 }; // what the editor showed
editor.addEventListener("input", () => (dirty = true));
doc.subscribe((state) => {
  status();
  render();
  if (!dirty) {
    editor.value = JSON.stringify(state, null, 2);
    shown = { state, version: doc.pending ? -1 : doc.version };
  }
});
$("#apply").addEventListener("click", () => {
  let next;
  try {
    next = JSON.parse(editor.value);
  } catch (e) {
    return note(`not JSON: ${e.message}`, true);
  }
  if (next === null || typeof next !== "object" || Array.isArray(next)) return note("the document is a JSON object", true);
  const patch = diff(shown.state, next);
  dirty = false;
  if (!Object.keys(patch).length) return note("no change");
  write(patch, "saving", shown.version);
});
for (const [tab, view] of [["#tab-board", "#board-view"], ["#tab-json", "#json-view"]])
  $(tab).onclick = () => {
    for (const t of ["#tab-board", "#tab-json"]) $(t).ariaSelected = String(t === tab);
    $("#board-view").hidden = view !== "#board-view";
    $("#json-view").hidden = view !== "#json-view";
  };
