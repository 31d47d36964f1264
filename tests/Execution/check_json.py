#!/usr/bin/env python3
"""Reads the last JSON line of stdin (nnc-train --json) and checks conditions such as
`test_acc>=0.9` or `train_loss<0.01`; prints the line and fails with the condition that does
not hold. Used by the training tests, which assert on loss or accuracy, not on 'it ran'."""
import json, operator, re, sys

ops = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}
lines = [l for l in sys.stdin.read().splitlines() if l.startswith("{")]
if not lines:
    sys.exit("no JSON line in the output")
result = json.loads(lines[-1])
print(lines[-1])
for cond in sys.argv[1:]:
    key, op, value = re.match(r"(\w+)(>=|<=|>|<)(.+)", cond).groups()
    if not ops[op](float(result[key]), float(value)):
        sys.exit(f"failed: {key} = {result[key]}, expected {op} {value}")
