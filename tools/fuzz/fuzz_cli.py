#!/usr/bin/env python3
"""Adversarial pass over the u2ad binary (docs/limits.md): seeded mutants of real .npy, NIfTI and safetensors files
and absurd command-line values, each run through the release binary with a time limit, counting anything that is not
exit status 0, or exit status 1 with exactly one `error:` line: a signal, a hang, another status, a multi-line error,
Foundation's raw text, or more than 1 GB resident.

    python3 tools/fuzz/fuzz_cli.py --binary .build/release/u2ad --cases 200 [--seed 1] [--keep DIR]

Needs only the Python standard library and ../shared/data beside the repository.
"""
import argparse
import gzip
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "data")
WEIGHTS = os.path.join(ROOT, "Tests", "Fixtures", "model", "weights.safetensors")
SLICE = os.path.join(SHARED, "u2ad-samples", "clinical", "1.npy")
IMAGE = os.path.join(SHARED, "sct", "t2", "t2.nii.gz")
LABELS = os.path.join(SHARED, "sct", "t2", "t2_seg-manual.nii.gz")
ABSURD_WORDS = [0, 2**64 - 1, 2**63, 0x7FFFFFFF, 0x80000000, 0x7F800000, 0x7FC00000, 0x7E967699, 0xFF800000, 0x7FFF, 0x8000,
                800, 2**40, 0x4F800000]
ABSURD_NUMBERS = ["0", "-1", "9223372036854775807", "99999999999999999999", "1e308", "4294967296", "", "65536", "1.5", "NaN",
                  "1073741824", "130"]


