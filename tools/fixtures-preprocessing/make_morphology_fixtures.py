#!/usr/bin/env python3
"""Expected scipy.ndimage morphology results for the Swift tests.

Writes Tests/Fixtures/preprocessing/morphology_cases.json. Run from the repository root:
    python3 tools/fixtures-preprocessing/make_morphology_fixtures.py
Masks are 0/1 lists (row-major); labels are scipy's integer labels.
"""
import json
import os

import numpy as np
import scipy
import scipy.ndimage as ndi

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "preprocessing", "morphology_cases.json")

SQUARE = np.ones((3, 3), dtype=bool)
CROSS = ndi.generate_binary_structure(2, 1)


def flat(a):
    return [int(v) for v in np.asarray(a).ravel()]


def remove_small(mask, min_size, structure):
    lab, n = ndi.label(mask, structure)
    sizes = np.bincount(lab.ravel())
    keep = sizes >= min_size
    keep[0] = False
    return keep[lab]


def keep_largest(mask, structure):
    lab, n = ndi.label(mask, structure)
    if n == 0:
        return np.zeros_like(mask, dtype=bool)
    sizes = np.bincount(lab.ravel())[1:]
    return lab == (int(np.argmax(sizes)) + 1)


def main():
    rng = np.random.default_rng(7)
    cases = []
    for i, (shape, density) in enumerate([((24, 31), 0.35), ((17, 13), 0.55), ((1, 12), 0.5),
                                           ((9, 1), 0.5), ((30, 30), 0.12)]):
        m = rng.random(shape) < density
        entry = {"name": f"mask{i}", "shape": list(shape), "mask": flat(m)}
        entry["dilate1"] = flat(ndi.binary_dilation(m, SQUARE, iterations=1))
        entry["dilate2"] = flat(ndi.binary_dilation(m, SQUARE, iterations=2))
        entry["dilate1_cross"] = flat(ndi.binary_dilation(m, CROSS, iterations=1))
        entry["erode1"] = flat(ndi.binary_erosion(m, SQUARE, iterations=1))
        entry["erode2"] = flat(ndi.binary_erosion(m, SQUARE, iterations=2))
        entry["erode1_border1"] = flat(ndi.binary_erosion(m, SQUARE, iterations=1, border_value=1))
        entry["erode1_cross"] = flat(ndi.binary_erosion(m, CROSS, iterations=1))
        lab4, n4 = ndi.label(m, CROSS)
        lab8, n8 = ndi.label(m, SQUARE)
        entry["label4"] = flat(lab4)
        entry["count4"] = int(n4)
        entry["label8"] = flat(lab8)
        entry["count8"] = int(n8)
        entry["sizes8"] = [int(v) for v in np.bincount(lab8.ravel(), minlength=n8 + 1)[1:]]
        entry["remove_small5_conn4"] = flat(remove_small(m, 5, CROSS))
        entry["remove_small5_conn8"] = flat(remove_small(m, 5, SQUARE))
        entry["largest4"] = flat(keep_largest(m, CROSS))
        entry["largest8"] = flat(keep_largest(m, SQUARE))
        cases.append(entry)

    pools = []
    for shape in [(12, 13), (1, 5), (7, 7)]:
        x = rng.standard_normal(shape)
        # avg_pool2d(kernel 3, stride 1, padding 1, count_include_pad=True) == sum over the
        # zero-padded 3x3 window / 9 == uniform_filter with mode='constant'.
        y = ndi.uniform_filter(x, size=3, mode="constant", cval=0.0)
        pools.append({"shape": list(shape), "input": [float(v) for v in x.ravel()],
                      "output": [float(v) for v in y.ravel()]})

    with open(OUT, "w") as f:
        json.dump({"scipy": scipy.__version__, "cases": cases, "avgpool": pools}, f)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
