#!/usr/bin/env python3
"""Reads the shared Spinal Cord Toolbox volumes once with nibabel and writes what the Swift reader
must reproduce to Tests/Fixtures/data/sct_reference.json (used by NIfTISharedDataTests.swift).

Per file: shape, zooms, affine (nibabel's img.affine), aff2axcodes, on-disk dtype, sum of all voxels,
sampled voxels [x, y, z, value], and the expected sagittal slices computed independently from
nib.as_closest_canonical (RAS): slice k (k = 0 most left) is ras[k, ::-1, ::-1].T, so row 0 is
most superior and column 0 most anterior; its source index is k, or n-1-k if the stored L-R axis
runs right-to-left.
Run from the repository root (needs ../shared/data): python3 tools/fixtures-data/make_sct_reference.py
"""
import json
import os

import nibabel as nib
import numpy as np

SHARED = os.path.join("..", "shared", "data", "sct")
FILES = [
    "t2/t2.nii.gz", "t2/t2_seg-manual.nii.gz", "t2/t2_seg-manual_labeled.nii.gz", "t2/labels.nii.gz",
    "t2/t2_fake_lesion.nii.gz", "t2/t2_fake_lesion_lesion_seg.nii.gz", "t2/t2_fake_lesion_sc_seg.nii.gz",
    "pam50/PAM50_small_t2.nii.gz", "pam50/PAM50_small_cord.nii.gz", "pam50/PAM50_small_levels.nii.gz",
    "pam50/PAM50_small_label_disc.nii.gz",
]
OUT = os.path.join("Tests", "Fixtures", "data", "sct_reference.json")


def main():
    rng = np.random.default_rng(2024)
    result = {}
    for rel in FILES:
        img = nib.load(os.path.join(SHARED, rel))
        data = np.asarray(img.get_fdata(dtype=np.float64))
        shape = data.shape
        samples = [[0, 0, 0], [s - 1 for s in shape], [s // 2 for s in shape],
                   list(np.unravel_index(int(np.argmax(data)), shape))]
        samples += [[int(rng.integers(0, s)) for s in shape] for _ in range(6)]
        voxels = [[int(i) for i in idx] + [float(data[tuple(idx)])] for idx in samples]

        canonical = nib.as_closest_canonical(img)
        ras = np.asarray(canonical.get_fdata(dtype=np.float64))
        ornt = nib.io_orientation(img.affine)
        lr_axis = int(np.where(ornt[:, 0] == 0)[0][0])
        lr_flipped = ornt[lr_axis, 1] < 0
        zooms = np.sqrt((canonical.affine[:3, :3] ** 2).sum(axis=0))
        n = ras.shape[0]
        slices = [ras[k, ::-1, ::-1].T for k in range(n)]
        slice_samples = []
        for _ in range(8):
            k = int(rng.integers(0, n))
            r = int(rng.integers(0, slices[k].shape[0]))
            c = int(rng.integers(0, slices[k].shape[1]))
            slice_samples.append([k, r, c, float(slices[k][r, c])])
        result[rel] = {
            "shape": list(shape),
            "zooms": [float(z) for z in img.header.get_zooms()[:3]],
            "affine": img.affine.tolist(),
            "axcodes": "".join(nib.aff2axcodes(img.affine)),
            "dtype": img.header.get_data_dtype().name,
            "sum": float(data.sum()),
            "voxels": voxels,
            "sagittal": {
                "count": n,
                "rows": int(slices[0].shape[0]),
                "columns": int(slices[0].shape[1]),
                "rowSpacing": float(zooms[2]),
                "columnSpacing": float(zooms[1]),
                "sourceIndexOfFirst": int(n - 1 if lr_flipped else 0),
                "sliceSums": [float(s.sum()) for s in slices],
                "samples": slice_samples,
            },
        }
    with open(OUT, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
