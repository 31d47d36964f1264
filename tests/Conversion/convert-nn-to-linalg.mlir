// RUN: nnc-opt %s --mlir-print-local-scope --pass-pipeline='builtin.module(func.func(convert-nn-to-linalg))' | FileCheck %s

// convert-nn-to-linalg, one function per op family or per op with a lowering of its own: the
// maps, iterators and bodies of the generics and the slices it builds. Maps are printed
// inline (--mlir-print-local-scope).

// Elementwise ops (NNToLinalgElementwise.cpp) are generics with identity maps and parallel
// iterators; float arithmetic carries reassoc and contract. sigmoid is 1 / (1 + exp(-x)).
// CHECK-LABEL: func.func @elementwise(
// CHECK-SAME:      %[[A:.*]]: tensor<4x8xf32>, %[[B:.*]]: tensor<4x8xf32>)
// CHECK:         %[[E:.*]] = tensor.empty() : tensor<4x8xf32>
// CHECK:         %[[SUM:.*]] = linalg.generic
// CHECK-SAME:      indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>]
// CHECK-SAME:      iterator_types = ["parallel", "parallel"]
// CHECK-SAME:      ins(%[[A]], %[[B]] : tensor<4x8xf32>, tensor<4x8xf32>) outs(%[[E]] : tensor<4x8xf32>)
// CHECK-NEXT:    ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[S:.*]] = arith.addf %[[X]], %[[Y]] fastmath<reassoc,contract> : f32
// CHECK-NEXT:      linalg.yield %[[S]] : f32
// CHECK:         %[[E2:.*]] = tensor.empty() : tensor<4x8xf32>
// CHECK:         %[[SIG:.*]] = linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "parallel"]
// CHECK-SAME:      ins(%[[SUM]] : tensor<4x8xf32>) outs(%[[E2]] : tensor<4x8xf32>)
// CHECK-NEXT:    ^bb0(%[[V:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[NEG:.*]] = arith.negf %[[V]]
// CHECK-NEXT:      %[[EXP:.*]] = math.exp %[[NEG]]
// CHECK-NEXT:      %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[ONE2:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[DEN:.*]] = arith.addf %[[ONE2]], %[[EXP]]
// CHECK-NEXT:      %[[R:.*]] = arith.divf %[[ONE]], %[[DEN]]
// CHECK-NEXT:      linalg.yield %[[R]] : f32
// CHECK:         return %[[SIG]]
func.func @elementwise(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = nn.add %a, %b : tensor<4x8xf32>
  %1 = nn.sigmoid %0 : tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}


// sign: -1, 0 or 1, by two comparisons and two selects; the constants in the order of a
// left-to-right evaluation (the order the build must not depend on).
// CHECK-LABEL: func.func @sign(
// CHECK:         linalg.generic
// CHECK-SAME:      indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]
// CHECK-NEXT:    ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[Z0:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      %[[POS:.*]] = arith.cmpf ogt, %[[X]], %[[Z0]]
// CHECK-NEXT:      %[[Z1:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      %[[NEG:.*]] = arith.cmpf olt, %[[X]], %[[Z1]]
// CHECK-NEXT:      %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[MONE:.*]] = arith.constant -1.000000e+00 : f32
// CHECK-NEXT:      %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      %[[NZ:.*]] = arith.select %[[NEG]], %[[MONE]], %[[ZERO]] : f32
// CHECK-NEXT:      %[[S:.*]] = arith.select %[[POS]], %[[ONE]], %[[NZ]] : f32
// CHECK-NEXT:      linalg.yield %[[S]] : f32
func.func @sign(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.sign %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}


// Comparisons pick the float or the signed integer predicate; an i1 converts as unsigned.
// CHECK-LABEL: func.func @cmp_select_cast(
// CHECK-SAME:      %[[A:.*]]: tensor<4xf32>, %[[B:.*]]: tensor<4xf32>, %[[I:.*]]: tensor<4xi32>, %[[J:.*]]: tensor<4xi32>)
// CHECK:         %[[LT:.*]] = linalg.generic {{.*}} ins(%[[A]], %[[B]] : tensor<4xf32>, tensor<4xf32>) outs(%{{.*}} : tensor<4xi1>)
// CHECK:           arith.cmpf olt, %{{.*}}, %{{.*}} fastmath<reassoc,contract> : f32
// CHECK:         %[[SEL:.*]] = linalg.generic {{.*}} ins(%[[LT]], %[[A]], %[[B]] : tensor<4xi1>, tensor<4xf32>, tensor<4xf32>)
// CHECK:           arith.select %{{.*}}, %{{.*}}, %{{.*}} : f32
// CHECK:         %[[GE:.*]] = linalg.generic {{.*}} ins(%[[I]], %[[J]] : tensor<4xi32>, tensor<4xi32>)
// CHECK:           arith.cmpi sge, %{{.*}}, %{{.*}} : i32
// CHECK:         %[[F:.*]] = linalg.generic {{.*}} ins(%[[GE]] : tensor<4xi1>) outs(%{{.*}} : tensor<4xf64>)
// CHECK:           arith.uitofp %{{.*}} : i1 to f64
// CHECK:         return %[[SEL]], %[[F]]
func.func @cmp_select_cast(%a: tensor<4xf32>, %b: tensor<4xf32>, %i: tensor<4xi32>, %j: tensor<4xi32>)
    -> (tensor<4xf32>, tensor<4xf64>) {
  %lt = nn.cmp lt, %a, %b : tensor<4xf32>
  %sel = nn.select %lt, %a, %b : tensor<4xf32>
  %ge = nn.cmp ge, %i, %j : tensor<4xi32>
  %f = nn.cast %ge : tensor<4xi1> -> tensor<4xf64>
  return %sel, %f : tensor<4xf32>, tensor<4xf64>
}


