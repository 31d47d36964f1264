#!/usr/bin/env python3
"""Regenerates nn-autodiff-rules.mlir: one function per differentiable op, and CHECK lines that
pin the backward IR nn-autodiff builds for it (everything after the loss seed).

  tests/Transforms/update_autodiff_rules.py build/bin/nnc-opt

Run it after a deliberate change of a gradient rule, then read the diff: the CHECK lines are
the rules' specification, not a formality."""
import os, re, subprocess, sys

P = lambda n, t: f'%{n}: {t} {{nn.param = "{n}", nn.init = {{dist = "constant", value = 1.0 : f64}}}}'
T = "tensor<2x3xf32>"
cases = []
def case(name, params, body, ytype):
    cases.append((name, params, body, ytype))

for op in ["add", "sub", "mul", "div", "max", "min", "pow"]:
    case(op, [P("a", T), P("b", T)], f"%y = nn.{op} %a, %b : {T}", T)
for op in ["neg", "exp", "log", "tanh", "sigmoid", "relu", "sqrt", "rsqrt", "abs", "square"]:
    case(op, [P("a", T)], f"%y = nn.{op} %a : {T}", T)
case("select", [P("a", T), P("b", T), '%c: tensor<2x3xi1> {nn.input = "c"}'], f"%y = nn.select %c, %a, %b : {T}", T)
case("cast", [P("a", "tensor<2x3xf64>")], "%y = nn.cast %a : tensor<2x3xf64> -> tensor<2x3xf32>", T)
case("matmul", [P("a", "tensor<2x4xf32>"), P("b", "tensor<4x3xf32>")], "%y = nn.matmul %a, %b : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32>", T)
case("matmul_tt", [P("a", "tensor<4x2xf32>"), P("b", "tensor<3x4xf32>")], "%y = nn.matmul %a, %b transpose_a transpose_b : tensor<4x2xf32>, tensor<3x4xf32> -> tensor<2x3xf32>", T)
case("broadcast", [P("a", "tensor<1x3xf32>")], "%y = nn.broadcast %a dims = [1, 2] : tensor<1x3xf32> -> tensor<2x2x3xf32>", "tensor<2x2x3xf32>")
case("reduce_sum", [P("a", "tensor<2x3x4xf32>")], "%y = nn.reduce_sum %a axes = [2] : tensor<2x3x4xf32> -> tensor<2x3xf32>", T)
case("reduce_mean", [P("a", "tensor<2x3x4xf32>")], "%y = nn.reduce_mean %a axes = [2] keep_dims : tensor<2x3x4xf32> -> tensor<2x3x1xf32>", "tensor<2x3x1xf32>")
case("reduce_max", [P("a", "tensor<2x3x4xf32>")], "%y = nn.reduce_max %a axes = [2] : tensor<2x3x4xf32> -> tensor<2x3xf32>", T)
case("reshape", [P("a", "tensor<6xf32>")], "%y = nn.reshape %a : tensor<6xf32> -> tensor<2x3xf32>", T)
case("transpose", [P("a", "tensor<3x2xf32>")], "%y = nn.transpose %a perm = [1, 0] : tensor<3x2xf32> -> tensor<2x3xf32>", T)
case("slice", [P("a", "tensor<4x6xf32>")], "%y = nn.slice %a offsets = [1, 0] sizes = [2, 3] strides = [2, 2] : tensor<4x6xf32> -> tensor<2x3xf32>", T)
case("insert_slice", [P("a", "tensor<4x6xf32>"), P("b", T)], "%y = nn.insert_slice %a, %b offsets = [1, 0] strides = [2, 2] : tensor<4x6xf32>, tensor<2x3xf32>", "tensor<4x6xf32>")
case("take", [P("a", "tensor<2x5x3xf32>"), "%i: index"], "%y = nn.take %a[%i] axis = 1 : tensor<2x5x3xf32> -> tensor<2x3xf32>", T)
case("put", [P("a", "tensor<2x5x3xf32>"), P("b", T), "%i: index"], "%y = nn.put %a[%i], %b axis = 1 : tensor<2x5x3xf32>, tensor<2x3xf32>", "tensor<2x5x3xf32>")
case("put_accumulate", [P("a", "tensor<2x5x3xf32>"), P("b", T), "%i: index"], "%y = nn.put %a[%i], %b axis = 1 accumulate : tensor<2x5x3xf32>, tensor<2x3xf32>", "tensor<2x5x3xf32>")
case("concat", [P("a", "tensor<2x1xf32>"), P("b", "tensor<2x2xf32>")], "%y = nn.concat %a, %b axis = 1 : tensor<2x1xf32>, tensor<2x2xf32> -> tensor<2x3xf32>", T)
case("softmax", [P("a", T)], f"%y = nn.softmax %a axis = 1 : {T}", T)
case("log_softmax", [P("a", T)], f"%y = nn.log_softmax %a axis = 1 : {T}", T)
case("cross_entropy", [P("a", T), "%l: tensor<2xi32> {nn.labels}"], "%y = nn.cross_entropy %a, %l : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>", "tensor<f32>")
case("mse", [P("a", T), P("b", T)], "%y = nn.mse %a, %b : tensor<2x3xf32> -> tensor<f32>", "tensor<f32>")
case("conv2d", [P("x", "tensor<1x2x5x5xf32>"), P("w", "tensor<3x2x3x3xf32>")], "%y = nn.conv2d %x, %w strides = [2, 2] padding = [1, 1, 1, 1] dilations = [1, 1] groups = 1 : tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32> -> tensor<1x3x3x3xf32>", "tensor<1x3x3x3xf32>")
case("max_pool2d", [P("x", "tensor<1x2x4x4xf32>")], "%y = nn.max_pool2d %x kernel = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0] : tensor<1x2x4x4xf32> -> tensor<1x2x2x2xf32>", "tensor<1x2x2x2xf32>")
case("avg_pool2d", [P("x", "tensor<1x2x4x4xf32>")], "%y = nn.avg_pool2d %x kernel = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0] : tensor<1x2x4x4xf32> -> tensor<1x2x2x2xf32>", "tensor<1x2x2x2xf32>")
case("batch_norm_train", [P("x", "tensor<4x3xf32>"), P("g", "tensor<3xf32>"), P("b", "tensor<3xf32>")], "%y, %m, %v = nn.batch_norm_train %x, %g, %b epsilon = 1.0e-05 axis = 1 : tensor<4x3xf32>, tensor<3xf32>", "tensor<4x3xf32>")
case("batch_norm_infer", [P("x", "tensor<4x3xf32>"), P("m", "tensor<3xf32>"), P("v", "tensor<3xf32>"), P("g", "tensor<3xf32>"), P("b", "tensor<3xf32>")], "%y = nn.batch_norm_infer %x, %m, %v, %g, %b epsilon = 1.0e-05 axis = 1 : tensor<4x3xf32>, tensor<3xf32>", "tensor<4x3xf32>")


