#!/usr/bin/env python3
"""Counts the FMA instructions of a disassembly (stdin: llvm-objdump -d) by register width.

    count_fma.py [--max-ymm-share F]

Prints 'xmm N ymm N zmm N'; with --max-ymm-share, fails when the 256-bit FMAs are more than
that share of the 512-bit ones (a target that should use full-width vectors)."""
import re, sys

counts = {"xmm": 0, "ymm": 0, "zmm": 0}
for line in sys.stdin:
    if re.search(r"\bv(f|fn)m(add|sub)", line):
        regs = re.findall(r"%?([xyz]mm)\d+", line)
        if regs:
            counts[regs[-1]] += 1
print(" ".join(f"{k} {v}" for k, v in counts.items()))
if len(sys.argv) > 2 and sys.argv[1] == "--max-ymm-share":
    share = float(sys.argv[2])
    if counts["zmm"] == 0 or counts["ymm"] > share * counts["zmm"]:
        sys.exit(f"FAIL: {counts['ymm']} ymm FMAs beside {counts['zmm']} zmm ones")