// dequantize: one loop over all elements, the byte reinterpreted, converted as unsigned and
// scaled by a multiply without fast-math flags (it must give the host's bits).
// CHECK-LABEL: func.func @dequantize(
// CHECK-SAME:      %[[X:.*]]: tensor<2x3xui8>)
// CHECK:         %[[FLAT:.*]] = tensor.collapse_shape %[[X]] {{.*}} : tensor<2x3xui8> into tensor<6xui8>
// CHECK:         %[[D:.*]] = linalg.generic
// CHECK-SAME:      iterator_types = ["parallel"]
// CHECK-SAME:      ins(%[[FLAT]] : tensor<6xui8>) outs(%{{.*}} : tensor<6xf32>)
// CHECK-NEXT:    ^bb0(%[[B:.*]]: ui8, %{{.*}}: f32):
// CHECK-NEXT:      %[[I:.*]] = builtin.unrealized_conversion_cast %[[B]] : ui8 to i8
// CHECK-NEXT:      %[[F:.*]] = arith.uitofp %[[I]] : i8 to f32
// CHECK-NEXT:      %[[S:.*]] = arith.constant 2.500000e-01 : f32
// CHECK-NEXT:      %[[M:.*]] = arith.mulf %[[F]], %[[S]] : f32
// CHECK-NEXT:      linalg.yield %[[M]] : f32
// CHECK:         %[[R:.*]] = tensor.expand_shape %[[D]] {{.*}} : tensor<6xf32> into tensor<2x3xf32>
// CHECK:         return %[[R]]
func.func @dequantize(%x: tensor<2x3xui8>) -> tensor<2x3xf32> {
  %0 = nn.dequantize %x scale = 0.25 : tensor<2x3xui8> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}


// random_uniform: SplitMix64 of (key, stream << 32 + 1 + the element's linear index).
// CHECK-LABEL: func.func @random(
// CHECK-SAME:      %[[KEY:.*]]: i64
// CHECK:         linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%{{.*}} : tensor<3xf32>)
// CHECK:           %[[IDX:.*]] = linalg.index 0 : index
// CHECK:           %[[STREAM:.*]] = arith.constant 30064771073 : i64
// CHECK:           arith.addi %{{.*}}, %[[STREAM]] : i64
// CHECK:           arith.addi %[[KEY]], %{{.*}} : i64
// CHECK:           arith.uitofp %{{.*}} : i64 to f32
// CHECK:           arith.mulf {{.*}} fastmath<reassoc,contract> : f32
func.func @random(%key: i64 {nn.rng}) -> tensor<3xf32> {
  %0 = nn.random_uniform %key stream = 7 : tensor<3xf32>
  return %0 : tensor<3xf32>
}


// Contractions (NNToLinalgContraction.cpp): a matmul in the loop order (m, k, n) into a
// zero-filled output.
// CHECK-LABEL: func.func @matmul(
// CHECK-SAME:      %[[A:.*]]: tensor<4x8xf32>, %[[B:.*]]: tensor<8x16xf32>)
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[INIT:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<4x16xf32>)
// CHECK:         %[[C:.*]] = linalg.generic
// CHECK-SAME:      indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d2)>]
// CHECK-SAME:      iterator_types = ["parallel", "reduction", "parallel"]
// CHECK-SAME:      ins(%[[A]], %[[B]] : tensor<4x8xf32>, tensor<8x16xf32>) outs(%[[INIT]] : tensor<4x16xf32>)
// CHECK-NEXT:    ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT:      %[[P:.*]] = arith.mulf %[[X]], %[[Y]]
// CHECK-NEXT:      %[[S:.*]] = arith.addf %[[ACC]], %[[P]]
// CHECK-NEXT:      linalg.yield %[[S]] : f32
// CHECK:         return %[[C]]
func.func @matmul(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>) -> tensor<4x16xf32> {
  %0 = nn.matmul %a, %b : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}


// A transposed A is another map; a transposed B is transposed into a buffer first.
// CHECK-LABEL: func.func @matmul_transposed(
// CHECK-SAME:      %[[AT:.*]]: tensor<8x4xf32>, %[[BT:.*]]: tensor<16x8xf32>)
// CHECK:         %[[B:.*]] = linalg.generic
// CHECK-SAME:      indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]
// CHECK-SAME:      ins(%[[BT]] : tensor<16x8xf32>) outs(%{{.*}} : tensor<8x16xf32>)
// CHECK:         linalg.generic
// CHECK-SAME:      indexing_maps = [affine_map<(d0, d1, d2) -> (d1, d0)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d2)>]
// CHECK-SAME:      iterator_types = ["parallel", "reduction", "parallel"]
// CHECK-SAME:      ins(%[[AT]], %[[B]] : tensor<8x4xf32>, tensor<8x16xf32>)
func.func @matmul_transposed(%at: tensor<8x4xf32>, %bt: tensor<16x8xf32>) -> tensor<4x16xf32> {
  %0 = nn.matmul %at, %bt transpose_a transpose_b : tensor<8x4xf32>, tensor<16x8xf32> -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}


