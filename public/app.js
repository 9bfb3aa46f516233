// The live page: one document, editable as JSON, with its live version and
// the peers present. Everything it does goes through client/sync.js.
import { connect, diff } from "./sync.js";

const params = new URLSearchParams(location.search);
const id = params.get("doc") || "demo";
const name = params.get("name") || `tab-${Math.random().toString(36).slice(2, 6)}`;
// A token in the fragment: never sent in a request line, so never logged.
const token = new URLSearchParams(location.hash.slice(1)).get("token") || undefined;
const $ = (sel) => document.querySelector(sel);
const editor = $("#editor");
const note = (text, error = false) => {
  $("#note").textContent = text;
  $("#note").className = error ? "error" : "";
};

$("#doc").textContent = id;
const doc = connect(`${location.origin}/state/${encodeURIComponent(id)}/live`, { token });
globalThis.doc = doc; // for the browser test, and for trying things in the console

let dirty = false; // the editor holds an edit not yet applied
editor.addEventListener("input", () => (dirty = true));
doc.on("change", (state) => {
  $("#version").textContent = doc.version;
  if (!dirty) editor.value = JSON.stringify(state, null, 2);
});
doc.on("status", (s) => {
  $("#status").textContent = s;
  $("#status").dataset.status = s;
});
doc.on("presence", (peers) => {
  $("#peers").replaceChildren(
    ...Object.entries(peers).map(([peer, data]) => {
      const li = document.createElement("li");
      li.textContent = data?.name ?? peer;
      li.dataset.peer = peer;
      return li;
    }),
  );
});
doc.on("error", (e) => note(`${e.code}: ${e.message}`, true));
doc.presence({ name });

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
  note("saving...");
  doc.patch(patch).then(
    (v) => note(`saved as version ${v}`),
    (e) => note(`${e.code}: ${e.message}`, true),
  );
});
