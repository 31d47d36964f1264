// nnc-eval from the command line: arguments from .npy files or from --init-params, one summary
// line per result, and the results written back as .npy with --output-dir.
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/npy.py write %t/x.npy '<f4' 2,3 1,-2,3,-4,5,-6
// RUN: %python %S/Inputs/npy.py write %t/w.npy '<f4' 3,2 1,0,0,1,1,1
// RUN: nnc-eval %s --func dense --input %t/x.npy --input %t/w.npy --output-dir %t/out \
// RUN:   | FileCheck %s --check-prefix=DENSE
// RUN: %python %S/Inputs/npy.py dump %t/out/result_0.npy | FileCheck %s --check-prefix=DUMP
//
// RUN: %python %S/Inputs/npy.py write %t/l.npy '<f8' 2,3 1,2,3,3,2,1
// RUN: %python %S/Inputs/npy.py write %t/y.npy '<i4' 2 2,0
// RUN: nnc-eval %s --func loop --input %t/l.npy --input %t/y.npy --output-dir %t/out \
// RUN:   | FileCheck %s --check-prefix=LOOP
// RUN: %python %S/Inputs/npy.py dump %t/out/result_1.npy | FileCheck %s --check-prefix=DUMP-I32
//
// RUN: %python %S/Inputs/npy.py write %t/p.npy '<f4' 2,2 1,2,3,4
// RUN: nnc-eval %s --func params --init-params 7 --input %t/p.npy | FileCheck %s --check-prefix=INIT
// RUN: nnc-eval %s --func params --init-params 7 --input %t/p.npy > %t/seed7a.txt
// RUN: nnc-eval %s --func params --init-params 7 --input %t/p.npy > %t/seed7b.txt
// RUN: nnc-eval %s --func params --init-params 8 --input %t/p.npy > %t/seed8.txt
// RUN: diff %t/seed7a.txt %t/seed7b.txt
// RUN: not diff %t/seed7a.txt %t/seed8.txt
//
// A model straight from the front end: the xor loss with initialized parameters.
// RUN: nnc %models/xor.nn -o %t/xor.mlir
// RUN: %python %S/Inputs/npy.py write %t/xor_x.npy '<f4' 4,2 0,0,0,1,1,0,1,1
// RUN: %python %S/Inputs/npy.py write %t/xor_y.npy '<f4' 4,1 0,1,1,0
// RUN: nnc-eval %t/xor.mlir --func xor_loss --init-params 3 --input %t/xor_x.npy \
// RUN:   --input %t/xor_y.npy | FileCheck %s --check-prefix=XOR

// relu(x @ w) = relu([[4, 1], [-10, -1]]).
// DENSE: result 0: f32[2, 2] sum=5 min=0 max=4 first=[4, 1, 0, 0]
// DUMP: <f4 [2x2]: 4 1 0 0
func.func @dense(%x: tensor<2x3xf32>, %w: tensor<3x2xf32>) -> tensor<2x2xf32> {
  %0 = nn.matmul %x, %w : tensor<2x3xf32>, tensor<3x2xf32> -> tensor<2x2xf32>
  %1 = nn.relu %0 : tensor<2x2xf32>
  return %1 : tensor<2x2xf32>
}

// Three trips accumulate 3 * l = [[3, 6, 9], [9, 6, 3]]; both rows lose
// log(1 + e^-3 + e^-6) = 0.0509458 against labels [2, 0].
// LOOP: result 0: f64[] sum=0.0509458 min=0.0509458 max=0.0509458 first=[0.0509458]
// LOOP-NEXT: result 1: i32[2] sum=2 min=0 max=2 first=[2, 0]
// LOOP-NEXT: result 2: index[] sum=3 min=3 max=3 first=[3]
// DUMP-I32: <i4 [2]: 2 0
func.func @loop(%l: tensor<2x3xf64>, %y: tensor<2xi32>) -> (tensor<f64>, tensor<2xi32>, index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %zero = nn.constant dense<0.0> : tensor<2x3xf64>
  %acc:2 = scf.for %i = %c0 to %c3 step %c1 iter_args(%a = %zero, %n = %c0) -> (tensor<2x3xf64>, index) {
    %s = nn.add %a, %l : tensor<2x3xf64>
    %m = arith.addi %n, %c1 : index
    scf.yield %s, %m : tensor<2x3xf64>, index
  }
  %ce = nn.cross_entropy %acc#0, %y : tensor<2x3xf64>, tensor<2xi32> -> tensor<f64>
  %am = nn.argmax %acc#0 axis = 1 : tensor<2x3xf64> -> tensor<2xi32>
  return %ce, %am, %acc#1 : tensor<f64>, tensor<2xi32>, index
}

// Only %x needs a file: %w and %u come from their nn.init, %key takes the seed.
// INIT: result 0: f32[2, 2] sum=20 min=2 max=8 first=[2, 4, 6, 8]
// INIT-NEXT: result 1: f32[2, 3] sum={{.*}} min=-{{0\.[0-9]+}} max={{0\.[0-9]+}} first=
// INIT-NEXT: result 2: f32[3] sum={{.*}} min=0{{.*}} max=0.{{[0-9]+}} first=
func.func @params(%x: tensor<2x2xf32> {nn.input = "x"},
                  %w: tensor<2x2xf32> {nn.init = {dist = "constant", value = 2.0 : f64}, nn.param = "w"},
                  %u: tensor<2x3xf32> {nn.init = {dist = "uniform", low = -1.0 : f64, high = 1.0 : f64}, nn.param = "u"},
                  %key: i64 {nn.rng}) -> (tensor<2x2xf32>, tensor<2x3xf32>, tensor<3xf32>) {
  %0 = nn.mul %x, %w : tensor<2x2xf32>
  %1 = nn.random_uniform %key stream = 0 : tensor<3xf32>
  return %0, %u, %1 : tensor<2x2xf32>, tensor<2x3xf32>, tensor<3xf32>
}

// XOR: result 0: f32[] sum={{[0-9.e-]+}} min={{.*}} max={{.*}} first=[{{.*}}]
