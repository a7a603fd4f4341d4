#!/usr/bin/env bash
# The web dashboard in a real browser: builds it (npm), records the demo network's ledger
# (60 nodes) unless LEDGER names one, serves it with `io indexer run --ledger ...
# --dashboard dashboard/dist`, and runs dashboard/test/e2e.mjs in headless Chromium
# (Debian's package; CHROMIUM overrides the path). Screenshots go to SHOTS
# (target/screenshots). Exits non-zero on any failed check.
set -euo pipefail
cd "$(dirname "$0")/.."
shots="${SHOTS:-$PWD/target/screenshots}"
port="${PORT:-8093}"
work="$(mktemp -d)"
trap 'kill "${indexer_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

(cd dashboard && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)
cargo build --locked -q -p io-cli
io=target/debug/io
ledger="${LEDGER:-}"
if [ -z "$ledger" ]; then
  ledger="$work/demo.ledger"
  "$io" demo --nodes 60 --operators 6 --record-ledger "$ledger" > "$work/demo.txt"
fi
"$io" indexer run --ledger "$ledger" --db "$work/index.redb" --listen "127.0.0.1:$port" \
  --dashboard dashboard/dist --io-usd 1.0 --poll-secs 0.5 2> "$work/indexer.log" &
indexer_pid=$!
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$port/ready" > /dev/null 2>&1 && break
  kill -0 "$indexer_pid" 2>/dev/null || { cat "$work/indexer.log"; exit 1; }
  sleep 0.5
done
curl -fs "http://127.0.0.1:$port/ready" > /dev/null || { echo "the indexer never became ready"; cat "$work/indexer.log"; exit 1; }
node dashboard/test/e2e.mjs "http://127.0.0.1:$port" "$shots"
