#!/bin/sh
# Bytes of the host module after each step of the build pipeline:
#   -O2 -> -Oz -> LTO -> --gc-sections -> strip -> wasm-opt
# Each row adds one step to the row before. wasm-ld garbage-collects by
# default, so the rows before gc-sections pass --no-gc-sections. Writes
# build/size-steps.md and prints it.
set -eu
cd "$(dirname "$0")/.."
CC=$(scripts/toolchain.sh cc)
SYSROOT=$(scripts/toolchain.sh sysroot)
J=build/third_party/jansson-2.14/src
OUT=build/steps
JDEFS="-DCW_HASH_BYTEWISE"
FEATURES="-mbulk-memory -msign-ext -mmutable-globals -mnontrapping-fptoint" # as the Makefile's
rm -rf "$OUT" && mkdir -p "$OUT"

compile() { # flavour flags...
    dir="$OUT/$1"; shift
    mkdir -p "$dir"
    for f in src/*.c; do
        $CC $SYSROOT --target=wasm32-wasi $FEATURES "$@" -Isrc -I$J -Ibuild/gen -DHAVE_CONFIG_H \
            -DNDEBUG -c "$f" -o "$dir/$(basename "$f" .c).o"
    done
    for f in hashtable memory utf value; do
        $CC $SYSROOT --target=wasm32-wasi $FEATURES "$@" -Isrc -I$J -DHAVE_CONFIG_H -DNDEBUG \
            $JDEFS -w -c "$J/$f.c" -o "$dir/j_$f.o"
    done
}

link() { # flavour output flags...
    dir="$OUT/$1"; out="$OUT/$2"; shift 2
    PATH=/usr/bin:/bin $CC $SYSROOT --target=wasm32-wasi -mexec-model=reactor $FEATURES \
        -Wl,-mllvm,-inline-threshold=-15 -Wl,-z,stack-size=131072 -Wl,--stack-first "$@" \
        "$dir"/*.o -o "$out"
}

compile o2 -O2
compile oz -Oz
compile lto -Oz -flto
link o2 1.wasm -O2 -Wl,--no-gc-sections
link oz 2.wasm -Oz -Wl,--no-gc-sections
link lto 3.wasm -Oz -flto -Wl,--no-gc-sections
link lto 4.wasm -Oz -flto -Wl,--gc-sections
link lto 5.wasm -Oz -flto -Wl,--gc-sections -Wl,--strip-all
wasm-opt -Oz --converge --enable-bulk-memory --enable-bulk-memory-opt --enable-sign-ext \
    --enable-mutable-globals --enable-nontrapping-float-to-int --strip-debug --strip-producers \
    "$OUT/5.wasm" -o "$OUT/6.wasm"

{
    echo "| step | raw bytes | gzip -9 bytes |"
    echo "| --- | ---: | ---: |"
    i=1
    for step in "-O2 (no LTO, no gc, not stripped)" "-Oz" "+ LTO (-flto)" "+ --gc-sections" \
        "+ strip (--strip-all)" "+ wasm-opt -Oz"; do
        f="$OUT/$i.wasm"
        echo "| $step | $(wc -c <"$f") | $(gzip -9c <"$f" | wc -c) |"
        i=$((i + 1))
    done
} >build/size-steps.md
cat build/size-steps.md
