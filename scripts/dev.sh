#!/bin/sh
# make dev: the C worker (with the plugins worker and the example consumer
# beside it, as in production) on 127.0.0.1:$PORT, and the consumer's HTTP
# face on $PORT+1.
#
# wrangler serves only the first config's worker over HTTP, so the consumer
# gets a second process; its service binding reaches the main worker through
# wrangler's local dev registry.
#
# The two processes start one after the other. Each wrangler picks its
# inspector port by probing for a free one from 9229 up (get-port) and binds
# it only later, in workerd (the socket "direct:1:default" of its inspector
# proxy). Started together, both probed 9229 as free, and the second to bind
# failed with "Address already in use (direct:1:default)". So the consumer
# starts first, and the main worker only once the consumer answers, by
# which time its ports are bound.
#
# PERSIST_TO (optional) moves the main worker's local state from
# .wrangler/state; the consumer keeps its own under .wrangler/consumer-state.
#
# The registry is this checkout's (.wrangler/registry), not the user's one
# in wrangler's global config: another make dev on the machine registers
# the same worker name there, and the consumer would call that one's
# worker. WRANGLER_REGISTRY_PATH, when set, is kept.
set -eu
export WRANGLER_REGISTRY_PATH="${WRANGLER_REGISTRY_PATH:-$PWD/.wrangler/registry}"
PORT=${PORT:-8787}
CPORT=$((PORT + 1))
PERSIST_TO=${PERSIST_TO:-.wrangler/state}

wrangler dev -c examples/consumer/wrangler.toml --ip 127.0.0.1 --port "$CPORT" \
    --persist-to .wrangler/consumer-state >.wrangler-consumer.log 2>&1 &
consumer=$!
trap 'kill $consumer 2>/dev/null || true' EXIT INT TERM

# Wait for the consumer (at most 90 s); a consumer that exits is reported
# with its log, and the main worker still starts.
tries=0
until node -e 'fetch(process.argv[1]).then(() => process.exit(0), () => process.exit(1))' \
    "http://127.0.0.1:$CPORT/" 2>/dev/null; do
    if ! kill -0 "$consumer" 2>/dev/null; then
        echo "dev: the consumer exited; its log (.wrangler-consumer.log):" >&2
        cat .wrangler-consumer.log >&2
        break
    fi
    tries=$((tries + 1))
    if [ "$tries" -ge 300 ]; then
        echo "dev: the consumer did not answer within 90 s (log: .wrangler-consumer.log)" >&2
        break
    fi
    sleep 0.3
done
echo "dev: consumer on http://127.0.0.1:$CPORT (log: .wrangler-consumer.log)"
echo "dev: live page on http://127.0.0.1:$PORT/?doc=demo (open it in two tabs)"
wrangler dev -c wrangler.toml -c plugins/wrangler.toml -c examples/consumer/wrangler.toml \
    --ip 127.0.0.1 --port "$PORT" --persist-to "$PERSIST_TO"
