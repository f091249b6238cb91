"""Expected values for tests/optim_test.ts: the FullyConnectedNets notebook's
optimizer checks (w, dw and the state from np.linspace, N, D = 4, 5), run
through cs231n_ref.py's update rules. Also one sgd step and a float32 Adam
step. Run:  python3 scripts/reference/optim_reference.py
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cs231n_ref import adam, rmsprop, sgd, sgd_momentum  # noqa: E402

N, D = 4, 5
w = np.linspace(-0.4, 0.6, num=N * D).reshape(N, D)
dw = np.linspace(-0.6, 0.4, num=N * D).reshape(N, D)
out = {}

next_w, _ = sgd(w, dw)
out['sgd_next_w'] = next_w.ravel().tolist()

v = np.linspace(0.6, 0.9, num=N * D).reshape(N, D)
next_w, config = sgd_momentum(w, dw, {'learning_rate': 1e-3, 'velocity': v})
out['momentum_next_w'] = next_w.ravel().tolist()
out['momentum_velocity'] = config['velocity'].ravel().tolist()

cache = np.linspace(0.6, 0.9, num=N * D).reshape(N, D)
next_w, config = rmsprop(w, dw, {'learning_rate': 1e-2, 'cache': cache})
out['rmsprop_next_w'] = next_w.ravel().tolist()
out['rmsprop_cache'] = config['cache'].ravel().tolist()

m = np.linspace(0.6, 0.9, num=N * D).reshape(N, D)
v = np.linspace(0.7, 0.5, num=N * D).reshape(N, D)
next_w, config = adam(w, dw, {'learning_rate': 1e-2, 'm': m, 'v': v, 't': 5})
out['adam_next_w'] = next_w.ravel().tolist()
out['adam_m'] = config['m'].ravel().tolist()
out['adam_v'] = config['v'].ravel().tolist()
out['adam_t'] = config['t']

# Three Adam steps from zero state in float32 (w, dw cast to float32).
w32, dw32 = w.astype(np.float32), dw.astype(np.float32)
config = None
for _ in range(3):
    w32, config = adam(w32, dw32, config)
out['adam3_f32_next_w'] = w32.ravel().tolist()
out['adam3_f32_dtype'] = str(w32.dtype)

for k, val in out.items():
    print(k, '=', json.dumps(val))
