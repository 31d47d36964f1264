#!/usr/bin/env python3
"""The data of Inputs/stacked.nn (numpy; run with /usr/bin/python3):
    seq_data.py DIR    writes DIR/x.npy, y.npy (512 sequences) and test_x.npy, test_y.npy (128)
x is uniform in [-1, 1], [N, 8, 3]; y[:, t] = (mean of x[:, 0:t+1, 0], x[:, t, 1] * x[:, t, 2])."""
import sys
import numpy as np

out = sys.argv[1]
r = np.random.default_rng(0)
for name, n in (("", 512), ("test_", 128)):
    x = r.uniform(-1, 1, (n, 8, 3)).astype(np.float32)
    mean = np.cumsum(x[:, :, 0], 1) / np.arange(1, 9)
    y = np.stack([mean, x[:, :, 1] * x[:, :, 2]], -1).astype(np.float32)
    np.save(f"{out}/{name}x.npy", x)
    np.save(f"{out}/{name}y.npy", y)
