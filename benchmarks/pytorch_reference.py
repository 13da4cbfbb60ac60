"""PyTorch side of the u2ad benchmarks: the same shapes as `u2ad-bench`, on the same machine.

    python benchmarks/pytorch_reference.py [attention|block|model|inference|all] [--threads 2] [--batches 1,10,32]
        [--device cpu|cuda] [--data FOLDER]

Needs torch and timm (not a dependency of u2ad). The model is the reference UGMAE from
tools/reference/ugmae.py at full depth (12 + 8 blocks). `--device cuda` runs the same shapes in PyTorch's eager
mode on the GPU (benchmarks/gpu/device-check.sh compares it with u2ad on OpenCL).
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "reference"))
import ugmae  # noqa: E402  (import before timm: it works around a torchvision import problem)
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


DEVICE = torch.device("cpu")


def sync():
    if DEVICE.type == "cuda":
        torch.cuda.synchronize()


def timed(fn, seconds):
    fn()
    sync()
    samples, start = [], time.perf_counter()
    while time.perf_counter() - start < seconds or len(samples) < 3:
        t0 = time.perf_counter()
        fn()
        sync()
        samples.append(time.perf_counter() - t0)
    samples.sort()
    return samples[len(samples) // 2]


def on_device(masking):
    """A Masking built on the host, moved to DEVICE (the reference builds index tensors on the CPU)."""
    return ugmae.Masking(masking.ids_shuffle.to(DEVICE), masking.ids_restore.to(DEVICE), masking.mask.to(DEVICE), masking.len_keep)


def attention(batches, seconds):
    print("\n## PyTorch scaled_dot_product_attention, T = 1025 (ms)\n")
    print("| dim | heads | batch | forward ms | backward ms |")
    print("|---|---|---|---|---|")
    for dim, heads in [(128, 16), (64, 8)]:
        for b in batches:
            q, k, v = (torch.randn(b, heads, 1025, dim // heads, device=DEVICE, requires_grad=True) for _ in range(3))
            fwd = timed(lambda: F.scaled_dot_product_attention(q, k, v), seconds)
            out = F.scaled_dot_product_attention(q, k, v)
            g = torch.randn_like(out)

            def backward():
                o = F.scaled_dot_product_attention(q, k, v)
                o.backward(g)
            total = timed(backward, seconds)
            print(f"| {dim} | {heads} | {b} | {fwd * 1e3:.1f} | {(total - fwd) * 1e3:.1f} |")


def block(batches, seconds):
    from timm.models.vision_transformer import Block
    print("\n## PyTorch timm Block forward + backward, T = 1025 (ms)\n")
    print("| dim | heads | batch | forward ms | backward ms | total ms |")
    print("|---|---|---|---|---|---|")
    for dim, heads in [(128, 16), (64, 8)]:
        blk = Block(dim, heads, 4.0, qkv_bias=True, norm_layer=nn.LayerNorm).to(DEVICE)
        for b in batches:
            x = torch.randn(b, 1025, dim, device=DEVICE, requires_grad=True)
            with torch.no_grad():
                fwd = timed(lambda: blk(x), seconds)
            g = torch.randn(b, 1025, dim, device=DEVICE)

            def step():
                blk(x).backward(g)
            total = timed(step, seconds)
            print(f"| {dim} | {heads} | {b} | {fwd * 1e3:.1f} | {(total - fwd) * 1e3:.1f} | {total * 1e3:.1f} |")


def model(batches, seconds):
    print("\n## PyTorch reference UGMAE (12 + 8 blocks)\n")
    print("| measurement | batch | seconds | images/s |")
    print("|---|---|---|---|")
    net = ugmae.UGMAE().to(DEVICE)
    roi_patches = list(range(400, 460))

    def make(b):
        imgs = torch.rand(b, 1, 256, 256)
        rois = torch.zeros(b, 1, 256, 256)
        hidden = torch.zeros(b, 1024, dtype=torch.bool)
        for i in range(b):
            for j, l in enumerate(roi_patches):
                r, c = divmod(l, 32)
                rois[i, 0, r * 8:(r + 1) * 8, c * 8:(c + 1) * 8] = 1
                if (j + i) % 4 != 0:
                    hidden[i, l] = True
        return imgs.to(DEVICE), rois.to(DEVICE), on_device(ugmae.explicit_masking(hidden))

    net.eval()
    for b in batches:
        imgs, rois, masking = make(b)
        with torch.no_grad():
            t = timed(lambda: net.forward_masked(imgs, rois, masking, 1), seconds)
        print(f"| forward | {b} | {t:.3f} | {b / t:.2f} |")
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-4, betas=(0.9, 0.95))
    imgs, rois, masking = make(10)

    def train_step():
        out = net.forward_masked(imgs, rois, masking, 1)
        opt.zero_grad()
        out.loss.backward()
        opt.step()
    t = timed(train_step, seconds)
    print(f"| training step (fwd + bwd + Adam) | 10 | {t:.3f} | {10 / t:.2f} |")


DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "u2ad-samples", "clinical")


def inference(batches, seconds):
    """The reference's MC loop (utils/variance_generate.py): one random-masking pass at a time until every ROI
    patch (labels {3, 4, 6}) was hidden K = 10 times, on the shared clinical slices."""
    import numpy as np
    data = DATA
    net = ugmae.UGMAE().to(DEVICE).eval()
    print("\n## PyTorch reference MC inference (sequential passes, K = 10, ratio 0.75)\n")
    print("| slice | ROI patches | passes | seconds |")
    print("|---|---|---|---|")
    torch.manual_seed(0)
    for name in ["1.npy", "2.npy", "3.npy"]:
        s = np.load(os.path.join(data, name))
        img = torch.from_numpy(s[0]).float()[None, None].to(DEVICE)
        roi = torch.from_numpy(np.isin(s[2], [3, 4, 6]).astype(np.float32))[None, None].to(DEVICE)
        m = roi.cpu().reshape(1, 32, 8, 32, 8).permute(0, 1, 3, 2, 4).reshape(1, 1024, 64).sum(-1)
        count = torch.zeros(1024)
        passes, t0 = 0, time.perf_counter()
        with torch.no_grad():
            while passes < 400 and (count[m[0] > 0] < 10).any():
                masking = ugmae.random_masking(m.clone(), 0.75, 0.0, torch.rand(1, 1024))
                net.forward_masked(img, roi, on_device(masking), 1)
                count += masking.mask[0]
                passes += 1
        sync()
        print(f"| {name} | {int((m[0] > 0).sum())} | {passes} | {time.perf_counter() - t0:.2f} |")


def main():
    global DEVICE, DATA
    ap = argparse.ArgumentParser()
    ap.add_argument("suite", nargs="?", default="all")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batches", default="1,10,32")
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--data", default=DATA, help="folder of the inference suite's slices 1.npy, 2.npy, 3.npy")
    a = ap.parse_args()
    DEVICE = torch.device(a.device)
    DATA = a.data
    torch.set_num_threads(a.threads)
    batches = [int(x) for x in a.batches.split(",")]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {DEVICE}"
          + (f" ({torch.cuda.get_device_name(DEVICE)})" if DEVICE.type == "cuda" else ""))
    for name in (["attention", "block", "model"] if a.suite == "all" else [a.suite]):
        {"attention": attention, "block": block, "model": model, "inference": inference}[name](batches, a.seconds)


if __name__ == "__main__":
    main()