// Convolutions (NNToLinalgConvolution.cpp) without groups: im2col of the padded input
// (n, c, kh, kw, oh, ow), then a product along the pixels.
// CHECK-LABEL: func.func @conv2d(
// CHECK-SAME:      %[[X:.*]]: tensor<2x3x8x8xf32>, %[[W:.*]]: tensor<4x3x3x3xf32>)
// CHECK:         %[[XP:.*]] = tensor.pad %[[X]] low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK:         } : tensor<2x3x8x8xf32> to tensor<2x3x10x10xf32>
// CHECK:         %[[COLS6:.*]] = linalg.generic
// CHECK-SAME:      indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 + d4, d3 + d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>]
// CHECK-SAME:      iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]
// CHECK-SAME:      ins(%[[XP]] : tensor<2x3x10x10xf32>) outs(%{{.*}} : tensor<2x3x3x3x8x8xf32>)
// CHECK:         %[[F:.*]] = tensor.collapse_shape %[[COLS6]] {{.*}} into tensor<3456xf32>
// CHECK:         %[[COLS:.*]] = tensor.expand_shape %[[F]] {{.*}} into tensor<2x27x64xf32>
// CHECK:         %[[WF:.*]] = tensor.collapse_shape %[[W]] {{.*}} into tensor<108xf32>
// CHECK:         %[[W2:.*]] = tensor.expand_shape %[[WF]] {{.*}} into tensor<4x27xf32>
// CHECK:         %[[Y:.*]] = linalg.generic
// CHECK-SAME:      indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>]
// CHECK-SAME:      iterator_types = ["parallel", "parallel", "reduction", "parallel"]
// CHECK-SAME:      ins(%[[W2]], %[[COLS]] : tensor<4x27xf32>, tensor<2x27x64xf32>) outs(%{{.*}} : tensor<2x4x64xf32>)
// CHECK:           arith.mulf
// CHECK-NEXT:      arith.addf
// CHECK:         %[[YF:.*]] = tensor.collapse_shape %[[Y]]
// CHECK:         %[[R:.*]] = tensor.expand_shape %[[YF]] {{.*}} into tensor<2x4x8x8xf32>
// CHECK:         return %[[R]]
func.func @conv2d(%x: tensor<2x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<2x4x8x8xf32> {
  %0 = nn.conv2d %x, %w strides = [1, 1] padding = [1, 1, 1, 1] dilations = [1, 1] groups = 1
      : tensor<2x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<2x4x8x8xf32>
  return %0 : tensor<2x4x8x8xf32>
}


// A grouped convolution: one contraction, the input channel a floordiv of the output one.
// CHECK-LABEL: func.func @conv2d_grouped(
// CHECK-SAME:      %[[X:.*]]: tensor<1x4x6x6xf32>, %[[W:.*]]: tensor<4x2x3x3xf32>)
// CHECK:         linalg.generic
// CHECK-SAME:      indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, (d1 floordiv 2) * 2 + d2, d3 + d5, d4 + d6)>, affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d2, d3, d4)>, affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d5, d6)>]
// CHECK-SAME:      iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction", "parallel", "parallel"]
// CHECK-SAME:      ins(%[[X]], %[[W]] : tensor<1x4x6x6xf32>, tensor<4x2x3x3xf32>)
func.func @conv2d_grouped(%x: tensor<1x4x6x6xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<1x4x4x4xf32> {
  %0 = nn.conv2d %x, %w strides = [1, 1] padding = [0, 0, 0, 0] dilations = [1, 1] groups = 2
      : tensor<1x4x6x6xf32>, tensor<4x2x3x3xf32> -> tensor<1x4x4x4xf32>
  return %0 : tensor<1x4x4x4xf32>
}


// The filter gradient: a product of rows of the output gradient and of the columns.
// CHECK-LABEL: func.func @conv2d_grad_filter(
// CHECK-SAME:      %[[X:.*]]: tensor<2x3x8x8xf32>, %[[G:.*]]: tensor<2x4x8x8xf32>)
// CHECK:         %[[GF:.*]] = tensor.collapse_shape %[[G]]
// CHECK:         %[[G2:.*]] = tensor.expand_shape %[[GF]] {{.*}} into tensor<2x4x64xf32>
// CHECK:         tensor.pad %[[X]] low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK:         %[[COLS:.*]] = tensor.expand_shape %{{.*}} into tensor<2x27x64xf32>
// CHECK:         %[[DW:.*]] = linalg.generic
// CHECK-SAME:      indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d2, d0, d3)>, affine_map<(d0, d1, d2, d3) -> (d2, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1)>]
// CHECK-SAME:      iterator_types = ["parallel", "parallel", "reduction", "reduction"]
// CHECK-SAME:      ins(%[[G2]], %[[COLS]] : tensor<2x4x64xf32>, tensor<2x27x64xf32>) outs(%{{.*}} : tensor<4x27xf32>)
// CHECK:         tensor.expand_shape %{{.*}} into tensor<4x3x3x3xf32>
func.func @conv2d_grad_filter(%x: tensor<2x3x8x8xf32>, %g: tensor<2x4x8x8xf32>) -> tensor<4x3x3x3xf32> {
  %0 = nn.conv2d_grad_filter %x, %g strides = [1, 1] padding = [1, 1, 1, 1] dilations = [1, 1] groups = 1
      : tensor<2x3x8x8xf32>, tensor<2x4x8x8xf32> -> tensor<4x3x3x3xf32>
  return %0 : tensor<4x3x3x3xf32>
}


// The input gradient without groups: the columns' gradient, then col2im, a strided add of
// each of the 3 x 3 kernel offsets into the padded input gradient (in place: the slice is the
// sum's destination), and the padding cropped.
// CHECK-LABEL: func.func @conv2d_grad_input(
// CHECK:         %[[DCOLS:.*]] = linalg.generic
// CHECK-SAME:      indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d2, d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>]
// CHECK-SAME:      iterator_types = ["parallel", "parallel", "reduction", "parallel"]
// CHECK-SAME:      outs(%{{.*}} : tensor<1x9x16xf32>)
// CHECK:         %[[D6:.*]] = tensor.expand_shape %{{.*}} into tensor<1x1x3x3x4x4xf32>
// CHECK:         %[[ZERO:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1x1x10x10xf32>)
// CHECK:         %[[PART:.*]] = tensor.extract_slice %[[D6]][0, 0, 0, 0, 0, 0] [1, 1, 1, 1, 4, 4] [1, 1, 1, 1, 1, 1]
// CHECK:         %[[OLD:.*]] = tensor.extract_slice %[[ZERO]][0, 0, 0, 0] [1, 1, 4, 4] [1, 1, 2, 2]
// CHECK:         %[[SUM:.*]] = linalg.generic
// CHECK-SAME:      ins(%[[PART]] : tensor<1x1x4x4xf32>) outs(%[[OLD]] : tensor<1x1x4x4xf32>)
// CHECK:           arith.addf
// CHECK:         %[[ACC:.*]] = tensor.insert_slice %[[SUM]] into %[[ZERO]][0, 0, 0, 0] [1, 1, 4, 4] [1, 1, 2, 2]
// CHECK:         tensor.extract_slice %[[ACC]][0, 0, 0, 1] [1, 1, 4, 4] [1, 1, 2, 2]
// CHECK-COUNT-7: tensor.insert_slice
// CHECK:         %[[LAST:.*]] = tensor.insert_slice %{{.*}}[0, 0, 2, 2] [1, 1, 4, 4] [1, 1, 2, 2]
// CHECK:         %[[DX:.*]] = tensor.extract_slice %[[LAST]][0, 0, 1, 1] [1, 1, 8, 8] [1, 1, 1, 1] : tensor<1x1x10x10xf32> to tensor<1x1x8x8xf32>
// CHECK:         return %[[DX]]
func.func @conv2d_grad_input(%g: tensor<1x2x4x4xf32>, %w: tensor<2x1x3x3xf32>) -> tensor<1x1x8x8xf32> {
  %0 = nn.conv2d_grad_input %g, %w strides = [2, 2] padding = [1, 1, 1, 1] dilations = [1, 1] groups = 1
      : tensor<1x2x4x4xf32>, tensor<2x1x3x3xf32> -> tensor<1x1x8x8xf32>
  return %0 : tensor<1x1x8x8xf32>
}


// The input gradient of a grouped convolution: the output gradient dilated by the stride
// into a zero tensor, correlated with the flipped filter.
// CHECK-LABEL: func.func @conv2d_grad_input_grouped(
// CHECK-SAME:      %[[G:.*]]: tensor<1x4x3x3xf32>, %[[W:.*]]: tensor<4x1x3x3xf32>)
// CHECK:         %[[ZERO:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1x4x8x8xf32>)
// CHECK:         %[[GP:.*]] = tensor.insert_slice %[[G]] into %[[ZERO]][0, 0, 1, 1] [1, 4, 3, 3] [1, 1, 2, 2]
// CHECK:         %[[WIN:.*]] = tensor.empty() : tensor<2x3x3xf32>
// CHECK:         linalg.generic
// CHECK-SAME:      indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1 * 2 + d2, d3 + d5, d4 + d6)>, affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1 * 2 + d2, 0, -d3 + 2, -d4 + 2)>, affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d2, d3, d4)>, affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d5, d6)>]
// CHECK-SAME:      iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction", "parallel", "parallel"]
// CHECK-SAME:      ins(%[[GP]], %[[W]], %[[WIN]] : tensor<1x4x8x8xf32>, tensor<4x1x3x3xf32>, tensor<2x3x3xf32>)
// CHECK-NEXT:    ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %{{.*}}: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT:      %[[P:.*]] = arith.mulf %[[A]], %[[B]]
// CHECK-NEXT:      arith.addf %[[ACC]], %[[P]]
func.func @conv2d_grad_input_grouped(%g: tensor<1x4x3x3xf32>, %w: tensor<4x1x3x3xf32>) -> tensor<1x2x6x6xf32> {
  %0 = nn.conv2d_grad_input %g, %w strides = [2, 2] padding = [1, 1, 1, 1] dilations = [1, 1] groups = 2
      : tensor<1x4x3x3xf32>, tensor<4x1x3x3xf32> -> tensor<1x2x6x6xf32>
  return %0 : tensor<1x2x6x6xf32>
}


// Pooling (NNToLinalgPooling.cpp): the loops (n, c, kh, kw, oh, ow), the window outside;
// the window tensor only gives the window loops their extent.
// CHECK-LABEL: func.func @max_pool(
// CHECK-SAME:      %[[X:.*]]: tensor<1x2x4x4xf32>)
// CHECK:         %[[WIN:.*]] = tensor.empty() : tensor<2x2xf32>
// CHECK:         %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:         %[[INIT:.*]] = linalg.fill ins(%[[NINF]] : f32) outs(%{{.*}} : tensor<1x2x2x2xf32>)
// CHECK:         linalg.generic
// CHECK-SAME:      indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d4 * 2 + d2, d5 * 2 + d3)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d2, d3)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d4, d5)>]
// CHECK-SAME:      iterator_types = ["parallel", "parallel", "reduction", "reduction", "parallel", "parallel"]
// CHECK-SAME:      ins(%[[X]], %[[WIN]] : tensor<1x2x4x4xf32>, tensor<2x2xf32>) outs(%[[INIT]] : tensor<1x2x2x2xf32>)
// CHECK-NEXT:    ^bb0(%[[V:.*]]: f32, %{{.*}}: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT:      arith.maximumf %[[ACC]], %[[V]]
func.func @max_pool(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %0 = nn.max_pool2d %x kernel = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0]
      : tensor<1x2x4x4xf32> -> tensor<1x2x2x2xf32>
  return %0 : tensor<1x2x2x2xf32>
}


// The average pooling gradient scatters: each kernel offset adds its share of g into its
// strided slice of the input gradient, in place.
// CHECK-LABEL: func.func @avg_pool_grad(
// CHECK-SAME:      %[[G:.*]]: tensor<1x2x2x2xf32>)
// CHECK:         %[[ZERO:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1x2x4x4xf32>)
// CHECK:         %[[SHARE:.*]] = linalg.generic {{.*}} ins(%[[G]] : tensor<1x2x2x2xf32>)
// CHECK:           %[[Q:.*]] = arith.constant 2.500000e-01 : f32
// CHECK-NEXT:      arith.mulf %{{.*}}, %[[Q]]
// CHECK:         %[[OLD:.*]] = tensor.extract_slice %[[ZERO]][0, 0, 0, 0] [1, 2, 2, 2] [1, 1, 2, 2]
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[SHARE]] : tensor<1x2x2x2xf32>) outs(%[[OLD]] : tensor<1x2x2x2xf32>)
// CHECK:         %[[ACC:.*]] = tensor.insert_slice %[[SUM]] into %[[ZERO]][0, 0, 0, 0] [1, 2, 2, 2] [1, 1, 2, 2]
// CHECK:         tensor.extract_slice %[[ACC]][0, 0, 0, 1] [1, 2, 2, 2] [1, 1, 2, 2]
// CHECK:         tensor.insert_slice %{{.*}}[0, 0, 0, 1] [1, 2, 2, 2] [1, 1, 2, 2]
// CHECK:         tensor.insert_slice %{{.*}}[0, 0, 1, 0] [1, 2, 2, 2] [1, 1, 2, 2]
// CHECK:         %[[R:.*]] = tensor.insert_slice %{{.*}}[0, 0, 1, 1] [1, 2, 2, 2] [1, 1, 2, 2]
// CHECK:         return %[[R]]
func.func @avg_pool_grad(%g: tensor<1x2x2x2xf32>) -> tensor<1x2x4x4xf32> {
  %0 = nn.avg_pool2d_grad %g kernel = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0]
      : tensor<1x2x2x2xf32> -> tensor<1x2x4x4xf32>
  return %0 : tensor<1x2x4x4xf32>
}


