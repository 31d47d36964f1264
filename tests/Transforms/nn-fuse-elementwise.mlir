// RUN: nnc-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(nn-fuse-elementwise))' | FileCheck %s

// An elementwise chain (bias add, then relu) fuses into one generic.
#id = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (j)>
// CHECK-LABEL: func.func @chain
// CHECK-COUNT-1: linalg.generic
// CHECK-NOT:     linalg.generic
func.func @chain(%x: tensor<4x8xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %zero = arith.constant 0.0 : f32
  %0 = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : tensor<4x8xf32>, tensor<8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  %1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%0 : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}

// -----

// A transpose feeding a matrix product stays a generic of its own: fused, it would be
// recomputed for every row of the other operand and read strided again.
#t = affine_map<(i, j) -> (j, i)>
#id = affine_map<(i, j) -> (i, j)>
#a = affine_map<(m, k, n) -> (m, k)>
#b = affine_map<(m, k, n) -> (k, n)>
#c = affine_map<(m, k, n) -> (m, n)>
// CHECK-LABEL: func.func @transpose_into_matmul
// CHECK:       linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK:       linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "parallel"]
func.func @transpose_into_matmul(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>, %init: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %e = tensor.empty() : tensor<8x16xf32>
  %wt = linalg.generic {indexing_maps = [#t, #id], iterator_types = ["parallel", "parallel"]}
      ins(%w : tensor<16x8xf32>) outs(%e : tensor<8x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<8x16xf32>
  %y = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %wt : tensor<4x8xf32>, tensor<8x16xf32>) outs(%init : tensor<4x16xf32>) {
  ^bb0(%a: f32, %bb: f32, %o: f32):
    %p = arith.mulf %a, %bb : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

// A reshape between an elementwise op and what cannot fuse with it (an argument, a
// result) stays out of the op: moved in, it would split the op's one loop into short ones.
#flat = affine_map<(i) -> (i)>
// CHECK-LABEL: func.func @flat_loop
// CHECK: tensor.collapse_shape
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel"]}
// CHECK: tensor.expand_shape
func.func @flat_loop(%x: tensor<4x28x28xi8>) -> tensor<4x784xf32> {
  %c = tensor.collapse_shape %x [[0, 1, 2]] : tensor<4x28x28xi8> into tensor<3136xi8>
  %e = tensor.empty() : tensor<3136xf32>
  %f = linalg.generic {indexing_maps = [#flat, #flat], iterator_types = ["parallel"]}
      ins(%c : tensor<3136xi8>) outs(%e : tensor<3136xf32>) {
  ^bb0(%a: i8, %o: f32):
    %v = arith.uitofp %a : i8 to f32
    linalg.yield %v : f32
  } -> tensor<3136xf32>
  %r = tensor.expand_shape %f [[0, 1]] output_shape [4, 784] : tensor<3136xf32> into tensor<4x784xf32>
  return %r : tensor<4x784xf32>
}

// -----

// Across a reshape, two elementwise ops still fuse.
#flat1 = affine_map<(i) -> (i)>
#id2 = affine_map<(i, j) -> (i, j)>
// CHECK-LABEL: func.func @across_reshape
// CHECK-COUNT-1: linalg.generic
// CHECK-NOT:     linalg.generic
func.func @across_reshape(%x: tensor<12xf32>) -> tensor<3x4xf32> {
  %e = tensor.empty() : tensor<12xf32>
  %f = linalg.generic {indexing_maps = [#flat1, #flat1], iterator_types = ["parallel"]}
      ins(%x : tensor<12xf32>) outs(%e : tensor<12xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.mulf %a, %a : f32
    linalg.yield %v : f32
  } -> tensor<12xf32>
  %r = tensor.expand_shape %f [[0, 1]] output_shape [3, 4] : tensor<12xf32> into tensor<3x4xf32>
  %e2 = tensor.empty() : tensor<3x4xf32>
  %g = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%r : tensor<3x4xf32>) outs(%e2 : tensor<3x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.addf %a, %a : f32
    linalg.yield %v : f32
  } -> tensor<3x4xf32>
  return %g : tensor<3x4xf32>
}
