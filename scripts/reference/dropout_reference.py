"""Expected values for tests/dropout_test.ts: the Dropout notebook's forward
check (seed 231, x = randn(500, 500) + 10, keep probabilities 0.25, 0.4, 0.7,
all drawn from the one global generator) and a small mask, through
cs231n_ref.py's dropout_forward. Run:
  python3 scripts/reference/dropout_reference.py
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cs231n_ref import dropout_forward  # noqa: E402

np.random.seed(231)
x = np.random.randn(500, 500) + 10
rows = []
for p in [0.25, 0.4, 0.7]:
    out, _ = dropout_forward(x, {'mode': 'train', 'p': p})
    out_test, _ = dropout_forward(x, {'mode': 'test', 'p': p})
    rows.append({'p': p, 'mean_x': x.mean(), 'mean_train': out.mean(),
                 'mean_test': out_test.mean(), 'frac_zero_train': (out == 0).mean()})
print('forward =', json.dumps(rows))

np.random.seed(0)
small = np.arange(1.0, 9.0).reshape(2, 4)
out, _ = dropout_forward(small, {'mode': 'train', 'p': 0.5})
print('small_out =', json.dumps(out.ravel().tolist()))
# With a seed: np.random.seed(123) before the draw, so the mask repeats.
out, _ = dropout_forward(small, {'mode': 'train', 'p': 0.5, 'seed': 123})
print('seeded_out =', json.dumps(out.ravel().tolist()))
