#!/usr/bin/env python3
"""Writes the small NIfTI fixtures in Tests/Fixtures/data/nifti/ and their expected values
(read back with nibabel) in Tests/Fixtures/data/nifti/expected.json. Used by NIfTITests.swift.

- orient_<codes>.nii.gz: one synthetic anatomy stored in RAS, LAS, LPS, PSR and PIR
  (made with nibabel's as_reoriented, so the world position of every voxel is the same).
- dtype_<name>.nii: shape (3, 4, 5), value at (x, y, z) = x + 3*y + 12*z - offset
  (offset 7 for signed/float types, 0 for unsigned); dtype_int16_be.nii is big-endian.
- scaled.nii: int16 with scl_slope 2.5 and scl_inter -10 (patched into the header).
- qform_only.nii (oblique rotation, qfac -1, sform_code 0), sform_only.nii (sheared sform,
  qform_code 0), no_transform.nii (both codes 0: nibabel's centred pixdim diagonal).
- nifti2.nii.gz: NIfTI-2 float64.
- small.nii / small.nii.gz: int16 (6, 5, 4) used by the fuzz test; two_members.nii.gz is small.nii as
  two concatenated gzip members; lying_dims.nii.gz declares 30000^3 float64 voxels.
Run from the repository root: python3 tools/fixtures-data/make_nifti_fixtures.py
"""
import gzip
import json
import os
import struct

import nibabel as nib
import numpy as np
from nibabel.orientations import axcodes2ornt, ornt_transform

OUT = os.path.join("Tests", "Fixtures", "data", "nifti")


