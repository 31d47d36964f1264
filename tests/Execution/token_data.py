#!/usr/bin/env python3
"""The data of Inputs/tokens.nn (numpy; run with /usr/bin/python3):
    token_data.py DIR DTYPE    DIR/ids.npy (512 rows of 6 ids in [0, 7), as DTYPE: int32 or
                               uint8) and DIR/y.npy (float32 [512, 6, 3])
y[:, t] is the one-hot of (ids[:, t] + ids[:, t - 1]) mod 3 (ids[:, -1] read as 0): a
function of the current and the previous token, which the embedding and the GRU learn."""
import sys
import numpy as np

out, dtype = sys.argv[1], sys.argv[2]
r = np.random.default_rng(0)
ids = r.integers(0, 7, (512, 6))
prev = np.concatenate([np.zeros((512, 1), np.int64), ids[:, :-1]], 1)
y = np.eye(3, dtype=np.float32)[(ids + prev) % 3]
np.save(f"{out}/ids.npy", ids.astype(dtype))
np.save(f"{out}/y.npy", y)