// The max pooling gradient: the position of each window's first maximum, then each kernel
// offset's share (g where that offset held it) added into its strided slice.
// CHECK-LABEL: func.func @max_pool_grad(
// CHECK-SAME:      %[[X:.*]]: tensor<1x2x4x4xf32>, %[[G:.*]]: tensor<1x2x2x2xf32>)
// CHECK:         %[[WIN:.*]] = tensor.empty() : tensor<2x2xf32>
// CHECK:         %[[MAX0:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1x2x2x2xf32>)
// CHECK:         %[[NONE:.*]] = arith.constant -1 : i32
// CHECK:         %[[POS0:.*]] = linalg.fill ins(%[[NONE]] : i32) outs(%{{.*}} : tensor<1x2x2x2xi32>)
// CHECK:         %[[ARG:.*]]:2 = linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "parallel", "reduction", "reduction", "parallel", "parallel"]
// CHECK-SAME:      ins(%[[X]], %[[WIN]] : tensor<1x2x4x4xf32>, tensor<2x2xf32>) outs(%[[MAX0]], %[[POS0]] : tensor<1x2x2x2xf32>, tensor<1x2x2x2xi32>)
// CHECK:           %[[KH:.*]] = linalg.index 2 : index
// CHECK-NEXT:      %[[KW:.*]] = linalg.index 3 : index
// CHECK:           %[[TAKE:.*]] = arith.ori
// CHECK-NEXT:      %[[M:.*]] = arith.select %[[TAKE]], {{.*}} : f32
// CHECK-NEXT:      %[[P:.*]] = arith.select %[[TAKE]], {{.*}} : i32
// CHECK-NEXT:      linalg.yield %[[M]], %[[P]] : f32, i32
// CHECK:         linalg.generic {{.*}} ins(%[[G]], %[[ARG]]#1 : tensor<1x2x2x2xf32>, tensor<1x2x2x2xi32>)
// CHECK:           %[[K:.*]] = arith.constant 0 : i32
// CHECK-NEXT:      arith.cmpi eq, %{{.*}}, %[[K]] : i32
// CHECK:         tensor.insert_slice %{{.*}}[0, 0, 0, 0] [1, 2, 2, 2] [1, 1, 2, 2]
// CHECK:           arith.constant 3 : i32
// CHECK:         tensor.insert_slice %{{.*}}[0, 0, 1, 1] [1, 2, 2, 2] [1, 1, 2, 2]
func.func @max_pool_grad(%x: tensor<1x2x4x4xf32>, %g: tensor<1x2x2x2xf32>) -> tensor<1x2x4x4xf32> {
  %0 = nn.max_pool2d_grad %x, %g kernel = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0]
      : tensor<1x2x4x4xf32>, tensor<1x2x2x2xf32>
  return %0 : tensor<1x2x4x4xf32>
}


