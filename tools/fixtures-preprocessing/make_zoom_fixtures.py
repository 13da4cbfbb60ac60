#!/usr/bin/env python3
"""Expected outputs of scipy.ndimage.zoom (2-D, default mode='constant') for the Swift tests.

Writes Tests/Fixtures/preprocessing/zoom_cases.json. Run from the repository root:
    python3 tools/fixtures-preprocessing/make_zoom_fixtures.py
Inputs are float64; outputs are scipy's float64 results (repr, round-trip exact).
"""
import json
import os

import numpy as np
import scipy
import scipy.ndimage as ndi

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "preprocessing", "zoom_cases.json")

rng = np.random.default_rng(20240601)


def rand(shape):
    return rng.standard_normal(shape) * 10.0 + 5.0


def labels(shape):
    return rng.integers(0, 7, size=shape).astype(np.float64)


CASES = [
    # name, input, zoom, order
    ("up2_order3", rand((6, 8)), (2.0, 2.0), 3),
    ("down_order3", rand((9, 7)), (0.5, 0.6), 3),
    ("factor1.28_order3", rand((10, 10)), (1.28, 1.28), 3),
    ("rows_unit_order3", rand((13, 11)), (1.0, 0.8), 3),
    ("noninteger_order3", rand((12, 9)), (1.37, 2.61), 3),
    ("far_edge_cval_order3", rand((8, 8)), (3.25, 3.25), 3),
    ("one_row_order3", rand((1, 9)), (1.0, 2.5), 3),
    ("one_row_up_order3", rand((1, 9)), (3.0, 2.0), 3),
    ("one_col_order3", rand((7, 1)), (2.0, 2.0), 3),
    ("to_one_pixel_order3", rand((5, 5)), (0.2, 0.2), 3),
    ("half_rounding_order3", rand((5, 7)), (0.5, 0.5), 3),
    ("identity_order3", rand((4, 6)), (1.0, 1.0), 3),
    ("two_by_two_order3", rand((2, 2)), (2.0, 3.0), 3),
    ("big_order3", rand((31, 27)), (1.7, 0.45), 3),
    ("order0_up", labels((9, 9)), (1.28, 1.28), 0),
    ("order0_down", labels((11, 13)), (0.8, 0.8), 0),
    ("order0_mixed", labels((10, 8)), (2.5, 0.37), 0),
    ("order0_far_edge", labels((8, 8)), (3.25, 3.25), 0),
    ("order0_identity", labels((3, 4)), (1.0, 1.0), 0),
    ("order1", rand((7, 6)), (1.6, 0.7), 1),
    ("order2", rand((7, 6)), (1.6, 0.7), 2),
    ("order4", rand((7, 6)), (1.6, 0.7), 4),
    ("order5", rand((7, 6)), (1.6, 0.7), 5),
]


def main():
    cases = []
    for name, a, z, order in CASES:
        out = ndi.zoom(a, z, order=order)
        cases.append({
            "name": name,
            "order": order,
            "zoom": [float(z[0]), float(z[1])],
            "input_shape": list(a.shape),
            "input": [float(v) for v in a.ravel()],
            "output_shape": list(out.shape),
            "output": [float(v) for v in out.ravel()],
        })
    with open(OUT, "w") as f:
        json.dump({"scipy": scipy.__version__, "cases": cases}, f)
    print(f"wrote {OUT} ({len(cases)} cases, scipy {scipy.__version__})")


if __name__ == "__main__":
    main()
