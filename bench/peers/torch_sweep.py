"""The PyTorch peer of `deno task sweep`: the notebook's "Batch normalization
and initialization" cell written as a PyTorch user writes it, on the same data
with the same protocol as `numpy_sweep.py`.

    /usr/bin/python3 bench/peers/torch_sweep.py [--dtype float32|float64]
        [--scales N] [--epochs N] [--processes P] [--threads T]

Data: bnlab's default `--data sample` (the first 1,000 training images for
training, the next 1,000 for validation, the mean training image
subtracted), read with numpy alone. For each of the weight scales
`np.logspace(-4, 0, num=N)` (N = 20): an 8-layer net (7 hidden layers of 50,
`torch.nn.Linear` with weights drawn as `weight_scale * randn` and zero
biases, `torch.nn.BatchNorm1d(momentum=0.1)` — PyTorch's momentum is 1 − the
notebook's 0.9 — and `torch.nn.ReLU`) with batchnorm and one without, each
trained as the notebook's Solver does: `torch.optim.Adam` 1e-3, minibatches of
50 drawn with replacement, 10 epochs of 20 iterations, the training and
validation accuracy after the first iteration and at each epoch's end, the
parameters of the best validation accuracy kept.

`--processes P` splits the scales over P processes (scale i to process
i mod P, each seeded per scale, so the numbers do not depend on P);
`--threads T` sets `torch.set_num_threads(T)` in each (default: PyTorch's).
Prints one JSON line: the wall time of the training (the load excluded),
the threads PyTorch used, the peak resident memory summed over the
processes (each child's own peak, the parent's included), and a checksum of
the results.

A benchmark peer only: nothing in bnlab runs it. `bench:compare` times it
against `deno task sweep` (one process with PyTorch's default threads, and
one process per core with one thread each).
"""

import argparse
import json
import multiprocessing
import os
import resource
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'scripts', 'reference'))
from sweep_reference import load_sample  # noqa: E402

HIDDEN = [50] * 7
BATCH_SIZE = 50
LEARNING_RATE = 1e-3


# torch is imported by the process that trains (work), not by the parent of P > 1 processes.
torch = nn = F = None


def make_model(weight_scale, batchnorm, dtype, input_dim, num_classes=10):
    layers, d = [], input_dim
    for h in HIDDEN:
        layers.append(nn.Linear(d, h))
        if batchnorm:
            layers.append(nn.BatchNorm1d(h, momentum=0.1))
        layers.append(nn.ReLU())
        d = h
    layers.append(nn.Linear(d, num_classes))
    model = nn.Sequential(*layers).to(dtype)
    with torch.no_grad():
        for m in model:
            if isinstance(m, nn.Linear):
                m.weight.normal_(0.0, weight_scale)
                m.bias.zero_()
    return model


def accuracy(model, X, y):
    model.eval()
    with torch.no_grad():
        return (model(X).argmax(dim=1) == y).double().mean().item()


def train(model, data, epochs, generator):
    X, y, Xv, yv = data
    num_train = X.shape[0]
    per_epoch = max(num_train // BATCH_SIZE, 1)
    iterations = epochs * per_epoch
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    best_val, best_params = -1.0, None
    for t in range(iterations):
        idx = torch.randint(num_train, (BATCH_SIZE,), generator=generator)
        model.train()
        loss = F.cross_entropy(model(X[idx]), y[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        loss.item()  # the Solver's loss history
        if t == 0 or t == iterations - 1 or (t + 1) % per_epoch == 0:
            accuracy(model, X, y)
            val = accuracy(model, Xv, yv)
            if val > best_val:
                best_val = val
                best_params = {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_params)
    return best_val


def work(job):
    """Trains the scales of one process; returns its best accuracies, threads and peak memory."""
    global torch, nn, F
    import torch
    import torch.nn.functional as F
    from torch import nn
    scales, data_np, dtype_name, epochs, threads = job
    if threads is not None:
        torch.set_num_threads(threads)
    dtype = torch.float32 if dtype_name == 'float32' else torch.float64
    X, y, Xv, yv = data_np
    data = (torch.from_numpy(X).to(dtype).reshape(X.shape[0], -1), torch.from_numpy(y),
            torch.from_numpy(Xv).to(dtype).reshape(Xv.shape[0], -1), torch.from_numpy(yv))
    best = []
    for i, weight_scale in scales:
        torch.manual_seed(231 + i)
        bn_model = make_model(weight_scale, True, dtype, data[0].shape[1])
        model = make_model(weight_scale, False, dtype, data[0].shape[1])
        g = torch.Generator().manual_seed(231 + i)
        best.append(train(bn_model, data, epochs, g))
        g = torch.Generator().manual_seed(231 + i)
        best.append(train(model, data, epochs, g))
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {'best': best, 'threads': torch.get_num_threads(), 'peak_kb': peak_kb,
            'torch': torch.__version__}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dtype', default='float32', choices=['float32', 'float64'])
    ap.add_argument('--scales', type=int, default=20)
    ap.add_argument('--epochs', type=int, default=10)
    ap.add_argument('--processes', type=int, default=1)
    ap.add_argument('--threads', type=int, default=None)
    args = ap.parse_args()

    d = load_sample()
    data = (d['X_train'], d['y_train'], d['X_val'], d['y_val'])
    scales = list(enumerate(float(s) for s in np.logspace(-4, 0, num=args.scales)))
    jobs = [(scales[k::args.processes], data, args.dtype, args.epochs, args.threads)
            for k in range(args.processes)]
    t0 = time.perf_counter()
    if args.processes == 1:
        results = [work(jobs[0])]
        peak_kb = results[0]['peak_kb']
    else:
        # Fresh processes (spawn), as P separate commands would be; each imports torch.
        with multiprocessing.get_context('spawn').Pool(args.processes) as pool:
            results = pool.map(work, jobs)
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + sum(
            r['peak_kb'] for r in results)
    seconds = time.perf_counter() - t0
    best = [v for r in results for v in r['best']]
    print(json.dumps({
        'dtype': args.dtype, 'scales': args.scales, 'epochs': args.epochs,
        'processes': args.processes, 'threads': max(r['threads'] for r in results),
        'seconds': seconds, 'peak_mb': round(peak_kb / 1024),
        'mean_best_val_acc': float(np.mean(best)), 'torch': results[0]['torch'],
    }))


if __name__ == '__main__':
    main()
