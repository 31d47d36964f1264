#!/usr/bin/env python3
"""Runs the table of bad inputs in cases.txt: each case writes its input files into a fresh
folder, runs one tool on them, and passes when the tool exits with the expected non-zero code
and its output contains the expected message. A crash (a signal, an LLVM stack dump, a
sanitizer report), a hang (past --timeout) or success is a failure whatever the message.

cases.txt is a sequence of blocks:

  [case-name]
  tool: nnc | nnc-opt | nnc-eval | nnc-train
  args: arguments, split like a shell line; {NAME} is the path of the case's file NAME,
        {models} the models folder, {dir} the case's folder
  file NAME:              the following lines, indented two spaces, are the file (text)
  file NAME = EXPR        the file's bytes are EXPR, a Python expression over the helpers
                          below (npy, idx, st, gz, text, ...)
  exit: the expected exit code (not 0)
  error: a substring of the expected output (repeatable: each must appear)

usage: run_cases.py [--bin DIR] [--cases FILE] [--doc FILE] [--work DIR] [--only NAME...] [--list]"""
import argparse, json, os, re, shlex, shutil, signal, struct, subprocess, sys, zlib, gzip

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))

# --- Helpers for binary inputs ------------------------------------------------------------


def text(s):
    return s.encode()


def gz(data):
    return gzip.compress(data, mtime=0)


def _pack(fmt, values, order="<"):
    return struct.pack(order + str(len(values)) + fmt, *values)


_NPY_FMT = {"<f4": "f", "<f8": "d", "<i4": "i", "<i8": "q", "|u1": "B", "|b1": "?", ">i4": "i",
            "<f2": "e", "<c8": "f"}


def npy(descr, shape, values=None, fortran=False, version=(1, 0), header=None):
    """A .npy image; `header` replaces the dict literal verbatim."""
    n = 1
    for d in shape:
        n *= d
    if values is None:
        values = [float(i % 7) if descr[1] == "f" else i % 7 for i in range(n)]
    if header is None:
        dims = [str(d) for d in shape]
        shp = "(" + (dims[0] + "," if len(dims) == 1 else ", ".join(dims)) + ")"
        header = f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shp}, }}"
    lenfmt, prefix = ("<H", 10) if version == (1, 0) else ("<I", 12)
    header += " " * (-(prefix + len(header) + 1) % 64) + "\n"
    order = ">" if descr[0] == ">" else "<"
    return (b"\x93NUMPY" + bytes(version) + struct.pack(lenfmt, len(header)) + header.encode() +
            _pack(_NPY_FMT[descr], values, order))


def idx(code, shape, values=None):
    """An IDX file of type `code` (0x08 u8, 0x0D f32, ...)."""
    fmt = {0x08: "B", 0x09: "b", 0x0B: "h", 0x0C: "i", 0x0D: "f", 0x0E: "d"}[code]
    n = 1
    for d in shape:
        n *= d
    if values is None:
        values = [i % 10 for i in range(n)]
    return (bytes([0, 0, code, len(shape)]) + b"".join(struct.pack(">I", d) for d in shape) +
            _pack(fmt, values, ">"))


def st(tensors, metadata=None, header=None):
    """A safetensors file from [(name, dtype, shape, [values])]; `header` replaces the JSON."""
    fmts = {"F32": "f", "F64": "d", "I32": "i", "I64": "q", "U8": "B"}
    h, data = {}, b""
    if metadata is not None:
        h["__metadata__"] = metadata
    for name, dtype, shape, values in tensors:
        raw = _pack(fmts[dtype], values)
        h[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    hb = (header if header is not None else json.dumps(h)).encode()
    hb += b" " * (-len(hb) % 8)
    return struct.pack("<Q", len(hb)) + hb + data


def read(path):
    """The bytes of a file of the source tree (a path relative to the repository)."""
    with open(os.path.join(SRC, path), "rb") as f:
        return f.read()


HELPERS = dict(text=text, gz=gz, npy=npy, idx=idx, st=st, read=read, struct=struct)

# --- The case file ------------------------------------------------------------------------


class Case:
    def __init__(self, name, line):
        self.name, self.line = name, line
        self.tool, self.args, self.exit = None, "", None
        self.errors, self.files = [], []  # files: (name, kind, payload)


def parse(path):
    cases, case, block = [], None, None
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for no, raw in enumerate(lines, 1):
        if block is not None:
            if raw.startswith("  ") or raw == "":
                block.append(raw[2:])
                continue
            while block and block[-1] == "":
                block.pop()
            block = None
        line = raw.rstrip()
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"\[([a-z0-9][a-z0-9-]*)\]", line)
        if m:
            case = Case(m.group(1), no)
            cases.append(case)
            continue
        if case is None:
            sys.exit(f"{path}:{no}: expected '[case-name]' first")
        m = re.fullmatch(r"file ([\w.-]+):", line)
        if m:
            block = []
            case.files.append((m.group(1), "text", block))
            continue
        m = re.fullmatch(r"file ([\w.-]+) = (.+)", line)
        if m:
            case.files.append((m.group(1), "expr", m.group(2)))
            continue
        m = re.fullmatch(r"(tool|args|exit|error): ?(.*)", line)
        if not m:
            sys.exit(f"{path}:{no}: cannot read '{line}'")
        key, value = m.groups()
        if key == "tool":
            case.tool = value
        elif key == "args":
            case.args = value
        elif key == "exit":
            case.exit = int(value)
        else:
            case.errors.append(value)
    names = set()
    for c in cases:
        where = f"{path}:{c.line}: [{c.name}]"
        if c.name in names:
            sys.exit(f"{where}: duplicate case name")
        names.add(c.name)
        if c.tool not in ("nnc", "nnc-opt", "nnc-eval", "nnc-train"):
            sys.exit(f"{where}: 'tool' must be nnc, nnc-opt, nnc-eval or nnc-train")
        if not c.exit or not c.errors:
            sys.exit(f"{where}: needs a non-zero 'exit' and at least one 'error'")
    return cases


