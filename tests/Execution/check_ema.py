#!/usr/bin/env python3
"""Checks the EMA shadows of nnc checkpoints bit for bit, with the standard library only.

    check_ema.py DECAY START.safetensors CK1.safetensors [CK2.safetensors ...]

Each CKi must hold, for every parameter P it has an "ema.P" for, the shadow one step after
the previous file: ema.P = f32(DECAY * prev + (1 - DECAY) * P), each product in double, where
prev is START's P (the weights the shadows start from) for CK1 and CK(i-1)'s ema.P after.
So each file must be one training step after the previous one. Prints a line per file."""
import json, struct, sys


def read(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, t in header.items():
        assert t["dtype"] == "F32", (path, name)
        b, e = t["data_offsets"]
        raw = data[8 + n + b:8 + n + e]
        tensors[name] = struct.unpack(f"<{len(raw) // 4}f", raw)
    return tensors, meta


decay = float(sys.argv[1])
start, _ = read(sys.argv[2])
prev = None
for path in sys.argv[3:]:
    tensors, meta = read(path)
    shadows = sorted(k[4:] for k in tensors if k.startswith("ema."))
    if not shadows:
        sys.exit(f"FAIL: {path} holds no ema.* tensors")
    if float(meta.get("ema", "nan")) != decay:
        sys.exit(f"FAIL: {path}: metadata ema = {meta.get('ema')}, expected {decay}")
    for p in shadows:
        before = start[p] if prev is None else prev["ema." + p]
        want = [struct.unpack("<f", struct.pack("<f", decay * s + (1 - decay) * w))[0]
                for s, w in zip(before, tensors[p])]
        got = list(tensors["ema." + p])
        if struct.pack(f"<{len(got)}f", *got) != struct.pack(f"<{len(want)}f", *want):
            bad = next(i for i in range(len(got)) if got[i] != want[i])
            sys.exit(f"FAIL: {path}: ema.{p}[{bad}] = {got[bad]!r}, expected {want[bad]!r}")
    print(f"{path}: {', '.join('ema.' + p for p in shadows)} exact")
    prev = tensors
