/* The floor variant's module (a benchmark fixture): the smallest wasm the
 * project's toolchain builds, one export and no libc, so the floor variant
 * measures what wasm itself costs at cold start and nothing of ours. */
__attribute__((export_name("floor"))) int floor_call(int x) { return x + 1; }
