// RUN: nnc-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(nn-vectorize-contractions))' | FileCheck %s
// RUN: nnc-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(nn-vectorize-contractions{vector-bits=256 registers=16}))' | FileCheck %s --check-prefix=AVX2
// RUN: nnc-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(nn-vectorize-contractions{vector-bits=0}))' | FileCheck %s --check-prefix=NONE

// A product in the (m, k, n) loop order: 8 × 32 blocks (two zmm registers per row) for
// AVX-512, 4 × 16 for AVX2; the accumulator is carried by the reduction loop; outer products
// (a broadcast, then FMAs) in the body.
#a = affine_map<(m, k, n) -> (m, k)>
#b = affine_map<(m, k, n) -> (k, n)>
#c = affine_map<(m, k, n) -> (m, n)>
// CHECK-LABEL: func.func @matmul
// CHECK:       scf.for %[[M:.*]] = %{{.*}} to %{{.*}} step %c8
// CHECK:         scf.for %[[N:.*]] = %{{.*}} to %{{.*}} step %c32
// CHECK:           %[[ACC:.*]] = vector.transfer_read %arg2[%[[M]], %[[N]]]
// CHECK:           %[[SUM:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[ACC]]) -> (vector<8x32xf32>)
// CHECK:             vector.broadcast %{{.*}} : f32 to vector<32xf32>
// CHECK:             vector.fma %{{.*}} : vector<32xf32>
// CHECK:           vector.transfer_write %[[SUM]], %arg2[%[[M]], %[[N]]]
// CHECK-NOT:   linalg.generic
// AVX2-LABEL: func.func @matmul
// AVX2:         iter_args(%{{.*}}) -> (vector<4x16xf32>)
// AVX2:           vector.fma %{{.*}} : vector<16xf32>
// NONE-LABEL: func.func @matmul
// NONE:         linalg.generic
// NONE-NOT:     vector.
func.func @matmul(%x: memref<64x784xf32>, %w: memref<784x256xf32>, %y: memref<64x256xf32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : memref<64x784xf32>, memref<784x256xf32>) outs(%y : memref<64x256xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %p = arith.mulf %in, %in2 : f32
    %s = arith.addf %out, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// 196 columns: 192 in blocks of 32, the last 4 in a block of their own. The rows (9) come
// in blocks of a divisor of 9.
#a = affine_map<(m, k, n) -> (m, k)>
#b = affine_map<(m, k, n) -> (k, n)>
#c = affine_map<(m, k, n) -> (m, n)>
// CHECK-LABEL: func.func @split
// CHECK:       iter_args({{.*}}) -> (vector<3x32xf32>)
// CHECK:       iter_args({{.*}}) -> (vector<9x4xf32>)
// CHECK-NOT:   linalg.generic
func.func @split(%x: memref<9x50xf32>, %w: memref<50x196xf32>, %y: memref<9x196xf32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : memref<9x50xf32>, memref<50x196xf32>) outs(%y : memref<9x196xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %p = arith.mulf %in, %in2 : f32
    %s = arith.addf %out, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A product of rows (a transposed right-hand side, a filter gradient): no operand is
// contiguous along the output's rows, but k is innermost in both. A 4 × 4 block of vector
// accumulators along k (8 loads, 16 FMAs per step), each summed across its lanes at the end;
// 300 = 18 · 16 + 12 ends with a step whose reads are padded with zeros (masked loads).
#a = affine_map<(m, n, k) -> (m, k)>
#b = affine_map<(m, n, k) -> (n, k)>
#c = affine_map<(m, n, k) -> (m, n)>
// CHECK-LABEL: func.func @dot
// CHECK:       scf.for %{{.*}} = %{{.*}} to %c64 step %c4
// CHECK:         scf.for %{{.*}} = %{{.*}} to %c128 step %c4
// CHECK:           scf.for %{{.*}} = %{{.*}} to %c300 step %c16 iter_args({{.*}}) -> (vector<16xf32>, {{.*}}vector<16xf32>) {
// CHECK-COUNT-8:     vector.transfer_read {{.*}} vector<16xf32>
// CHECK-COUNT-16:    vector.fma
// CHECK-COUNT-16:  vector.reduction <add>
// CHECK-NOT:   linalg.generic
// NONE-LABEL: func.func @dot
// NONE:         linalg.generic
func.func @dot(%x: memref<64x300xf32>, %w: memref<128x300xf32>, %y: memref<64x128xf32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<64x300xf32>, memref<128x300xf32>) outs(%y : memref<64x128xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %p = arith.mulf %in, %in2 : f32
    %s = arith.addf %out, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// The filter gradient of a convolution: two reductions, the pixels innermost and the batch
// outermost (each image's slices stay in cache across the blocks); the output reshaped
// afterwards (a view of it elsewhere does not stop the accumulator from staying in
// registers across the pixel loop).
#g = affine_map<(o, k, n, p) -> (n, o, p)>
#t = affine_map<(o, k, n, p) -> (n, p, k)>
#w = affine_map<(o, k, n, p) -> (o, k)>
// CHECK-LABEL: func.func @filter_grad
// CHECK:       scf.for %{{.*}} = %{{.*}} to %c4 step %c{{[0-9_]+}}
// CHECK:         scf.for %{{.*}} = %{{.*}} to %c64 step %c8{{.*}}
// CHECK:           scf.for %{{.*}} = %{{.*}} to %c288 step %c32{{.*}}
// CHECK:             vector.transfer_read %arg2
// CHECK:             scf.for %{{.*}} = %{{.*}} to %c196 step %c{{.*}} -> (vector<8x32xf32>)
// CHECK:             vector.transfer_write
func.func @filter_grad(%g: memref<4x64x196xf32>, %cols: memref<4x196x288xf32>, %dw: memref<64x288xf32>) -> memref<64x32x3x3xf32> {
  linalg.generic {indexing_maps = [#g, #t, #w], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%g, %cols : memref<4x64x196xf32>, memref<4x196x288xf32>) outs(%dw : memref<64x288xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %p = arith.mulf %in, %in2 : f32
    %s = arith.addf %out, %p : f32
    linalg.yield %s : f32
  }
  %e = memref.expand_shape %dw [[0], [1, 2, 3]] output_shape [64, 32, 3, 3] : memref<64x288xf32> into memref<64x32x3x3xf32>
  return %e : memref<64x32x3x3xf32>
}
