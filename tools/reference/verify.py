"""Sanity checks of the fixtures and of the reference module.

    python tools/reference/verify.py

1. block fixtures: float32 timm Block vs the stored float64 outputs/gradients;
2. model fixtures: float32 UGMAE (weights.safetensors) vs expected*.safetensors;
3. the explicit-mask forward equals the reference's own forward (random_masking
   on given noise) when both hide the same patches;
4. one Adam step (lr 1e-4, betas 0.9/0.95 as in the reference) lowers the loss;
5. sincos_2d (float64) vs the MAE float32 formula;
6. masking.safetensors replays with torch's default (unstable) argsort.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import torch
import torch.nn as nn
from safetensors.torch import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ugmae import (Block, UGMAE, random_masking, sincos_2d, unpatchify,  # noqa: E402
                   variance_masking, variance_weight)

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIX = os.path.join(REPO, "Tests", "Fixtures")
ok = True


def rel(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a.detach().double(), b.detach().double()
    return float((a - b).abs().max() / b.abs().max().clamp(min=1e-30))


def check(name: str, err: float, tol: float):
    global ok
    status = "ok" if err <= tol else "FAIL"
    if err > tol:
        ok = False
    print(f"  {status:4s} {name}: {err:.3e} (tol {tol:.0e})")


def verify_block(fname: str, dim: int, heads: int):
    print(fname)
    t = load_file(os.path.join(FIX, "block", fname))
    blk = Block(dim, heads, 4.0, qkv_bias=True, norm_layer=nn.LayerNorm)
    with torch.no_grad():
        for n, p in blk.named_parameters():
            p.copy_(t["param." + n])
    x = t["x"].clone().requires_grad_(True)
    y = blk(x)
    y.backward(t["dy"])
    check("y (rel to max)", rel(y, t["y"]), 1e-5)
    check("grad.x", rel(x.grad, t["grad.x"]), 1e-5)
    worst = max(rel(p.grad, t["grad." + n]) for n, p in blk.named_parameters())
    check("grad.<param> worst", worst, 1e-5)


def fixture_model() -> UGMAE:
    m = UGMAE(depth=2, decoder_depth=2, rec_depth=0, edge_depth=0)
    w = load_file(os.path.join(FIX, "model", "weights.safetensors"))
    m.load_state_dict(w, strict=True)
    return m


def run(model, e, dtype, epoch=1):
    imgs = e["image"].to(dtype)
    rois = e["roi"].to(dtype)
    hidden = e["masked_patches"].bool()
    if imgs.dim() == 2:
        imgs, rois, hidden = imgs[None], rois[None], hidden[None]
    m = model.to(dtype)
    m.zero_grad(set_to_none=True)
    out = m(imgs[:, None], rois[:, None], hidden, epoch=epoch)
    return out


def verify_model(fname: str):
    print(fname)
    e = load_file(os.path.join(FIX, "model", fname))
    model = fixture_model()
    out = run(model, e, torch.float32)
    out.loss.backward()
    sq = (lambda t: t[0]) if e["image"].dim() == 2 else (lambda t: t)
    check("pred_intensity", rel(sq(unpatchify(out.x_rec, 8)[:, 0]), e["pred_intensity"]), 1e-5)
    check("pred_edge", rel(sq(unpatchify(out.x_edge, 8)[:, 0]), e["pred_edge"]), 1e-5)
    check("edge_target", rel(sq(out.edge_gt[:, 0]), e["edge_target"]), 1e-6)
    for k, v in (("loss_intensity", out.rec_loss), ("loss_edge", out.edge_loss), ("loss_total", out.loss)):
        check(k, rel(v.reshape(1), e[k]), 1e-5)
    worst, wname = 0.0, ""
    for n, p in model.named_parameters():
        if p.requires_grad:
            r = rel(p.grad, e["grad." + n])
            if r > worst:
                worst, wname = r, n
    check(f"grad worst ({wname})", worst, 1e-4)
    with torch.no_grad():
        out0 = run(model, e, torch.float32, epoch=0)
    check("loss_total_epoch0", rel(out0.loss.reshape(1), e["loss_total_epoch0"]), 1e-5)
    print(f"  losses: intensity {e['loss_intensity'].item():.6f} edge {e['loss_edge'].item():.6f} "
          f"total {e['loss_total'].item():.6f} total@epoch0 {e['loss_total_epoch0'].item():.6f}")
    print(f"  hidden patches per sample: {e['masked_patches'].reshape(-1, 1024).sum(1).tolist()}")


def verify_reference_parity():
    print("explicit mask vs reference random_masking")
    e = load_file(os.path.join(FIX, "model", "expected.safetensors"))
    model = fixture_model().double()
    imgs = e["image"].double()[None, None]
    rois = e["roi"].double()[None, None]
    noise = torch.rand(1, 1024, generator=torch.Generator().manual_seed(3), dtype=torch.float32)
    with torch.no_grad():
        ref = model.forward_reference(imgs, rois, 0.75, 1, noise.double())
        exp = model(imgs, rois, ref.mask.bool(), 1)
    print(f"  reference hid {int(ref.mask.sum())} patches, all inside the ROI: "
          f"{bool(((model.patchify(rois).sum(2) > 0).double() >= ref.mask).all())}")
    check("pred_intensity", rel(exp.x_rec, ref.x_rec), 1e-12)
    check("loss_total", rel(exp.loss, ref.loss), 1e-12)


def verify_adam():
    print("Adam step sanity (float64)")
    e = load_file(os.path.join(FIX, "model", "expected.safetensors"))
    model = fixture_model().double()
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-4, betas=(0.9, 0.95))
    out = run(model, e, torch.float64)
    out.loss.backward()
    opt.step()
    with torch.no_grad():
        out2 = run(model, e, torch.float64)
    print(f"  loss {out.loss.item():.6f} -> {out2.loss.item():.6f}")
    global ok
    if not out2.loss.item() < out.loss.item():
        ok = False
        print("  FAIL loss did not decrease")


def verify_pos_embed():
    print("sincos_2d vs MAE float32 formula")

    def mae32(dim, g):
        gh = np.arange(g, dtype=np.float32)
        grid = np.stack(np.meshgrid(gh, gh), axis=0).reshape(2, 1, g, g)

        def one(d, pos):
            om = np.arange(d // 2, dtype=np.float32)
            om /= d / 2.0
            om = 1.0 / 10000 ** om
            out = np.einsum("m,d->md", pos.reshape(-1), om)
            return np.concatenate([np.sin(out), np.cos(out)], axis=1)
        emb = np.concatenate([one(dim // 2, grid[0]), one(dim // 2, grid[1])], axis=1)
        return np.concatenate([np.zeros([1, dim]), emb], axis=0)
    w = load_file(os.path.join(FIX, "model", "weights.safetensors"))
    for dim, key in ((128, "pos_embed"), (64, "decoder_pos_embed")):
        ref = torch.from_numpy(mae32(dim, 32))
        mine = torch.from_numpy(sincos_2d(dim, 32))
        check(f"{key} float64 vs MAE-float32", float((mine - ref).abs().max()), 1e-5)
        check(f"{key} stored vs float64", float((w[key][0].double() - mine).abs().max()), 1e-7)


def verify_masking():
    print("masking.safetensors (replayed with unstable argsort)")
    t = load_file(os.path.join(FIX, "model", "masking.safetensors"))
    m = random_masking(t["m_sum"], 0.75, 0.0, t["noise"])
    check("random_b2.mask", float((m.mask - t["random_b2.mask"]).abs().max()), 0)
    roi = t["m_sum"] > 0
    for b in range(2):
        hid = t["random_b2.mask"][b] > 0
        print(f"  b2 sample {b}: roi {int(roi[b].sum())}, hidden roi {int((hid & roi[b]).sum())}, "
              f"hidden non-roi {int((hid & ~roi[b]).sum())}")
    print(f"  len_keep batch2 {t['random_b2.len_keep'].tolist()} / per sample {t['random_b1.len_keep'].tolist()}")
    v = variance_masking(t["m_sum"][:1], t["variance.var_p"], 0.75, 0.0, 1.0, t["variance.rand"])
    check("variance.mask", float((v.mask - t["variance.mask"]).abs().max()), 0)
    ve = variance_masking(t["m_sum"][:1], t["variance.var_p"], 0.75, 0.0, 1.0, t["variance.rand"], t["variance.err_p"])
    check("variance_error.mask", float((ve.mask - t["variance_error.mask"]).abs().max()), 0)
    w = variance_weight(t["m_sum"][:1], t["variance.var_p"], 1.0)
    check("variance.weight", float((w - t["variance.weight"]).abs().max()), 0)
    r0 = roi[0]
    kept_zero = ((t["variance.var_p"][0] == 0) & r0 & (t["variance.mask"][0] == 0)).sum()
    kept_err = ((t["variance.err_p"][0] > 0) & (t["variance_error.mask"][0] == 0)).sum()
    print(f"  zero-variance ROI patches kept: {int(kept_zero)}/2; error>0 patches kept: {int(kept_err)}/5")


if __name__ == "__main__":
    torch.set_num_threads(1)
    verify_block("block.safetensors", 64, 8)
    verify_block("block_d128.safetensors", 128, 16)
    verify_model("expected.safetensors")
    verify_model("expected_batch2.safetensors")
    verify_reference_parity()
    verify_adam()
    verify_pos_embed()
    verify_masking()
    print("ALL OK" if ok else "SOME CHECKS FAILED")
    sys.exit(0 if ok else 1)
