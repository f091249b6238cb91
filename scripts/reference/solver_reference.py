"""Reference training runs for tests/solver_test.ts (development time only).

Run:  python3 scripts/reference/solver_reference.py

Synthetic data: every split drawn from np.random.RandomState(0) in this
order — X_train (100, 3, 4, 4), X_val (50, 3, 4, 4), then a teacher
T (48, 5); labels are argmax(X.reshape(N, 48) @ T, axis=1). Then, as the
notebook, np.random.seed(231) and the model and the solver draw from the
global generator: weights first, then minibatches, dropout masks and
accuracy subsamples interleaved. bnlab reproduces this by passing one
RandomState(231) to both FullyConnectedNet and Solver.

Prints one JSON object per run (loss history with full precision,
accuracies, best validation accuracy, and the log lines).
"""

import contextlib
import io
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cs231n_ref import FullyConnectedNet, Solver  # noqa: E402


def synthetic_data():
    drng = np.random.RandomState(0)
    X_train = drng.randn(100, 3, 4, 4)
    X_val = drng.randn(50, 3, 4, 4)
    T = drng.randn(48, 5)
    label = lambda X: np.argmax(X.reshape(X.shape[0], -1).dot(T), axis=1)
    return {'X_train': X_train, 'y_train': label(X_train), 'X_val': X_val, 'y_val': label(X_val)}


RUNS = {
    # The notebook's setting: batchnorm + Adam, with a learning-rate decay and a
    # training-accuracy subsample (60 of 100), so every kind of draw happens.
    'batchnorm_adam': dict(
        model=dict(normalization='batchnorm', weight_scale=5e-2),
        solver=dict(update_rule='adam', optim_config={'learning_rate': 5e-3}, lr_decay=0.9,
                    batch_size=25, num_epochs=5, num_train_samples=60, print_every=4)),
    # Layernorm with dropout (masks drawn from the same generator) and momentum.
    'layernorm_dropout_momentum': dict(
        model=dict(normalization='layernorm', dropout=0.8, weight_scale=5e-2, reg=1e-3),
        solver=dict(update_rule='sgd_momentum', optim_config={'learning_rate': 5e-2},
                    batch_size=20, num_epochs=3, num_train_samples=60, print_every=5)),
    # No normalization, RMSProp.
    'plain_rmsprop': dict(
        model=dict(weight_scale=1e-1),
        solver=dict(update_rule='rmsprop', optim_config={'learning_rate': 1e-3},
                    batch_size=50, num_epochs=4, num_train_samples=1000, print_every=1)),
}


def run(name):
    spec = RUNS[name]
    data = synthetic_data()
    np.random.seed(231)
    model = FullyConnectedNet([20, 15], input_dim=48, num_classes=5, dtype=np.float64,
                              **spec['model'])
    solver = Solver(model, data, verbose=True, **spec['solver'])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        solver.train()
    return {
        'name': name,
        'loss_history': [float(v) for v in solver.loss_history],
        'train_acc_history': [float(v) for v in solver.train_acc_history],
        'val_acc_history': [float(v) for v in solver.val_acc_history],
        'best_val_acc': float(solver.best_val_acc),
        'log': out.getvalue().splitlines(),
        'final_W1_sum': float(model.params['W1'].sum()),
    }


if __name__ == '__main__':
    d = synthetic_data()
    print(json.dumps({'y_train_head': d['y_train'][:10].tolist(),
                      'y_val_head': d['y_val'][:10].tolist()}))
    for name in RUNS:
        print(json.dumps(run(name)))
