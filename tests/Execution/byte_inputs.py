#!/usr/bin/env python3
"""Data of the byte-input test (numpy; run with /usr/bin/python3).
  byte_inputs.py DIR N T   the first N Fashion-MNIST training images and T test images as
                           DIR/{x,tx}_u8.npy (uint8, [N, 1, 28, 28]) and DIR/{x,tx}_f32.npy
                           (float32, x * (1.0f / 255.0f) as C computes it), labels in
                           DIR/{y,ty}.npy (int32), and DIR/x_odd.npy: floats that are no
                           images (a byte / 255 plus half a step)"""
import gzip, sys
import numpy as np

DATA = "/usr/share/datasets/fashion-mnist/"
out, n, t = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])


def images(name, count):
    raw = gzip.open(DATA + name).read()[16:16 + count * 784]
    return np.frombuffer(raw, dtype=np.uint8).reshape(count, 1, 28, 28)


def labels(name, count):
    return np.frombuffer(gzip.open(DATA + name).read()[8:8 + count], np.uint8).astype(np.int32)


for prefix, x, y in (("x", images("train-images-idx3-ubyte.gz", n), labels("train-labels-idx1-ubyte.gz", n)),
                     ("tx", images("t10k-images-idx3-ubyte.gz", t), labels("t10k-labels-idx1-ubyte.gz", t))):
    np.save(f"{out}/{prefix}_u8.npy", x)
    np.save(f"{out}/{prefix}_f32.npy", x.astype(np.float32) * np.float32(1.0 / 255.0))
    np.save(f"{out}/{prefix.replace('x', 'y')}.npy", y)
np.save(f"{out}/x_odd.npy", (images("t10k-images-idx3-ubyte.gz", 4).astype(np.float32) + 0.5) / 255)
