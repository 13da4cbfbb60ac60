#!/usr/bin/env python3
"""Writes the .npy fixtures in Tests/Fixtures/data/npy/ used by Tests/DataTests/NPYTests.swift.

Every valid fixture holds the same pattern so the Swift test can recompute it:
value at C-order index (i, j, k) of shape (2, 3, 4) = 12*i + 4*j + k - offset,
where offset = 5 for signed/float dtypes and 0 for unsigned; bool = (i + j + k) % 2.
File name: <dtype>_<le|be>_<c|f>_v<major>.npy.
Run from the repository root: python3 tools/fixtures-data/make_npy_fixtures.py
"""
import os
import numpy as np
from numpy.lib import format as npformat

OUT = os.path.join("Tests", "Fixtures", "data", "npy")
DTYPES = ["f8", "f4", "f2", "i1", "i2", "i4", "i8", "u1", "u2", "b1"]


def pattern(kind):
    i, j, k = np.meshgrid(np.arange(2), np.arange(3), np.arange(4), indexing="ij")
    if kind == "b":
        return ((i + j + k) % 2).astype(bool)
    offset = 0 if kind == "u" else 5
    return 12 * i + 4 * j + k - offset


def save(name, arr, version):
    with open(os.path.join(OUT, name), "wb") as f:
        npformat.write_array(f, arr, version=version)


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    for code in DTYPES:
        base = pattern(code[0])
        for endian, tag in (("<", "le"), (">", "be")):
            dt = np.dtype(endian + code)
            for order in ("c", "f"):
                arr = np.asarray(base, dtype=dt, order=order.upper())
                save(f"{code}_{tag}_{order}_v1.npy", arr, (1, 0))
    # Versions 2.0 and 3.0 (a few dtypes/orders are enough: only the header length field differs).
    for version in ((2, 0), (3, 0)):
        for code, order in (("f8", "C"), ("f4", "F"), ("i2", "C"), ("u1", "F")):
            arr = np.asarray(pattern(code[0]), dtype=np.dtype(">" + code if code == "i2" else "<" + code), order=order)
            save(f"{code}_{'be' if code == 'i2' else 'le'}_{order.lower()}_v{version[0]}.npy", arr, version)
    # Edge shapes.
    save("scalar_f8.npy", np.array(3.5), (1, 0))
    save("empty_f4.npy", np.zeros((0, 3), dtype="<f4"), (1, 0))
    save("vector_i4.npy", np.arange(-3, 4, dtype="<i4"), (1, 0))
    # Invalid or unsupported files.
    save("bad_object.npy", np.array([1, "a", None], dtype=object), (1, 0))
    save("bad_structured.npy", np.zeros(3, dtype=[("a", "<f4"), ("b", "<i2")]), (1, 0))
    save("bad_complex.npy", np.zeros(3, dtype="<c16"), (1, 0))
    good = open(os.path.join(OUT, "f8_le_c_v1.npy"), "rb").read()
    open(os.path.join(OUT, "bad_magic.npy"), "wb").write(b"\x93NUMPZ" + good[6:])
    open(os.path.join(OUT, "bad_truncated.npy"), "wb").write(good[:-9])
    open(os.path.join(OUT, "bad_header_only.npy"), "wb").write(good[:40])
    open(os.path.join(OUT, "bad_version.npy"), "wb").write(good[:6] + b"\x04\x00" + good[8:])


if __name__ == "__main__":
    main()
