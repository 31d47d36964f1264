// nnc-eval's errors: each names the file or argument and the reason, and exits with 1.
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/npy.py write %t/x.npy '<f4' 2,3 1,2,3,4,5,6
// RUN: %python %S/Inputs/npy.py write %t/x64.npy '<f8' 2,3 1,2,3,4,5,6
// RUN: %python %S/Inputs/npy.py write %t/y.npy '<i4' 2 2,5
// RUN: %python %S/Inputs/npy.py raw %t/text.npy "b'hello'"
//
// RUN: not nnc-eval %s --func scale 2>&1 | FileCheck %s --check-prefix=COUNT
// COUNT: nnc-eval: error: 'scale' needs 1 input file, 0 given
//
// RUN: not nnc-eval %s --func scale --input %t/x64.npy 2>&1 | FileCheck %s --check-prefix=DTYPE
// DTYPE: nnc-eval: error: {{.*}}x64.npy: does not fit argument 0 (nn.input "x") of type tensor<2x3xf32>: expected dtype <f4 and shape [2, 3], found dtype <f8 and shape [2, 3]
//
// RUN: not nnc-eval %s --func labels --input %t/x.npy --input %t/x.npy 2>&1 \
// RUN:   | FileCheck %s --check-prefix=SHAPE
// SHAPE: error: {{.*}}x.npy: does not fit argument 1 (nn.labels) of type tensor<2xi32>: expected dtype <i4 and shape [2], found dtype <f4 and shape [2, 3]
//
// RUN: not nnc-eval %s --func scale --input %t/text.npy 2>&1 | FileCheck %s --check-prefix=MAGIC
// MAGIC: nnc-eval: error: {{.*}}text.npy: bad magic: not a .npy file
//
// RUN: not nnc-eval %s --func scale --input %t/missing.npy 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: nnc-eval: error: {{.*}}missing.npy: cannot open the file
//
// RUN: not nnc-eval %s --func nope 2>&1 | FileCheck %s --check-prefix=FUNC
// FUNC: nnc-eval: error: no function 'nope' in {{.*}}nnc-eval-errors.mlir (it has: scale, labels)
//
// A label outside [0, C) is an evaluation error, reported at the op.
// RUN: not nnc-eval %s --func labels --input %t/x.npy --input %t/y.npy 2>&1 \
// RUN:   | FileCheck %s --check-prefix=LABEL
// LABEL: nnc-eval-errors.mlir:[[@LINE+9]]:8: error: label 5 of batch element 1 is out of range [0, 3)

func.func @scale(%x: tensor<2x3xf32> {nn.input = "x"}) -> tensor<2x3xf32> {
  %0 = nn.add %x, %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

func.func @labels(%x: tensor<2x3xf32> {nn.input = "x"}, %y: tensor<2xi32> {nn.labels})
    -> tensor<f32> {
  %0 = nn.cross_entropy %x, %y : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
  return %0 : tensor<f32>
}
