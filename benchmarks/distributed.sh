#!/usr/bin/env bash
# Data-parallel training: the step time and the shares of it spent waiting for the slowest rank and in the all-reduce
# (gradients and losses summed over the ranks), at 1 rank and at 2 ranks, with the reference model on the CPU backend.
# Figures go to docs/performance.md.
#
#   bash benchmarks/distributed.sh [STEPS]     (default 3 timed steps per run, after one warm-up step)
#
# Needs Open MPI's mpirun (make deps). Builds u2ad in release mode if needed.
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-3}
u2ad=.build/release/u2ad
[ -x "$u2ad" ] || swift build -c release --product u2ad
command -v mpirun >/dev/null || { echo "mpirun not found: install Open MPI (make deps)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 20 training slices: the quick demo's 4 healthy phantoms, 5 times each under other names.
"$u2ad" demo --quick --out "$work/demo" --backend cpu >/dev/null 2>&1
mkdir -p "$work/data"
for copy in 1 2 3 4 5; do
    for slice in "$work"/demo/data/healthy/*.npy; do cp "$slice" "$work/data/$copy-$(basename "$slice")"; done
done

mpi=(mpirun --allow-run-as-root --oversubscribe)
common=(--data "$work/data" --snapshot-every 0 --checkpoint-every 0 --backend cpu --seed 1)
echo "medians over $steps steps after a warm-up step; rank 0's times"
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores; $(mpirun --version | head -n 1)"
echo
echo "| ranks | batch per rank (global) | CPU threads per rank | step s | wait s | all-reduce s | wait + all-reduce |"
echo "|---|---|---|---|---|---|---|"
run() {  # ranks, global batch, epochs
    local ranks=$1 batch=$2 epochs=$3 out="$work/run-$1-$2"
    if [ "$ranks" -eq 1 ]; then
        "$u2ad" pretrain "${common[@]}" --batch "$batch" --epochs "$epochs" --out "$out" >/dev/null 2>&1
    else
        "${mpi[@]}" -n "$ranks" "$u2ad" pretrain "${common[@]}" --batch "$batch" --epochs "$epochs" --out "$out" >/dev/null 2>&1
    fi
    python3 - "$out/metrics.jsonl" "$ranks" "$batch" <<'PY'
import json, os, statistics, sys
path, ranks, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
steps = [r for r in map(json.loads, open(path)) if r["event"] == "step"][1:]  # the first step warms up
seconds = statistics.median(r["seconds"] for r in steps)
wait = statistics.median(r.get("wait", 0.0) for r in steps)
exchange = statistics.median(r.get("allreduce", 0.0) for r in steps)
threads = max(1, os.cpu_count() // ranks)
print(f"| {ranks} | {batch // ranks} ({batch}) | {threads} | {seconds:.2f} | {wait:.3f} | {exchange:.4f} | {100 * (wait + exchange) / seconds:.2f}% |")
PY
}
# 20 slices: batch 10 makes 2 steps an epoch, batch 20 one.
run 1 10 $(( (steps + 2) / 2 ))
run 2 20 $(( steps + 1 ))
run 2 10 $(( (steps + 2) / 2 ))
