#!/bin/bash
# The RPC paths against a real validator (issue 17, part 5), and the dashboard's wallet
# flows signed by a test wallet on it (issue 18). solana-test-validator (the Rust crate, in
# process: validator-check/) runs the suite's SBF programs; the `io` binary talks to it over
# JSON-RPC: genesis through RpcChain, registry, staking and DAO commands, and an indexer
# following it with the RPC source, whose answers must equal the history replay's; then the
# dashboard, served by that indexer, in headless Chromium with a wallet-standard test wallet
# that stakes, votes, unstakes and claims (dashboard/test/wallet-e2e.mjs).
#
#   scripts/validator-check.sh   # builds what is missing (SBF artifacts, io, the validator,
#                                # the dashboard and the client package)
# VALIDATOR_TARGET: the validator's target directory (default target/validator-check);
# SHOTS: where the screenshots go (default target/screenshots).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
[ -f target/deploy/io_registry.so ] || bash scripts/sbf/build.sh
cargo build -q -p io-cli
# Its own target directory and lockfile (the validator's dependency tree is not the
# workspace's); VALIDATOR_TARGET points at another.
VALIDATOR_TARGET=${VALIDATOR_TARGET:-$ROOT/target/validator-check}
CARGO_TARGET_DIR=$VALIDATOR_TARGET cargo build -q --locked --manifest-path validator-check/Cargo.toml
# The dashboard and the client package its browser test reads the chain with.
(cd clients/ts && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)
(cd dashboard && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)
SHOTS=${SHOTS:-$ROOT/target/screenshots}
IO=$ROOT/target/debug/io
WORK=$(mktemp -d)
VALIDATOR=
INDEXER=
PAGED=
cleanup() {
  [ -n "$PAGED" ] && kill "$PAGED" 2>/dev/null
  [ -n "$INDEXER" ] && kill "$INDEXER" 2>/dev/null
  [ -n "$VALIDATOR" ] && kill "$VALIDATOR" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

"$VALIDATOR_TARGET/debug/io-validator-check" target/deploy "$WORK" > "$WORK/validator.log" 2>&1 &
VALIDATOR=$!
for _ in $(seq 1 120); do [ -s "$WORK/url" ] && break; sleep 1; done
[ -s "$WORK/url" ] || { tail -20 "$WORK/validator.log"; echo "validator check: the validator did not start"; exit 1; }
URL=$(head -1 "$WORK/url")
echo "validator: $URL"
k() { echo "$WORK/$1.json"; }
p() { cat "$WORK/$1.pub"; }
step() { echo "+ io ${*:2}" | sed "s|$WORK/||g"; "$IO" "${@:2}" > "$WORK/$1.out" 2>&1 || { cat "$WORK/$1.out"; exit 1; }; }

step genesis genesis --url "$URL" --keypair "$(k deployer)" --authority "$(k authority)" \
  --oracle "$(p oracle0)" --oracle "$(p oracle1)" --oracle "$(p oracle2)"
cat "$WORK/genesis.out"
# What the wallet test needs from genesis: the mint and the authority's allocation.
sed -n 's/^\$IO mint  *//p' "$WORK/genesis.out" > "$WORK/io-mint"
sed -n 's/^genesis allocation \([^ ]*\).*/\1/p' "$WORK/genesis.out" > "$WORK/genesis-tokens"
[ -s "$WORK/io-mint" ] && [ -s "$WORK/genesis-tokens" ] || { echo "validator check: io genesis named no mint or allocation"; exit 1; }
REG=(registry --url "$URL" --keypair "$(k deployer)")
for i in 0 1 2; do
  step "register$i" "${REG[@]}" register --operator "$(k operator)" --node "$(k node$i)" --model H100 --gpus 8 \
    --cuda 12.4 --region 872830828ffffff $(for g in 0 1 2 3 4 5 6 7; do echo "--gpu-uuid GPU-check-$i-$g"; done)
done
step update "${REG[@]}" update --operator "$(k operator)" --node "$(p node1)" --model H100 --gpus 4 --cuda 12.6 \
  --region 872830828ffffff $(for g in 0 1 2 3; do echo "--gpu-uuid GPU-check-1-$g"; done)
step retire "${REG[@]}" retire --operator "$(k operator)" --node "$(p node2)"
step replay "${REG[@]}" nodes
echo "registry by history replay (RpcChain):"
cat "$WORK/replay.out"

# The indexer follows the validator (finalized transactions only) and serves its API.
# The indexer also serves the dashboard, whose wallet flows send to the validator.
"$IO" indexer run --url "$URL" --db "$WORK/index.redb" --listen 127.0.0.1:18099 --poll-secs 0.5 \
  --dashboard dashboard/dist --wallet-rpc "$URL" > "$WORK/indexer.log" 2>&1 &
INDEXER=$!
for _ in $(seq 1 120); do
  "$IO" "${REG[@]}" nodes --indexer http://127.0.0.1:18099 > "$WORK/indexed.out" 2>&1 || true
  cmp -s "$WORK/indexed.out" "$WORK/replay.out" && break
  sleep 1
done
if ! cmp -s "$WORK/indexed.out" "$WORK/replay.out"; then
  diff "$WORK/replay.out" "$WORK/indexed.out" || true
  tail -20 "$WORK/indexer.log"
  echo "validator check: the indexer's RPC source never agreed with the history replay"
  exit 1
fi
echo "registry through the indexer's RPC source: the same table"
curl -sf http://127.0.0.1:18099/v1/status; echo
curl -sf "http://127.0.0.1:18099/v1/proposals"; echo

# Staking through the CLI: the genesis authority bonds 10,000 IO of its allocation (the
# DAO's proposal threshold), then reads its position back.
STAKE=(stake --url "$URL" --keypair "$(k deployer)")
step deposit "${STAKE[@]}" deposit --operator "$(k authority)" --tokens "$(cat "$WORK/genesis-tokens")" --amount 10000
step stake-status "${STAKE[@]}" status --operator "$(p authority)"
cat "$WORK/stake-status.out"
grep -Eq "^  bonded +10000 IO" "$WORK/stake-status.out" || { echo "validator check: io stake status does not show the 10,000 IO bond"; exit 1; }

# The dashboard's wallet flows: the browser test funds its wallet from the allocation,
# proposes through `io dao propose` and reads the validator back by hand.
ln -s "$IO" "$WORK/io"
node dashboard/test/wallet-e2e.mjs http://127.0.0.1:18099 "$URL" "$WORK" "$SHOTS" || { tail -20 "$WORK/indexer.log"; exit 1; }
step dao-list dao --url "$URL" --keypair "$(k deployer)" list
cat "$WORK/dao-list.out"

# A second indexer reads the same history two signatures per getSignaturesForAddress page
# (every scan walks back page by page, then merges the programs' pages by slot); once at
# the first one's cursor, its API must answer byte for byte the same.
"$IO" indexer run --url "$URL" --db "$WORK/paged.redb" --listen 127.0.0.1:18098 --poll-secs 0.5 --rpc-page 2 > "$WORK/paged.log" 2>&1 &
PAGED=$!
cursor() { curl -sf "http://127.0.0.1:$1/v1/status" | sed -n 's/.*"cursor":\([0-9]*\).*/\1/p'; }
for _ in $(seq 1 120); do
  [ -n "$(cursor 18098)" ] && [ "$(cursor 18098)" = "$(cursor 18099)" ] && break
  sleep 1
done
WALLET=$(p wallet)
for path in /v1/status "/v1/nodes?limit=100" "/v1/changes?limit=1000" /v1/proposals /v1/proposals/1 \
  "/v1/operators/$WALLET/stake" "/v1/operators/$(p authority)/stake" "/v1/emissions?limit=1000" "/v1/payments?limit=1000" "/v1/burns?limit=1000"; do
  curl -sf "http://127.0.0.1:18099$path" > "$WORK/a.json" || { echo "validator check: GET $path failed"; exit 1; }
  curl -sf "http://127.0.0.1:18098$path" > "$WORK/b.json" || { echo "validator check: GET $path failed on the paged indexer"; tail -5 "$WORK/paged.log"; exit 1; }
  cmp -s "$WORK/a.json" "$WORK/b.json" || { echo "validator check: $path differs with 2 signatures a page"; diff "$WORK/a.json" "$WORK/b.json" | head; exit 1; }
done
echo "the indexer reading 2 signatures a page answers the same at cursor $(cursor 18098)"
echo "validator check: OK"
