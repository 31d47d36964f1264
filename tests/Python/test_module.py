#!/usr/bin/env python3
"""Tests of the nnc Python module (module.test runs it). Prints a line per check; exits
non-zero at the first failure."""
import argparse, gzip, json, os, sys, threading, time
import numpy as np
import nnc

D = "/usr/share/datasets/fashion-mnist/"


def images(f):
    return np.frombuffer(gzip.open(D + f).read()[16:], np.uint8).reshape(-1, 1, 28, 28)


def labels(f):
    return np.frombuffer(gzip.open(D + f).read()[8:], np.uint8).astype(np.int32)


def expect(cond, what):
    if not cond:
        sys.exit(f"FAIL: {what}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", required=True)
    ap.add_argument("--reference", required=True, help="nnc-train --limit 6400 --epochs 2 --json")
    a = ap.parse_args()
    ref = json.loads(open(a.reference).read().strip().splitlines()[-1])
    mlp = os.path.join(a.models, "mlp.nn")
    x, y = images("train-images-idx3-ubyte.gz")[:6400], labels("train-labels-idx1-ubyte.gz")[:6400]
    xt, yt = images("t10k-images-idx3-ubyte.gz"), labels("t10k-labels-idx1-ubyte.gz")

    # The same data, seed and epochs as the nnc-train run: the same training run.
    m = nnc.Model(mlp)
    history = m.fit(x, y, epochs=2, x_test=xt, y_test=yt)
    acc = m.evaluate(xt, yt)["accuracy"]
    print(f"fit from numpy: test accuracy {acc:.4f}, nnc-train {ref['test_acc']:.4f}")
    expect(len(history) == 2 and m.epochs_done == 2 and m.step == 200, f"history {history}")
    expect(abs(history[-1]["train_loss"] - ref["train_loss"]) < 1e-6, "the training loss differs")
    expect(abs(acc - ref["test_acc"]) < 1e-9 and acc > 0.75, "the accuracy differs")
    p = m.predict(xt[:500])
    expect(p.shape == (500, 10) and np.allclose(p.sum(1), 1, atol=1e-5), "not probabilities")
    expect(float((p.argmax(1) == yt[:500]).mean()) > 0.7, "predictions do not name the classes")

    # The callback sees every epoch; returning False stops the run.
    seen = []
    m2 = nnc.Model(mlp)
    m2.fit(x, y, epochs=3, callback=lambda d: seen.append(d["epoch"]) or False)
    expect(seen == [1] and m2.epochs_done == 1, f"callback saw {seen}")
    print("callback: stopped after epoch 1")

    # Training releases the GIL: a Python thread runs meanwhile.
    ticks, done = [0], [False]
    def tick():
        while not done[0]:
            ticks[0] += 1
            time.sleep(0.0005)
    t = threading.Thread(target=tick)
    t.start()
    start = time.time()
    m2.fit(x, y, epochs=2)
    seconds = time.time() - start
    done[0] = True
    t.join()
    expect(ticks[0] > 20, f"the thread ticked {ticks[0]} times in {seconds:.2f} s of training")
    print("GIL released")

    # Parameters as arrays, both ways.
    params = m.parameters()
    expect(params["dense_0.w"].shape == (784, 256), f"{params['dense_0.w'].shape}")
    before = m.predict(xt[:64])
    for name, value in params.items():
        m.set_parameter(name, np.zeros_like(value))
    expect(np.allclose(m.predict(xt[:64]), 0.1), "zero weights are not uniform")
    for name, value in params.items():
        m.set_parameter(name, value)
    expect(np.array_equal(m.predict(xt[:64]), before), "parameters set back differ")
    print("parameters: zero weights give uniform probabilities; set back, the same outputs")

    # Checkpoints.
    m.save("mlp.safetensors")
    m3 = nnc.Model(mlp)
    m3.load("mlp.safetensors")
    expect(np.array_equal(m3.predict(xt[:64]), before) and m3.step == 200, "the loaded model differs")
    print("checkpoint: a new model that loads it predicts the same bits")

    # A regression model from float arrays.
    xor = nnc.Model(os.path.join(a.models, "xor.nn"))
    xs = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
    ys = np.array([[0], [1], [1], [0]], np.float32)
    h = xor.fit(xs, ys, epochs=500)
    expect(h[-1]["train_loss"] < 0.01 < h[0]["train_loss"], f"xor {h[0]} -> {h[-1]}")
    out = xor.predict(xs)
    expect(np.all(np.abs(out - ys) < 0.2), f"xor predicts {out.ravel()}")
    print(f"regression: xor's loss {h[0]['train_loss']:.4f} -> {h[-1]['train_loss']:.6f}")

    # Errors are nnc.Error with the tools' messages.
    with open("bad.nn", "w") as f:
        f.write("model bad(x: f32[B, 4]) -> f32[B, 2] {\n  return dense(x, 2) @ y\n}\n")
    cases = [
        (lambda: nnc.Model("missing.nn"), "cannot open 'missing.nn'"),
        (lambda: nnc.Model("bad.nn"), "bad.nn:2:"),
        (lambda: m.fit(np.zeros((64, 10), np.float32), np.zeros(64, np.int32)),
         "the samples have 10 values each"),
        (lambda: m.fit(x[:64], np.full(64, 12, np.int32)), "label 12 is not a class"),
        (lambda: m.set_parameter("nope", np.zeros(3)), "no parameter 'nope'"),
        (lambda: m.load("missing.safetensors"), "missing.safetensors"),
    ]
    for f, message in cases:
        try:
            f()
            sys.exit(f"FAIL: no error, expected '{message}'")
        except nnc.Error as e:
            expect(message in str(e), f"'{message}' not in the error: {e}")
    print(f"errors: {len(cases)} raised as nnc.Error")

    def boom(d):
        raise ValueError("from the callback")
    try:
        m2.fit(x, y, epochs=1, callback=boom)
        sys.exit("FAIL: the callback's exception was lost")
    except ValueError as e:
        expect(str(e) == "from the callback", str(e))
    print("callback exceptions propagate")
    print("PASS")


if __name__ == "__main__":
    main()
