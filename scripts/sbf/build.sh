#!/bin/bash
# Builds every on-chain artifact of the suite as real SBF bytecode, from this checkout:
# the five programs plus spl-account-compression and spl-noop, into target/deploy/*.so.
#
#   scripts/sbf/build.sh            # all seven
#   scripts/sbf/build.sh io-staking # one
#
# Everything comes from the Rust registry and the rustup snapshot, pinned below: a dated
# nightly (with rust-src and llvm-tools) and sbpf-linker. std is built for a custom bpfel
# target (bpfel-solana.json, "zkvm" OS layer answered by zkvm-shim on Solana syscalls) from
# a copy of rust-src with std-bpf.patch applied. The programs are compiled in a separate
# workspace under target/sbf/ws, assembled here from copies of programs/, crates/math and
# the registry sources of the two SPL programs, so the native workspace is untouched.
# Output: --arch=v0 (target-cpu v2), which solana-program-test 2.3.13 loads; the VM's 4 KiB
# frame is set at link time, so a frame that is too large fails the build, not a test.
# Exit 2 with one line naming the part when the toolchain cannot be installed.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/scripts/sbf
NIGHTLY=nightly-2026-10-30
LINKER_VERSION=0.2.6
SBF=$ROOT/target/sbf
TOOLS=$SBF/tools
WS=$SBF/ws
OUT=$ROOT/target/deploy
PROGRAMS=(io-registry io-staking io-emissions io-treasury io-governance spl-account-compression spl-noop)
[ $# -gt 0 ] && PROGRAMS=("$@")

step() { echo "== sbf: $* =="; }

if ! rustup toolchain install "$NIGHTLY" --profile minimal -c rust-src -c llvm-tools >"$SBF.toolchain.log" 2>&1 \
  && ! rustup toolchain list | grep -q "^$NIGHTLY"; then
  mkdir -p "$(dirname "$SBF")"
  echo "SBF lane unavailable: the rustup snapshot $NIGHTLY could not be installed (see $SBF.toolchain.log)"
  exit 2
fi
SYSROOT=$(rustc +"$NIGHTLY" --print sysroot)
export SBF_LLVM_BIN=$SYSROOT/lib/rustlib/x86_64-unknown-linux-gnu/bin
export SBF_TOOLS=$TOOLS
mkdir -p "$SBF" "$OUT"

if [ ! -x "$TOOLS/bin/sbpf-linker" ]; then
  step "install sbpf-linker $LINKER_VERSION"
  if ! cargo +"$NIGHTLY" install sbpf-linker --version "$LINKER_VERSION" --locked --root "$TOOLS" >"$SBF/linker.log" 2>&1; then
    echo "SBF lane unavailable: sbpf-linker $LINKER_VERSION could not be installed (see $SBF/linker.log)"
    exit 2
  fi
fi

if [ ! -f "$SBF/rust-src/.patched" ]; then
  step "rust-src of $NIGHTLY with std-bpf.patch"
  rm -rf "$SBF/rust-src" && mkdir -p "$SBF/rust-src"
  cp -r "$SYSROOT/lib/rustlib/src/rust/library" "$SBF/rust-src/"
  sed -e 's#^--- [^ ]*/lib/rustlib/src/rust/#--- #; s#^+++ rust-src-patched/#+++ #' "$HERE/std-bpf.patch" \
    | (cd "$SBF/rust-src" && patch -p0 --quiet)
  touch "$SBF/rust-src/.patched"
fi

step "workspace $WS"
# The registry sources of the SPL programs (fetched by the native workspace's lock).
(cd "$ROOT" && cargo fetch --locked >/dev/null 2>&1 || cargo fetch >/dev/null)
registry_src() { ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"$1" | head -1; }
copy_tree() { rm -rf "$2" && mkdir -p "$(dirname "$2")" && cp -r "$1" "$2" && rm -rf "$2/target" && chmod -R u+w "$2"; }
mkdir -p "$WS/programs" "$WS/crates" "$WS/vendor"
for p in registry staking emissions treasury governance common; do
  copy_tree "$ROOT/programs/$p" "$WS/programs/$p"
done
copy_tree "$ROOT/crates/math" "$WS/crates/math"
copy_tree "$HERE/zkvm-shim" "$WS/zkvm-shim"
for c in spl-noop-1.0.0 spl-account-compression-1.0.0; do
  copy_tree "$(registry_src $c)" "$WS/vendor/$c"
  rm -f "$WS/vendor/$c/Cargo.toml.orig"
done
# Each artifact links the compiler builtins and the shim (memcpy and friends; the std
# platform layer), in the copies only.
link_extras() {
  local dir=$1 shim=$2
  grep -q zkvm-shim "$dir/Cargo.toml" && return
  python3 - "$dir/Cargo.toml" "$shim" <<'PY'
import re, sys
path, shim = sys.argv[1], sys.argv[2]
text = open(path).read()
extra = f'solana-compiler-builtins = "0.3.0"\nzkvm-shim = {{ path = "{shim}" }}\n'
if re.search(r'^\[dependencies\]\n', text, re.M):
    text = re.sub(r'^\[dependencies\]\n', '[dependencies]\n' + extra, text, count=1, flags=re.M)
else:
    text += '\n[dependencies]\n' + extra
open(path, 'w').write(text)
PY
  printf '\nuse solana_compiler_builtins as _;\nuse zkvm_shim as _;\n' >>"$dir/src/lib.rs"
}
for p in registry staking emissions treasury governance; do link_extras "$WS/programs/$p" "../../zkvm-shim"; done
for c in spl-noop-1.0.0 spl-account-compression-1.0.0; do link_extras "$WS/vendor/$c" "../../zkvm-shim"; done
python3 - "$ROOT/Cargo.toml" "$WS/Cargo.toml" <<'PY'
import re, sys
root, out = sys.argv[1], sys.argv[2]
text = open(root).read()
package = re.search(r'^\[workspace\.package\]\n(.*?)(?=^\[)', text, re.M | re.S).group(0)
deps = re.search(r'^\[workspace\.dependencies\]\n(.*?)(?=^\[)', text, re.M | re.S).group(0)
kept = [l for l in deps.splitlines() if not re.match(r'^io-(poc|worker|proto|oracle|sdk|localnet|migrations)\b', l)]
members = ["programs/registry", "programs/staking", "programs/emissions", "programs/treasury",
           "programs/governance", "programs/common", "crates/math", "zkvm-shim",
           "vendor/spl-noop-1.0.0", "vendor/spl-account-compression-1.0.0"]
open(out, 'w').write(f'''# Generated by scripts/sbf/build.sh: the SBF workspace (copies of the programs).
[workspace]
resolver = "2"
members = {members!r}

{package}
{chr(10).join(kept)}

[patch.crates-io]
spl-noop = {{ path = "vendor/spl-noop-1.0.0" }}
spl-account-compression = {{ path = "vendor/spl-account-compression-1.0.0" }}

[profile.release]
opt-level = 3
lto = "fat"
codegen-units = 1
panic = "abort"
overflow-checks = true

# At opt-level 3 the empty-tree initialisation needs a frame over the VM's 4 KiB.
[profile.release.package.spl-account-compression]
opt-level = "s"
[profile.release.package.spl-concurrent-merkle-tree]
opt-level = "s"
'''.replace("'", '"'))
PY
[ -f "$WS/Cargo.lock" ] || cp "$ROOT/Cargo.lock" "$WS/Cargo.lock"

export RUSTC_BOOTSTRAP_SYNTHETIC_TARGET=1
export __CARGO_TESTS_ONLY_SRC_ROOT=$SBF/rust-src/library
export CARGO_TARGET_BPFEL_SOLANA_RUSTFLAGS="-C linker=$HERE/sbpf-linker-wrap -C panic=abort -C relocation-model=static \
 -C link-arg=--export=__multi3,__adddf3,__subdf3,__negdf2,__muldf3,__divdf3,__floatundidf,__fixunsdfdi,__gedf2,__gtdf2 \
 -C link-arg=--arch=v0 -C link-arg=--llvm-args=-bpf-stack-size=4096 -C link-arg=--llvm-args=--bpf-max-stores-per-memfunc=5 \
 -C link-arg=--llvm-args=--disable-gotox -C link-arg=--llvm-args=--disable-ldsx -C link-arg=--llvm-args=--disable-movsx \
 -C link-arg=--llvm-args=--disable-bswap -Zunstable-options -Cpanic=immediate-abort \
 -C target-cpu=v2 -C target-feature=+allows-misaligned-mem-access \
 --cfg=target_os=\"solana\" --cfg=target_feature=\"static-syscalls\" -A explicit_builtin_cfgs_in_flags"
for package in "${PROGRAMS[@]}"; do
  step "build $package"
  started=$(date +%s)
  (cd "$WS" && cargo +"$NIGHTLY" build --release -p "$package" --target "$HERE/bpfel-solana.json" \
    -Z build-std=std,panic_abort -Z build-std-features= -Z json-target-spec --target-dir "$SBF/build")
  lib=lib${package//-/_}.so
  cp "$SBF/build/bpfel-solana/release/$lib" "$OUT/${package//-/_}.so"
  echo "$OUT/${package//-/_}.so: $(stat -c %s "$OUT/${package//-/_}.so") bytes, $(( $(date +%s) - started )) s"
done
