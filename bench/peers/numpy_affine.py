"""numpy peer for bench/compare.ts: the notebook's affine layer — its
`affine_forward` (X · W + b) and `affine_backward` (dY · Wᵀ, Xᵀ · dY and the
sum of dY), the reference solution's code — on one OpenBLAS thread, timed.

    OPENBLAS_NUM_THREADS=1 python3 bench/peers/numpy_affine.py N D M [float32|float64]

With X (N, D), W (D, M), b (M,) and dY (N, M). Prints one JSON object of
medians in nanoseconds: `forward` and `backward`. A benchmark peer only.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', '..', 'scripts', 'reference'))
from _timing import median_ns  # noqa: E402
from cs231n_ref import affine_backward, affine_forward  # noqa: E402

import numpy as np  # noqa: E402


def main():
    n, d, m = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    dtype = np.dtype(sys.argv[4] if len(sys.argv) > 4 else 'float32')
    rng = np.random.RandomState(231)
    x, w = rng.randn(n, d).astype(dtype), rng.randn(d, m).astype(dtype)
    b, dy = rng.randn(m).astype(dtype), rng.randn(n, m).astype(dtype)
    _, cache = affine_forward(x, w, b)
    print(json.dumps({
        'forward': median_ns(lambda: affine_forward(x, w, b)),
        'backward': median_ns(lambda: affine_backward(dy, cache)),
        'numpy': np.__version__,
    }))


main()
