"""Writes a full-depth reference UGMAE (12 + 8 blocks) with PyTorch's default random initialisation as
safetensors, for the MC-inference benchmark (speed does not depend on the weights' values).

    python benchmarks/full_weights.py OUT.safetensors [--seed 0]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "reference"))
import ugmae  # noqa: E402  (before timm: see ugmae.py)
import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--seed", type=int, default=0)
a = ap.parse_args()
torch.manual_seed(a.seed)
state = {k: v.contiguous().float() for k, v in ugmae.trainable_state(ugmae.UGMAE()).items()}
save_file(state, a.out)
print(f"wrote {a.out}: {len(state)} tensors")