def mutate(data, header_end, rng):
    """Flipped bytes, an absurd 2/4/8-byte word, a digit run replaced by an absurd number, a truncation, or a repeated
    or removed piece, all within the header."""
    b = bytearray(data)
    end = min(header_end, len(b))
    kind = rng.randrange(6)
    if kind == 0:
        for _ in range(1 + rng.randrange(4)):
            b[rng.randrange(end)] ^= 1 + rng.randrange(255)
    elif kind == 1:
        width = rng.choice([2, 4, 8])
        start = min(rng.randrange(end) // width * width, len(b) - width)
        b[start:start + width] = struct.pack("<Q", rng.choice(ABSURD_WORDS))[:width]
    elif kind == 2:
        runs = [m.span() for m in re.finditer(rb"[0-9]+", bytes(b[:end]))]
        if runs:
            s, e = rng.choice(runs)
            b[s:e] = rng.choice(ABSURD_NUMBERS).encode()
    elif kind == 3:
        del b[rng.randrange(len(b) + 1):]
    elif kind == 4:
        s = rng.randrange(end)
        b[s:s] = b[s:s + rng.randrange(64)]
    else:
        s = rng.randrange(end)
        del b[s:s + rng.randrange(64)]
    return bytes(b)


def mutate_configuration(data, rng):
    """The weights with `u2ad.configuration` metadata whose fields take absurd or inconsistent values."""
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    config = dict(imageSize=256, patchSize=8, embedDim=128, depth=2, heads=16, decoderEmbedDim=64, decoderDepth=2,
                  decoderHeads=8, mlpRatio=4)
    values = [0, 1, 2, 3, 7, 130, 1 << 20, 1 << 30, 1 << 40, 1 << 62, 2**63 - 1, -1, -(2**63)]
    for _ in range(1 + rng.randrange(3)):
        config[rng.choice(sorted(config))] = rng.choice(values)
    header["__metadata__"] = {"u2ad.configuration": json.dumps(config)}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data[8 + n:]


def run(binary, arguments, timeout):
    """(status, stderr, max RSS in kB) of one run; status 'timeout' when it ran past `timeout` (then the whole process
    group is killed). The RSS comes from /usr/bin/time when present."""
    rss_file = tempfile.mktemp()
    timed = os.path.exists("/usr/bin/time")
    command = (["/usr/bin/time", "-f", "%M", "-o", rss_file] if timed else []) + [binary] + arguments
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        _, errors = process.communicate(timeout=timeout)
        status = process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        _, errors = process.communicate()
        status = "timeout"
    errors = errors.decode(errors="replace")
    rss = 0
    if os.path.exists(rss_file):
        with open(rss_file) as f:
            lines = [line for line in f.read().split("\n") if line.strip().isdigit()]
        rss = int(lines[-1]) if lines else 0
        os.remove(rss_file)
    return status, errors, rss


def verdict(status, errors, rss):
    """None when the run is acceptable, else why not."""
    error_lines = [line for line in errors.split("\n") if line.startswith("error:")]
    if status == "timeout":
        return "hang"
    if rss > 1 << 20:
        return f"{rss // 1024} MB resident"
    if "NSCocoaErrorDomain" in errors or "Error Domain=" in errors:
        return "raw Foundation message"
    if status == 0:
        return None
    if status == 1 and len(error_lines) == 1:
        return None
    return f"status {status}, {len(error_lines)} error lines: {errors.strip()[-300:]}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "u2ad"))
    parser.add_argument("--cases", type=int, default=200, help="mutants per file kind")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--keep", help="copy failing inputs here")
    args = parser.parse_args()
    for path in [args.binary, SLICE, IMAGE, LABELS, WEIGHTS]:
        if not os.path.exists(path):
            sys.exit(f"missing {path}")
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="u2ad-fuzz-")
    out = os.path.join(work, "out")
    detect = ["detect", "--k", "1", "--backend", "cpu", "--out", out]
    slice_bytes = open(SLICE, "rb").read()
    weights_bytes = open(WEIGHTS, "rb").read()
    image_bytes = gzip.open(IMAGE).read()
    label_bytes = gzip.open(LABELS).read()

    def nifti_case(name, image, labels):
        folder = os.path.join(work, name)
        os.makedirs(os.path.join(folder, "i"))
        os.makedirs(os.path.join(folder, "l"))
        for path, data in [(os.path.join(folder, "i", "t2.nii.gz"), image), (os.path.join(folder, "l", "t2_seg.nii.gz"), labels)]:
            with open(path, "wb") as f:
                f.write(gzip.compress(data, 1) if rng.random() < 0.8 else data)
        if rng.random() < 0.25:
            return ["diagnose", "--labels", os.path.join(folder, "l"), "--images", os.path.join(folder, "i"), "--out", os.path.join(folder, "o")], folder
        return ["preprocess", "--images", os.path.join(folder, "i"), "--labels", os.path.join(folder, "l"), "--out", os.path.join(folder, "o"),
                "--label-map", "1=3"], folder

    cases = []
    for i in range(args.cases):
        path = os.path.join(work, f"npy{i}.npy")
        with open(path, "wb") as f:
            f.write(mutate(slice_bytes, 128, rng))
        diagnose = ["diagnose", "--labels", path, "--out", out]
        cases.append(("npy", diagnose if i % 4 == 0 else detect + ["--weights", WEIGHTS, "--input", path], path))
    for i in range(args.cases):
        arguments, folder = nifti_case(f"img{i}", mutate(image_bytes, 352, rng), label_bytes)
        cases.append(("nifti image", arguments, folder))
    for i in range(args.cases):
        arguments, folder = nifti_case(f"lab{i}", image_bytes, mutate(label_bytes, 352, rng))
        cases.append(("nifti labels", arguments, folder))
    for i in range(args.cases):
        path = os.path.join(work, f"w{i}.safetensors")
        with open(path, "wb") as f:
            f.write(mutate_configuration(weights_bytes, rng) if i % 2 else mutate(weights_bytes, 8 + 4096, rng))
        cases.append(("safetensors", detect + ["--weights", path, "--input", SLICE], path))
    numbers = ["0", "-1", "9223372036854775807", "-9223372036854775808", "1e308", "-1e308", "nan", "inf", "1e-320", "4294967296", ""]
    for option in ["--k", "--ratio", "--passes", "--max-batch", "--smoothing", "--pixel-spacing", "--segment-mm", "--fpr", "--threshold",
                   "--mc-dropout", "--depth", "--decoder-depth", "--aggregate", "--roi-labels", "--first-vertebra"]:
        for value in numbers:
            cases.append(("detect " + option, detect + ["--weights", WEIGHTS, "--input", SLICE, option, value], None))
    for option in ["--pixel-spacing", "--slice", "--minimum-body-area", "--band-length", "--disc-tolerance", "--label-map", "--first-vertebra"]:
        for value in numbers:
            cases.append(("diagnose " + option, ["diagnose", "--labels", SLICE, "--out", out, option, value], None))
    train = ["--data", os.path.dirname(SLICE), "--backend", "cpu", "--snapshot-every", "0"]
    for option in ["--epochs", "--batch", "--lr", "--decay-every", "--decay-rate", "--mask-ratio", "--depth", "--decoder-depth",
                   "--patch-size", "--checkpoint-every", "--snapshot-every", "--roi-labels"]:
        for value in numbers:
            # The first step of a valid run is enough: --epochs 1 with one tiny block unless the option is the epochs.
            extra = [] if option == "--epochs" else ["--epochs", "1"]
            shape = [] if option in ["--depth", "--decoder-depth", "--patch-size"] else ["--depth", "1", "--decoder-depth", "1", "--patch-size", "32"]
            cases.append(("pretrain " + option, ["pretrain", "--out", os.path.join(work, f"run{len(cases)}")] + train + extra + shape + [option, value], None))
    for option in ["--k", "--au-from", "--regenerate-every", "--tau", "--mc-ratio", "--uncertainty-labels", "--error-labels"]:
        for value in numbers:
            cases.append(("adapt " + option, ["adapt", "--out", os.path.join(work, f"run{len(cases)}"), "--init", WEIGHTS, "--epochs", "1"] + train + [option, value], None))
    for command in [["help", "bogus"], ["preprocess", "--images", SLICE, "--labels", SLICE, "--out", SLICE], ["detect", "--weights", work, "--input", SLICE, "--out", out],
                    ["preprocess", "--images", IMAGE, "--labels", LABELS, "--out", out, "--field-of-view", "99999999999999"]]:
        cases.append(("misc", command, None))

    failures, counts = [], {}
    for index, (kind, arguments, keep) in enumerate(cases):
        # pretrain/adapt with a usable value trains: a short time limit stops it once it has started.
        timeout = 20 if kind.startswith(("pretrain", "adapt")) else args.timeout
        status, errors, rss = run(args.binary, arguments, timeout)
        problem = verdict(status, errors, rss)
        if problem == "hang" and kind.startswith(("pretrain", "adapt")) and "training: " in errors:
            problem, status = None, 0  # a usable value: training started and was stopped by the time limit
        counts.setdefault(kind.split(" ")[0], [0, 0, 0])
        counts[kind.split(" ")[0]][0 if status == 0 else 1 if problem is None else 2] += 1
        if problem:
            failures.append((kind, arguments, problem))
            print(f"FAIL {kind}: {problem}\n     {' '.join(arguments)}", flush=True)
            if args.keep and keep:
                os.makedirs(args.keep, exist_ok=True)
                target = os.path.join(args.keep, os.path.basename(keep))
                (shutil.copytree if os.path.isdir(keep) else shutil.copy)(keep, target)
        if (index + 1) % 100 == 0:
            print(f"{index + 1}/{len(cases)} runs, {len(failures)} failures", flush=True)
    for kind, (ok, rejected, bad) in sorted(counts.items()):
        print(f"{kind:12s} {ok + rejected + bad:5d} runs: {ok} succeeded, {rejected} one-line errors, {bad} failures")
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
