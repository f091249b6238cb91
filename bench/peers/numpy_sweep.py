"""The numpy peer of `deno task sweep`: the notebook's "Batch normalization
and initialization" cell, run on the same data with the same protocol.

    python3 bench/peers/numpy_sweep.py [--dtype float32|float64] [--scales N]

Data: bnlab's default `--data sample` (data/fashion-mnist-sample/, the first
1,000 training images for training and the next 1,000 for validation, the
mean training image subtracted), read with numpy alone. The cell, as the
notebook writes it (CS231n's code in numpy: scripts/reference/cs231n_ref.py):
`np.random.seed(231)`, 20 weight scales `np.logspace(-4, 0, num=20)`, and for
each one an 8-layer net (7 hidden layers of 50) with batchnorm and one
without, each trained by a Solver with Adam 1e-3, batch 50, 10 epochs.
The dtype defaults to float32, as the notebook's `FullyConnectedNet` and
bnlab's default. Prints one JSON line: the wall time of the cell (the load
excluded) and a checksum of the results.

A benchmark peer only: nothing in bnlab runs it. `bench:compare` (`bench/_sweep.ts`)
times it against `deno task sweep` with OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE unset for this command only.
"""

import argparse
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'scripts', 'reference'))
from cs231n_ref import FullyConnectedNet, Solver  # noqa: E402
from sweep_reference import load_sample  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dtype', default='float32', choices=['float32', 'float64'])
    ap.add_argument('--scales', type=int, default=20)
    ap.add_argument('--epochs', type=int, default=10)
    args = ap.parse_args()
    dtype = np.float32 if args.dtype == 'float32' else np.float64

    small_data = {k: (v.astype(dtype) if k.startswith('X') else v)
                  for k, v in load_sample().items()}
    t0 = time.perf_counter()
    np.random.seed(231)
    weight_scales = np.logspace(-4, 0, num=args.scales)
    bn_solvers, solvers = {}, {}
    for weight_scale in weight_scales:
        bn_model = FullyConnectedNet([50] * 7, input_dim=784, weight_scale=weight_scale,
                                     normalization='batchnorm', dtype=dtype)
        model = FullyConnectedNet([50] * 7, input_dim=784, weight_scale=weight_scale,
                                  normalization=None, dtype=dtype)
        settings = dict(num_epochs=args.epochs, batch_size=50, update_rule='adam',
                        optim_config={'learning_rate': 1e-3}, verbose=False, print_every=200)
        bn_solvers[weight_scale] = Solver(bn_model, small_data, **settings)
        bn_solvers[weight_scale].train()
        solvers[weight_scale] = Solver(model, small_data, **settings)
        solvers[weight_scale].train()
    seconds = time.perf_counter() - t0
    best_val = [max(s.val_acc_history) for s in list(bn_solvers.values()) + list(solvers.values())]
    print(json.dumps({'dtype': args.dtype, 'scales': args.scales, 'seconds': seconds,
                      'mean_best_val_acc': float(np.mean(best_val)), 'numpy': np.__version__}))


if __name__ == '__main__':
    main()
