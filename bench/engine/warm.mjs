// Warms V8's wasm engine with a tiny module, so a cold measurement counts the
// variant's own compile/instantiate/first call, not the engine's first use.
export function warmEngine() {
  // (module (func (export "f") (result i32) i32.const 1))
  const tiny = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 127, 3, 2, 1, 0, 7, 5, 1, 1, 102, 0, 0, 10, 6, 1, 4, 0, 65, 1, 11]);
  const f = new WebAssembly.Instance(new WebAssembly.Module(tiny), {}).exports.f;
  if (f() !== 1) throw new Error("engine warm-up failed");
  JSON.parse(JSON.stringify({ warm: [1, 2, 3] }));
}
