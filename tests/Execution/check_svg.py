#!/usr/bin/env python3
"""Checks the structure of a trainer's --plot SVG: usage `check_svg.py FILE EPOCHS SERIES...`.
The file must be well-formed SVG with a viewBox, a loss panel (and an accuracy panel when an
accuracy series is named), exactly the named series as polylines of EPOCHS points each, every
point inside its panel's frame, and the training loss lower at the end than at the start."""
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"
path, epochs, want = sys.argv[1], int(sys.argv[2]), sorted(sys.argv[3:])
root = ET.parse(path).getroot()
assert root.tag == NS + "svg", f"root is {root.tag}, not svg"
vb = [float(v) for v in root.get("viewBox").split()]
assert vb[0] == 0 and vb[1] == 0 and vb[2] > 0 and vb[3] > 0, vb
assert root.find(NS + "title") is not None, "no <title>"
panels = {g.get("id"): g for g in root.iter(NS + "g") if g.get("class") == "panel"}
need = {"loss"} | ({"accuracy"} if any(s.endswith("_acc") for s in want) else set())
assert set(panels) == need, f"panels {sorted(panels)}, expected {sorted(need)}"
found = []
for pid, g in panels.items():
    frame = g.find(NS + "rect")
    x0, y0 = float(frame.get("x")), float(frame.get("y"))
    x1, y1 = x0 + float(frame.get("width")), y0 + float(frame.get("height"))
    assert len(g.findall(NS + "text")) >= 5, f"panel {pid} has no tick labels"
    for line in g.findall(NS + "polyline"):
        name = line.get("data-name")
        found.append(name)
        pts = [tuple(map(float, p.split(","))) for p in line.get("points").split()]
        assert len(pts) == epochs, f"{name}: {len(pts)} points, expected {epochs}"
        for x, y in pts:
            assert x0 - 1e-6 <= x <= x1 + 1e-6 and y0 - 1e-6 <= y <= y1 + 1e-6, (name, x, y)
        assert all(a[0] < b[0] for a, b in zip(pts, pts[1:])), f"{name}: x not increasing"
        if name == "train_loss" and epochs > 1:
            assert pts[-1][1] > pts[0][1], "the training loss did not fall"
assert sorted(found) == want, f"series {sorted(found)}, expected {want}"
print(f"{path}: {len(panels)} panels, series {', '.join(sorted(found))}, {epochs} epochs")
