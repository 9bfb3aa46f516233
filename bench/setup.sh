#!/bin/sh
# Extra tools for `make bench` only: Go (the baseline) and wrk (the load
# tool), from Debian. Installed with apt-get when root; otherwise the exact
# command is printed. TinyGo is not packaged for Debian or npm, so it is not
# a variant here (bench/run.mjs records that).
set -eu
need=""
command -v go >/dev/null 2>&1 || need="$need golang-go"
command -v wrk >/dev/null 2>&1 || need="$need wrk"
[ -n "$need" ] || exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "bench: missing Debian packages. Run, then retry:" >&2
    echo "    sudo apt-get install -y --no-install-recommends$need" >&2
    exit 1
fi
echo "bench: installing$need"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null 2>&1 || {
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null
}
