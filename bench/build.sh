#!/bin/sh
# Builds the benchmark fixtures into build/bench (never part of the product):
#   go/main.wasm + go/wasm_exec.js   the Go baseline (js/wasm, -ldflags="-s -w")
#   json.wasm                        Jansson parse/serialize for the JSON bench
set -eu
cd "$(dirname "$0")/.."
OUT=build/bench
mkdir -p "$OUT/go" "$OUT/json"

(cd bench/baselines/go && GOOS=js GOARCH=wasm GOFLAGS=-mod=mod go build -trimpath -ldflags="-s -w" \
    -o "../../../$OUT/go/main.wasm" .)
cp "$(go env GOROOT)/misc/wasm/wasm_exec.js" "$OUT/go/wasm_exec.js"

CC=$(scripts/toolchain.sh cc)
SYSROOT=$(scripts/toolchain.sh sysroot)
J=build/third_party/jansson-2.14/src
FLAGS="--target=wasm32-wasi -Oz -flto -mbulk-memory -DNDEBUG -DHAVE_CONFIG_H -Isrc -I$J"
JDEFS="-Dsnprintf=cw_snprintf -Dvsnprintf=cw_vsnprintf -Dstrtoll=cw_strtoll"
for f in dump error hashtable memory strbuffer utf value; do
    $CC $SYSROOT $FLAGS $JDEFS -w -c "$J/$f.c" -o "$OUT/json/j_$f.o"
done
for f in fmt dtoa strtod jansson_glue alloc json buf error http; do
    $CC $SYSROOT $FLAGS -c "src/$f.c" -o "$OUT/json/$f.o"
done
$CC $SYSROOT $FLAGS -c bench/json/json_bench.c -o "$OUT/json/json_bench.o"
PATH=/usr/bin:/bin $CC $SYSROOT --target=wasm32-wasi -mexec-model=reactor -Oz -flto -mbulk-memory \
    -Wl,--gc-sections -Wl,--strip-all -Wl,-z,stack-size=1048576 -Wl,--stack-first \
    "$OUT"/json/*.o -o "$OUT/json.wasm"
echo "bench: built $OUT/go/main.wasm ($(wc -c <"$OUT/go/main.wasm") bytes) and $OUT/json.wasm"
