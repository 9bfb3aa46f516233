#!/bin/sh
# Builds the benchmark fixtures into build/bench (never part of the product):
#   go/main.wasm + go/wasm_exec.js   the Go baseline (js/wasm, -ldflags="-s -w")
#   floor.wasm                       the floor variant's module (one export, no libc)
set -eu
cd "$(dirname "$0")/.."
OUT=build/bench
mkdir -p "$OUT/go"

(cd bench/baselines/go && GOOS=js GOARCH=wasm GOFLAGS=-mod=mod go build -trimpath -ldflags="-s -w" \
    -o "../../../$OUT/go/main.wasm" .)
cp "$(go env GOROOT)/misc/wasm/wasm_exec.js" "$OUT/go/wasm_exec.js"

# The floor variant's module: one export, no libc (bench/baselines/floor).
CC=$(scripts/toolchain.sh cc)
PATH=/usr/bin:/bin $CC --target=wasm32 -nostdlib -Oz -Wl,--no-entry -Wl,--strip-all \
    bench/baselines/floor/floor.c -o "$OUT/floor.linked.wasm"
wasm-opt -Oz --strip-debug --strip-producers "$OUT/floor.linked.wasm" -o "$OUT/floor.wasm"
echo "bench: built $OUT/go/main.wasm ($(wc -c <"$OUT/go/main.wasm") bytes) and $OUT/floor.wasm ($(wc -c <"$OUT/floor.wasm") bytes)"
