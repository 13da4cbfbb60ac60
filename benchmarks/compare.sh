#!/usr/bin/env bash
# Runs u2ad-bench and the PyTorch reference on the same shapes back to back, so the ratios come from one run.
#   bash benchmarks/compare.sh [suite] [extra u2ad-bench options]   (suite: gemm, attention, block, model, all)
# Needs a release build (`make bench` builds one) and, for the PyTorch side, `pip install torch timm`.
set -euo pipefail
cd "$(dirname "$0")/.."
suite=${1:-all}; shift || true
swift build -c release --product u2ad-bench >/dev/null
echo "# $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
.build/release/u2ad-bench "$suite" "$@"
# The PyTorch side takes the same --batches and --seconds (not --backends).
shared=()
while [ $# -gt 0 ]; do
  case "$1" in
    --batches|--seconds) shared+=("$1" "$2"); shift 2 ;;
    *) shift ;;
  esac
done
if (cd tools/reference && python3 -c "import ugmae, timm") 2>/dev/null; then
  [ "$suite" = gemm ] || python3 benchmarks/pytorch_reference.py "$suite" --threads "$(nproc)" "${shared[@]}"
else
  echo "(torch/timm not installed: PyTorch side skipped)"
fi
