"""PyTorch peer for bench/compare.ts: `torch.nn.functional.batch_norm` in
training mode on one thread, forward and autograd backward, timed.

    /usr/bin/python3 bench/peers/torch_batchnorm.py N D [float64|float32]

Prints one JSON object of medians in nanoseconds: `forward` (no autograd
graph), `backward` (`torch.autograd.grad` of the saved graph with respect to
x, γ and β, retained between repeats, so only the backward kernel is timed).
Inputs as the notebook's: x = 5 randn + 12. PyTorch's momentum is 1 − ours.
A benchmark peer only: bnlab never needs python at run time.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import median_ns  # noqa: E402

import torch
import torch.nn.functional as F


def main():
    torch.set_num_threads(1)
    n, d = int(sys.argv[1]), int(sys.argv[2])
    dtype = torch.float32 if (len(sys.argv) > 3 and sys.argv[3] == 'float32') else torch.float64
    g = torch.Generator().manual_seed(231)
    x = (5 * torch.randn(n, d, generator=g, dtype=dtype) + 12).requires_grad_(True)
    gamma = torch.randn(d, generator=g, dtype=dtype).requires_grad_(True)
    beta = torch.randn(d, generator=g, dtype=dtype).requires_grad_(True)
    dout = torch.randn(n, d, generator=g, dtype=dtype)
    rm, rv = torch.zeros(d, dtype=dtype), torch.ones(d, dtype=dtype)

    def forward():
        with torch.no_grad():
            return F.batch_norm(x, rm, rv, gamma, beta, training=True, momentum=0.1, eps=1e-5)

    out = F.batch_norm(x, rm, rv, gamma, beta, training=True, momentum=0.1, eps=1e-5)

    def backward():
        return torch.autograd.grad(out, (x, gamma, beta), dout, retain_graph=True)

    print(json.dumps({
        'forward': median_ns(forward),
        'backward': median_ns(backward),
        'torch': torch.__version__,
        'threads': torch.get_num_threads(),
    }))


main()
