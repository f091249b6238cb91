"""Reference run of the notebook's "Batch normalization and initialization"
cell for tests/experiments_reference_test.ts (development time only).

Run:  python3 scripts/reference/sweep_reference.py > tests/fixtures/sweep_reference.json

Data: bnlab's default `--data sample` read with numpy alone — the gzipped
IDX files in data/fashion-mnist-sample/, split as `loadSample()` does
(training = train-file images 0..999, validation = 1000..1999), the mean
training image taken in float64 (a sum of uint8 pixels, exact, divided by
1000) and subtracted in float64 from both splits. The SHA-256 of each
array's little-endian bytes is printed so the test can check bnlab loads
the same bits.

Then the cell as the notebook writes it, with the numpy transcription of
the cs231n code (cs231n_ref.py) in float64: `np.random.seed(231)`, and for
each weight scale build the batchnorm model, build the baseline, train the
batchnorm model, train the baseline — every draw from the global generator.
Only the scale list is shortened: three of `np.logspace(-4, 0, num=20)`
(indices 0, 9 and 19, i.e. 1e-4, ~7.8e-3 and 1), passed as the cell's
`weight_scales`, so bnlab runs the same list. Epochs stay the notebook's 10
(200 iterations of 50 per run).

Prints one JSON object: the settings, the data digests, and per scale the
`loss_history` (full precision), `train_acc_history` and `val_acc_history`
of `bn_solvers[ws]` and `solvers[ws]`.
"""

import gzip
import hashlib
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cs231n_ref import FullyConnectedNet, Solver  # noqa: E402

SAMPLE_DIR = os.path.join(HERE, '..', '..', 'data', 'fashion-mnist-sample')
SEED = 231
HIDDEN_DIMS = [50, 50, 50, 50, 50, 50, 50]
NUM_TRAIN = 1000
NUM_VAL = 1000
SCALE_INDICES = [0, 9, 19]
NUM_EPOCHS = 10
BATCH_SIZE = 50
LEARNING_RATE = 1e-3


def read_idx_gz(name, magic):
    """An IDX file: big-endian magic (0x0801 uint8 + rank), sizes, then uint8 data."""
    with gzip.open(os.path.join(SAMPLE_DIR, name), 'rb') as f:
        raw = f.read()
    got = int.from_bytes(raw[0:4], 'big')
    assert got == magic, '%s: magic %d, expected %d' % (name, got, magic)
    rank = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(rank)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank).reshape(shape)


def load_sample():
    """bnlab's loadSample() + the cell's small_data, in float64."""
    images = read_idx_gz('train-images-idx3-ubyte.gz', 2051)
    labels = read_idx_gz('train-labels-idx1-ubyte.gz', 2049).astype(np.int64)
    X = images.reshape(images.shape[0], 1, 28, 28)
    X_train = X[:NUM_TRAIN].astype(np.float64)
    X_val = X[NUM_TRAIN:NUM_TRAIN + NUM_VAL].astype(np.float64)
    mean_image = np.mean(X_train, axis=0)
    return {
        'X_train': X_train - mean_image,
        'y_train': labels[:NUM_TRAIN],
        'X_val': X_val - mean_image,
        'y_val': labels[NUM_TRAIN:NUM_TRAIN + NUM_VAL],
    }


def digest(a, dtype):
    return hashlib.sha256(np.ascontiguousarray(a, dtype=dtype).tobytes()).hexdigest()


def solver_record(solver):
    return {
        'loss_history': [float(v) for v in solver.loss_history],
        'train_acc_history': [float(v) for v in solver.train_acc_history],
        'val_acc_history': [float(v) for v in solver.val_acc_history],
    }


def main():
    small_data = load_sample()
    all_scales = np.logspace(-4, 0, num=20)
    weight_scales = [all_scales[i] for i in SCALE_INDICES]

    # The notebook's cell, weight_scales shortened, dtype float64.
    np.random.seed(SEED)
    bn_solvers = {}
    solvers = {}
    for weight_scale in weight_scales:
        bn_model = FullyConnectedNet(HIDDEN_DIMS, input_dim=784, weight_scale=weight_scale,
                                     normalization='batchnorm', dtype=np.float64)
        model = FullyConnectedNet(HIDDEN_DIMS, input_dim=784, weight_scale=weight_scale,
                                  normalization=None, dtype=np.float64)
        settings = dict(num_epochs=NUM_EPOCHS, batch_size=BATCH_SIZE, update_rule='adam',
                        optim_config={'learning_rate': LEARNING_RATE},
                        verbose=False, print_every=200)
        bn_solver = Solver(bn_model, small_data, **settings)
        bn_solver.train()
        bn_solvers[weight_scale] = bn_solver
        solver = Solver(model, small_data, **settings)
        solver.train()
        solvers[weight_scale] = solver

    out = {
        'command': 'python3 scripts/reference/sweep_reference.py',
        'numpy': np.__version__,
        'seed': SEED,
        'hidden_dims': HIDDEN_DIMS,
        'scale_indices': SCALE_INDICES,
        'num_epochs': NUM_EPOCHS,
        'batch_size': BATCH_SIZE,
        'learning_rate': LEARNING_RATE,
        'data_sha256': {
            'X_train': digest(small_data['X_train'], '<f8'),
            'y_train': digest(small_data['y_train'], '<i4'),
            'X_val': digest(small_data['X_val'], '<f8'),
            'y_val': digest(small_data['y_val'], '<i4'),
        },
        'scales': [
            {
                'weight_scale': float(ws),
                'batchnorm': solver_record(bn_solvers[ws]),
                'baseline': solver_record(solvers[ws]),
            }
            for ws in weight_scales
        ],
    }
    print(json.dumps(out, indent=2))


if __name__ == '__main__':
    main()
