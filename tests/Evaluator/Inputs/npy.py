"""Writes and dumps .npy files with the standard library only (the tests cannot rely on NumPy).

  npy.py write PATH DTYPE SHAPE VALUES   SHAPE like 2,3 (or "" for a scalar), VALUES like 1,-2.5,3
  npy.py dump PATH                       prints "DTYPE SHAPE: v1 v2 ..."
  npy.py raw PATH BYTES                  writes BYTES (a Python bytes literal) as they are
"""
import ast
import struct
import sys

FORMATS = {"<f4": "f", "<f8": "d", "<i4": "i", "<i8": "q", "|u1": "B", "|b1": "?"}


def write(path, dtype, shape, values):
    shape_text = "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (dtype, shape_text)
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    fmt = FORMATS[dtype]
    if fmt in "fd":
        values = [float(v) for v in values]
    else:
        values = [int(v) for v in values]
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        f.write(struct.pack("<%d%s" % (len(values), fmt), *values))


def dump(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x93NUMPY\x01\x00", "not a version 1.0 .npy file"
    (length,) = struct.unpack("<H", data[8:10])
    header = ast.literal_eval(data[10 : 10 + length].decode("latin1"))
    assert (10 + length) % 64 == 0, "data not aligned to 64 bytes"
    fmt = FORMATS[header["descr"]]
    count = 1
    for d in header["shape"]:
        count *= d
    values = struct.unpack("<%d%s" % (count, fmt), data[10 + length :])
    shape = "x".join(str(d) for d in header["shape"])
    print("%s [%s]: %s" % (header["descr"], shape, " ".join("%g" % v for v in values)))


def main(argv):
    if argv[1] == "write":
        shape = [int(d) for d in argv[4].split(",") if d]
        values = [v for v in argv[5].split(",") if v]
        write(argv[2], argv[3], shape, values)
    elif argv[1] == "dump":
        dump(argv[2])
    elif argv[1] == "raw":
        with open(argv[2], "wb") as f:
            f.write(ast.literal_eval(argv[3]))


if __name__ == "__main__":
    main(sys.argv)