def source(name, params, body, yt):
    ps = ", ".join(params + [f'%r: {yt} {{nn.input = "r"}}'])
    if yt == "tensor<f32>":
        loss = "  return %y : tensor<f32>"
    else:
        axes = ", ".join(str(i) for i in range(yt.count("x")))
        loss = (f"  %wy = nn.mul %y, %r : {yt}\n"
                f"  %l = nn.reduce_sum %wy axes = [{axes}] : {yt} -> tensor<f32>\n"
                "  return %l : tensor<f32>")
    return (f"func.func @{name}({ps}) -> (tensor<f32> {{nn.loss}}) attributes {{nn.mode = \"train\"}} {{\n"
            f"  {body}\n{loss}\n}}")


def checks(name, output):
    body = output[output.index(f"func.func @{name}_grad("):]
    lines = body.split("\n")
    seed = next(i for i, l in enumerate(lines) if "dense<1.000000e+00> : tensor<f32>" in l)
    out = [f"// CHECK-LABEL: func.func @{name}_grad("]
    for l in lines[seed + 1:]:
        l = l.strip()
        if not l or l == "}":
            continue
        done = l.startswith("return")
        l = re.sub(r"^%[0-9a-z_]+(:[0-9]+)? = ", "", l)
        l = re.sub(r"%[0-9]+(#[0-9]+)?", "%{{[0-9]+}}", l)
        l = re.sub(r"%c[0-9_]+", "%{{c[0-9_]+}}", l)
        out.append("// CHECK: " + l)
        if done:
            break
    return "\n".join(out)


def main():
    nnc_opt = sys.argv[1]
    sources = [source(*c) for c in cases]
    text = "\n\n// -----\n\n".join(sources) + "\n"
    out = subprocess.run([nnc_opt, "--nn-autodiff", "--split-input-file", "-"], input=text,
                         capture_output=True, text=True, check=True).stdout.split("// -----")
    res = ["// RUN: nnc-opt %s --nn-autodiff --split-input-file | FileCheck %s",
           "// One function per differentiable op: the CHECK lines pin the backward IR its rule builds",
           "// (everything after the loss seed). Generated by update_autodiff_rules.py from the pass",
           "// output and read by hand; regenerate after a deliberate change of a rule.", ""]
    chunks = []
    for (name, *_), src, o in zip(cases, sources, out):
        chunks.append(checks(name, o) + "\n" + src + "\n")
    res.append("\n// -----\n\n".join(chunks))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nn-autodiff-rules.mlir")
    open(path, "w").write("\n".join(res))


if __name__ == "__main__":
    main()
