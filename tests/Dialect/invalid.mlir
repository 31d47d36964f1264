// RUN: nnc-opt %s -split-input-file -verify-diagnostics

// Error cases of the nn op verifiers and of the nn function attributes.

//===----------------------------------------------------------------------===//
// nn.constant
//===----------------------------------------------------------------------===//

func.func @constant_type_mismatch() -> tensor<3xf32> {
  // expected-error @+1 {{failed to verify that all of {value, result} have same type}}
  %0 = "nn.constant"() <{value = dense<1.0> : tensor<2xf32>}> : () -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @constant_vector() {
  // expected-error @+1 {{result #0 must be statically shaped tensor of any type values, but got 'vector<2xf32>'}}
  %0 = nn.constant dense<1.0> : vector<2xf32>
  return
}

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

// -----

func.func @add_type_mismatch(%a: tensor<4xf32>, %b: tensor<5xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "nn.add"(%a, %b) : (tensor<4xf32>, tensor<5xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @mul_element_type_mismatch(%a: tensor<4xf32>, %b: tensor<4xf64>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "nn.mul"(%a, %b) : (tensor<4xf32>, tensor<4xf64>) -> tensor<4xf32>
  return
}

// -----

func.func @sub_integer(%a: tensor<4xi32>, %b: tensor<4xi32>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of floating-point values, but got 'tensor<4xi32>'}}
  %0 = nn.sub %a, %b : tensor<4xi32>
  return
}

// -----

func.func @exp_dynamic(%x: tensor<?xf32>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of floating-point values, but got 'tensor<?xf32>'}}
  %0 = nn.exp %x : tensor<?xf32>
  return
}

// -----

func.func @relu_unranked(%x: tensor<*xf32>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of floating-point values, but got 'tensor<*xf32>'}}
  %0 = "nn.relu"(%x) : (tensor<*xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @sign_result_type(%x: tensor<4xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "nn.sign"(%x) : (tensor<4xf32>) -> tensor<4xf64>
  return
}

//===----------------------------------------------------------------------===//
// nn.cmp, nn.select, nn.cast
//===----------------------------------------------------------------------===//

// -----

func.func @cmp_predicate(%a: tensor<4xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{expected predicate to be one of eq, ne, lt, le, gt, ge, found 'less'}}
  %0 = nn.cmp less, %a, %b : tensor<4xf32>
  return
}

// -----

func.func @cmp_operand_types(%a: tensor<4xf32>, %b: tensor<4xf64>) {
  // expected-error @+1 {{failed to verify that all of {lhs, rhs} have same type}}
  %0 = "nn.cmp"(%a, %b) <{predicate = "lt"}> : (tensor<4xf32>, tensor<4xf64>) -> tensor<4xi1>
  return
}

// -----

func.func @cmp_result_shape(%a: tensor<4xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{failed to verify that result is an i1 tensor of the operand shape}}
  %0 = "nn.cmp"(%a, %b) <{predicate = "lt"}> : (tensor<4xf32>, tensor<4xf32>) -> tensor<5xi1>
  return
}

// -----

func.func @select_condition_shape(%c: tensor<3xi1>, %a: tensor<4xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{failed to verify that condition is an i1 tensor of the result shape}}
  %0 = "nn.select"(%c, %a, %b) : (tensor<3xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @select_branch_types(%c: tensor<4xi1>, %a: tensor<4xf32>, %b: tensor<4xf64>) {
  // expected-error @+1 {{failed to verify that all of {true_value, false_value, result} have same type}}
  %0 = "nn.select"(%c, %a, %b) : (tensor<4xi1>, tensor<4xf32>, tensor<4xf64>) -> tensor<4xf32>
  return
}

// -----

func.func @cast_shape(%x: tensor<4xf32>) {
  // expected-error @+1 {{expected result shape [4] from the operand shapes, found [5]}}
  %0 = nn.cast %x : tensor<4xf32> -> tensor<5xi32>
  return
}

// -----

func.func @cast_index(%x: tensor<4xf32>) {
  // expected-error @+1 {{result #0 must be statically shaped tensor of signless integer or floating-point values, but got 'tensor<4xindex>'}}
  %0 = nn.cast %x : tensor<4xf32> -> tensor<4xindex>
  return
}

// -----

//===----------------------------------------------------------------------===//
// nn.dequantize
//===----------------------------------------------------------------------===//

func.func @dequantize_shape(%x: tensor<4xui8>) {
  // expected-error @+1 {{expected result shape [4] from the operand shapes, found [2, 2]}}
  %0 = nn.dequantize %x scale = 0.5 : tensor<4xui8> -> tensor<2x2xf32>
  return
}

// -----

func.func @dequantize_scale(%x: tensor<4xui8>) {
  // expected-error @+1 {{expected a positive finite scale, found 0}}
  %0 = nn.dequantize %x scale = 0.0 : tensor<4xui8> -> tensor<4xf32>
  return
}

// -----

func.func @dequantize_signed(%x: tensor<4xi8>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of 8-bit unsigned integer values, but got 'tensor<4xi8>'}}
  %0 = nn.dequantize %x scale = 0.5 : tensor<4xi8> -> tensor<4xf32>
  return
}