// Reductions (NNToLinalgReduction.cpp): reduction iterators into an initialized output; a
// kept dimension is pinned to 0. The mean scales the sum.
// CHECK-LABEL: func.func @reduce_mean(
// CHECK-SAME:      %[[X:.*]]: tensor<4x8xf32>)
// CHECK:         %[[INIT:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<4x1xf32>)
// CHECK:         %[[S:.*]] = linalg.generic
// CHECK-SAME:      indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, 0)>], iterator_types = ["parallel", "reduction"]
// CHECK-SAME:      ins(%[[X]] : tensor<4x8xf32>) outs(%[[INIT]] : tensor<4x1xf32>)
// CHECK-NEXT:    ^bb0(%[[V:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT:      arith.addf %[[ACC]], %[[V]]
// CHECK:         linalg.generic {{.*}} ins(%[[S]] : tensor<4x1xf32>)
// CHECK:           %[[N:.*]] = arith.constant 1.250000e-01 : f32
// CHECK-NEXT:      arith.mulf %{{.*}}, %[[N]]
func.func @reduce_mean(%x: tensor<4x8xf32>) -> tensor<4x1xf32> {
  %0 = nn.reduce_mean %x axes = [1] keep_dims : tensor<4x8xf32> -> tensor<4x1xf32>
  return %0 : tensor<4x1xf32>
}


