#!/bin/bash
# One command for the compute-unit table: builds every SBF artifact (scripts/sbf/build.sh),
# runs the whole integration suite on them with the bank logging what each top-level
# instruction consumed, and writes docs/compute-units.md from that log, checking every
# instruction against its budget in docs/compute-budgets.toml (exit 1 when one passes it),
# and docs/test-figures.md from the figures the same run recorded.
#
#   scripts/compute-units.sh            # build, run, write the table
#   scripts/compute-units.sh --no-build # reuse target/deploy
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
if [ "${1:-}" != "--no-build" ]; then
  bash scripts/sbf/build.sh
fi
LOG=$ROOT/target/compute-units.log
FIGURES=$ROOT/target/test-figures.log
rm -f "$LOG" "$FIGURES"
IO_CU_LOG=$LOG IO_FIGURES_LOG=$FIGURES IO_SBF_DIR=$ROOT/target/deploy RUST_LOG=${RUST_LOG:-error} \
  cargo nextest run --locked -p io-tests --no-fail-fast
python3 scripts/test_figures.py "$FIGURES"
python3 scripts/compute_units.py "$LOG"
