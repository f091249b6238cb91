"""numpy peer for bench/compare.ts: the net's three matrix products on one
OpenBLAS thread, timed.

    OPENBLAS_NUM_THREADS=1 python3 bench/peers/numpy_matmul.py N D M [float32|float64]

With X (N, D), W (D, M) and dY (N, M) as in an affine layer: `X @ W`
(forward), `dY @ W.T` (dx) and `X.T @ dY` (dw). Prints one JSON object of
medians in nanoseconds. A benchmark peer only.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import median_ns  # noqa: E402

import numpy as np


def main():
    n, d, m = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    dtype = np.dtype(sys.argv[4] if len(sys.argv) > 4 else 'float32')
    rng = np.random.RandomState(231)
    x, w = rng.randn(n, d).astype(dtype), rng.randn(d, m).astype(dtype)
    dy = rng.randn(n, m).astype(dtype)
    print(json.dumps({
        'xw': median_ns(lambda: x @ w),
        'dywt': median_ns(lambda: dy @ w.T),
        'xtdy': median_ns(lambda: x.T @ dy),
        'numpy': np.__version__,
    }))


main()