// argmax: the maximum and its index, two results of one reduction.
// CHECK-LABEL: func.func @argmax(
// CHECK-SAME:      %[[X:.*]]: tensor<4x10xf32>)
// CHECK:         %[[M:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<4xf32>)
// CHECK:         %[[I:.*]] = linalg.fill ins(%{{.*}} : i32) outs(%{{.*}} : tensor<4xi32>)
// CHECK:         %[[R:.*]]:2 = linalg.generic
// CHECK-SAME:      indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]
// CHECK-SAME:      ins(%[[X]] : tensor<4x10xf32>) outs(%[[M]], %[[I]] : tensor<4xf32>, tensor<4xi32>)
// CHECK:           linalg.index 1 : index
// CHECK:           %[[GT:.*]] = arith.cmpf ogt
// CHECK-NEXT:      %[[V:.*]] = arith.select %[[GT]], {{.*}} : f32
// CHECK-NEXT:      %[[K:.*]] = arith.select %[[GT]], {{.*}} : i32
// CHECK-NEXT:      linalg.yield %[[V]], %[[K]] : f32, i32
// CHECK:         return %[[R]]#1
func.func @argmax(%x: tensor<4x10xf32>) -> tensor<4xi32> {
  %0 = nn.argmax %x axis = 1 : tensor<4x10xf32> -> tensor<4xi32>
  return %0 : tensor<4xi32>
}


// softmax: the row maximum, the shifted exponentials, their row sum, the quotient.
// CHECK-LABEL: func.func @softmax(
// CHECK-SAME:      %[[X:.*]]: tensor<4x10xf32>)
// CHECK:         %[[M:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<4x10xf32>)
// CHECK:           arith.maximumf
// CHECK:         %[[E:.*]] = linalg.generic
// CHECK-SAME:      indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]
// CHECK-SAME:      ins(%[[X]], %[[M]] : tensor<4x10xf32>, tensor<4xf32>)
// CHECK:           %[[D:.*]] = arith.subf
// CHECK-NEXT:      math.exp %[[D]]
// CHECK:         %[[S:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[E]] : tensor<4x10xf32>)
// CHECK:           arith.addf
// CHECK:         %[[P:.*]] = linalg.generic {{.*}} ins(%[[E]], %[[S]] : tensor<4x10xf32>, tensor<4xf32>)
// CHECK:           arith.divf
// CHECK:         return %[[P]]
func.func @softmax(%x: tensor<4x10xf32>) -> tensor<4x10xf32> {
  %0 = nn.softmax %x axis = 1 : tensor<4x10xf32>
  return %0 : tensor<4x10xf32>
}


