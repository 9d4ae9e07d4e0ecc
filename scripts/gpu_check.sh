#!/usr/bin/env bash
# GPU check for the CuPy backend, for a machine with one NVIDIA GPU (an H200, say) that has
# Python 3.12 with numpy, scipy, numba, cupy and pytest, and no Mesa, Polars or network.
# Run from anywhere; it works in the repository root with PYTHONPATH=src (no install).
#
#   OUT=/some/folder bash scripts/gpu_check.sh      # default OUT: /tmp/multipolar_gpu_check
#
# Steps (each bounded by `timeout`, about 6 minutes in all):
#   1. environment: GPU, driver, Python packages
#   2. pytest -m gpu tests/kernels (the CuPy backend against the NumPy reference and sparse
#      direct solves, explicit and implicit schemes, out= buffers, and more)
#   3. bench: cupy, one pass per step and fused launches, 256^2 to 4096^2 x 6 channels
#   4. bench: a B=64 ensemble at 256^2 in one call against 64 sequential B=1 calls
#   5. bench: numba at 2048^2 x 6 on this machine's CPU, for comparison
#   6. bench: cupy, the implicit scheme at 1024^2 to 4096^2 x 6
#   7. bench: cupy, one-step explicit calls with out= at 2048^2 x 6
#   8. bench: cupy, whole months at 0.25 to 0.01 degree, both schemes (time per month)
# Writes at most 12 flat files into $OUT: NN_*.log per step and bench_*.json.
set -uo pipefail
export PYTHONUNBUFFERED=1
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
export PYTHONPATH="$here/src${PYTHONPATH:+:$PYTHONPATH}"
PYTHON="${PYTHON:-python3}"
OUT="${OUT:-/tmp/multipolar_gpu_check}"
mkdir -p "$OUT"
failed=()

step() {  # step NAME SECONDS COMMAND...: run with a time limit, log to $OUT/NAME.log
  local name="$1" limit="$2" rc
  shift 2
  echo "=== $name (limit ${limit}s): $*" | tee "$OUT/$name.log"
  timeout --kill-after=10 "$limit" "$@" 2>&1 | tee -a "$OUT/$name.log"
  rc="${PIPESTATUS[0]}"
  if ((rc != 0)); then
    echo "=== $name FAILED (exit $rc)" | tee -a "$OUT/$name.log"
    failed+=("$name")
  fi
}

ENV_REPORT='
import importlib.util, sys
import numpy, scipy, numba, cupy
from multipolar.kernels import _deps, available_backends
print(sys.version)
print("numpy", numpy.__version__, "scipy", scipy.__version__, "numba", numba.__version__, "cupy", cupy.__version__)
print("CUDA devices", _deps.cuda_device_count(), "available backends", available_backends())
print("mesa/polars importable:", [m for m in ("mesa", "polars") if importlib.util.find_spec(m)])
'
step 01_env 30 bash -c "nvidia-smi && \"\$0\" -c \"\$1\"" "$PYTHON" "$ENV_REPORT"

step 02_pytest 110 "$PYTHON" -m pytest -m gpu tests/kernels -q -rs -p no:cacheprovider

step 03_bench_gpu 80 "$PYTHON" -m multipolar.bench --backend cupy \
  --size 256,1024,2048,4096 --channels 6 --repeats 5 --json "$OUT/bench_gpu.json"

step 04_bench_ensemble 45 "$PYTHON" -m multipolar.bench --backend cupy \
  --size 256 --channels 6 --batch 64 --sequential --repeats 3 --json "$OUT/bench_ensemble.json"

step 05_bench_numba 55 "$PYTHON" -m multipolar.bench --backend numba \
  --size 2048 --channels 6 --repeats 3 --json "$OUT/bench_numba.json"

step 06_bench_gpu_implicit 60 "$PYTHON" -m multipolar.bench --backend cupy --scheme implicit \
  --size 1024,2048,4096 --channels 6 --repeats 5 --json "$OUT/bench_gpu_implicit.json"

step 07_bench_gpu_out 30 "$PYTHON" -m multipolar.bench --backend cupy --no-blocked \
  --size 2048 --channels 6 --steps 1 --out --repeats 9 --json "$OUT/bench_gpu_out.json"

step 08_bench_gpu_months 90 "$PYTHON" -m multipolar.bench --backend cupy --scheme both \
  --resolution 0.25,0.1,0.05,0.025,0.01 --channels 6 --repeats 3 --json "$OUT/bench_gpu_months.json"

if ((${#failed[@]})); then
  echo "gpu_check: FAILED steps: ${failed[*]} (logs in $OUT)"
  exit 1
fi
echo "gpu_check: all steps passed (logs in $OUT)"
