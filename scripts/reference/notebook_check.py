"""The notebook's "Fully Connected Nets with Batch Normalization" cell, run on
cs231n_ref.py. Prints the initial losses and relative errors."""
import numpy as np
from cs231n_ref import FullyConnectedNet


def rel_error(x, y):
    return np.max(np.abs(x - y) / (np.maximum(1e-8, np.abs(x) + np.abs(y))))


def eval_numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=['multi_index'], op_flags=['readwrite'])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        fxph = f(x)
        x[ix] = old - h
        fxmh = f(x)
        x[ix] = old
        grad[ix] = (fxph - fxmh) / (2 * h)
        it.iternext()
    return grad


if __name__ == '__main__':
    np.random.seed(231)
    N, D, H1, H2, C = 2, 15, 20, 30, 10
    X = np.random.randn(N, D)
    y = np.random.randint(C, size=(N,))

    for reg in [0, 3.14]:
        print('Running check with reg = ', reg)
        model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, reg=reg,
                                  weight_scale=5e-2, dtype=np.float64, normalization='batchnorm')
        loss, grads = model.loss(X, y)
        print('Initial loss: ', repr(loss))
        for name in sorted(grads):
            f = lambda _: model.loss(X, y)[0]
            grad_num = eval_numerical_gradient(f, model.params[name], h=1e-5)
            print('%s relative error: %.2e  (max |analytic| %.2e, max |numeric| %.2e)' % (
                name, rel_error(grad_num, grads[name]), np.abs(grads[name]).max(),
                np.abs(grad_num).max()))
        if reg == 0:
            print()
