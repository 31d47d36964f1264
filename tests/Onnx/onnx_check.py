#!/usr/bin/env python3
"""Checks an ONNX file nnc exported (run with /usr/bin/python3: Debian's python3-onnx,
python3-opencv and numpy).

    onnx_check.py MODEL.onnx X.npy PRED.npy [--ops Op,Op,...] [--tol T]

- onnx.checker.check_model with full_check (strict shape inference) passes;
- the graph uses exactly the ops listed by --ops, when given (so that a test pins how a model
  is exported);
- OpenCV's dnn module (a real ONNX consumer) reads it and, run on the samples of X.npy in
  batches of the model's batch (the last one padded with zeros), gives PRED.npy (what
  `--predict` wrote for X.npy) within T (default 1e-5) in absolute value.
Prints the op counts and the largest difference."""
import argparse, collections, sys
import numpy as np
import onnx
import cv2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("x")
    ap.add_argument("pred")
    ap.add_argument("--ops", default=None)
    ap.add_argument("--tol", type=float, default=1e-5)
    a = ap.parse_args()

    m = onnx.load(a.model)
    onnx.checker.check_model(m, full_check=True)
    ops = collections.Counter(n.op_type for n in m.graph.node)
    print("ops:", ", ".join(f"{k} {v}" for k, v in sorted(ops.items())))
    if a.ops is not None and set(ops) != set(a.ops.split(",")):
        sys.exit(f"FAIL: the graph's ops are {sorted(ops)}, expected {sorted(a.ops.split(','))}")

    shape = [d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim]
    x, want = np.load(a.x).astype(np.float32), np.load(a.pred)
    if x.dtype != np.float32 or list(x.shape[1:]) != shape[1:]:
        sys.exit(f"FAIL: {a.x} is {x.dtype} {x.shape}, the model takes float32 {shape}")
    net = cv2.dnn.readNetFromONNX(a.model)
    batch, got = shape[0], []
    for i in range(0, len(x), batch):
        chunk = x[i:i + batch]
        padded = np.zeros([batch] + shape[1:], np.float32)
        padded[:len(chunk)] = chunk
        net.setInput(padded)
        got.append(net.forward()[:len(chunk)])
    got = np.concatenate(got).reshape(want.shape)
    diff = float(np.abs(got - want).max())
    print(f"{len(x)} samples, OpenCV against --predict: largest difference {diff:.3g}")
    if not diff <= a.tol:
        sys.exit(f"FAIL: OpenCV's outputs differ from --predict's by {diff} > {a.tol}")


if __name__ == "__main__":
    main()