// Losses: cross-entropy is the mean over the batch of m + log(s) - x[label].
// CHECK-LABEL: func.func @cross_entropy(
// CHECK-SAME:      %[[X:.*]]: tensor<4x10xf32>, %[[L:.*]]: tensor<4xi32>)
// CHECK:         %[[M:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<4x10xf32>)
// CHECK:         %[[E:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[M]] : tensor<4x10xf32>, tensor<4xf32>)
// CHECK:         %[[S:.*]] = linalg.generic {{.*}} ins(%[[E]] : tensor<4x10xf32>)
// CHECK:         %[[PICK:.*]] = linalg.generic
// CHECK-SAME:      indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]
// CHECK-SAME:      ins(%[[X]], %[[L]] : tensor<4x10xf32>, tensor<4xi32>)
// CHECK:           %[[COL:.*]] = linalg.index 1 : index
// CHECK-NEXT:      %[[LI:.*]] = arith.index_cast %{{.*}} : i32 to index
// CHECK-NEXT:      arith.cmpi eq, %[[COL]], %[[LI]] : index
// CHECK:         %[[ROW:.*]] = linalg.generic {{.*}} ins(%[[M]], %[[S]], %[[PICK]] : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK:           math.log
// CHECK:         %[[T:.*]] = linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%[[ROW]] : tensor<4xf32>) outs(%{{.*}} : tensor<f32>)
// CHECK:         linalg.generic {{.*}} iterator_types = []} ins(%[[T]] : tensor<f32>)
// CHECK:           %[[B:.*]] = arith.constant 4.000000e+00 : f32
// CHECK-NEXT:      arith.divf %{{.*}}, %[[B]]
func.func @cross_entropy(%logits: tensor<4x10xf32>, %labels: tensor<4xi32>) -> tensor<f32> {
  %0 = nn.cross_entropy %logits, %labels : tensor<4x10xf32>, tensor<4xi32> -> tensor<f32>
  return %0 : tensor<f32>
}


// mse: the mean of the squared differences over all elements.
// CHECK-LABEL: func.func @mse(
// CHECK-SAME:      %[[P:.*]]: tensor<4x2xf32>, %[[T:.*]]: tensor<4x2xf32>)
// CHECK:         %[[SQ:.*]] = linalg.generic {{.*}} ins(%[[P]], %[[T]] : tensor<4x2xf32>, tensor<4x2xf32>)
// CHECK:           %[[D:.*]] = arith.subf
// CHECK-NEXT:      arith.mulf %[[D]], %[[D]]
// CHECK:         %[[S:.*]] = linalg.generic
// CHECK-SAME:      indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> ()>], iterator_types = ["reduction", "reduction"]
// CHECK-SAME:      ins(%[[SQ]] : tensor<4x2xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[S]] : tensor<f32>)
// CHECK:           %[[N:.*]] = arith.constant 8.000000e+00 : f32
// CHECK-NEXT:      arith.divf %{{.*}}, %[[N]]
func.func @mse(%pred: tensor<4x2xf32>, %target: tensor<4x2xf32>) -> tensor<f32> {
  %0 = nn.mse %pred, %target : tensor<4x2xf32> -> tensor<f32>
  return %0 : tensor<f32>
}


// Batch normalization (NNToLinalgNormalization.cpp): per-channel statistics through the
// map (d0, d1) -> (d1), r = 1 / sqrt(var + eps), y = (x - mean) * r * gamma + beta.
// CHECK-LABEL: func.func @batch_norm_train(
// CHECK-SAME:      %[[X:.*]]: tensor<8x3xf32>, %[[GAMMA:.*]]: tensor<3xf32>, %[[BETA:.*]]: tensor<3xf32>)
// CHECK:         %[[SUM:.*]] = linalg.generic
// CHECK-SAME:      indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>], iterator_types = ["reduction", "parallel"]
// CHECK-SAME:      ins(%[[X]] : tensor<8x3xf32>)
// CHECK:         %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<3xf32>)
// CHECK:           arith.constant 1.250000e-01 : f32
// CHECK:         %[[C2:.*]] = linalg.generic
// CHECK-SAME:      indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>]
// CHECK-SAME:      ins(%[[X]], %[[MEAN]] : tensor<8x3xf32>, tensor<3xf32>)
// CHECK:         %[[VSUM:.*]] = linalg.generic {{.*}} ins(%[[C2]] : tensor<8x3xf32>)
// CHECK:         %[[VAR:.*]] = linalg.generic {{.*}} ins(%[[VSUM]] : tensor<3xf32>)
// CHECK:         %[[R:.*]] = linalg.generic {{.*}} ins(%[[VAR]] : tensor<3xf32>)
// CHECK:           %[[EPS:.*]] = arith.constant 9.99999974E-6 : f32
// CHECK-NEXT:      %[[VE:.*]] = arith.addf %{{.*}}, %[[EPS]]
// CHECK-NEXT:      %[[SD:.*]] = math.sqrt %[[VE]]
// CHECK-NEXT:      %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      arith.divf %[[ONE]], %[[SD]]
// CHECK:         %[[Y:.*]] = linalg.generic
// CHECK-SAME:      indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>]
// CHECK-SAME:      ins(%[[X]], %[[MEAN]], %[[R]], %[[GAMMA]], %[[BETA]] :
// CHECK:         return %[[Y]], %[[MEAN]], %[[VAR]]
func.func @batch_norm_train(%x: tensor<8x3xf32>, %gamma: tensor<3xf32>, %beta: tensor<3xf32>)
    -> (tensor<8x3xf32>, tensor<3xf32>, tensor<3xf32>) {
  %y, %m, %v = nn.batch_norm_train %x, %gamma, %beta epsilon = 1.0e-05 axis = 1
      : tensor<8x3xf32>, tensor<3xf32>
  return %y, %m, %v : tensor<8x3xf32>, tensor<3xf32>, tensor<3xf32>
}