//===----------------------------------------------------------------------===//
// nn.matmul
//===----------------------------------------------------------------------===//

// -----

func.func @matmul_rank(%a: tensor<4xf32>, %b: tensor<4x8xf32>) {
  // expected-error @+1 {{expected lhs of rank 2, found rank 1}}
  %0 = nn.matmul %a, %b : tensor<4xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @matmul_contraction(%a: tensor<4x8xf32>, %b: tensor<7x16xf32>) {
  // expected-error @+1 {{expected the contracted dimensions to agree, found 8 (lhs) and 7 (rhs)}}
  %0 = nn.matmul %a, %b : tensor<4x8xf32>, tensor<7x16xf32> -> tensor<4x16xf32>
  return
}

// -----

func.func @matmul_contraction_transposed(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>) {
  // expected-error @+1 {{expected the contracted dimensions to agree, found 4 (lhs) and 8 (rhs)}}
  %0 = nn.matmul %a, %b transpose_a : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<8x16xf32>
  return
}

// -----

func.func @matmul_result(%a: tensor<4x8xf32>, %b: tensor<16x8xf32>) {
  // expected-error @+1 {{expected result shape [4, 16] from the operand shapes, found [4, 8]}}
  %0 = nn.matmul %a, %b transpose_b : tensor<4x8xf32>, tensor<16x8xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @matmul_element_type(%a: tensor<4x8xf32>, %b: tensor<8x16xf64>) {
  // expected-error @+1 {{expected rhs element type 'f32' (as lhs), found 'f64'}}
  %0 = nn.matmul %a, %b : tensor<4x8xf32>, tensor<8x16xf64> -> tensor<4x16xf32>
  return
}

//===----------------------------------------------------------------------===//
// nn.broadcast
//===----------------------------------------------------------------------===//

// -----

func.func @broadcast_dims_count(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{expected dims of 2 values (one per operand dimension), found [1]}}
  %0 = nn.broadcast %x dims = [1] : tensor<4x8xf32> -> tensor<2x4x8xf32>
  return
}

// -----

func.func @broadcast_dims_order(%x: tensor<4x4xf32>) {
  // expected-error @+1 {{expected dims to be strictly increasing, found [2, 1]}}
  %0 = nn.broadcast %x dims = [2, 1] : tensor<4x4xf32> -> tensor<2x4x4xf32>
  return
}

// -----

func.func @broadcast_dims_range(%x: tensor<8xf32>) {
  // expected-error @+1 {{expected dims in [0, 2), found 2}}
  %0 = nn.broadcast %x dims = [2] : tensor<8xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @broadcast_size(%x: tensor<3xf32>) {
  // expected-error @+1 {{expected operand dimension 0 to have size 1 or 8 (result dimension 1), found 3}}
  %0 = nn.broadcast %x dims = [1] : tensor<3xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @broadcast_element_type(%x: tensor<8xf32>) {
  // expected-error @+1 {{expected result element type 'f32' (as operand), found 'f64'}}
  %0 = nn.broadcast %x dims = [1] : tensor<8xf32> -> tensor<4x8xf64>
  return
}

//===----------------------------------------------------------------------===//
// Reductions and nn.argmax
//===----------------------------------------------------------------------===//

// -----

func.func @reduce_axes_unsorted(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{expected axes to be sorted and unique, found [1, 0]}}
  %0 = nn.reduce_sum %x axes = [1, 0] : tensor<4x8xf32> -> tensor<f32>
  return
}

// -----

func.func @reduce_axes_duplicate(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{expected axes to be sorted and unique, found [1, 1]}}
  %0 = nn.reduce_mean %x axes = [1, 1] : tensor<4x8xf32> -> tensor<4xf32>
  return
}

// -----

func.func @reduce_axes_range(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{expected axes in [0, 2), found 2}}
  %0 = nn.reduce_max %x axes = [2] : tensor<4x8xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @reduce_result(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{expected result shape [4] from the operand shapes, found [4, 1]}}
  %0 = nn.reduce_sum %x axes = [1] : tensor<4x8xf32> -> tensor<4x1xf32>
  return
}

// -----

func.func @reduce_result_keep_dims(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{expected result shape [4, 1] from the operand shapes, found [4]}}
  %0 = nn.reduce_sum %x axes = [1] keep_dims : tensor<4x8xf32> -> tensor<4xf32>
  return
}

// -----

func.func @reduce_element_type(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{expected result element type 'f32' (as operand), found 'f64'}}
  %0 = nn.reduce_sum %x axes = [1] : tensor<4x8xf32> -> tensor<4xf64>
  return
}

// -----

func.func @argmax_axis(%x: tensor<4x10xf32>) {
  // expected-error @+1 {{expected axis in [0, 2), found 2}}
  %0 = nn.argmax %x axis = 2 : tensor<4x10xf32> -> tensor<4xi32>
  return
}

// -----

func.func @argmax_result(%x: tensor<4x10xf32>) {
  // expected-error @+1 {{expected result shape [4] from the operand shapes, found [10]}}
  %0 = nn.argmax %x axis = 1 : tensor<4x10xf32> -> tensor<10xi32>
  return
}

// -----

