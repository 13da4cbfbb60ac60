#!/usr/bin/env python3
"""Reference slice preprocessing in NumPy/SciPy, and the fixtures the Swift tests compare against.

Pipeline (one sagittal slice, row 0 superior, column 0 anterior):
  1. resample in-plane to 1x1 mm: scipy.ndimage.zoom(x, spacing / 1.0), order 3 image, order 0 labels
  2. centre crop / zero pad each axis to 200: crop start (n - 200) // 2, pad before (200 - n) // 2
  3. zoom to 256x256 (factor 256 / 200), same orders
  4. clip the image to the 0.2 / 99.8 percentiles (numpy linear) of its pixels > 0, min-max to [0, 1]
  5. ROI = labels in {3, 4}, binary_dilation with a 3x3 square once, components (scipy.ndimage.label,
     default 4-connectivity) with >= 20 pixels kept
Output layout: (3, 256, 256) = image, ROI, labels.

Run from the repository root (needs ../shared/data and nibabel):
    python3 tools/fixtures-preprocessing/make_expected.py
Writes Tests/Fixtures/preprocessing/<case>.json plus raw little-endian files:
  <case>_input.f32 (rows x cols float32 slice), <case>_input_labels.u8,
  <case>_image.f32 (256x256 float32), <case>_roi.u8, <case>_labels.u8.
"""
import json
import os

import nibabel as nib
import numpy as np
import scipy
import scipy.ndimage as ndi

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(os.path.dirname(ROOT), "shared", "data", "sct", "t2")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "preprocessing")

TARGET_SPACING = 1.0
CROP = 200
SIZE = 256
LOWER, UPPER = 0.2, 99.8
ROI_LABELS = (3, 4)
ROI_MIN_SIZE = 20


def center_crop_or_pad(x, size):
    out = x
    for axis in range(2):
        n = out.shape[axis]
        if n >= size:
            start = (n - size) // 2
            out = np.take(out, np.arange(start, start + size), axis=axis)
        else:
            before = (size - n) // 2
            pad = [(0, 0), (0, 0)]
            pad[axis] = (before, size - n - before)
            out = np.pad(out, pad, mode="constant", constant_values=0)
    return out


def clip_normalize(img):
    fg = img[img > 0]
    if fg.size == 0:
        fg = img.ravel()
    lo, hi = np.percentile(fg, [LOWER, UPPER])
    img = np.clip(img, lo, hi)
    rng = img.max() - img.min()
    if rng > 0:
        img = (img - img.min()) / rng
    else:
        img = np.zeros_like(img)
    return img, float(lo), float(hi)


def roi_mask(labels):
    m = np.isin(np.rint(labels).astype(np.int64), ROI_LABELS)
    m = ndi.binary_dilation(m, structure=np.ones((3, 3), dtype=bool), iterations=1)
    lab, n = ndi.label(m)  # default structure: 4-connectivity
    sizes = np.bincount(lab.ravel())
    keep = sizes >= ROI_MIN_SIZE
    keep[0] = False
    return keep[lab]


def preprocess(image, labels, spacing):
    """image, labels: float64 2-D arrays; spacing: (row mm, col mm)."""
    z1 = (spacing[0] / TARGET_SPACING, spacing[1] / TARGET_SPACING)
    z2 = SIZE / CROP
    img = ndi.zoom(image, z1, order=3)
    lab = ndi.zoom(labels, z1, order=0)
    img = ndi.zoom(center_crop_or_pad(img, CROP), z2, order=3)
    lab = ndi.zoom(center_crop_or_pad(lab, CROP), z2, order=0)
    assert img.shape == (SIZE, SIZE) and lab.shape == (SIZE, SIZE), (img.shape, lab.shape)
    img, lo, hi = clip_normalize(img)
    roi = roi_mask(lab)
    return np.stack([img, roi.astype(np.float64), lab]), lo, hi


def sagittal_slice(vol, k):
    """Volume in (P, S, R) axis order -> slice with row 0 superior, column 0 anterior."""
    return np.flipud(vol[:, :, k].T)


def load(name):
    img = nib.load(os.path.join(DATA, name))
    assert nib.aff2axcodes(img.affine) == ("P", "S", "R"), nib.aff2axcodes(img.affine)
    return img


def write_case(name, image, labels, spacing, source):
    out, lo, hi = preprocess(image.astype(np.float64), labels.astype(np.float64), spacing)
    prefix = os.path.join(OUT, name)
    image.astype("<f4").tofile(prefix + "_input.f32")
    labels.astype(np.uint8).tofile(prefix + "_input_labels.u8")
    out[0].astype("<f4").tofile(prefix + "_image.f32")
    out[1].astype(np.uint8).tofile(prefix + "_roi.u8")
    out[2].astype(np.uint8).tofile(prefix + "_labels.u8")
    meta = {
        "source": source,
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "input_shape": list(image.shape),
        "spacing": [float(spacing[0]), float(spacing[1])],
        "output_size": SIZE,
        "clip": [lo, hi],
        "roi_pixels": int(out[1].sum()),
        "label_counts": {str(int(k)): int((out[2] == k).sum()) for k in np.unique(out[2])},
    }
    with open(prefix + ".json", "w") as f:
        json.dump(meta, f, indent=1)
    print(f"{name}: input {image.shape} spacing {spacing} clip [{lo:.3f}, {hi:.3f}] "
          f"roi {meta['roi_pixels']} labels {meta['label_counts']}")


def main():
    os.makedirs(OUT, exist_ok=True)

    # t2.nii.gz at 1 mm with its manual cord mask as label 3 (zoom 1 -> SciPy returns the input).
    t2 = load("t2.nii.gz")
    seg = load("t2_seg-manual.nii.gz")
    k = 26
    zooms = t2.header.get_zooms()
    spacing = (float(zooms[1]), float(zooms[0]))  # rows run along S, columns along P
    image = sagittal_slice(t2.get_fdata(), k)
    labels = sagittal_slice(np.rint(seg.get_fdata()), k) * 3
    write_case("t2_slice26", image, labels, spacing, f"sct/t2/t2.nii.gz R-slice {k}")

    # t2_fake_lesion at 0.8 mm: cord 3, lesion 6 (lesion wins).
    fl = load("t2_fake_lesion.nii.gz")
    sc = np.rint(load("t2_fake_lesion_sc_seg.nii.gz").get_fdata())
    les = np.rint(load("t2_fake_lesion_lesion_seg.nii.gz").get_fdata())
    k = 14
    zooms = fl.header.get_zooms()
    spacing = (float(zooms[1]), float(zooms[0]))
    image = sagittal_slice(fl.get_fdata(), k)
    labels = np.where(sagittal_slice(les, k) > 0, 6, np.where(sagittal_slice(sc, k) > 0, 3, 0))
    write_case("fake_lesion_slice14", image, labels, spacing,
               f"sct/t2/t2_fake_lesion.nii.gz R-slice {k}")

    # Same slice with a made-up anisotropic spacing, so both axes are cropped (odd and even excess).
    write_case("fake_lesion_slice14_aniso", image, labels, (2.3, 3.1),
               f"sct/t2/t2_fake_lesion.nii.gz R-slice {k}, spacing overridden to (2.3, 3.1)")


if __name__ == "__main__":
    main()
