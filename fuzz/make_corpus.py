#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets into OUT/<target>/: the models, the standard
library and the .nn test files (split at '# -----') for the front end, and small valid files,
with a few near-misses, for the readers. Generated here so that no binary seed lives in git.

usage: make_corpus.py OUT"""
import gzip, hashlib, io, json, os, struct, sys


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write(out, target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def frontend(out):
    files = []
    for sub in ("models", "tests/Frontend", "tests/Frontend/Inputs", "tests/Execution/Inputs",
                "compiler/stdlib"):
        d = os.path.join(ROOT, sub)
        files += [os.path.join(d, n) for n in sorted(os.listdir(d)) if n.endswith(".nn")]
    for path in files:
        text = open(path, encoding="utf-8").read()
        for chunk in text.split("# -----"):
            # Lit lines and expected diagnostics are noise to the parser.
            lines = [l for l in chunk.splitlines()
                     if not l.lstrip().startswith(("# RUN", "# CHECK", "// RUN"))]
            write(out, "frontend", "\n".join(lines) + "\n")


class Arr:
    """A tiny C-order array (no numpy: the seeds need only packing)."""

    def __init__(self, shape, values, fmt):
        self.shape, self.values, self.fmt = tuple(shape), list(values), fmt

    def pack(self, order="<"):
        return struct.pack(order + str(len(self.values)) + self.fmt, *self.values)


def arr(shape, fmt, values=None):
    n = 1
    for d in shape:
        n *= d
    if values is None:
        values = [(i * 37 + 11) % 100 for i in range(n)]
        if fmt in "fd":
            values = [v / 7.0 for v in values]
    return Arr(shape, values, fmt)


def idx_file(dtype_code, a):
    fmt = {0x08: "B", 0x09: "b", 0x0B: "h", 0x0C: "i", 0x0D: "f", 0x0E: "d"}[dtype_code]
    head = bytes([0, 0, dtype_code, len(a.shape)]) + b"".join(struct.pack(">I", d) for d in a.shape)
    return head + Arr(a.shape, a.values, fmt).pack(">")


def idx(out):
    pairs = []
    for code in (0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E):
        fmt = "f" if code in (0x0D, 0x0E) else "B"
        pairs.append((idx_file(code, arr((3, 2, 2), fmt)), idx_file(0x08, arr((3,), "B", [0, 1, 2]))))
    pairs.append((idx_file(0x08, arr((4,), "B")), idx_file(0x08, arr((4,), "B", [1, 0, 1, 0]))))
    pairs.append((idx_file(0x0D, arr((2, 1, 2, 3), "f")), idx_file(0x0D, arr((2, 2), "f"))))
    pairs.append((idx_file(0x08, arr((0, 2, 2), "B")), idx_file(0x08, arr((0,), "B"))))
    pairs.append((idx_file(0x08, arr((2, 2, 2), "B"))[:-1], idx_file(0x08, arr((2,), "B", [0, 1]))))
    for images, labels in list(pairs[:4]):
        pairs.append((gzip.compress(images, mtime=0), gzip.compress(labels, mtime=0)))
    for images, labels in pairs:
        write(out, "idx", struct.pack("<I", len(images)) + images + labels)


def csv(out):
    iris = os.path.join(ROOT, "models", "toy.csv")
    toy = open(iris, "rb").read()[:600]
    cases = [
        (0b0000_0010, b"1,2,0\n3,4,1\n5,6,1\n"),
        (0b0000_0011, b"a,b,label\n1,2,0\n3,4,1\n"),
        (0b0000_0000, b"0.5,1e3,-2.5\r\n+1,\"2\",3\r\n"),
        (0b0101_0010, b"0;1.5;2\n1;2.5;3\n\n2;0;1\n"),
        (0b0000_0110, b"skip me\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n"),
        (0b1000_0010, b"1,2,0\n3,4,1\n5,6,0\n7,8,1\n9,10,0\n11,12,1\n"),
        (0b0010_0000, b"1,2,3,4\n5,6,7,8\n"),
        (0b0011_0010, b"1,2,3\n4,5,6\n"),
        (0b0000_0000, toy),
        (0b0000_0010, b"1,nan,0\n"),
    ]
    for flags, text in cases:
        write(out, "csv", bytes([flags]) + text)
        write(out, "csv", bytes([flags]) + gzip.compress(text, mtime=0))


def npy_bytes(a, descr, version=(1, 0), fortran=False, fmt=None):
    dims = [str(d) for d in a.shape]
    shape = "(" + (dims[0] + "," if len(dims) == 1 else ", ".join(dims)) + ")"
    header = f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}"
    lenfmt, prefix = ("<H", 10) if version == (1, 0) else ("<I", 12)
    pad = -(prefix + len(header) + 1) % 64
    header = (header + " " * pad + "\n").encode()
    body = Arr(a.shape, a.values, fmt or a.fmt).pack("<" if descr[0] != ">" else ">")
    return (b"\x93NUMPY" + bytes(version) + struct.pack(lenfmt, len(header)) + header + body)


def npy(out):
    cases = [
        (arr((3, 2), "f"), "<f4"), (arr((2, 2, 2), "d"), "<f8"), (arr((4,), "i"), "<i4"),
        (arr((3, 2), "q"), "<i8"), (arr((5,), "B"), "|u1"), (arr((3,), "?", [1, 0, 1]), "|b1"),
        (arr((), "f", [1.5]), "<f4"), (arr((0, 3), "f"), "<f4"),
        (arr((2,), "f", [float("inf"), 1.0]), "<f4"), (arr((3,), "i"), ">i4"),
    ]
    for a, descr in cases:
        write(out, "npy", npy_bytes(a, descr))
    write(out, "npy", npy_bytes(arr((3,), "f"), "<f4", version=(2, 0)))
    write(out, "npy", npy_bytes(arr((2, 2), "f"), "<f4", fortran=True))


def safetensors_bytes(tensors, metadata=None, pad=True):
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, a in tensors:
        raw = a.pack()
        header[name] = {"dtype": dtype, "shape": list(a.shape),
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    h = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data


def safetensors(out):
    cases = [
        [("w", "F32", arr((2, 3), "f")), ("b", "F32", arr((3,), "f", [0, 0, 0]))],
        [("a", "F64", arr((2, 2), "d")), ("i", "I32", arr((3,), "i")),
         ("j", "I64", arr((2,), "q")), ("u", "U8", arr((4,), "B"))],
        [("scalar", "F32", arr((), "f", [2.0])), ("empty", "F32", arr((0, 4), "f"))],
        [],
    ]
    for i, tensors in enumerate(cases):
        meta = {"format": "pt", "step": str(i), "nnc.optimizer": "adam"} if i % 2 == 0 else None
        write(out, "safetensors", safetensors_bytes(tensors, meta))
    write(out, "safetensors", safetensors_bytes(cases[0], {"k": "v"}, pad=False))
    write(out, "safetensors", safetensors_bytes([("x", "BF16", arr((2,), "H"))]))
    write(out, "safetensors", b"\x10\x00\x00\x00\x00\x00\x00\x00{\"a\\u00e9\":[1, 2.5e1]}")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    for gen in (frontend, idx, csv, npy, safetensors):
        gen(out)
    for target in sorted(os.listdir(out)):
        print(f"{target}: {len(os.listdir(os.path.join(out, target)))} seeds")


if __name__ == "__main__":
    main()
