"""numpy peer for bench/compare.ts: the notebook's
vectorized batchnorm (the reference solution's formulas), timed.

    python3 bench/peers/numpy_batchnorm.py N D [float64|float32]

Prints one JSON object: {name: median_ns} for forward (train), backward
through the graph and the closed-form backward, at the shape given on the
command line, inputs drawn as the notebook's (x = 5 randn + 12) and cast to
the dtype. A benchmark peer only: bnlab never needs python at run time.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import median_ns  # noqa: E402

import numpy as np


def forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0)
    xmu = x - mu
    var = (xmu ** 2).mean(axis=0)
    sqrtvar = np.sqrt(var + eps)
    ivar = 1.0 / sqrtvar
    xhat = xmu * ivar
    out = gamma * xhat + beta
    return out, (xhat, gamma, xmu, ivar, sqrtvar, var, eps)


def backward(dout, cache):
    xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
    n = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dxhat = dout * gamma
    divar = (dxhat * xmu).sum(axis=0)
    dxmu1 = dxhat * ivar
    dsqrtvar = -1.0 / sqrtvar ** 2 * divar
    dvar = 0.5 / np.sqrt(var + eps) * dsqrtvar
    dsq = np.ones_like(dout) / n * dvar
    dxmu2 = 2 * xmu * dsq
    dx1 = dxmu1 + dxmu2
    dmu = -dx1.sum(axis=0)
    dx2 = np.ones_like(dout) / n * dmu
    return dx1 + dx2, dgamma, dbeta


def backward_alt(dout, cache):
    xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
    n = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dx = (gamma * ivar / n) * (n * dout - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta


def main():
    n, d = int(sys.argv[1]), int(sys.argv[2])
    dtype = np.dtype(sys.argv[3] if len(sys.argv) > 3 else 'float64')
    rng = np.random.RandomState(231)
    x = (5 * rng.randn(n, d) + 12).astype(dtype)
    gamma, beta, dout = (rng.randn(d).astype(dtype), rng.randn(d).astype(dtype),
                         rng.randn(n, d).astype(dtype))
    _, cache = forward(x, gamma, beta)
    print(json.dumps({
        "forward": median_ns(lambda: forward(x, gamma, beta)),
        "backward": median_ns(lambda: backward(dout, cache)),
        "backward_alt": median_ns(lambda: backward_alt(dout, cache)),
        "numpy": np.__version__,
    }))


main()
