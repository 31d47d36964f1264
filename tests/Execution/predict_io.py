#!/usr/bin/env python3
"""Inputs and checks of the --predict test (numpy; run with /usr/bin/python3).
  predict_io.py make DIR N        the first N Fashion-MNIST test images as DIR/x_u8.npy (uint8,
                                  [N, 1, 28, 28]) and DIR/x_f32.npy (float32 scaled to [0, 1])
  predict_io.py check P.npy N ACC  P holds N rows of 10 probabilities summing to 1, whose
                                  arg-max matches the test labels for at least ACC of them"""
import gzip, sys
import numpy as np

DATA = "/usr/share/datasets/fashion-mnist/"
cmd = sys.argv[1]
if cmd == "make":
    out, n = sys.argv[2], int(sys.argv[3])
    raw = gzip.open(DATA + "t10k-images-idx3-ubyte.gz").read()[16:16 + n * 784]
    x = np.frombuffer(raw, dtype=np.uint8).reshape(n, 1, 28, 28)
    np.save(out + "/x_u8.npy", x)
    np.save(out + "/x_f32.npy", x.astype(np.float32) / 255)
else:
    p, n, acc = np.load(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    assert p.shape == (n, 10) and p.dtype == np.float32, (p.shape, p.dtype)
    assert np.all(p >= 0) and np.allclose(p.sum(1), 1, atol=1e-5), "not probabilities"
    labels = np.frombuffer(gzip.open(DATA + "t10k-labels-idx1-ubyte.gz").read()[8:8 + n], np.uint8)
    got = float((p.argmax(1) == labels).mean())
    print(f"{n} predictions, accuracy {got:.3f}")
    assert got >= acc, f"accuracy {got} < {acc}"
