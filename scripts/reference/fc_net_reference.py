"""Expected values for tests/fc_net_test.ts, from cs231n_ref.py (numpy 2.4).

1. The notebook's "Fully Connected Nets with Batch Normalization" cell with
   normalization='layernorm' instead of batchnorm (seed 231, N, D, H1, H2, C
   = 2, 15, 20, 30, 10, weight scale 5e-2, float64, reg 0 and 3.14).
2. The Dropout notebook's "Fully-connected nets with dropout" cell (seed 231,
   same sizes, dropout keep probability 1, 0.75, 0.5, seed=123). Its
   dropout_forward calls np.random.seed(123) on every call, which also moves
   the global generator the *next* model's weights come from.
3. A softmax classifier (no hidden layer) on the same data.

Run:  python3 scripts/reference/fc_net_reference.py
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cs231n_ref import FullyConnectedNet  # noqa: E402
from notebook_check import eval_numerical_gradient, rel_error  # noqa: E402

N, D, H1, H2, C = 2, 15, 20, 30, 10


def check(model, X, y):
    loss, grads = model.loss(X, y)
    print('Initial loss: ', repr(loss))
    for name in sorted(grads):
        f = lambda _: model.loss(X, y)[0]
        grad_num = eval_numerical_gradient(f, model.params[name], h=1e-5)
        print('%s relative error: %.2e' % (name, rel_error(grad_num, grads[name])))


print('== layernorm')
np.random.seed(231)
X = np.random.randn(N, D)
y = np.random.randint(C, size=(N,))
for reg in [0, 3.14]:
    print('Running check with reg = ', reg)
    model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, reg=reg, weight_scale=5e-2,
                              dtype=np.float64, normalization='layernorm')
    check(model, X, y)

print('== dropout')
np.random.seed(231)
X = np.random.randn(N, D)
y = np.random.randint(C, size=(N,))
for dropout in [1, 0.75, 0.5]:
    print('Running check with dropout = ', dropout)
    model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, weight_scale=5e-2,
                              dtype=np.float64, dropout=dropout, seed=123)
    check(model, X, y)

print('== softmax classifier')
np.random.seed(231)
X = np.random.randn(N, D)
y = np.random.randint(C, size=(N,))
model = FullyConnectedNet([], input_dim=D, num_classes=C, reg=0.5, weight_scale=5e-2,
                          dtype=np.float64)
check(model, X, y)