func.func @argmax_result_type(%x: tensor<4x10xf32>) {
  // expected-error @+1 {{result #0 must be statically shaped tensor of 32-bit signless integer values, but got 'tensor<4xi64>'}}
  %0 = nn.argmax %x axis = 1 : tensor<4x10xf32> -> tensor<4xi64>
  return
}

//===----------------------------------------------------------------------===//
// nn.reshape, nn.transpose, nn.slice
//===----------------------------------------------------------------------===//

// -----

func.func @reshape_count(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{expected a result of 32 elements (as the operand), found 30}}
  %0 = nn.reshape %x : tensor<4x8xf32> -> tensor<5x6xf32>
  return
}

// -----

func.func @reshape_element_type(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{expected result element type 'f32' (as operand), found 'i32'}}
  %0 = nn.reshape %x : tensor<4x8xf32> -> tensor<32xi32>
  return
}

// -----

func.func @transpose_perm_size(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{expected perm of 2 values (one per operand dimension), found [0, 1, 2]}}
  %0 = nn.transpose %x perm = [0, 1, 2] : tensor<4x8xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @transpose_not_permutation(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{expected perm to be a permutation of [0, 2), found [1, 1]}}
  %0 = nn.transpose %x perm = [1, 1] : tensor<4x8xf32> -> tensor<8x8xf32>
  return
}

// -----

func.func @transpose_result(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{expected result shape [8, 4] from the operand shapes, found [4, 8]}}
  %0 = nn.transpose %x perm = [1, 0] : tensor<4x8xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @slice_array_size(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{expected sizes of 2 values (one per operand dimension), found [4]}}
  %0 = nn.slice %x offsets = [0, 0] sizes = [4] strides = [1, 1] : tensor<4x8xf32> -> tensor<4xf32>
  return
}

// -----

func.func @slice_bounds(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{expected the slice of dimension 1 to stay within its size 8, found it ending at 9}}
  %0 = nn.slice %x offsets = [0, 6] sizes = [4, 3] strides = [1, 1] : tensor<4x8xf32> -> tensor<4x3xf32>
  return
}

// -----

func.func @slice_bounds_strided(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{expected the slice of dimension 1 to stay within its size 8, found it ending at 10}}
  %0 = nn.slice %x offsets = [0, 3] sizes = [4, 4] strides = [1, 2] : tensor<4x8xf32> -> tensor<4x4xf32>
  return
}

// -----

func.func @slice_stride(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{expected strides to be positive, found [1, 0]}}
  %0 = nn.slice %x offsets = [0, 0] sizes = [4, 2] strides = [1, 0] : tensor<4x8xf32> -> tensor<4x2xf32>
  return
}

// -----

func.func @slice_offset(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{expected offsets to be non-negative, found [-1, 0]}}
  %0 = nn.slice %x offsets = [-1, 0] sizes = [4, 2] strides = [1, 1] : tensor<4x8xf32> -> tensor<4x2xf32>
  return
}

// -----

func.func @slice_result(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{expected result shape [2, 2] from the operand shapes, found [2, 3]}}
  %0 = nn.slice %x offsets = [0, 0] sizes = [2, 2] strides = [1, 1] : tensor<4x8xf32> -> tensor<2x3xf32>
  return
}

//===----------------------------------------------------------------------===//
// nn.take, nn.put, nn.concat
//===----------------------------------------------------------------------===//

// -----

func.func @take_axis(%x: tensor<4x8xf32>, %i: index) {
  // expected-error @+1 {{expected axis in [0, 2), found -1}}
  %0 = nn.take %x[%i] axis = -1 : tensor<4x8xf32> -> tensor<4xf32>
  return
}

// -----

func.func @take_result(%x: tensor<4x8xf32>, %i: index) {
  // expected-error @+1 {{expected result shape [4] from the operand shapes, found [8]}}
  %0 = nn.take %x[%i] axis = 1 : tensor<4x8xf32> -> tensor<8xf32>
  return
}

// -----

func.func @take_index_type(%x: tensor<4xf32>, %i: i64) {
  // expected-error @+1 {{operand #1 must be index, but got 'i64'}}
  %0 = "nn.take"(%x, %i) <{axis = 0 : i64}> : (tensor<4xf32>, i64) -> tensor<f32>
  return
}

// -----

func.func @put_axis(%d: tensor<4x8xf32>, %s: tensor<4xf32>, %i: index) {
  // expected-error @+1 {{expected axis in [0, 2), found 3}}
  %0 = nn.put %d[%i], %s axis = 3 : tensor<4x8xf32>, tensor<4xf32>
  return
}

// -----

func.func @put_src_shape(%d: tensor<4x8xf32>, %s: tensor<8xf32>, %i: index) {
  // expected-error @+1 {{expected src shape [4] (dest without axis 1), found [8]}}
  %0 = nn.put %d[%i], %s axis = 1 accumulate : tensor<4x8xf32>, tensor<8xf32>
  return
}

// -----

func.func @put_element_type(%d: tensor<4x8xf32>, %s: tensor<4xf64>, %i: index) {
  // expected-error @+1 {{expected src element type 'f32' (as dest), found 'f64'}}
  %0 = nn.put %d[%i], %s axis = 1 : tensor<4x8xf32>, tensor<4xf64>
  return
}

// -----

