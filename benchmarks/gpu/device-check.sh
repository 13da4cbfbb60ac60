#!/usr/bin/env bash
# The first run of u2ad on a GPU, as one command of at most 8 minutes. Made for a machine without Swift: it runs the
# static binaries of benchmarks/gpu/bundle.sh (default .build/gpu-bundle, unpacked from .build/gpu-bundle.tar.xz when
# only the archive is there) and writes everything to $OUT:
#   device-check.md   the results, one section per step (what ran, exit status, the tables)
#   <step>.log        each step's whole output
# Steps: the devices; cpu-versus-opencl parity (every op's probe and the full model's MC forward); u2ad detect on the
# shared clinical slices with both backends, maps compared, traffic and launches from report.json, the kernel profile;
# u2ad-bench gemm, attention and model at batches 1-64 on OpenCL; u2ad tune; PyTorch CUDA eager on the same shapes
# when torch with CUDA is installed. docs/gpu.md says how to run it and where its figures go.
#   OUT=/tmp/check bash benchmarks/gpu/device-check.sh [BUNDLE]
# BATCHES (default 1,8,32,64), K (MC samples per patch in detect, default 10), BUDGET (seconds for everything before the
# tuner, default 420) and SKIP (step names, comma-separated) shorten a dry run on a slow OpenCL device such as PoCL.
set -uo pipefail
cd "$(dirname "$0")/../.."
bundle=${1:-.build/gpu-bundle}
if [ ! -x "$bundle/u2ad" ] && [ -f "$bundle.tar.xz" ]; then tar -xJf "$bundle.tar.xz" -C "$(dirname "$bundle")"; fi
bundle=$(cd "$bundle" && pwd)
out=${OUT:-/tmp/u2ad-device-check}
batches=${BATCHES:-1,8,32,64}
budget=${BUDGET:-420}
samples=${K:-10}
skip=",${SKIP:-},"
mkdir -p "$out"
out=$(cd "$out" && pwd)
results="$out/device-check.md"
# Weights, checkpoints and compiled kernels stay out of $OUT (only results come back).
work=$(mktemp -d /tmp/u2ad-device-check-work.XXXX)
export LD_LIBRARY_PATH="$bundle/lib:${LD_LIBRARY_PATH:-}"
export U2AD_KERNEL_CACHE="$work/kernel-cache"
export U2AD_TUNING="$out/tuning.json"
started=$(date +%s)

# NVIDIA's OpenCL driver registers itself with an ICD file; without one the loader sees no GPU.
if ! grep -qs nvidia /etc/OpenCL/vendors/*.icd; then
  driver=$(ldconfig -p 2>/dev/null | awk '/libnvidia-opencl.so.1/ {print $NF; exit}')
  if [ -n "$driver" ]; then
    mkdir -p "$out/icd" && echo "$driver" > "$out/icd/nvidia.icd"
    export OCL_ICD_VENDORS="$out/icd"
  fi
fi

# step NAME SECONDS COMMAND...: runs the command with a time limit, keeps its output in NAME.log and its tables (and
# the last lines) in the results.
step() {
  local name=$1 limit=$2; shift 2
  case "$skip" in *",$name,"*) echo; echo "## $name: skipped (SKIP)" >> "$results"; return 0 ;; esac
  local t0=$(date +%s)
  timeout "$limit" "$@" > "$out/$name.log" 2>&1
  local rc=$?
  {
    echo; echo "## $name (exit $rc, $(( $(date +%s) - t0 )) s)"; echo
    echo '`'"$*"'`'; echo
    grep -E '^\|' "$out/$name.log" || true
    echo; echo '```'
    sed -n '/\[u2ad profile\]/,$p' "$out/$name.log"
    sed '/\[u2ad profile\]/,$d' "$out/$name.log" | grep -vE '^\|' | tail -n 30
    echo '```'
  } >> "$results"
  return $rc
}

{
  echo "# u2ad device check, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo; echo "bundle commit $(cat "$bundle/commit" 2>/dev/null || echo unknown); $(nproc) CPU cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
  command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader
} > "$results"

step devices 60 "$bundle/u2ad" devices --backend opencl
step parity 240 "$bundle/u2ad-bench" parity --backends cpu,opencl

data="$bundle/data/clinical"
if [ -f "$data/1.npy" ]; then
  # Full-depth weights (12 + 8 blocks) from one training step: speed and parity do not depend on their values.
  step weights 120 "$bundle/u2ad" pretrain --data "$data" --out "$work/run" --epochs 1 --batch 3 --snapshot-every 0 --backend cpu
  for backend in cpu opencl; do
    U2AD_PROFILE=1 step "detect-$backend" 180 "$bundle/u2ad" detect --weights "$work/run/weights.safetensors" --input "$data" \
      --out "$out/detect-$backend" --k "$samples" --schedule balanced --roi-labels 3,4,6 --no-erode --threshold 1 --backend "$backend"
    grep -A6 '"traffic"' "$out/detect-$backend/report.json" >> "$results" 2>/dev/null
  done
  step maps 60 "$bundle/u2ad-bench" maps --maps "$out/detect-cpu,$out/detect-opencl"
fi

U2AD_PROFILE=1 step bench-gemm 120 "$bundle/u2ad-bench" gemm --backends opencl --batches "$batches" --seconds 0.3
U2AD_PROFILE=1 step bench-attention 120 "$bundle/u2ad-bench" attention --backends opencl --batches "$batches" --seconds 0.3
U2AD_PROFILE=1 step bench-model 180 "$bundle/u2ad-bench" model --backends opencl --batches "$batches" --seconds 0.5

# Whatever is left of the 8 minutes goes to the tuner; a shorter search is cut off by the time limit.
left=$(( budget - ($(date +%s) - started) ))
if [ "$left" -gt 60 ]; then
  step tune "$left" "$bundle/u2ad" tune --batch 8 --seconds 0.1 --out "$out/tuning.json"
  [ -f "$out/tuning.json" ] && step bench-model-tuned 90 "$bundle/u2ad-bench" model --backends opencl --batches 32 --seconds 0.5
fi

if python3 -c "import torch, timm; assert torch.cuda.is_available()" > /dev/null 2>&1; then
  step pytorch-cuda 150 python3 benchmarks/pytorch_reference.py model --device cuda --batches "$batches" --seconds 0.5
  step pytorch-cuda-attention 60 python3 benchmarks/pytorch_reference.py attention --device cuda --batches "$batches" --seconds 0.3
  [ -f "$data/1.npy" ] && step pytorch-cuda-inference 120 python3 benchmarks/pytorch_reference.py inference --device cuda --data "$data"
else
  echo; echo "## pytorch-cuda: skipped (no torch with CUDA and timm here)" >> "$results"
fi
echo; echo "total $(( $(date +%s) - started )) s" >> "$results"
cat "$results"
