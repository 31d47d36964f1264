#!/usr/bin/env python3
"""Reads an nnc checkpoint with PyTorch and NumPy only (the safetensors package is not in
Debian): parses the header, loads every tensor with torch.from_numpy, and prints each name,
shape, sum of magnitudes and the SHA-256 of its bytes (for bit-identity checks), then the
metadata. Exits 0 (printing SKIPPED) when torch is absent."""
import hashlib, json, struct, sys

try:
    import numpy as np
    import torch
except ImportError:
    print("SKIPPED: no torch")
    sys.exit(0)

data = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", data[:8])[0]
header = json.loads(data[8:8 + n])
meta = header.pop("__metadata__", {})
for name in sorted(header):
    info = header[name]
    assert info["dtype"] == "F32", info
    begin, end = info["data_offsets"]
    t = torch.from_numpy(np.frombuffer(data[8 + n + begin:8 + n + end], dtype=np.float32).copy())
    t = t.reshape(info["shape"])
    assert torch.isfinite(t).all(), name
    digest = hashlib.sha256(data[8 + n + begin:8 + n + end]).hexdigest()[:16]
    print(f"{name} {list(t.shape)} {float(t.abs().sum()):.3f} sha256:{digest}")
print("metadata", json.dumps(meta, sort_keys=True))