func.func @concat_empty() {
  // expected-error @+1 {{expected at least one input}}
  %0 = "nn.concat"() <{axis = 0 : i64}> : () -> tensor<4xf32>
  return
}

// -----

func.func @concat_axis(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>) {
  // expected-error @+1 {{expected axis in [0, 2), found 2}}
  %0 = nn.concat %a, %b axis = 2 : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x16xf32>
  return
}

// -----

func.func @concat_rank(%a: tensor<4x8xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{expected input 1 of rank 2 (as input 0), found rank 1}}
  %0 = nn.concat %a, %b axis = 0 : tensor<4x8xf32>, tensor<8xf32> -> tensor<5x8xf32>
  return
}

// -----

func.func @concat_shape(%a: tensor<4x8xf32>, %b: tensor<4x7xf32>) {
  // expected-error @+1 {{expected input 1 shape [4, 7] to match input 0's shape [4, 8] in all dimensions but axis 0}}
  %0 = nn.concat %a, %b axis = 0 : tensor<4x8xf32>, tensor<4x7xf32> -> tensor<8x8xf32>
  return
}

// -----

func.func @concat_result(%a: tensor<4x8xf32>, %b: tensor<4x2xf32>) {
  // expected-error @+1 {{expected result shape [4, 10] from the operand shapes, found [4, 8]}}
  %0 = nn.concat %a, %b axis = 1 : tensor<4x8xf32>, tensor<4x2xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @concat_element_type(%a: tensor<4x8xf32>, %b: tensor<4x2xf64>) {
  // expected-error @+1 {{expected input 1 element type 'f32' (as input 0), found 'f64'}}
  %0 = nn.concat %a, %b axis = 1 : tensor<4x8xf32>, tensor<4x2xf64> -> tensor<4x10xf32>
  return
}

//===----------------------------------------------------------------------===//
// Softmax and losses
//===----------------------------------------------------------------------===//

// -----

func.func @softmax_axis(%x: tensor<4x10xf32>) {
  // expected-error @+1 {{expected axis in [0, 2), found 2}}
  %0 = nn.softmax %x axis = 2 : tensor<4x10xf32>
  return
}

// -----

func.func @log_softmax_axis(%x: tensor<4x10xf32>) {
  // expected-error @+1 {{expected axis in [0, 2), found -1}}
  %0 = nn.log_softmax %x axis = -1 : tensor<4x10xf32>
  return
}

// -----

func.func @cross_entropy_logits_rank(%l: tensor<4x10x2xf32>, %y: tensor<4xi32>) {
  // expected-error @+1 {{expected logits of rank 2, found rank 3}}
  %0 = nn.cross_entropy %l, %y : tensor<4x10x2xf32>, tensor<4xi32> -> tensor<f32>
  return
}

// -----

func.func @cross_entropy_labels_rank(%l: tensor<4x10xf32>, %y: tensor<4x1xi32>) {
  // expected-error @+1 {{expected labels of rank 1, found rank 2}}
  %0 = nn.cross_entropy %l, %y : tensor<4x10xf32>, tensor<4x1xi32> -> tensor<f32>
  return
}

// -----

func.func @cross_entropy_labels_type(%l: tensor<4x10xf32>, %y: tensor<4xf32>) {
  // expected-error @+1 {{operand #1 must be statically shaped tensor of signless integer values, but got 'tensor<4xf32>'}}
  %0 = nn.cross_entropy %l, %y : tensor<4x10xf32>, tensor<4xf32> -> tensor<f32>
  return
}

// -----

func.func @cross_entropy_batch(%l: tensor<4x10xf32>, %y: tensor<5xi32>) {
  // expected-error @+1 {{expected 4 labels (the logits batch size), found 5}}
  %0 = nn.cross_entropy %l, %y : tensor<4x10xf32>, tensor<5xi32> -> tensor<f32>
  return
}

// -----

func.func @cross_entropy_result(%l: tensor<4x10xf32>, %y: tensor<4xi32>) {
  // expected-error @+1 {{expected result type 'tensor<f32>' (rank 0, the logits element type), found 'tensor<4xf32>'}}
  %0 = nn.cross_entropy %l, %y : tensor<4x10xf32>, tensor<4xi32> -> tensor<4xf32>
  return
}

// -----

func.func @cross_entropy_result_type(%l: tensor<4x10xf32>, %y: tensor<4xi32>) {
  // expected-error @+1 {{expected result type 'tensor<f32>' (rank 0, the logits element type), found 'tensor<f64>'}}
  %0 = nn.cross_entropy %l, %y : tensor<4x10xf32>, tensor<4xi32> -> tensor<f64>
  return
}

// -----

func.func @mse_types(%p: tensor<4x1xf32>, %t: tensor<4xf32>) {
  // expected-error @+1 {{failed to verify that all of {pred, target} have same type}}
  %0 = "nn.mse"(%p, %t) : (tensor<4x1xf32>, tensor<4xf32>) -> tensor<f32>
  return
}

// -----

func.func @mse_result(%p: tensor<4x1xf32>, %t: tensor<4x1xf32>) {
  // expected-error @+1 {{expected result type 'tensor<f32>' (rank 0, the pred element type), found 'tensor<1xf32>'}}
  %0 = nn.mse %p, %t : tensor<4x1xf32> -> tensor<1xf32>
  return
}

//===----------------------------------------------------------------------===//
// nn.conv2d
//===----------------------------------------------------------------------===//

// -----

func.func @conv_rank(%x: tensor<3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expected input of rank 4, found rank 3}}
  %0 = nn.conv2d %x, %w strides = [1, 1] padding = [0, 0, 0, 0] dilations = [1, 1] groups = 1
      : tensor<3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_strides_size(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expected strides of 2 values ([h, w]), found [1]}}
  %0 = nn.conv2d %x, %w strides = [1] padding = [0, 0, 0, 0] dilations = [1, 1] groups = 1
      : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_padding_size(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expected padding of 4 values ([top, left, bottom, right]), found [1, 1]}}
  %0 = nn.conv2d %x, %w strides = [1, 1] padding = [1, 1] dilations = [1, 1] groups = 1
      : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @conv_padding_negative(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expected padding to be non-negative, found [0, -1, 0, 0]}}
  %0 = nn.conv2d %x, %w strides = [1, 1] padding = [0, -1, 0, 0] dilations = [1, 1] groups = 1
      : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x6x5xf32>
  return
}