// Shapes (NNToLinalgShape.cpp): a broadcast drops or pins dimensions, a transpose permutes
// them; both are copies.
// CHECK-LABEL: func.func @broadcast_transpose(
// CHECK-SAME:      %[[BIAS:.*]]: tensor<8xf32>, %[[COL:.*]]: tensor<4x1xf32>, %[[Y:.*]]: tensor<4x8xf32>)
// CHECK:         %[[B0:.*]] = linalg.generic
// CHECK-SAME:      indexing_maps = [affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]
// CHECK-SAME:      ins(%[[BIAS]] : tensor<8xf32>) outs(%{{.*}} : tensor<4x8xf32>)
// CHECK-NEXT:    ^bb0(%[[V:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      linalg.yield %[[V]] : f32
// CHECK:         %[[B1:.*]] = linalg.generic
// CHECK-SAME:      indexing_maps = [affine_map<(d0, d1) -> (d0, 0)>, affine_map<(d0, d1) -> (d0, d1)>]
// CHECK-SAME:      ins(%[[COL]] : tensor<4x1xf32>)
// CHECK:         %[[T:.*]] = linalg.generic
// CHECK-SAME:      indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>]
// CHECK-SAME:      ins(%[[Y]] : tensor<4x8xf32>) outs(%{{.*}} : tensor<8x4xf32>)
// CHECK:         return %[[B0]], %[[B1]], %[[T]]
func.func @broadcast_transpose(%bias: tensor<8xf32>, %col: tensor<4x1xf32>, %y: tensor<4x8xf32>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<8x4xf32>) {
  %0 = nn.broadcast %bias dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
  %1 = nn.broadcast %col dims = [0, 1] : tensor<4x1xf32> -> tensor<4x8xf32>
  %2 = nn.transpose %y perm = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
  return %0, %1, %2 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<8x4xf32>
}


// A reshape collapses to one dimension and expands; slices and concatenations are static
// tensor slices.
// CHECK-LABEL: func.func @reshape_slice_concat(
// CHECK-SAME:      %[[X:.*]]: tensor<2x1x4x4xf32>, %[[Y:.*]]: tensor<4x8xf32>, %[[Z:.*]]: tensor<4x2xf32>)
// CHECK:         %[[F:.*]] = tensor.collapse_shape %[[X]] {{.*}} : tensor<2x1x4x4xf32> into tensor<32xf32>
// CHECK:         %[[R:.*]] = tensor.expand_shape %[[F]] {{.*}} output_shape [2, 16] : tensor<32xf32> into tensor<2x16xf32>
// CHECK:         %[[S:.*]] = tensor.extract_slice %[[Y]][0, 2] [4, 3] [1, 2] : tensor<4x8xf32> to tensor<4x3xf32>
// CHECK:         %[[E:.*]] = tensor.empty() : tensor<4x10xf32>
// CHECK:         %[[C0:.*]] = tensor.insert_slice %[[Y]] into %[[E]][0, 0] [4, 8] [1, 1]
// CHECK:         %[[C1:.*]] = tensor.insert_slice %[[Z]] into %[[C0]][0, 8] [4, 2] [1, 1]
// CHECK:         return %[[R]], %[[S]], %[[C1]]
func.func @reshape_slice_concat(%x: tensor<2x1x4x4xf32>, %y: tensor<4x8xf32>, %z: tensor<4x2xf32>)
    -> (tensor<2x16xf32>, tensor<4x3xf32>, tensor<4x10xf32>) {
  %0 = nn.reshape %x : tensor<2x1x4x4xf32> -> tensor<2x16xf32>
  %1 = nn.slice %y offsets = [0, 2] sizes = [4, 3] strides = [1, 2] : tensor<4x8xf32> -> tensor<4x3xf32>
  %2 = nn.concat %y, %z axis = 1 : tensor<4x8xf32>, tensor<4x2xf32> -> tensor<4x10xf32>
  return %0, %1, %2 : tensor<2x16xf32>, tensor<4x3xf32>, tensor<4x10xf32>
}


// take and put: a slice at a dynamic offset; an accumulating put adds to what is there.
// CHECK-LABEL: func.func @take_put(
// CHECK-SAME:      %[[SEQ:.*]]: tensor<4x5x3xf32>, %[[H:.*]]: tensor<4x3xf32>, %[[T:.*]]: index)
// CHECK:         %[[X:.*]] = tensor.extract_slice %[[SEQ]][0, %[[T]], 0] [4, 1, 3] [1, 1, 1] : tensor<4x5x3xf32> to tensor<4x3xf32>
// CHECK:         %[[OLD:.*]] = tensor.extract_slice %[[SEQ]][0, %[[T]], 0] [4, 1, 3] [1, 1, 1]
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[OLD]], %[[H]] : tensor<4x3xf32>, tensor<4x3xf32>)
// CHECK:           arith.addf
// CHECK:         %[[PUT:.*]] = tensor.insert_slice %[[SUM]] into %[[SEQ]][0, %[[T]], 0] [4, 1, 3] [1, 1, 1]
// CHECK:         return %[[X]], %[[PUT]]
func.func @take_put(%seq: tensor<4x5x3xf32>, %h: tensor<4x3xf32>, %t: index)
    -> (tensor<4x3xf32>, tensor<4x5x3xf32>) {
  %x = nn.take %seq[%t] axis = 1 : tensor<4x5x3xf32> -> tensor<4x3xf32>
  %acc = nn.put %seq[%t], %h axis = 1 accumulate : tensor<4x5x3xf32>, tensor<4x3xf32>
  return %x, %acc : tensor<4x3xf32>, tensor<4x5x3xf32>
}
