#!/usr/bin/env python3
"""kill -9 at random moments of a training run that writes a checkpoint every epoch (docs/limits.md): after each kill
`pretrain --resume` must continue, and the final weights must be bit-identical to an uninterrupted run's.

    python3 tools/fuzz/kill_training.py --binary .build/release/u2ad --kills 30 [--seed 1]

Needs only the Python standard library and ../shared/data beside the repository.
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(os.path.dirname(ROOT), "shared", "data", "u2ad-samples", "clinical")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "u2ad"))
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="u2ad-kill-")
    options = ["--data", DATA, "--epochs", str(args.epochs), "--batch", "1", "--depth", "1", "--decoder-depth", "1", "--patch-size", "32",
               "--checkpoint-every", "1", "--snapshot-every", "0", "--backend", "cpu"]
    straight, killed = os.path.join(work, "straight"), os.path.join(work, "killed")
    started = time.time()
    subprocess.run([args.binary, "pretrain", "--out", straight] + options, check=True, stderr=subprocess.DEVNULL)
    seconds = time.time() - started
    print(f"uninterrupted run: {seconds:.1f} s")

    command = [args.binary, "pretrain", "--out", killed] + options
    kills = 0
    while True:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if kills < args.kills:
            time.sleep(rng.uniform(0.05, max(0.1, 2 * seconds / args.kills)))
            if process.poll() is None:
                process.kill()
                kills += 1
        errors = process.communicate()[1].decode(errors="replace")
        if process.returncode == 0 or "has already finished" in errors:
            break
        if process.returncode != -9:
            sys.exit(f"FAIL: status {process.returncode} after {kills} kills: {errors.strip()[-500:]}")
        names = sorted(os.listdir(killed)) if os.path.exists(killed) else []
        print(f"kill {kills}: {', '.join(names)}")
        # Before the first checkpoint there is nothing to resume: the run starts again.
        started = any(name.startswith("checkpoint") or os.path.exists(os.path.join(killed, name, "checksums.json")) for name in names)
        command = [args.binary, "pretrain", "--resume", killed, "--backend", "cpu"] if started else [args.binary, "pretrain", "--out", killed] + options
    with open(os.path.join(straight, "weights.safetensors"), "rb") as a, open(os.path.join(killed, "weights.safetensors"), "rb") as b:
        same = a.read() == b.read()
    print(f"{kills} kills, every resume continued; final weights {'bit-identical' if same else 'DIFFER'}")
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
