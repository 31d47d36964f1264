#!/usr/bin/env python3
"""Checks that a trainer built by `nnc -o` is standalone, then runs it without LLVM.

    standalone.py TRAINER ARGS...

- `ldd TRAINER` names only libc, libm, libstdc++, libgcc_s and libz (and the loader);
- TRAINER ARGS runs in a mount namespace where /usr/lib/llvm-22 is an empty folder, so that
  no LLVM library (libomp included) can be loaded. Where no mount namespace can be made (no
  root, a container that forbids it) it says so and runs the trainer as it is.
The trainer's output is passed through."""
import os, re, subprocess, sys

ALLOWED = ("linux-vdso", "libc.so", "libm.so", "libstdc++.so", "libgcc_s.so", "libz.so",
           "ld-linux")


def main():
    cmd = sys.argv[1:]
    trainer = cmd[0]
    ldd = subprocess.run(["ldd", trainer], capture_output=True, text=True, check=True).stdout
    libs = [line.split()[0] for line in ldd.splitlines() if line.strip()]
    extra = [l for l in libs if not any(a in l for a in ALLOWED)]
    if extra or "llvm" in ldd:
        sys.exit(f"FAIL: {trainer} needs {', '.join(extra) or 'LLVM'}:\n{ldd}")
    print(f"ldd: {', '.join(sorted(os.path.basename(l) for l in libs))}", file=sys.stderr)
    hidden = ["unshare", "-m", "sh", "-c",
              'mount -t tmpfs none /usr/lib/llvm-22 && exec "$@"', "sh"] + cmd
    probe = subprocess.run(["unshare", "-m", "sh", "-c",
                            "mount -t tmpfs none /usr/lib/llvm-22 && ls /usr/lib/llvm-22"],
                           capture_output=True, text=True)
    if probe.returncode != 0 or probe.stdout.strip():
        print("note: cannot hide /usr/lib/llvm-22 here (" +
              (probe.stderr.strip() or "not empty") + "); running the trainer as it is",
              file=sys.stderr)
        hidden = cmd
    else:
        print("running with /usr/lib/llvm-22 empty", file=sys.stderr)
    sys.exit(subprocess.run(hidden).returncode)


if __name__ == "__main__":
    main()
