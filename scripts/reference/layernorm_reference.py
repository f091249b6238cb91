"""Expected values for tests/layernorm_test.ts: the notebook's gradient-check
case (seed 231, N, D = 4, 5, x = 5 * randn + 12, gamma, beta, dout = randn)
through cs231n_ref.py's layernorm. Run:
  python3 scripts/reference/layernorm_reference.py
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cs231n_ref import layernorm_backward, layernorm_forward  # noqa: E402

np.random.seed(231)
N, D = 4, 5
x = 5 * np.random.randn(N, D) + 12
gamma = np.random.randn(D)
beta = np.random.randn(D)
dout = np.random.randn(N, D)
out, cache = layernorm_forward(x, gamma, beta, {})
dx, dgamma, dbeta = layernorm_backward(dout, cache)
for k, v in [('out', out), ('dx', dx), ('dgamma', dgamma), ('dbeta', dbeta)]:
    print(k, '=', json.dumps(v.ravel().tolist()))
