#!/usr/bin/env python3
"""Runs nnc on mutated copies of the models and the standard library, random bytes and deep
nesting, and fails if any run crashes (a signal, an LLVM stack dump), hangs, or exits with
something other than 0 (accepted) or 1 (rejected with a diagnostic).

Deterministic: the mutations come from a fixed seed, so a failure reproduces; the offending
input is kept in the work folder and its path printed."""
import argparse, glob, os, random, subprocess, sys


def mutations(rng, text):
    data = text.encode()
    n = len(data)
    # Truncations at spread-out points, and at random ones.
    for k in range(1, 9):
        yield "truncate", data[: n * k // 9]
    for _ in range(6):
        yield "truncate", data[: rng.randrange(n)]
    # Byte-level corruption.
    for _ in range(20):
        b = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(n)] = rng.randrange(256)
        yield "bytes", bytes(b)
    # Token-level damage: punctuation that matters to the grammar.
    for _ in range(20):
        b = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(n)] = ord(rng.choice("(){}[],:=+-*/@.\n\"#0e"))
        yield "token", bytes(b)
    # Line shuffles, duplications and deletions.
    lines = text.splitlines(True)
    for _ in range(6):
        ls = list(lines)
        op = rng.randrange(3)
        i = rng.randrange(len(ls))
        if op == 0:
            del ls[i]
        elif op == 1:
            ls.insert(rng.randrange(len(ls)), ls[i])
        else:
            j = rng.randrange(len(ls))
            ls[i], ls[j] = ls[j], ls[i]
        yield "lines", "".join(ls).encode()


def pathological():
    deep = 100000
    yield "parens", ("model m(x: f32[B, 4]) {\n  return " + "(" * deep + "x" + ")" * deep + "\n}\n").encode()
    yield "brackets", ("model m(x: f32[B, 4]) {\n  y = " + "[" * deep + "\n}\n").encode()
    yield "minus", ("model m(x: f32[B, 4]) {\n  return " + "-" * deep + "x\n}\n").encode()
    yield "not", ("model m(x: f32[B, 4]) {\n  c = " + "not " * deep + "true\n  return x\n}\n").encode()
    yield "sum", ("model m(x: f32[B, 4]) {\n  return x" + " + x" * deep + "\n}\n").encode()
    yield "power", ("model m(x: f32[B, 4]) {\n  return x" + " ** x" * deep + "\n}\n").encode()
    yield "calls", ("model m(x: f32[B, 4]) {\n  return " + "relu(" * deep + "x" + ")" * deep + "\n}\n").encode()
    yield "ifs", ("model m(x: f32[B, 4]) {\n" + "if true {\n" * 5000 + "}\n" * 5000 + "return x\n}\n").encode()
    yield "fors", ("model m(x: f32[B, 4]) {\n" + "for t in 0..2 {\n" * 5000 + "}\n" * 5000 + "return x\n}\n").encode()
    yield "layers", ("".join(f"layer f{i}(x: f32[B, I]) {{\n  return f{i + 1}(x)\n}}\n" for i in range(300))
                     + "layer f300(x: f32[B, I]) {\n  return x\n}\n"
                     + "model m(x: f32[B, 4]) {\n  return f0(x)\n}\n").encode()
    yield "huge-shape", b"model m(x: f32[B, 4]) {\n  return zeros([1000000000, 1000000000, 1000000000])\n}\n"
    yield "huge-dim", b"model m(x: f32[B, 99999999999999]) {\n  return x\n}\n"
    yield "overflow", b"model m(x: f32[B, 4]) {\n  n = 9223372036854775807 + 1\n  return x\n}\n"
    yield "long-line", ("model m(x: f32[B, 4]) {\n  y = x" + " " * 1000000 + "\n  return y\n}\n").encode()
    yield "empty", b""
    yield "nul", b"model m(x: f32[B, 4]) {\0\n  return x\n}\n"
    yield "utf8", "model m(x: f32[B, 4]) {\n  return x × 2 — é\n}\n".encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nnc", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--runs", type=int, default=700)
    ap.add_argument("--seed", type=int, default=1234)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    rng = random.Random(a.seed)
    sources = sorted(glob.glob(os.path.join(a.src, "models", "*.nn")))
    sources.append(os.path.join(a.src, "compiler", "stdlib", "std.nn"))
    cases = list(pathological())
    for _ in range(12):
        cases.append(("random", bytes(rng.randrange(256) for _ in range(rng.randint(1, 400)))))
    per = max(1, (a.runs - len(cases)) // len(sources))
    for path in sources:
        text = open(path).read()
        muts = list(mutations(rng, text))
        rng.shuffle(muts)
        cases += [(f"{os.path.basename(path)}:{kind}", data) for kind, data in muts[:per]]

    failures = 0
    for i, (kind, data) in enumerate(cases):
        f = os.path.join(a.work, f"case{i}.nn")
        with open(f, "wb") as out:
            out.write(data)
        try:
            p = subprocess.run([a.nnc, f, "-o", os.devnull], capture_output=True, timeout=30)
        except subprocess.TimeoutExpired:
            print(f"HANG ({kind}): {f}")
            failures += 1
            continue
        err = p.stderr.decode(errors="replace")
        bad = p.returncode not in (0, 1) or "Stack dump" in err or "Assertion" in err
        if p.returncode == 1 and "error" not in err:
            bad = True  # A rejection must say why.
        if bad:
            print(f"CRASH ({kind}, exit {p.returncode}): {f}\n{err[-2000:]}")
            failures += 1
        else:
            os.remove(f)
    print(f"{len(cases) - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
