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
if (cd tools/reference && python3 -c "import ugmae, timm") 2>/dev/null; then
  [ "$suite" = gemm ] || python3 benchmarks/pytorch_reference.py "$suite" --threads "$(nproc)"
else
  echo "(torch/timm not installed: PyTorch side skipped)"
fi
