#!/usr/bin/env python3
"""Checks that a graph of nnc --emit=dot* has a node for every op of the IR it draws.

    check_dot.py GRAPH.dot IR.mlir [--dialect nn] [--ignore OP]...

Reads the op names of the nodes of upstream's op-graph printer and the ops of the textual IR, and fails unless both hold the same ops of the
dialect, each as many times (but the --ignore ones: the terminators that the IR's text leaves
out of named linalg ops' implicit regions, which the graph draws). Prints the count of nodes and of distinct ops."""
import collections, re, sys

graph, ir = open(sys.argv[1]).read(), open(sys.argv[2]).read()
dialect = sys.argv[sys.argv.index("--dialect") + 1] if "--dialect" in sys.argv else "nn"
# A node's label is "{operands|op\l...}" ("{op\l" without operands); an op with regions is
# a cluster labelled "op : (types)".
name = r"(" + dialect + r"\.[a-z_0-9]+)"
nodes = collections.Counter(re.findall(r"[{|]" + name + r"\\l", graph) +
                            re.findall(r'label = "' + name + r" : ", graph))
# In the IR an op follows "= " (it has results) or starts a line; attributes do neither.
ops = collections.Counter(re.findall(r"(?:= |^\s*)" + name + r"[ (<{]", ir, re.M))
for i, arg in enumerate(sys.argv):
    if arg == "--ignore":
        nodes.pop(sys.argv[i + 1], None)
        ops.pop(sys.argv[i + 1], None)
if not nodes:
    sys.exit("FAIL: the graph has no node of the dialect")
if nodes != ops:
    missing = ops - nodes
    extra = nodes - ops
    sys.exit(f"FAIL: ops without a node: {dict(missing)}; nodes that are no op: {dict(extra)}")
print(f"{sum(nodes.values())} {dialect} nodes, {len(nodes)} distinct ops, one per op")
