#!/bin/sh
# Extra tools for `make bench` only: Go (the baseline) and wrk (the load
# tool), from Debian, installed with apt-get when root (otherwise the exact
# command is printed); and the Agents SDK baseline's npm dependencies,
# pinned by bench/baselines/agents/package-lock.json. TinyGo is not
# packaged for Debian or npm, so it is not a variant here (bench/run.mjs
# records that).
set -eu
cd "$(dirname "$0")/.."
A=bench/baselines/agents
if [ ! -f $A/node_modules/.package-lock.json ] || [ $A/package-lock.json -nt $A/node_modules/.package-lock.json ]; then
    echo "bench: npm ci in $A"
    (cd $A && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
    touch $A/node_modules/.package-lock.json
fi
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