// -----

func.func @conv_dilation(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expected dilations to be positive, found [0, 1]}}
  %0 = nn.conv2d %x, %w strides = [1, 1] padding = [0, 0, 0, 0] dilations = [0, 1] groups = 1
      : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_groups(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expected groups to be positive, found 0}}
  %0 = nn.conv2d %x, %w strides = [1, 1] padding = [0, 0, 0, 0] dilations = [1, 1] groups = 0
      : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_groups_input_channels(%x: tensor<1x3x8x8xf32>, %w: tensor<4x1x3x3xf32>) {
  // expected-error @+1 {{expected groups 2 to divide the input channels 3}}
  %0 = nn.conv2d %x, %w strides = [1, 1] padding = [0, 0, 0, 0] dilations = [1, 1] groups = 2
      : tensor<1x3x8x8xf32>, tensor<4x1x3x3xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_groups_output_channels(%x: tensor<1x4x8x8xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error @+1 {{expected groups 2 to divide the output channels 3}}
  %0 = nn.conv2d %x, %w strides = [1, 1] padding = [0, 0, 0, 0] dilations = [1, 1] groups = 2
      : tensor<1x4x8x8xf32>, tensor<3x2x3x3xf32> -> tensor<1x3x6x6xf32>
  return
}

// -----

func.func @conv_filter_channels(%x: tensor<1x4x8x8xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+1 {{expected filter dimension 1 to be 2 (input channels / groups), found 4}}
  %0 = nn.conv2d %x, %w strides = [1, 1] padding = [0, 0, 0, 0] dilations = [1, 1] groups = 2
      : tensor<1x4x8x8xf32>, tensor<6x4x3x3xf32> -> tensor<1x6x6x6xf32>
  return
}

// -----

func.func @conv_window(%x: tensor<1x3x4x4xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expected the padded input height 4 to be at least the (dilated) window height 5}}
  %0 = nn.conv2d %x, %w strides = [1, 1] padding = [0, 0, 0, 0] dilations = [2, 2] groups = 1
      : tensor<1x3x4x4xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x1x1xf32>
  return
}

// -----

func.func @conv_result(%x: tensor<2x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expected convolution output shape [2, 4, 4, 4] from the input and filter shapes, found [2, 4, 8, 8]}}
  %0 = nn.conv2d %x, %w strides = [2, 2] padding = [1, 1, 1, 1] dilations = [1, 1] groups = 1
      : tensor<2x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<2x4x8x8xf32>
  return
}

// -----

func.func @conv_element_type(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf64>) {
  // expected-error @+1 {{expected filter element type 'f32' (as input), found 'f64'}}
  %0 = nn.conv2d %x, %w strides = [1, 1] padding = [0, 0, 0, 0] dilations = [1, 1] groups = 1
      : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf64> -> tensor<1x4x6x6xf32>
  return
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

// -----

func.func @pool_rank(%x: tensor<3x8x8xf32>) {
  // expected-error @+1 {{expected input of rank 4, found rank 3}}
  %0 = nn.max_pool2d %x kernel = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0]
      : tensor<3x8x8xf32> -> tensor<3x4x4xf32>
  return
}

// -----

func.func @pool_kernel_size(%x: tensor<1x3x8x8xf32>) {
  // expected-error @+1 {{expected kernel of 2 values ([h, w]), found [2, 2, 2]}}
  %0 = nn.max_pool2d %x kernel = [2, 2, 2] strides = [2, 2] padding = [0, 0, 0, 0]
      : tensor<1x3x8x8xf32> -> tensor<1x3x4x4xf32>
  return
}

// -----

func.func @pool_kernel_positive(%x: tensor<1x3x8x8xf32>) {
  // expected-error @+1 {{expected kernel to be positive, found [0, 2]}}
  %0 = nn.avg_pool2d %x kernel = [0, 2] strides = [2, 2] padding = [0, 0, 0, 0]
      : tensor<1x3x8x8xf32> -> tensor<1x3x4x4xf32>
  return
}

// -----

