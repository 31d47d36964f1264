#!/usr/bin/env python3
"""The data of Inputs/next_token.nn (numpy; run with /usr/bin/python3):
    next_token_data.py DIR    ids.npy, next.npy (512 sequences) and test_ids.npy,
                              test_next.npy (128), uint8 ids in [0, 8), [N, 12]
Each sequence starts with two random tokens; then t[i] = (t[i-1] + t[i-2]) mod 8. The label
at position i is t[i+1]: predictable from the two tokens read so far, except at position 0."""
import sys
import numpy as np

out = sys.argv[1]
r = np.random.default_rng(0)
for name, n in (("", 512), ("test_", 128)):
    t = np.zeros((n, 13), np.int64)
    t[:, :2] = r.integers(0, 8, (n, 2))
    for i in range(2, 13):
        t[:, i] = (t[:, i - 1] + t[:, i - 2]) % 8
    np.save(f"{out}/{name}ids.npy", t[:, :12].astype(np.uint8))
    np.save(f"{out}/{name}next.npy", t[:, 1:].astype(np.int32))
