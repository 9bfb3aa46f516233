#!/bin/sh
# make dev: the C worker (with the plugins worker and the example consumer
# beside it, as in production) on 127.0.0.1:$PORT, and the consumer's HTTP
# face on $PORT+1.
#
# wrangler serves only the first config's worker over HTTP, so the consumer
# gets a second process; its service binding reaches the main worker through
# wrangler's local dev registry.
set -eu
PORT=${PORT:-8787}
CPORT=$((PORT + 1))

wrangler dev -c examples/consumer/wrangler.toml --ip 127.0.0.1 --port "$CPORT" \
    --persist-to .wrangler/consumer-state >.wrangler-consumer.log 2>&1 &
consumer=$!
trap 'kill $consumer 2>/dev/null || true' EXIT INT TERM
echo "dev: consumer on http://127.0.0.1:$CPORT (log: .wrangler-consumer.log)"
echo "dev: live page on http://127.0.0.1:$PORT/?doc=demo (open it in two tabs)"
wrangler dev -c wrangler.toml -c plugins/wrangler.toml -c examples/consumer/wrangler.toml \
    --ip 127.0.0.1 --port "$PORT"