func.func @pool_strides(%x: tensor<1x3x8x8xf32>) {
  // expected-error @+1 {{expected strides to be positive, found [2, 0]}}
  %0 = nn.avg_pool2d %x kernel = [2, 2] strides = [2, 0] padding = [0, 0, 0, 0]
      : tensor<1x3x8x8xf32> -> tensor<1x3x4x4xf32>
  return
}

// -----

func.func @pool_padding(%x: tensor<1x3x8x8xf32>) {
  // expected-error @+1 {{expected padding at most half the kernel, found padding [2, 0, 0, 0] for kernel [3, 3]}}
  %0 = nn.max_pool2d %x kernel = [3, 3] strides = [1, 1] padding = [2, 0, 0, 0]
      : tensor<1x3x8x8xf32> -> tensor<1x3x8x6xf32>
  return
}

// -----

func.func @pool_result(%x: tensor<1x3x8x8xf32>) {
  // expected-error @+1 {{expected result shape [1, 3, 4, 4] from the operand shapes, found [1, 3, 8, 8]}}
  %0 = nn.max_pool2d %x kernel = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0]
      : tensor<1x3x8x8xf32> -> tensor<1x3x8x8xf32>
  return
}

// -----

func.func @pool_window(%x: tensor<1x3x2x8xf32>) {
  // expected-error @+1 {{expected the padded input height 2 to be at least the (dilated) window height 3}}
  %0 = nn.avg_pool2d %x kernel = [3, 3] strides = [1, 1] padding = [0, 0, 0, 0]
      : tensor<1x3x2x8xf32> -> tensor<1x3x1x6xf32>
  return
}

//===----------------------------------------------------------------------===//
// Batch normalization
//===----------------------------------------------------------------------===//

// -----

func.func @batch_norm_axis(%x: tensor<8x16xf32>, %g: tensor<16xf32>, %b: tensor<16xf32>) {
  // expected-error @+1 {{expected axis in [0, 2), found 2}}
  %y, %m, %v = nn.batch_norm_train %x, %g, %b epsilon = 1.0e-05 axis = 2 : tensor<8x16xf32>, tensor<16xf32>
  return
}

// -----

func.func @batch_norm_gamma_shape(%x: tensor<8x16xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{expected gamma shape [16] (input dimension 1), found [8]}}
  %y, %m, %v = nn.batch_norm_train %x, %g, %b epsilon = 1.0e-05 axis = 1 : tensor<8x16xf32>, tensor<8xf32>
  return
}

// -----

func.func @batch_norm_gamma_rank(%x: tensor<8x16xf32>, %g: tensor<1x16xf32>, %b: tensor<1x16xf32>) {
  // expected-error @+1 {{expected gamma shape [16] (input dimension 1), found [1, 16]}}
  %y, %m, %v = nn.batch_norm_train %x, %g, %b epsilon = 1.0e-05 axis = 1 : tensor<8x16xf32>, tensor<1x16xf32>
  return
}

// -----

func.func @batch_norm_epsilon(%x: tensor<8x16xf32>, %g: tensor<16xf32>, %b: tensor<16xf32>) {
  // expected-error @+1 {{expected epsilon to be positive, found -1}}
  %y, %m, %v = nn.batch_norm_train %x, %g, %b epsilon = -1.0 axis = 1 : tensor<8x16xf32>, tensor<16xf32>
  return
}

// -----

func.func @batch_norm_stat_types(%x: tensor<8x16xf32>, %g: tensor<16xf32>, %b: tensor<16xf32>) {
  // expected-error @+1 {{failed to verify that all of {gamma, beta, mean, var} have same type}}
  %y:3 = "nn.batch_norm_train"(%x, %g, %b) <{epsilon = 1.0e-05 : f64, axis = 1 : i64}>
      : (tensor<8x16xf32>, tensor<16xf32>, tensor<16xf32>) -> (tensor<8x16xf32>, tensor<16xf32>, tensor<8xf32>)
  return
}

// -----

func.func @batch_norm_element_type(%x: tensor<8x16xf32>, %g: tensor<16xf64>, %b: tensor<16xf64>) {
  // expected-error @+1 {{expected gamma element type 'f32' (as input), found 'f64'}}
  %y, %m, %v = nn.batch_norm_train %x, %g, %b epsilon = 1.0e-05 axis = 1 : tensor<8x16xf32>, tensor<16xf64>
  return
}

// -----

func.func @batch_norm_infer_shape(%x: tensor<8x16xf32>, %s: tensor<8xf32>) {
  // expected-error @+1 {{expected mean shape [16] (input dimension 1), found [8]}}
  %y = nn.batch_norm_infer %x, %s, %s, %s, %s epsilon = 1.0e-05 axis = 1 : tensor<8x16xf32>, tensor<8xf32>
  return
}

// -----

func.func @batch_norm_infer_epsilon(%x: tensor<8x16xf32>, %s: tensor<16xf32>) {
  // expected-error @+1 {{expected epsilon to be positive, found 0}}
  %y = nn.batch_norm_infer %x, %s, %s, %s, %s epsilon = 0.0 axis = 1 : tensor<8x16xf32>, tensor<16xf32>
  return
}

// -----