CRASH_SIGNS = ("Stack dump", "PLEASE submit a bug report", "AddressSanitizer", "LeakSanitizer",
               "runtime error:", "Assertion", "terminate called", "UndefinedBehaviorSanitizer")


def run_case(case, bin_dir, work, timeout):
    d = os.path.join(work, case.name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    paths = {"models": os.path.join(SRC, "models"), "dir": d, "src": SRC}
    for name, kind, payload in case.files:
        p = os.path.join(d, name)
        data = ("\n".join(payload) + "\n").encode() if kind == "text" else eval(payload, dict(HELPERS))
        with open(p, "wb") as f:
            f.write(data)
        paths[name] = p
    def subst(s):
        return re.sub(r"\{([\w.-]+)\}", lambda m: paths.get(m.group(1), m.group(0)), s)

    args = [subst(a) for a in shlex.split(case.args)]
    cmd = [os.path.join(bin_dir, case.tool)] + args
    try:
        proc = subprocess.run(cmd, cwd=d, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"hung: no exit after {timeout} s", ""
    out = proc.stdout.decode(errors="replace")
    rc = proc.returncode
    if rc < 0:
        return f"crashed: killed by {signal.Signals(-rc).name}", out
    crash = [s for s in CRASH_SIGNS if s in out]
    if crash:
        return f"crashed: the output shows '{crash[0]}'", out
    if rc == 0:
        return "accepted the bad input (exit code 0)", out
    if rc != case.exit:
        return f"exit code {rc}, expected {case.exit}", out
    missing = [e for e in case.errors if subst(e) not in out]
    if missing:
        return f"the output lacks '{missing[0]}'", out
    return None, out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--bin", help="the folder of nnc, nnc-opt, nnc-eval, nnc-train "
                    "(default: where nnc is on PATH)")
    ap.add_argument("--cases", default=os.path.join(HERE, "cases.txt"))
    ap.add_argument("--work", default=None, help="where the cases' files go (default: a temp dir)")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("-v", "--verbose", action="store_true", help="show each case's output")
    ap.add_argument("--doc", help="also check that this Markdown file has a row per case")
    ap.add_argument("--list", action="store_true", help="print the cases as a Markdown table")
    args = ap.parse_args()
    cases = parse(args.cases)
    if args.list:
        for c in cases:
            msgs = " / ".join(e.replace("|", "\\|") for e in c.errors)
            print(f"| `{c.name}` | {c.tool} | {c.exit} | {msgs} |")
        return 0
    if not args.bin:
        nnc = shutil.which("nnc")
        if not nnc:
            sys.exit("run_cases.py: nnc is not on PATH; pass --bin")
        args.bin = os.path.dirname(nnc)
    args.bin = os.path.abspath(args.bin)
    if args.doc:
        with open(args.doc, encoding="utf-8") as f:
            doc = f.read()
        undocumented = [c.name for c in cases if f"| `{c.name}` |" not in doc]
        if undocumented:
            print(f"FAIL {args.doc} has no row for: {', '.join(undocumented)}")
            return 1
    if args.only:
        cases = [c for c in cases if c.name in args.only]
    work = args.work or os.path.join(os.environ.get("TMPDIR", "/tmp"), f"nnc-bad-inputs-{os.getpid()}")
    os.makedirs(work, exist_ok=True)
    failures = 0
    for c in cases:
        problem, out = run_case(c, args.bin, work, args.timeout)
        if problem:
            failures += 1
            print(f"FAIL [{c.name}] ({args.cases}:{c.line}): {problem}")
            for line in out.strip().splitlines()[-15:]:
                print("  output: " + (line if len(line) <= 300 else line[:300] + "..."))
        else:
            print(f"ok   [{c.name}]")
            if args.verbose:
                for line in out.strip().splitlines()[-4:]:
                    print("  output: " + (line if len(line) <= 300 else line[:300] + "..."))
    print(f"{len(cases) - failures} of {len(cases)} bad-input cases pass")
    if not args.work and failures == 0:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
