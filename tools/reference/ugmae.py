"""PyTorch reference of UGMAE (U2AD), written for parity tests of the Swift port.

Re-implements what the public U2AD code (github.com/zhibaishouheilab/U2AD,
model/UGMAE.py + ada-train.py + utils/variance_generate.py) computes, with
two differences that do not change the math:

* masking is explicit: `UGMAE.forward(imgs, roi_mask, masked_patches, epoch)`
  takes a bool [B, L] mask (True = hidden from the encoder) instead of drawing
  torch.rand noise inside the model;
* the reference's masking rules (`random_masking`, `variance_masking`,
  `variance_error_masking`) are free functions that take their random draws as
  arguments, so they can be replayed exactly.

The transformer blocks are timm's `Block`, built exactly as the reference
builds them: Block(dim, heads, mlp_ratio, qkv_bias=True, norm_layer=nn.LayerNorm)
(LayerNorm eps = 1e-5, exact-erf GELU). See docs/reference.md for the spec.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def _import_timm():
    """Import timm's PatchEmbed and Block.

    timm imports torchvision. On a machine with a CPU-only torch wheel and the
    (CUDA-built) PyPI torchvision wheel, torchvision's C extension cannot load
    and its meta registrations then fail on the undefined ops
    torchvision::nms / torchvision::qnms. Defining those two schemas is enough
    for the pure-Python parts timm uses; nothing here calls them.
    """
    try:
        from timm.models.vision_transformer import PatchEmbed, Block
        return PatchEmbed, Block
    except RuntimeError as err:  # "operator torchvision::nms does not exist"
        if "torchvision" not in str(err):
            raise
    for name in list(sys.modules):
        if name.split(".")[0] in ("torchvision", "timm"):
            del sys.modules[name]
    lib = torch.library.Library("torchvision", "FRAGMENT")
    for op in ("nms", "qnms"):
        lib.define(op + "(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    _import_timm._keepalive = lib  # keep the fragment registered
    from timm.models.vision_transformer import PatchEmbed, Block
    return PatchEmbed, Block


PatchEmbed, Block = _import_timm()


# ----------------------------------------------------------------------------
# Fixed 2-D sin-cos positional embedding (MAE util/pos_embed.py formula)
# ----------------------------------------------------------------------------

def sincos_1d(dim: int, pos: np.ndarray) -> np.ndarray:
    """[M] positions -> [M, dim]: first dim/2 columns sin(pos*w_i), then cos(pos*w_i),
    w_i = 10000 ** (-i / (dim/2)), i = 0 .. dim/2-1."""
    assert dim % 2 == 0
    omega = np.arange(dim // 2, dtype=np.float64) / (dim / 2.0)
    omega = 1.0 / 10000.0 ** omega
    out = np.outer(pos.reshape(-1).astype(np.float64), omega)
    return np.concatenate([np.sin(out), np.cos(out)], axis=1)


def sincos_2d(dim: int, grid: int, cls_token: bool = True) -> np.ndarray:
    """[(1+)grid*grid, dim] table. Token t = r*grid + c (row-major patches).
    Columns [0, dim/2) encode the COLUMN index c, columns [dim/2, dim) the ROW
    index r (np.meshgrid(w, h) puts w first). Row 0 is the all-zero cls row."""
    assert dim % 2 == 0
    r, c = np.meshgrid(np.arange(grid), np.arange(grid), indexing="ij")
    emb = np.concatenate([sincos_1d(dim // 2, c), sincos_1d(dim // 2, r)], axis=1)
    if cls_token:
        emb = np.concatenate([np.zeros((1, dim)), emb], axis=0)
    return emb


# ----------------------------------------------------------------------------
# Sobel edge operator (EdgeMAE utils/operator.py `Sobel`, which UGMAE imports
# as utils.edge_operator.Sobel)
# ----------------------------------------------------------------------------

class Sobel(nn.Module):
    def __init__(self):
        super().__init__()
        self.filter = nn.Conv2d(1, 2, kernel_size=3, stride=1, padding=0, bias=False)
        gx = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
        gy = torch.tensor([[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]])
        self.filter.weight = nn.Parameter(torch.stack([gx, gy]).unsqueeze(1), requires_grad=False)
        self.pad = nn.ReplicationPad2d(1)

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        g = self.filter(self.pad(img))                      # [N, 2, H, W], cross-correlation
        mag = torch.sqrt((g * g).sum(dim=1, keepdim=True))  # [N, 1, H, W]
        return mag.clamp(max=1.0)                           # reference: x[x > 1] = 1


# ----------------------------------------------------------------------------
# Patch helpers
# ----------------------------------------------------------------------------

def patchify(imgs: torch.Tensor, p: int) -> torch.Tensor:
    """[N, 1, H, W] -> [N, L, p*p]; patch l = r*(W/p) + c, element k = py*p + px."""
    n, _, h, w = imgs.shape
    gh, gw = h // p, w // p
    x = imgs.reshape(n, gh, p, gw, p).permute(0, 1, 3, 2, 4)
    return x.reshape(n, gh * gw, p * p)


def unpatchify(x: torch.Tensor, p: int) -> torch.Tensor:
    """Inverse of patchify for square images: [N, L, p*p] -> [N, 1, H, W]."""
    n, l, _ = x.shape
    g = int(round(l ** 0.5))
    assert g * g == l
    x = x.reshape(n, g, g, p, p).permute(0, 1, 3, 2, 4)
    return x.reshape(n, 1, g * p, g * p)


# ----------------------------------------------------------------------------
# Masking rules of the reference, with the random draws passed in
# ----------------------------------------------------------------------------

@dataclass
class Masking:
    ids_shuffle: torch.Tensor   # [N, L] int64: kept tokens first
    ids_restore: torch.Tensor   # [N, L] int64: argsort(ids_shuffle)
    mask: torch.Tensor          # [N, L] float: 1 = hidden (removed), 0 = visible
    len_keep: int               # visible tokens per sample (same for all samples)


def reference_len_keep(m_sum: torch.Tensor, mask_ratio: float, threshold: float = 0.0) -> int:
    """Visible-token count exactly as the reference computes it (float32 math,
    batch mean, then .int() truncation)."""
    lk = torch.sum(m_sum > threshold, dim=1) * (1 - mask_ratio)
    lk = lk + torch.sum(m_sum <= threshold, dim=1)
    if len(lk) > 1:
        lk = torch.mean(lk).int()
    else:
        lk = lk.int()
    return int(lk.reshape(-1)[0])


def _finish(score: torch.Tensor, len_keep: int, stable: bool) -> Masking:
    ids_shuffle = torch.argsort(score, dim=1, stable=stable)
    ids_restore = torch.argsort(ids_shuffle, dim=1)
    n, l = score.shape
    mask = torch.ones(n, l, dtype=torch.float32)
    mask[:, :len_keep] = 0
    mask = torch.gather(mask, 1, ids_restore)
    return Masking(ids_shuffle, ids_restore, mask, len_keep)


def random_masking(m_sum: torch.Tensor, mask_ratio: float = 0.75, threshold: float = 0.0,
                   noise: Optional[torch.Tensor] = None, stable: bool = False) -> Masking:
    """UGMAE.random_masking. m_sum: [N, L] number of ROI pixels in each patch.
    noise: [N, L] uniform [0, 1) draws (torch.rand if None)."""
    m = m_sum.clone()            # the reference mutates its argument in place
    m[m > 0] = m.max()           # batch-wide max, not per sample
    len_keep = reference_len_keep(m, mask_ratio, threshold)
    if noise is None:
        noise = torch.rand(m.shape)
    score = noise + m            # ROI patches sort after every non-ROI patch
    return _finish(score, len_keep, stable)


def variance_weight(m_sum: torch.Tensor, variance_p: torch.Tensor, tau: float = 1.0,
                    threshold: float = 0.0, error_p: Optional[torch.Tensor] = None) -> torch.Tensor:
    """The `variance_normalized` tensor of variance_masking / variance_error_masking."""
    maskable = (m_sum > threshold).to(variance_p.dtype)
    vm = variance_p * maskable
    if error_p is not None:
        vm = vm.clone()
        vm[error_p > 0] = 0
    nz = vm != 0
    e = torch.exp(vm[nz] / tau)
    w = torch.zeros_like(vm)
    w[nz] = -torch.log(e / e.sum() + 1e-6)   # softmax over ALL nonzero entries of the batch
    return w


def variance_masking(m_sum: torch.Tensor, variance_p: torch.Tensor, mask_ratio: float = 0.75,
                     threshold: float = 0.0, tau: float = 1.0, rand: Optional[torch.Tensor] = None,
                     error_p: Optional[torch.Tensor] = None, stable: bool = False) -> Masking:
    """UGMAE.variance_masking (error_p None) or variance_error_masking (error_p given).
    variance_p / error_p: [N, L] per-patch SUM of the pixel variance / filtered error maps."""
    w = variance_weight(m_sum, variance_p, tau, threshold, error_p)
    m = m_sum.clone()
    m[m > 0] = m.max()
    len_keep = reference_len_keep(m, mask_ratio, threshold)
    if rand is None:
        rand = torch.rand(m.shape)
    score = rand * w + m
    return _finish(score, len_keep, stable)


def explicit_masking(masked_patches: torch.Tensor) -> Masking:
    """Masking from a bool [N, L] (True = hidden). ids_shuffle lists the visible
    patches in ascending patch order, then the hidden ones in ascending order."""
    hidden = masked_patches.to(torch.bool)
    counts = (~hidden).sum(dim=1)
    assert bool((counts == counts[0]).all()), "every sample must keep the same number of patches"
    len_keep = int(counts[0])
    n, l = hidden.shape
    key = hidden.to(torch.int64) * l + torch.arange(l).unsqueeze(0)
    ids_shuffle = torch.argsort(key, dim=1)
    ids_restore = torch.argsort(ids_shuffle, dim=1)
    return Masking(ids_shuffle, ids_restore, hidden.to(torch.float32), len_keep)


# ----------------------------------------------------------------------------
# The model
# ----------------------------------------------------------------------------

@dataclass
class Output:
    rec_loss: torch.Tensor        # intensity loss (scalar)
    edge_loss: torch.Tensor       # edge loss (scalar)
    loss: torch.Tensor            # l1_weight * rec_loss + edge_loss
    x_rec: torch.Tensor           # [N, L, p*p] raw sigmoid intensity head (not pasted)
    x_edge: torch.Tensor          # [N, L, p*p] raw sigmoid edge head (not pasted)
    x_rec_pasted: torch.Tensor    # x_rec*M + target*(1-M)
    x_edge_pasted: torch.Tensor   # x_edge*M + edge_target*(1-M)
    edge_gt: torch.Tensor         # [N, 1, H, W] Sobel target
    mask: torch.Tensor            # [N, L] 1 = hidden
    weit: torch.Tensor            # [N, L] structure weight per patch


class UGMAE(nn.Module):
    """Same parameter names and shapes as the reference UGMAE.
    Defaults here are the U2AD training configuration (options/*.py), not the
    constructor defaults of the reference class (patch 16, depth 24, ...)."""

    def __init__(self, img_size=256, patch_size=8, in_chans=1, embed_dim=128, depth=12,
                 num_heads=16, decoder_embed_dim=64, decoder_depth=8, decoder_num_heads=8,
                 mlp_ratio=4.0, norm_layer=nn.LayerNorm, rec_depth=3, edge_depth=3,
                 patchwise_loss=True, l1_weight=10.0):
        super().__init__()
        assert in_chans == 1
        self.patch_embed = PatchEmbed(img_size, patch_size, in_chans, embed_dim)
        num_patches = self.patch_embed.num_patches
        self.H = self.W = img_size // patch_size
        self.patch_size = patch_size
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, num_patches + 1, embed_dim), requires_grad=False)
        self.blocks = nn.ModuleList([
            Block(embed_dim, num_heads, mlp_ratio, qkv_bias=True, norm_layer=norm_layer)
            for _ in range(depth)])
        self.norm = norm_layer(embed_dim)

        self.decoder_embed = nn.Linear(embed_dim, decoder_embed_dim, bias=True)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, decoder_embed_dim))
        self.decoder_pos_embed = nn.Parameter(torch.zeros(1, num_patches + 1, decoder_embed_dim),
                                              requires_grad=False)
        self.decoder_blocks = nn.ModuleList([
            Block(decoder_embed_dim, decoder_num_heads, mlp_ratio, qkv_bias=True, norm_layer=norm_layer)
            for _ in range(decoder_depth)])
        # Declared by the reference but never used in forward (still in its state_dict).
        self.rec_blocks = nn.ModuleList([
            Block(decoder_embed_dim, decoder_num_heads, mlp_ratio, qkv_bias=True, norm_layer=norm_layer)
            for _ in range(rec_depth)])
        self.edge_blocks = nn.ModuleList([
            Block(decoder_embed_dim, decoder_num_heads, mlp_ratio, qkv_bias=True, norm_layer=norm_layer)
            for _ in range(edge_depth)])

        self.rec_norm = norm_layer(decoder_embed_dim)
        self.rec_pred = nn.Linear(decoder_embed_dim, patch_size ** 2 * in_chans, bias=True)
        self.edge_norm = norm_layer(decoder_embed_dim)
        self.edge_pred = nn.Linear(decoder_embed_dim, patch_size ** 2 * in_chans, bias=True)

        self.operator = Sobel()
        self.patchwise_loss = patchwise_loss
        self.l1_weight = l1_weight
        self.initialize_weights()

    # -- initialisation (same scheme as the reference) -------------------------
    def initialize_weights(self):
        g = int(self.patch_embed.num_patches ** 0.5)
        self.pos_embed.data.copy_(torch.from_numpy(sincos_2d(self.pos_embed.shape[-1], g)).float().unsqueeze(0))
        self.decoder_pos_embed.data.copy_(
            torch.from_numpy(sincos_2d(self.decoder_pos_embed.shape[-1], g)).float().unsqueeze(0))
        w = self.patch_embed.proj.weight.data
        nn.init.xavier_uniform_(w.view([w.shape[0], -1]))
        nn.init.normal_(self.cls_token, std=0.02)
        nn.init.normal_(self.mask_token, std=0.02)
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.constant_(m.bias, 0)
        elif isinstance(m, nn.LayerNorm):
            nn.init.constant_(m.bias, 0)
            nn.init.constant_(m.weight, 1.0)

    # -- pieces ----------------------------------------------------------------
    def patchify(self, imgs):
        return patchify(imgs, self.patch_size)

    def unpatchify(self, x):
        return unpatchify(x, self.patch_size)

    def forward_encoder(self, imgs: torch.Tensor, masking: Masking) -> torch.Tensor:
        x = self.patch_embed(imgs)                       # [N, L, D], row-major patches
        x = x + self.pos_embed[:, 1:, :]
        d = x.shape[-1]
        ids_keep = masking.ids_shuffle[:, :masking.len_keep]
        x = torch.gather(x, 1, ids_keep.unsqueeze(-1).expand(-1, -1, d))
        cls = (self.cls_token + self.pos_embed[:, :1, :]).expand(x.shape[0], -1, -1)
        x = torch.cat([cls, x], dim=1)
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x)

    def forward_decoder(self, latent: torch.Tensor, ids_restore: torch.Tensor):
        x = self.decoder_embed(latent)
        n, t, d = x.shape
        l = ids_restore.shape[1]
        mask_tokens = self.mask_token.expand(n, l + 1 - t, d)
        x_ = torch.cat([x[:, 1:, :], mask_tokens], dim=1)
        x_ = torch.gather(x_, 1, ids_restore.unsqueeze(-1).expand(-1, -1, d))   # unshuffle
        x = torch.cat([x[:, :1, :], x_], dim=1) + self.decoder_pos_embed
        for blk in self.decoder_blocks:
            x = blk(x)
        # no shared decoder norm: each head has its own LayerNorm
        x_rec = torch.sigmoid(self.rec_pred(self.rec_norm(x)))[:, 1:, :]
        x_edge = torch.sigmoid(self.edge_pred(self.edge_norm(x)))[:, 1:, :]
        return x_edge, x_rec

    def structure_weight(self, mask: torch.Tensor, epoch) -> torch.Tensor:
        """[N, L] per-patch weight. Reference condition `epoch > 0.5 * epoch` is
        true for every epoch > 0: 1 + avgpool3x3(mask); epoch 0: 2 - avgpool."""
        m = mask.reshape(-1, self.H, self.W)
        pooled = torch.abs(F.avg_pool2d(m, kernel_size=3, stride=1, padding=1))  # zero pad, /9
        w = 1 + pooled if epoch > 0.5 * epoch else 2 - pooled
        return w.reshape(mask.shape)

    def patch_loss(self, pred, target, mask, weit, weighted: bool = True):
        loss = (pred - target) ** 2
        if weighted:
            loss = loss * weit.unsqueeze(-1)
        loss = loss.mean(dim=-1)                         # per-patch mean over p*p pixels
        return (loss * mask).sum() / mask.sum()          # mean over hidden patches of the batch

    def forward_masked(self, imgs, roi_mask, masking: Masking, epoch=1) -> Output:
        mask = masking.mask.to(imgs.dtype)
        m = self.patchify(roi_mask.to(imgs.dtype))       # ROI pixels, [N, L, p*p]
        target = self.patchify(imgs)
        latent = self.forward_encoder(imgs, masking)
        x_edge, x_rec = self.forward_decoder(latent, masking.ids_restore)
        with torch.no_grad():
            edge_gt = self.operator(imgs)
        edge_target = self.patchify(edge_gt)
        x_edge_p = x_edge * m + edge_target * (1 - m)
        x_rec_p = x_rec * m + target * (1 - m)
        weit = self.structure_weight(mask, epoch)
        rec_loss = self.patch_loss(x_rec_p, target, mask, weit, weighted=self.patchwise_loss)
        edge_loss = self.patch_loss(x_edge_p, edge_target, mask, weit, weighted=True)
        total = rec_loss * self.l1_weight + edge_loss
        return Output(rec_loss, edge_loss, total, x_rec, x_edge, x_rec_p, x_edge_p, edge_gt, mask, weit)

    def forward(self, imgs, roi_mask, masked_patches, epoch=1) -> Output:
        """imgs, roi_mask: [N, 1, H, W]; masked_patches: bool [N, L], True = hidden."""
        return self.forward_masked(imgs, roi_mask, explicit_masking(masked_patches), epoch)

    def forward_reference(self, imgs, roi_mask, mask_ratio=0.75, epoch=1, noise=None,
                          variance=None, tau=1.0, error=None) -> Output:
        """The reference's own forward: masking drawn from the ROI (and variance /
        error maps when given) with `noise` as the random draws."""
        m_sum = self.patchify(roi_mask.to(imgs.dtype)).sum(dim=2)
        if variance is None:
            masking = random_masking(m_sum, mask_ratio, 0.0, noise)
        else:
            var_p = self.patchify(variance).sum(dim=2)
            err_p = None if error is None else self.patchify(error).sum(dim=2)
            masking = variance_masking(m_sum, var_p, mask_ratio, 0.0, tau, noise, err_p)
        return self.forward_masked(imgs, roi_mask, masking, epoch)


def trainable_state(model: nn.Module) -> dict:
    """state_dict entries without the unused rec_blocks / edge_blocks."""
    return {k: v for k, v in model.state_dict().items()
            if not (k.startswith("rec_blocks.") or k.startswith("edge_blocks."))}