func.func @batch_norm_infer_output(%x: tensor<8x16xf32>, %s: tensor<16xf32>) {
  // expected-error @+1 {{failed to verify that all of {input, output} have same type}}
  %y = "nn.batch_norm_infer"(%x, %s, %s, %s, %s) <{epsilon = 1.0e-05 : f64, axis = 1 : i64}>
      : (tensor<8x16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<16x8xf32>
  return
}

//===----------------------------------------------------------------------===//
// nn.random_uniform
//===----------------------------------------------------------------------===//

// -----

func.func @random_stream(%k: i64) {
  // expected-error @+1 {{expected a non-negative stream, found -1}}
  %0 = nn.random_uniform %k stream = -1 : tensor<4xf32>
  return
}

// -----

func.func @random_integer(%k: i64) {
  // expected-error @+1 {{result #0 must be statically shaped tensor of floating-point values, but got 'tensor<4xi32>'}}
  %0 = nn.random_uniform %k stream = 0 : tensor<4xi32>
  return
}

// -----

func.func @random_key_type(%k: i32) {
  // expected-error @+1 {{operand #0 must be 64-bit signless integer, but got 'i32'}}
  %0 = "nn.random_uniform"(%k) <{stream = 0 : i64}> : (i32) -> tensor<4xf32>
  return
}

//===----------------------------------------------------------------------===//
// Function attributes
//===----------------------------------------------------------------------===//

// -----

// expected-error @+1 {{argument 0: expected 'nn.param' to be a non-empty string, found 1 : i64}}
func.func @param_not_string(%w: tensor<4xf32> {nn.param = 1}) {
  return
}

// -----

// expected-error @+1 {{argument 0: expected the 'nn.param' argument to be a statically shaped float tensor, found 'tensor<4xi32>'}}
func.func @param_type(%w: tensor<4xi32> {nn.param = "w"}) {
  return
}

// -----

// expected-error @+1 {{argument 0: expected the 'nn.state' argument to be a statically shaped float tensor, found 'i64'}}
func.func @state_scalar(%s: i64 {nn.state = "s"}) {
  return
}

// -----

// expected-error @+1 {{argument 0: expected the 'nn.input' argument to be a statically shaped tensor, found 'tensor<?x4xf32>'}}
func.func @input_dynamic(%x: tensor<?x4xf32> {nn.input = "x"}) {
  return
}

// -----

// expected-error @+1 {{argument 0: expected the 'nn.rng' argument to be i64, found 'tensor<4xf32>'}}
func.func @rng_type(%k: tensor<4xf32> {nn.rng}) {
  return
}

// -----

// expected-error @+1 {{argument 0: expected 'nn.input' to be a string (the input's name)}}
func.func @input_not_unit(%x: tensor<4xf32> {nn.input}) {
  return
}

// -----

// expected-error @+1 {{argument 0: expected 'nn.frozen' on an 'nn.param' argument}}
func.func @frozen_without_param(%x: tensor<4xf32> {nn.frozen}) {
  return
}

// -----

// expected-error @+1 {{argument 0: expected 'nn.init' on an 'nn.param', 'nn.state' or 'nn.opt_state' argument}}
func.func @init_without_param(%x: tensor<4xf32> {nn.init = {dist = "constant", value = 0.0}}) {
  return
}

// -----

// expected-error @+1 {{argument 0: expected 'nn.init' dist to be one of uniform, normal, constant, found 'xavier'}}
func.func @init_dist(%w: tensor<4xf32> {nn.param = "w", nn.init = {dist = "xavier"}}) {
  return
}

// -----

// expected-error @+1 {{argument 0: expected 'nn.init' with dist 'normal' to have a float 'std'}}
func.func @init_missing_key(%w: tensor<4xf32> {nn.param = "w", nn.init = {dist = "normal", mean = 0.0}}) {
  return
}

// -----

// expected-error @+1 {{argument 0: unexpected key 'mean' in 'nn.init' with dist 'constant'}}
func.func @init_extra_key(%w: tensor<4xf32> {nn.param = "w", nn.init = {dist = "constant", value = 0.0, mean = 0.0}}) {
  return
}

// -----

// expected-error @+1 {{argument 0: expected 'nn.init' uniform low <= high, found low = 1 and high = -1}}
func.func @init_uniform_range(%w: tensor<4xf32> {nn.param = "w", nn.init = {dist = "uniform", low = 1.0, high = -1.0}}) {
  return
}

// -----

// expected-error @+1 {{argument 0: expected 'nn.init' normal std >= 0, found -2}}
func.func @init_normal_std(%w: tensor<4xf32> {nn.state = "s", nn.init = {dist = "normal", mean = 0.0, std = -2.0}}) {
  return
}

// -----

// expected-error @+1 {{argument 0: unknown nn argument attribute 'nn.weight'}}
func.func @unknown_arg_attr(%w: tensor<4xf32> {nn.weight}) {
  return
}

// -----

// expected-error @+1 {{result 0: expected the 'nn.loss' result to be a rank-0 float tensor, found 'tensor<4xf32>'}}
func.func @loss_type(%x: tensor<4xf32>) -> (tensor<4xf32> {nn.loss}) {
  return %x : tensor<4xf32>
}

// -----

// expected-error @+1 {{result 0: expected 'nn.state' to be a non-empty string, found ""}}
func.func @state_result(%x: tensor<4xf32>) -> (tensor<4xf32> {nn.state = ""}) {
  return %x : tensor<4xf32>
}

// -----

// expected-error @+1 {{result 0: unknown nn result attribute 'nn.labels'}}
func.func @unknown_result_attr(%x: tensor<4xf32>) -> (tensor<4xf32> {nn.labels}) {
  return %x : tensor<4xf32>
}

// -----

// expected-error @+1 {{expected 'nn.mode' to be "train" or "eval", found "test"}}
func.func @mode_value() attributes {nn.mode = "test"} {
  return
}

// -----

// expected-error @+1 {{expected 'nn.mode' on a function}}
module attributes {nn.mode = "train"} {
}

// -----

// expected-error @+1 {{unknown nn attribute 'nn.bogus'}}
func.func @unknown_op_attr() attributes {nn.bogus} {
  return
}

// -----

// expected-error @+1 {{expected 'nn.train' on a module}}
func.func @train_on_func() attributes {nn.train = {}} {
  return
}

// -----

// expected-error @+1 {{expected 'nn.train' to be a dictionary}}
module attributes {nn.train = 3} {
}

// -----

// expected-error @+1 {{expected 'nn.model' to be a string}}
module attributes {nn.model = 3} {
}

// -----

func.func @insert_slice_out_of_bounds(%d: tensor<6x8xf32>, %e: tensor<4x4xf32>) {
  // expected-error @+1 {{expected the window of dimension 0 to stay within its size 6, found it ending at 8}}
  %0 = nn.insert_slice %d, %e offsets = [1, 0] strides = [2, 1] : tensor<6x8xf32>, tensor<4x4xf32>
  return
}

// -----

func.func @insert_slice_rank(%d: tensor<6x8xf32>, %e: tensor<4xf32>) {
  // expected-error @+1 {{expected src of rank 2 (the rank of dest), found rank 1}}
  %0 = nn.insert_slice %d, %e offsets = [0, 0] strides = [1, 1] : tensor<6x8xf32>, tensor<4xf32>
  return
}

// -----

func.func @cross_entropy_grad_batch(%l: tensor<4x5xf32>, %y: tensor<3xi32>, %s: tensor<f32>) {
  // expected-error @+1 {{expected 4 labels (the logits batch size), found 3}}
  %0 = nn.cross_entropy_grad %l, %y, %s : tensor<4x5xf32>, tensor<3xi32>, tensor<f32>
  return
}

// -----

func.func @conv_grad_input_shape(%g: tensor<2x4x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expected convolution output shape [2, 4, 6, 6] from the input and filter shapes, found [2, 4, 8, 8]}}
  %0 = nn.conv2d_grad_input %g, %w strides = [1, 1] padding = [0, 0, 0, 0] dilations = [1, 1] groups = 1 : tensor<2x4x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<2x3x8x8xf32>
  return
}

