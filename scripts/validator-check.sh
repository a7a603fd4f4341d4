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
SERVICES=()
cleanup() {
  for pid in "${SERVICES[@]}"; do kill "$pid" 2>/dev/null; done
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

# The reference genesis file with what lets the keeper work within the check's minutes:
# one-minute emission epochs (the program's shortest), the validator's fiat gateway key,
# the feed id of the price account the validator holds and prices up to an hour old.
sed -e 's/^epoch_secs = 3600$/epoch_secs = 60/' -e 's/^max_price_age_secs = 60$/max_price_age_secs = 3600/' \
  -e "s/^# gateway = .*/gateway = \"$(p gateway)\"/" -e "s/^price_feed_id = .*/price_feed_id = \"$(printf '11%.0s' $(seq 32))\"/" \
  migrations/genesis.toml > "$WORK/genesis.toml"
# And a catalogue model for the CPU node the oracles audit (below).
printf '\n[[gpu_models]]\nname = "CPU check"\ntier = "consumer"\nexpected_tflops = "0.02"\nmin_cuda = "0.0"\n' >> "$WORK/genesis.toml"
[ "$(grep -cE '^(epoch_secs = 60|max_price_age_secs = 3600|gateway = |price_feed_id = "(11){32}")' "$WORK/genesis.toml")" = 4 ] \
  || { echo "validator check: the genesis file's edits did not apply"; exit 1; }
step genesis genesis --url "$URL" --keypair "$(k deployer)" --authority "$(k authority)" --genesis "$WORK/genesis.toml" \
  --oracle "$(p oracle0)" --oracle "$(p oracle1)" --oracle "$(p oracle2)"
GENESIS_AT=$(date +%s)
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

# One Proof-of-Compute cycle: the three oracle daemons (2-of-3), reading the registry from
# the indexer, audit a node whose worker agent runs on this machine's CPU, and their quorum
# attests it on the validator. The node is the CPU itself, registered by the genesis
# authority (whose 10,000 IO bond covers it) under the check's catalogue model "CPU check",
# rated 0.02 TFLOPS (the CPU worker measured 0.04 to 0.08 here with the check running; the
# oracles require half the rating), with the UUID the worker reports. They work while the
# wallet test runs.
CPU_UUID=$("$IO" worker inventory | sed -n 's/^device .*(\([^,]*\), .*/\1/p' | head -1)
[ -n "$CPU_UUID" ] || { "$IO" worker inventory; echo "validator check: io worker inventory named no device"; exit 1; }
step register3 "${REG[@]}" register --operator "$(k authority)" --node "$(k node3)" --model "CPU check" --gpus 1 \
  --cuda 0.0 --region 872830828ffffff --gpu-uuid "$CPU_UUID"
for i in 0 1 2; do
  peers=()
  for j in 0 1 2; do [ "$j" != "$i" ] && peers+=(--peer "$(p "oracle$j")=http://127.0.0.1:1811$j"); done
  "$IO" oracle --url "$URL" --keypair "$(k "oracle$i")" run --listen "127.0.0.1:1811$i" --metrics-listen "127.0.0.1:1812$i" \
    --db "$WORK/oracle$i.redb" "${peers[@]}" --cycle-secs 5 --indexer http://127.0.0.1:18099 > "$WORK/oracle$i.log" 2>&1 &
  SERVICES+=($!)
done
"$IO" worker run --node-key "$(k node3)" --listen 127.0.0.1:18130 --probe-listen 127.0.0.1:18131 \
  --oracle http://127.0.0.1:18110 --oracle http://127.0.0.1:18111 --oracle http://127.0.0.1:18112 > "$WORK/worker.log" 2>&1 &
SERVICES+=($!)

# The dashboard's wallet flows: the browser test funds its wallet from the allocation,
# proposes through `io dao propose` and reads the validator back by hand.
ln -s "$IO" "$WORK/io"
node dashboard/test/wallet-e2e.mjs http://127.0.0.1:18099 "$URL" "$WORK" "$SHOTS" || { tail -20 "$WORK/indexer.log"; exit 1; }
step dao-list dao --url "$URL" --keypair "$(k deployer)" list
cat "$WORK/dao-list.out"

# The oracles' verdict, on the validator and in the indexer.
verified() { curl -sf http://127.0.0.1:18099/v1/status | grep -q '"verified":1'; }
# A quorum missed while the browser test loads the two cores costs a retry (and, once the
# worker's stress sessions are all taken, a wait while it is busy, which is no verdict).
for _ in $(seq 1 360); do verified && break; sleep 1; done
if ! verified; then
  for f in oracle0 oracle1 oracle2 worker; do echo "-- $f"; tail -15 "$WORK/$f.log"; done
  echo "validator check: the oracles did not verify the CPU node within 6 minutes of the wallet test"
  exit 1
fi
step nodes-after "${REG[@]}" nodes
cat "$WORK/nodes-after.out"
grep "$(p node3)" "$WORK/nodes-after.out" | grep -q ' verified ' \
  || { echo "validator check: the history replay does not show the CPU node verified"; exit 1; }
# The attestation landed only if the compression program accepted the leaf the lead
# oracle replaced, as the oracles' registry (fed by the indexer) had it: after it, the
# indexer's table must again be the replay's.
# (The replay reads confirmed transactions, the indexer finalized ones: it may lag a few
# seconds.)
for _ in $(seq 1 60); do
  "$IO" "${REG[@]}" nodes --indexer http://127.0.0.1:18099 > "$WORK/indexed-after.out" 2>&1 || true
  cmp -s "$WORK/indexed-after.out" "$WORK/nodes-after.out" && break
  sleep 1
done
cmp -s "$WORK/indexed-after.out" "$WORK/nodes-after.out" \
  || { diff "$WORK/nodes-after.out" "$WORK/indexed-after.out"; echo "validator check: after the attestation the indexer's table is not the replay's"; exit 1; }
metric() { curl -sf "http://127.0.0.1:$1/metrics" | sed -n "s/^$2 //p"; }
LED=0
AGREED=0
for i in 0 1 2; do
  LED=$(( LED + $(metric "1812$i" 'io_oracle_attestations_total{verdict="verified"}') ))
  AGREED=$(( AGREED + $(metric "1812$i" 'io_oracle_reviews_total{result="agreed"}') ))
done
[ "$LED" -ge 1 ] && [ "$AGREED" -ge 1 ] \
  || { echo "validator check: the oracles' metrics count $LED attestation(s) led and $AGREED review(s) agreed"; exit 1; }
echo "the oracles verified the CPU node on the validator: $LED attestation(s) landed, $AGREED peer review(s) agreed"

# The keeper: an enterprise pays 10,000 IOSD (minted by the gateway) for a cluster, then one
# `io keeper run` iteration cranks the emission epochs that ended since genesis and fills
# the buyback with the authority's $IO at the validator's $1.00 price. By hand: the pool
# holds 98% of 10,000 = 9,800 IOSD; the fill hands in 99% (the slippage bound) of the fair
# 9,800 IO = 9,702 IO, burned.
# The emission, by hand: year 1 owes epoch k floor(T (k+1) / 8,760) - floor(T k / 8,760)
# base units, T = 22,050,000 IO; epochs that began before the earning weight appeared
# (the CPU node's, above) owe nothing (returned to the reserve), so a crank of epochs A..B
# mints floor(T B / 8,760) - floor(T E / 8,760) for some E in A..B.
MINTED=0
crank_minted() {
  local A= B= M= E owed=no
  read -r A B M < <(sed -n 's/^crank: epochs \([0-9]*\)\.\.\([0-9]*\) advanced, \([0-9]*\) base units minted$/\1 \2 \3/p' "$1") || true
  [ -n "$M" ] || return 0
  for E in $(seq "$A" "$B"); do
    [ "$M" = $(( 22050000000000 * B / 8760 - 22050000000000 * E / 8760 )) ] && owed=yes
  done
  [ "$owed" = yes ] || { echo "validator check: epochs $A..$B minted $M base units, not what the schedule owes any tail of them"; exit 1; }
  MINTED=$(( MINTED + M ))
  CRANKED=$B
}
IOSD=$(node scripts/validator/gateway-mint.mjs "$URL" "$WORK" 10000)
echo "the gateway minted 10,000 IOSD into $IOSD"
step pay pay --url "$URL" --keypair "$(k authority)" --iosd 10000 --from "$IOSD" --reference "validator check"
cat "$WORK/pay.out"
while [ $(( $(date +%s) - GENESIS_AT )) -lt 65 ]; do sleep 1; done
KEEPER=(keeper --url "$URL" --keypair "$(k authority)" run --once --price-account "$(p price)" \
  --market-io "$(cat "$WORK/genesis-tokens")" --iosd-to "$IOSD")
step keeper "${KEEPER[@]}"
cat "$WORK/keeper.out"
grep -q "^filled: 9800 IOSD from the pool for 9702 IO burned at 1 USD/IO$" "$WORK/keeper.out" \
  || { echo "validator check: the keeper did not fill 9,800 IOSD for 9,702 IO"; exit 1; }
CRANKED=0
grep -q '^crank: epochs 0\.\.' "$WORK/keeper.out" || { echo "validator check: the keeper cranked no epoch from 0"; exit 1; }
crank_minted "$WORK/keeper.out"
[ "$CRANKED" -ge 1 ] || { echo "validator check: the keeper's crank advanced no epoch"; exit 1; }
echo "keeper: epochs 0..$CRANKED minted $MINTED base units; 9,702 IO burned for 9,800 IOSD"
# The indexer records both before the second indexer is compared with it.
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:18099/v1/burns?limit=10" | grep -q '"amount":9702000000' && break
  sleep 1
done
curl -sf "http://127.0.0.1:18099/v1/burns?limit=10" | grep -q '"amount":9702000000' \
  || { echo "validator check: the indexer never listed the keeper's 9,702 IO burn"; tail -5 "$WORK/indexer.log"; exit 1; }

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
# The emission reaches the verified node: once an epoch that began after the attestation
# has ended, the keeper's crank mints what it owes into the reward pool (above, by hand),
# and the genesis authority (the node's operator, the only weight that earns) claims it.
# It holds all the weight (one consumer GPU: 2 x 10^8) and the reward accumulator's scale
# (10^18) is a multiple of it: the claim is the minted sum exactly.
for _ in $(seq 1 30); do
  [ "$MINTED" -gt 0 ] && break
  sleep 10
  step keeper2 "${KEEPER[@]}"
  grep -q '^crank:' "$WORK/keeper2.out" && cat "$WORK/keeper2.out"
  crank_minted "$WORK/keeper2.out"
done
[ "$MINTED" -gt 0 ] || { echo "validator check: no crank minted within 5 minutes of the attestation"; exit 1; }
step pending rewards --url "$URL" --keypair "$(k authority)" pending
cat "$WORK/pending.out"
step claim rewards --url "$URL" --keypair "$(k authority)" claim --tokens "$(cat "$WORK/genesis-tokens")"
cat "$WORK/claim.out"
CLAIMED=$(sed -n 's/^claimed \([0-9,.]*\) IO into .*/\1/p' "$WORK/claim.out" | tr -d , \
  | python3 -c 'import sys; w, _, f = sys.stdin.read().strip().partition("."); print(int(w) * 10**6 + int(f.ljust(6, "0") or 0))')
[ "$CLAIMED" = "$MINTED" ] || { echo "validator check: claimed $CLAIMED base units of the $MINTED minted"; exit 1; }
echo "the operator of the verified node claimed all $MINTED base units the crank minted"
echo "validator check: OK"
