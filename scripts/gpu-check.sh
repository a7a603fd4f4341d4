#!/usr/bin/env bash
# The GPU check of the worker agent's CUDA backend, run by a person on a GPU machine (CI
# has no GPU): builds crates/worker/examples/gpu_check.rs and runs it. The check itself
# takes well under a minute on an H100 (products at n = 4096 and 8192 plus warm-ups, a
# TF32 product at 8192, Freivalds checks); the build is most of the time.
#
#   scripts/gpu-check.sh                 build (release) and run
#   scripts/gpu-check.sh --build-only    build here and print the binary's path, to carry it
#                                        to a GPU machine that has no Rust toolchain
#   GPU_CHECK_BIN=path scripts/gpu-check.sh
#                                        run a binary built elsewhere (no cargo needed)
#
# Exit status: the check's (0 passed or no CUDA here and the CPU fallback passed; 1 a
# product failed or the GPU failed; 2 NVML sees an NVIDIA GPU that CUDA could not open),
# 124 if it ran past its time limit (GPU_CHECK_TIMEOUT seconds, default 420).
set -euo pipefail
cd "$(dirname "$0")/.."

# The workspace's release profile is fat LTO with one codegen unit (for deployment); the
# check measures cuBLAS and the host's loops, which do not need it, and LTO of everything
# the agent links would take most of a 10-minute slot. Its own target dir keeps these
# settings from invalidating a normal release build.
export CARGO_PROFILE_RELEASE_LTO=false
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
export RUST_LOG="${RUST_LOG:-error}"
target_dir=target/gpu-check
built="$target_dir/release/examples/gpu_check"

build() {
  echo "== build: cargo build --release -p io-worker --example gpu_check (LTO off) =="
  local start=$(date +%s)
  cargo build --locked --release -p io-worker --example gpu_check --target-dir "$target_dir"
  echo "build took $(( $(date +%s) - start ))s"
}

if [[ "${1:-}" == "--build-only" ]]; then
  build
  ls -l "$built"
  echo "binary: $built (run it with GPU_CHECK_BIN=$built scripts/gpu-check.sh)"
  exit 0
fi

echo "================================================================"
echo " \$IO worker: GPU check of the CUDA backend (cuBLAS SGEMM)"
echo " $(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(hostname), kernel $(uname -r)"
echo " commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- crates/worker 2>/dev/null || echo ' (crates/worker modified)')"
echo "================================================================"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=index,name,driver_version,memory.total,clocks.max.sm --format=csv || true
else
  echo "nvidia-smi: not installed"
fi

# The backend finds cuBLAS by soname on the loader's path, then in CUDA_PATH / CUDA_HOME /
# /usr/local/cuda. Say what is there; if the loader knows none, point the backend at one
# found on disk (IO_CUBLAS_LIBRARY), and say so.
known=$( (ldconfig -p 2>/dev/null || true) | grep -E 'libcuda\.so|libcublas(Lt)?\.so' || true)
echo "-- CUDA libraries known to the loader:"
echo "${known:-(none)}" | sed 's/^/   /'
if [[ -z "${IO_CUBLAS_LIBRARY:-}" ]] && ! grep -q 'libcublas\.so\.1[1-3]' <<<"$known"; then
  found=$(find /usr/local /usr/lib /opt -maxdepth 9 -name 'libcublas.so.1[1-3]' 2>/dev/null | sort -r | head -n 1 || true)
  if [[ -n "$found" ]]; then
    export IO_CUBLAS_LIBRARY="$found"
    echo "-- cuBLAS is not on the loader's path; using IO_CUBLAS_LIBRARY=$found"
  fi
fi

if [[ -n "${GPU_CHECK_BIN:-}" ]]; then
  bin="$GPU_CHECK_BIN"
elif command -v cargo >/dev/null; then
  rustc --version
  build
  bin="$built"
elif [[ -x "$built" ]]; then
  echo "-- no cargo here: running the binary built earlier, $built"
  bin="$built"
else
  echo "no cargo here and no binary: build one with scripts/gpu-check.sh --build-only where cargo is, then set GPU_CHECK_BIN" >&2
  exit 1
fi

echo "== run: $bin =="
start=$(date +%s)
set +e
timeout "${GPU_CHECK_TIMEOUT:-420}" "$bin"
rc=$?
set -e
echo "== gpu_check exited $rc after $(( $(date +%s) - start ))s =="
exit $rc
