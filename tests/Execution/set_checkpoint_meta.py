#!/usr/bin/env python3
"""Writes a copy of a safetensors checkpoint with metadata entries replaced.

    set_checkpoint_meta.py IN OUT KEY=VALUE...

The tensors are copied byte for byte; only the header's __metadata__ changes (the header is
padded with spaces to a multiple of 8 bytes, as the format asks)."""
import json, struct, sys

data = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", data[:8])[0]
header = json.loads(data[8:8 + n])
for kv in sys.argv[3:]:
    key, value = kv.split("=", 1)
    header.setdefault("__metadata__", {})[key] = value
text = json.dumps(header, separators=(",", ":")).encode()
text += b" " * (-len(text) % 8)
open(sys.argv[2], "wb").write(struct.pack("<Q", len(text)) + text + data[8 + n:])
