// The floor variant (a benchmark fixture, never part of the product): the
// plain-JS baseline (../js) plus the smallest wasm module the project's
// toolchain builds (floor.c: one export, no libc), instantiated once per
// isolate and called once per request at the edge and in the object. Its
// cold start over plain JS is what wasm itself costs; ours over it is
// what our module, its first path and the glue cost.
import floorModule from "../../../build/bench/floor.wasm";
import js, { StateObject as Base } from "../js/worker.js";

let exports = null;
const floor = () => (exports ??= new WebAssembly.Instance(floorModule, {}).exports).floor(1);

export class StateObject extends Base {
  handle(...args) {
    floor();
    return super.handle(...args);
  }
  fetch(request) {
    floor();
    return super.fetch(request);
  }
  webSocketMessage(ws, message) {
    floor();
    return super.webSocketMessage(ws, message);
  }
}

export default {
  fetch(request, env, ctx) {
    floor();
    return js.fetch(request, env, ctx);
  },
};