def describe(path):
    img = nib.load(path)
    data = np.asarray(img.get_fdata(dtype=np.float64))
    return {
        "shape": list(img.shape),
        "zooms": [float(z) for z in img.header.get_zooms()[:3]],
        "affine": img.affine.tolist(),
        "axcodes": "".join(nib.aff2axcodes(img.affine)),
        "dtype": str(img.header.get_data_dtype().name),
        # x-fastest (Fortran) order, as the Swift reader stores it.
        "values": data.flatten(order="F").tolist(),
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}

    # Orientation set: asymmetric anatomy in RAS with distinct values.
    rng = np.random.default_rng(7)
    ras = rng.integers(0, 1000, size=(5, 6, 7)).astype(np.float32)
    ras_affine = np.array([[0.5, 0, 0, -10], [0, 0.8, 0, 20], [0, 0, 1.2, -30], [0, 0, 0, 1]])
    ras_img = nib.Nifti1Image(ras, ras_affine)
    for codes in ("RAS", "LAS", "LPS", "PSR", "PIR"):
        transform = ornt_transform(axcodes2ornt("RAS"), axcodes2ornt(tuple(codes)))
        img = ras_img.as_reoriented(transform)
        img.set_qform(img.affine, code=1)
        img.set_sform(img.affine, code=1)
        name = f"orient_{codes}.nii.gz"
        nib.save(img, os.path.join(OUT, name))
        expected[name] = describe(os.path.join(OUT, name))

    # Data types.
    x, y, z = np.meshgrid(np.arange(3), np.arange(4), np.arange(5), indexing="ij")
    base = x + 3 * y + 12 * z
    affine = np.diag([2.0, 3.0, 4.0, 1.0])
    for name, dtype in (("uint8", np.uint8), ("int8", np.int8), ("int16", np.int16), ("uint16", np.uint16),
                        ("int32", np.int32), ("uint32", np.uint32), ("int64", np.int64),
                        ("float32", np.float32), ("float64", np.float64)):
        values = base if np.dtype(dtype).kind == "u" else base - 7
        img = nib.Nifti1Image(values.astype(dtype), affine, dtype=dtype)
        fname = f"dtype_{name}.nii"
        nib.save(img, os.path.join(OUT, fname))
        expected[fname] = describe(os.path.join(OUT, fname))
    hdr = nib.Nifti1Header(endianness=">")
    img = nib.Nifti1Image((base - 7).astype(">i2"), affine, header=hdr, dtype=">i2")
    nib.save(img, os.path.join(OUT, "dtype_int16_be.nii"))
    expected["dtype_int16_be.nii"] = describe(os.path.join(OUT, "dtype_int16_be.nii"))

    # Scaling patched into the raw header (offsets 112 and 116 of a little-endian NIfTI-1 header).
    path = os.path.join(OUT, "scaled.nii")
    nib.save(nib.Nifti1Image((base - 7).astype(np.int16), affine), path)
    raw = bytearray(open(path, "rb").read())
    raw[112:120] = struct.pack("<ff", 2.5, -10.0)
    open(path, "wb").write(bytes(raw))
    expected["scaled.nii"] = describe(path)

    # Transforms.
    small = (base - 7).astype(np.int16)
    img = nib.Nifti1Image(small, None)
    angle = np.deg2rad(20)
    rot = np.array([[np.cos(angle), 0, np.sin(angle)], [0, 1, 0], [-np.sin(angle), 0, np.cos(angle)]])
    qaff = np.eye(4)
    qaff[:3, :3] = rot @ np.diag([0.9, 1.1, -1.3])  # negative determinant: qfac -1
    qaff[:3, 3] = [5, -6, 7]
    img.set_qform(qaff, code=1)
    img.set_sform(None, code=0)
    nib.save(img, os.path.join(OUT, "qform_only.nii"))
    expected["qform_only.nii"] = describe(os.path.join(OUT, "qform_only.nii"))

    img = nib.Nifti1Image(small, None)
    saff = np.array([[0, 0.2, -1.5, 3], [-1.2, 0, 0.1, 4], [0.3, 1.4, 0, -5], [0, 0, 0, 1]])
    img.set_sform(saff, code=2)
    img.set_qform(None, code=0)
    nib.save(img, os.path.join(OUT, "sform_only.nii"))
    expected["sform_only.nii"] = describe(os.path.join(OUT, "sform_only.nii"))

    img = nib.Nifti1Image(small, None)
    img.header.set_zooms((1.5, 2.0, 2.5))
    img.set_sform(None, code=0)
    img.set_qform(None, code=0)
    nib.save(img, os.path.join(OUT, "no_transform.nii"))
    expected["no_transform.nii"] = describe(os.path.join(OUT, "no_transform.nii"))

    img = nib.Nifti2Image((base - 7).astype(np.float64) / 4, np.array(
        [[0, 0, -1.5, 10], [-2, 0, 0, 20], [0, 2.5, 0, 30], [0, 0, 0, 1]]))
    nib.save(img, os.path.join(OUT, "nifti2.nii.gz"))
    expected["nifti2.nii.gz"] = describe(os.path.join(OUT, "nifti2.nii.gz"))

    fuzz = rng.integers(-500, 500, size=(6, 5, 4)).astype(np.int16)
    img = nib.Nifti1Image(fuzz, np.diag([1.0, 1.0, 1.0, 1.0]))
    nib.save(img, os.path.join(OUT, "small.nii"))
    nib.save(img, os.path.join(OUT, "small.nii.gz"))
    expected["small.nii"] = describe(os.path.join(OUT, "small.nii"))

    # gzip edge cases: the same small.nii split into two gzip members, and a header declaring
    # 30000^3 float64 voxels (216 TB) in a tiny gzip file.
    raw = open(os.path.join(OUT, "small.nii"), "rb").read()
    with open(os.path.join(OUT, "two_members.nii.gz"), "wb") as f:
        f.write(gzip.compress(raw[:300], mtime=0) + gzip.compress(raw[300:], mtime=0))
    lying = bytearray(raw)
    lying[40:48] = struct.pack("<4h", 3, 30000, 30000, 30000)
    lying[70:74] = struct.pack("<2h", 64, 64)
    with open(os.path.join(OUT, "lying_dims.nii.gz"), "wb") as f:
        f.write(gzip.compress(bytes(lying), mtime=0))

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)


if __name__ == "__main__":
    main()
