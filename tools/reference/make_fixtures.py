"""Write the parity fixtures for the Swift UGMAE port (deterministic, seeded).

    python tools/reference/make_fixtures.py            # from the repo root

Writes
  Tests/Fixtures/block/block.safetensors          timm Block dim 64, 8 heads, T=37
  Tests/Fixtures/block/block_d128.safetensors     timm Block dim 128, 16 heads, T=65
  Tests/Fixtures/model/weights.safetensors        UGMAE (encoder depth 2, decoder depth 2), float32
  Tests/Fixtures/model/expected.safetensors       clinical/2.npy, batch 1
  Tests/Fixtures/model/expected_batch2.safetensors clinical/2.npy + clinical/3.npy, batch 2
  Tests/Fixtures/model/masking.safetensors        the reference's masking rules on given draws

Float64 outputs are computed from the float32-rounded inputs and weights, so a
float32 implementation can match them to ~1e-5.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys

import numpy as np
import torch
import torch.nn as nn
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ugmae import (Block, UGMAE, explicit_masking, random_masking, trainable_state,  # noqa: E402
                   unpatchify, variance_masking, variance_weight)

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.environ.get("U2AD_SAMPLES", os.path.join(REPO, "..", "shared", "data", "u2ad-samples"))
if not os.path.isdir(DATA):
    DATA = "/work/shared/data/u2ad-samples"

PATCH = 8
GRID = 32
L = GRID * GRID
MASK_RATIO = 0.75


def f32(t: torch.Tensor) -> torch.Tensor:
    return t.detach().to(torch.float32).contiguous()


def f64(t: torch.Tensor) -> torch.Tensor:
    return t.detach().to(torch.float64).contiguous()


# ----------------------------------------------------------------------------
# Block fixtures
# ----------------------------------------------------------------------------

def make_block(dim: int, heads: int, tokens: int, seed: int, path: str):
    g = torch.Generator().manual_seed(seed)
    blk = Block(dim, heads, 4.0, qkv_bias=True, norm_layer=nn.LayerNorm)
    with torch.no_grad():
        for name, p in blk.named_parameters():
            if name.startswith("norm") and name.endswith(".weight"):
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=g))
            elif name.endswith(".bias"):
                p.copy_(0.05 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
    x = torch.randn(2, tokens, dim, generator=g)
    dy = torch.randn(2, tokens, dim, generator=g)

    params32 = {n: f32(p) for n, p in blk.named_parameters()}
    blk64 = copy.deepcopy(blk).double()
    with torch.no_grad():
        for n, p in blk64.named_parameters():
            p.copy_(params32[n].double())
    x64 = x.double().requires_grad_(True)
    y = blk64(x64)
    y.backward(dy.double())

    out = {"x": f32(x), "dy": f32(dy), "y": f64(y), "grad.x": f64(x64.grad)}
    for n, p in blk64.named_parameters():
        out["param." + n] = params32[n]
        out["grad." + n] = f64(p.grad)
    save_file(out, path, metadata={"about":
        f"timm Block(dim={dim}, num_heads={heads}, mlp_ratio=4, qkv_bias=True, norm_layer=nn.LayerNorm); "
        f"y = block(x), grads of sum(y*dy); x, dy, param.* float32; y, grad.* computed in float64 "
        f"from the float32 values; seed {seed}"})
    return out


# ----------------------------------------------------------------------------
# Model fixtures
# ----------------------------------------------------------------------------

def build_model(seed: int) -> UGMAE:
    torch.manual_seed(seed)
    model = UGMAE(img_size=256, patch_size=PATCH, embed_dim=128, depth=2, num_heads=16,
                  decoder_embed_dim=64, decoder_depth=2, decoder_num_heads=8, mlp_ratio=4.0,
                  rec_depth=0, edge_depth=0)
    g = torch.Generator().manual_seed(seed + 1)
    ln_params = set()
    for mname, m in model.named_modules():
        if isinstance(m, nn.LayerNorm):
            ln_params.add(f"{mname}.weight")
            ln_params.add(f"{mname}.bias")
    with torch.no_grad():
        for name, p in model.named_parameters():
            if not p.requires_grad:
                continue                       # pos embeds, Sobel filter stay fixed
            noise = torch.randn(p.shape, generator=g)
            if name in ("cls_token", "mask_token"):
                p.copy_(0.02 * noise)
            elif name in ln_params and name.endswith(".weight"):
                p.copy_(1 + 0.1 * noise)
            elif name.endswith(".bias"):
                p.copy_(0.02 * noise)
            else:                              # Linear / patch-embedding Conv2d weights
                p.add_(0.02 * noise)
    return model


def load_sample(name: str):
    a = np.load(os.path.join(DATA, "clinical", name))
    img = torch.from_numpy(a[0].astype(np.float32))
    roi = torch.from_numpy(a[1].astype(np.float32))
    return img, roi


def roi_patches(roi: torch.Tensor) -> np.ndarray:
    s = roi.reshape(GRID, PATCH, GRID, PATCH).permute(0, 2, 1, 3).reshape(L, -1).sum(1)
    return (s > 0).numpy()


def choose_mask(roi: torch.Tensor, rng: np.random.Generator, n_hidden_total=None, n_extra=10):
    """Hide n_roi - floor(0.25*n_roi) ROI patches (the reference's batch-1 rule for
    mask_ratio 0.75), plus non-ROI patches: n_extra, or enough to reach n_hidden_total."""
    is_roi = roi_patches(roi)
    roi_idx = np.flatnonzero(is_roi)
    non_idx = np.flatnonzero(~is_roi)
    n_roi = len(roi_idx)
    n_hide_roi = n_roi - int(np.floor(n_roi * (1 - MASK_RATIO)))
    if n_hidden_total is not None:
        n_extra = n_hidden_total - n_hide_roi
    hidden = np.zeros(L, dtype=bool)
    hidden[rng.choice(roi_idx, n_hide_roi, replace=False)] = True
    hidden[rng.choice(non_idx, n_extra, replace=False)] = True
    return hidden


def run_model(model32: UGMAE, imgs, rois, hidden, dtype):
    model = copy.deepcopy(model32).to(dtype)
    model.zero_grad(set_to_none=True)
    imgs_t = imgs.unsqueeze(1).to(dtype)
    rois_t = rois.unsqueeze(1).to(dtype)
    masked = torch.from_numpy(hidden)
    out = model(imgs_t, rois_t, masked, epoch=1)
    out.loss.backward()
    grads = {n: p.grad for n, p in model.named_parameters() if p.requires_grad}
    with torch.no_grad():
        out0 = model(imgs_t, rois_t, masked, epoch=0)
    return model, out, out0, grads


def model_expected(model32: UGMAE, imgs, rois, hidden, squeeze: bool, grad_dtype=torch.float64,
                   with_grads: bool = True, pred_dtype=torch.float64):
    _, out, out0, grads = run_model(model32, imgs, rois, hidden, torch.float64)
    pi = unpatchify(out.x_rec, PATCH)[:, 0]
    pe = unpatchify(out.x_edge, PATCH)[:, 0]
    et = out.edge_gt[:, 0]
    sq = (lambda t: t[0]) if squeeze else (lambda t: t)
    res = {
        "image": f32(sq(imgs)),
        "roi": f32(sq(rois)),
        "masked_patches": torch.from_numpy(sq(hidden).astype(np.uint8)).contiguous(),
        "pred_intensity": sq(pi).detach().to(pred_dtype).contiguous(),
        "pred_edge": sq(pe).detach().to(pred_dtype).contiguous(),
        "edge_target": f64(sq(et)),
        "loss_intensity": f64(out.rec_loss.reshape(1)),
        "loss_edge": f64(out.edge_loss.reshape(1)),
        "loss_total": f64(out.loss.reshape(1)),
        "loss_intensity_epoch0": f64(out0.rec_loss.reshape(1)),
        "loss_edge_epoch0": f64(out0.edge_loss.reshape(1)),
        "loss_total_epoch0": f64(out0.loss.reshape(1)),
    }
    for n, gr in (grads.items() if with_grads else []):
        res["grad." + n] = gr.detach().to(grad_dtype).contiguous()
    return res


def make_masking_fixture(rois, seed: int, path: str):
    """Reference masking rules, evaluated in float32 on explicit draws."""
    g = torch.Generator().manual_seed(seed)
    m_sum = torch.stack([r.reshape(GRID, PATCH, GRID, PATCH).permute(0, 2, 1, 3).reshape(L, -1).sum(1)
                         for r in rois])                                     # [2, L] float32
    noise = torch.rand(2, L, generator=g)
    out = {"m_sum": f32(m_sum), "noise": f32(noise)}

    mb = random_masking(m_sum, MASK_RATIO, 0.0, noise, stable=True)
    out["random_b2.len_keep"] = torch.tensor([mb.len_keep], dtype=torch.int64)
    out["random_b2.mask"] = f32(mb.mask)
    out["random_b2.ids_shuffle"] = mb.ids_shuffle.contiguous()
    out["random_b2.ids_restore"] = mb.ids_restore.contiguous()
    lks, masks = [], []
    for b in range(2):
        m1 = random_masking(m_sum[b:b + 1], MASK_RATIO, 0.0, noise[b:b + 1], stable=True)
        lks.append(m1.len_keep)
        masks.append(m1.mask[0])
    out["random_b1.len_keep"] = torch.tensor(lks, dtype=torch.int64)
    out["random_b1.mask"] = f32(torch.stack(masks))

    # Variance-guided masking on sample 0 (batch 1). Synthetic per-patch sums of
    # pixel variance (as utils/variance_generate would produce, times the ROI):
    roi0 = m_sum[0:1] > 0
    var_p = torch.where(roi0, 0.002 + 0.05 * torch.rand(1, L, generator=g), torch.zeros(1, L))
    roi_idx = torch.nonzero(roi0[0]).flatten()
    var_p[0, roi_idx[:2]] = 0.0                      # two ROI patches without variance
    err_p = torch.zeros(1, L)
    err_p[0, roi_idx[10:15]] = 0.3 * torch.rand(5, generator=g) + 0.01
    rand = torch.rand(1, L, generator=g)
    out["variance.var_p"] = f32(var_p)
    out["variance.err_p"] = f32(err_p)
    out["variance.rand"] = f32(rand)
    out["variance.tau"] = torch.tensor([1.0], dtype=torch.float32)
    vm = variance_masking(m_sum[0:1], var_p, MASK_RATIO, 0.0, 1.0, rand, None, stable=True)
    out["variance.weight"] = f32(variance_weight(m_sum[0:1], var_p, 1.0))
    out["variance.len_keep"] = torch.tensor([vm.len_keep], dtype=torch.int64)
    out["variance.mask"] = f32(vm.mask)
    vem = variance_masking(m_sum[0:1], var_p, MASK_RATIO, 0.0, 1.0, rand, err_p, stable=True)
    out["variance_error.weight"] = f32(variance_weight(m_sum[0:1], var_p, 1.0, error_p=err_p))
    out["variance_error.mask"] = f32(vem.mask)
    save_file(out, path, metadata={"about":
        "UGMAE random_masking / variance_masking / variance_error_masking on explicit draws "
        f"(mask_ratio 0.75, threshold 0, tau 1), float32; argsort made stable (reference: unstable); seed {seed}"})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(REPO, "Tests", "Fixtures"))
    ap.add_argument("--grad-dtype", choices=("float64", "float32"), default="float32",
                    help="storage dtype of the model fixtures' grad.* (float32 halves their size)")
    ap.add_argument("--no-batch2", action="store_true", help="skip expected_batch2.safetensors")
    args = ap.parse_args()
    gdt = torch.float64 if args.grad_dtype == "float64" else torch.float32
    torch.set_num_threads(1)
    bdir = os.path.join(args.out, "block")
    mdir = os.path.join(args.out, "model")
    os.makedirs(bdir, exist_ok=True)
    os.makedirs(mdir, exist_ok=True)

    make_block(64, 8, 37, 1234, os.path.join(bdir, "block.safetensors"))
    make_block(128, 16, 65, 5678, os.path.join(bdir, "block_d128.safetensors"))

    model = build_model(2024)
    weights = {k: f32(v) for k, v in trainable_state(model).items()}
    save_file(weights, os.path.join(mdir, "weights.safetensors"), metadata={"about":
        "UGMAE img 256, patch 8, embed 128, depth 2, heads 16, decoder 64, decoder depth 2, "
        "decoder heads 8, mlp 4; reference state_dict names (no rec_blocks/edge_blocks); seed 2024"})

    img2, roi2 = load_sample("2.npy")
    img3, roi3 = load_sample("3.npy")
    rng = np.random.default_rng(7)
    hidden2 = choose_mask(roi2, rng, n_extra=10)
    hidden3 = choose_mask(roi3, rng, n_hidden_total=int(hidden2.sum()))

    exp1 = model_expected(model, img2.unsqueeze(0), roi2.unsqueeze(0), hidden2[None], squeeze=True,
                          grad_dtype=gdt)
    save_file(exp1, os.path.join(mdir, "expected.safetensors"), metadata={"about":
        "UGMAE forward/backward on clinical/2.npy (channel 0 image, channel 1 ROI), batch 1; "
        "grads of loss_total (epoch 1) = 10*loss_intensity + loss_edge; float64 math from float32 "
        "weights and inputs"})

    if not args.no_batch2:
        exp2 = model_expected(model, torch.stack([img2, img3]), torch.stack([roi2, roi3]),
                              np.stack([hidden2, hidden3]), squeeze=False, grad_dtype=gdt,
                              with_grads=False, pred_dtype=torch.float32)
        save_file(exp2, os.path.join(mdir, "expected_batch2.safetensors"), metadata={"about":
            "predictions and losses (no gradients; predictions float32) as expected.safetensors with batch 2 (clinical/2.npy, clinical/3.npy); loss means are "
            "over the hidden patches of the whole batch; float64 math from float32 weights and inputs"})

    make_masking_fixture([roi2, roi3], 99, os.path.join(mdir, "masking.safetensors"))

    for d in (bdir, mdir):
        for f in sorted(os.listdir(d)):
            print(f"{os.path.join(d, f)}: {os.path.getsize(os.path.join(d, f)) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
