#!/usr/bin/env python3
"""Writes the safetensors fixtures in Tests/Fixtures/data/safetensors/ (used by SafeTensorsTests.swift).

- f32_only.safetensors: F32 tensors only and one metadata entry, written by safetensors.numpy.save_file.
  Re-writing it from Swift must give identical bytes.
- all_dtypes.safetensors: one tensor per dtype. Tensor "<dtype>" of shape (2, 3) holds
  v[i, j] = 3*i + j - offset (offset 2 for signed/float dtypes, 0 for unsigned); "bool" holds (i + j) % 2.
Run from the repository root: python3 tools/fixtures-data/make_safetensors_fixtures.py
"""
import os
import numpy as np
from safetensors.numpy import save_file

OUT = os.path.join("Tests", "Fixtures", "data", "safetensors")


def main():
    os.makedirs(OUT, exist_ok=True)
    save_file(
        {
            "blocks.0.attn.qkv.weight": (np.arange(12, dtype=np.float32).reshape(3, 4) - 5.5) / 4,
            "blocks.0.attn.qkv.bias": np.array([1.5, -2.25, 3.0], dtype=np.float32),
            "head.scale": np.array(0.125, dtype=np.float32),
            "empty": np.zeros((0, 2), dtype=np.float32),
        },
        os.path.join(OUT, "f32_only.safetensors"),
        metadata={"format": "pt"},
    )
    i, j = np.meshgrid(np.arange(2), np.arange(3), indexing="ij")
    signed = 3 * i + j - 2
    unsigned = 3 * i + j
    tensors = {
        "f64": signed.astype(np.float64), "f32": signed.astype(np.float32), "f16": signed.astype(np.float16),
        "i64": signed.astype(np.int64), "i32": signed.astype(np.int32), "i16": signed.astype(np.int16),
        "i8": signed.astype(np.int8), "u8": unsigned.astype(np.uint8), "bool": ((i + j) % 2).astype(bool),
    }
    save_file(tensors, os.path.join(OUT, "all_dtypes.safetensors"), metadata={"source": "numpy", "version": "1"})


if __name__ == "__main__":
    main()
