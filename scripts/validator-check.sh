#!/bin/bash
# Issue 17, part 5: the RPC paths against a real validator. solana-test-validator (the
# Rust crate, in process: validator-check/) runs the suite's SBF programs; the `io` binary
# talks to it over JSON-RPC: genesis through RpcChain, registry commands, and an indexer
# following it with the RPC source, whose answers must equal the history replay's.
#
# Not part of .ci/run: the validator's own dependency tree (RocksDB among it) is built in
# its own target directory, which takes longer cold than CI has left after the suite
# (README, "A real validator").
#
#   scripts/validator-check.sh   # builds what is missing (SBF artifacts, io, the validator)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
[ -f target/deploy/io_registry.so ] || bash scripts/sbf/build.sh
cargo build -q -p io-cli
# Its own target directory (7.9 GB cold); VALIDATOR_TARGET points at another.
VALIDATOR_TARGET=${VALIDATOR_TARGET:-$ROOT/target/validator-check}
CARGO_TARGET_DIR=$VALIDATOR_TARGET cargo build -q --manifest-path validator-check/Cargo.toml
IO=$ROOT/target/debug/io
WORK=$(mktemp -d)
VALIDATOR=
INDEXER=
cleanup() {
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
"$IO" indexer run --url "$URL" --db "$WORK/index.redb" --listen 127.0.0.1:18099 --poll-secs 0.5 > "$WORK/indexer.log" 2>&1 &
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
echo "validator check: OK"