// -----

func.func @conv_grad_filter_channels(%x: tensor<2x3x8x8xf32>, %g: tensor<2x4x8x8xf32>) {
  // expected-error @+1 {{expected filter dimension 1 to be 3 (input channels / groups), found 2}}
  %0 = nn.conv2d_grad_filter %x, %g strides = [1, 1] padding = [1, 1, 1, 1] dilations = [1, 1] groups = 1 : tensor<2x3x8x8xf32>, tensor<2x4x8x8xf32> -> tensor<4x2x3x3xf32>
  return
}

// -----

func.func @max_pool_grad_shape(%x: tensor<2x3x8x8xf32>, %g: tensor<2x3x3x3xf32>) {
  // expected-error @+1 {{expected result shape [2, 3, 4, 4] from the operand shapes, found [2, 3, 3, 3]}}
  %0 = nn.max_pool2d_grad %x, %g kernel = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0] : tensor<2x3x8x8xf32>, tensor<2x3x3x3xf32>
  return
}

// -----

func.func @avg_pool_grad_shape(%g: tensor<2x3x3x3xf32>) {
  // expected-error @+1 {{expected result shape [2, 3, 4, 4] from the operand shapes, found [2, 3, 3, 3]}}
  %0 = nn.avg_pool2d_grad %g kernel = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0] : tensor<2x3x3x3xf32> -> tensor<2x3x8x8xf32>
  return
}

// -----

func.func @batch_norm_grad_channels(%x: tensor<2x3x8x8xf32>, %c: tensor<4xf32>) {
  // expected-error @+1 {{expected gamma shape [3] (input dimension 1), found [4]}}
  %0:3 = nn.batch_norm_grad %x, %c, %c, %c, %x epsilon = 1.0e-05 axis = 1 : tensor<2x3x8x8xf32>, tensor<4xf32>
  return
}

// -----

// expected-error @+1 {{argument 0: expected 'nn.step' to be a unit attribute on a rank-0 i64 tensor}}
func.func @step_not_scalar(%t: tensor<2xi64> {nn.step}) {
  return
}

// -----

// expected-error @+1 {{argument 0: expected 'nn.step' to be a unit attribute on a rank-0 i64 tensor}}
func.func @step_not_an_integer(%t: tensor<f32> {nn.step}) {
  return
}
