// RUN: nnc-opt %s | nnc-opt | FileCheck %s
// RUN: nnc-opt %s --mlir-print-op-generic | nnc-opt | FileCheck %s

// Round trip of every nn op in its custom form, and of the function
// attributes of docs/dialect.md.

// CHECK-LABEL: func.func @constant
func.func @constant() -> (tensor<2xf32>, tensor<2x2xf64>, tensor<3xi32>) {
  // CHECK: nn.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
  %0 = nn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  // CHECK: nn.constant dense<5.000000e-01> : tensor<2x2xf64>
  %1 = nn.constant dense<0.5> : tensor<2x2xf64>
  // CHECK: nn.constant dense<[0, 1, 2]> : tensor<3xi32>
  %2 = nn.constant dense<[0, 1, 2]> : tensor<3xi32>
  return %0, %1, %2 : tensor<2xf32>, tensor<2x2xf64>, tensor<3xi32>
}

// CHECK-LABEL: func.func @binary
// CHECK-SAME: (%[[A:.*]]: tensor<4x8xf32>, %[[B:.*]]: tensor<4x8xf32>)
func.func @binary(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // CHECK: %[[ADD:.*]] = nn.add %[[A]], %[[B]] : tensor<4x8xf32>
  %0 = nn.add %a, %b : tensor<4x8xf32>
  // CHECK: %[[SUB:.*]] = nn.sub %[[ADD]], %[[B]] : tensor<4x8xf32>
  %1 = nn.sub %0, %b : tensor<4x8xf32>
  // CHECK: %[[MUL:.*]] = nn.mul %[[SUB]], %[[B]] : tensor<4x8xf32>
  %2 = nn.mul %1, %b : tensor<4x8xf32>
  // CHECK: %[[DIV:.*]] = nn.div %[[MUL]], %[[B]] : tensor<4x8xf32>
  %3 = nn.div %2, %b : tensor<4x8xf32>
  // CHECK: %[[MAX:.*]] = nn.max %[[DIV]], %[[B]] : tensor<4x8xf32>
  %4 = nn.max %3, %b : tensor<4x8xf32>
  // CHECK: %[[MIN:.*]] = nn.min %[[MAX]], %[[B]] : tensor<4x8xf32>
  %5 = nn.min %4, %b : tensor<4x8xf32>
  // CHECK: %[[POW:.*]] = nn.pow %[[MIN]], %[[B]] : tensor<4x8xf32>
  %6 = nn.pow %5, %b : tensor<4x8xf32>
  return %6 : tensor<4x8xf32>
}

// CHECK-LABEL: func.func @binary_f64
func.func @binary_f64(%a: tensor<3xf64>, %b: tensor<3xf64>) -> tensor<3xf64> {
  // CHECK: nn.add %{{.*}}, %{{.*}} : tensor<3xf64>
  %0 = nn.add %a, %b : tensor<3xf64>
  // CHECK: nn.pow %{{.*}}, %{{.*}} : tensor<3xf64>
  %1 = nn.pow %0, %b : tensor<3xf64>
  return %1 : tensor<3xf64>
}

// CHECK-LABEL: func.func @unary
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>)
func.func @unary(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // CHECK: %[[NEG:.*]] = nn.neg %[[X]] : tensor<4x8xf32>
  %0 = nn.neg %x : tensor<4x8xf32>
  // CHECK: %[[EXP:.*]] = nn.exp %[[NEG]] : tensor<4x8xf32>
  %1 = nn.exp %0 : tensor<4x8xf32>
  // CHECK: %[[LOG:.*]] = nn.log %[[EXP]] : tensor<4x8xf32>
  %2 = nn.log %1 : tensor<4x8xf32>
  // CHECK: %[[TANH:.*]] = nn.tanh %[[LOG]] : tensor<4x8xf32>
  %3 = nn.tanh %2 : tensor<4x8xf32>
  // CHECK: %[[SIG:.*]] = nn.sigmoid %[[TANH]] : tensor<4x8xf32>
  %4 = nn.sigmoid %3 : tensor<4x8xf32>
  // CHECK: %[[RELU:.*]] = nn.relu %[[SIG]] : tensor<4x8xf32>
  %5 = nn.relu %4 : tensor<4x8xf32>
  // CHECK: %[[SQRT:.*]] = nn.sqrt %[[RELU]] : tensor<4x8xf32>
  %6 = nn.sqrt %5 : tensor<4x8xf32>
  // CHECK: %[[RSQRT:.*]] = nn.rsqrt %[[SQRT]] : tensor<4x8xf32>
  %7 = nn.rsqrt %6 : tensor<4x8xf32>
  // CHECK: %[[ABS:.*]] = nn.abs %[[RSQRT]] : tensor<4x8xf32>
  %8 = nn.abs %7 : tensor<4x8xf32>
  // CHECK: %[[SQ:.*]] = nn.square %[[ABS]] : tensor<4x8xf32>
  %9 = nn.square %8 : tensor<4x8xf32>
  // CHECK: %[[SIGN:.*]] = nn.sign %[[SQ]] : tensor<4x8xf32>
  %10 = nn.sign %9 : tensor<4x8xf32>
  return %10 : tensor<4x8xf32>
}

// CHECK-LABEL: func.func @unary_f64
func.func @unary_f64(%x: tensor<2x2xf64>) -> tensor<2x2xf64> {
  // CHECK: nn.exp %{{.*}} : tensor<2x2xf64>
  %0 = nn.exp %x : tensor<2x2xf64>
  // CHECK: nn.sign %{{.*}} : tensor<2x2xf64>
  %1 = nn.sign %0 : tensor<2x2xf64>
  return %1 : tensor<2x2xf64>
}

// CHECK-LABEL: func.func @cmp_select_cast
// CHECK-SAME: (%[[A:.*]]: tensor<4xf32>, %[[B:.*]]: tensor<4xf32>, %[[I:.*]]: tensor<4xi32>, %[[J:.*]]: tensor<4xi32>)
func.func @cmp_select_cast(%a: tensor<4xf32>, %b: tensor<4xf32>,
                           %i: tensor<4xi32>, %j: tensor<4xi32>)
    -> (tensor<4xf32>, tensor<4xf64>, tensor<4xi32>) {
  // CHECK: %[[LT:.*]] = nn.cmp lt, %[[A]], %[[B]] : tensor<4xf32>
  %lt = nn.cmp lt, %a, %b : tensor<4xf32>
  // CHECK: nn.cmp eq, %[[A]], %[[B]] : tensor<4xf32>
  %eq = nn.cmp eq, %a, %b : tensor<4xf32>
  // CHECK: nn.cmp ne, %[[A]], %[[B]] : tensor<4xf32>
  %ne = nn.cmp ne, %a, %b : tensor<4xf32>
  // CHECK: nn.cmp le, %[[A]], %[[B]] : tensor<4xf32>
  %le = nn.cmp le, %a, %b : tensor<4xf32>
  // CHECK: nn.cmp gt, %[[A]], %[[B]] : tensor<4xf32>
  %gt = nn.cmp gt, %a, %b : tensor<4xf32>
  // CHECK: %[[IEQ:.*]] = nn.cmp ge, %[[I]], %[[J]] : tensor<4xi32>
  %ieq = nn.cmp ge, %i, %j : tensor<4xi32>
  // CHECK: %[[SEL:.*]] = nn.select %[[LT]], %[[A]], %[[B]] : tensor<4xf32>
  %sel = nn.select %lt, %a, %b : tensor<4xf32>
  // CHECK: nn.select %[[IEQ]], %[[I]], %[[J]] : tensor<4xi32>
  %isel = nn.select %ieq, %i, %j : tensor<4xi32>
  // CHECK: nn.cast %[[IEQ]] : tensor<4xi1> -> tensor<4xf64>
  %f = nn.cast %ieq : tensor<4xi1> -> tensor<4xf64>
  // CHECK: nn.cast %[[SEL]] : tensor<4xf32> -> tensor<4xi32>
  %k = nn.cast %sel : tensor<4xf32> -> tensor<4xi32>
  return %sel, %f, %k : tensor<4xf32>, tensor<4xf64>, tensor<4xi32>
}

// CHECK-LABEL: func.func @dequantize
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xui8>)
func.func @dequantize(%x: tensor<2x3xui8>) -> (tensor<2x3xf32>, tensor<2x3xf64>) {
  // CHECK: nn.dequantize %[[X]] scale = 0.0039215686274509803 : tensor<2x3xui8> -> tensor<2x3xf32>
  %f = nn.dequantize %x scale = 0.0039215686274509803 : tensor<2x3xui8> -> tensor<2x3xf32>
  // CHECK: nn.dequantize %[[X]] scale = 2.500000e-01 : tensor<2x3xui8> -> tensor<2x3xf64>
  %d = nn.dequantize %x scale = 0.25 : tensor<2x3xui8> -> tensor<2x3xf64>
  return %f, %d : tensor<2x3xf32>, tensor<2x3xf64>
}

// CHECK-LABEL: func.func @matmul
// CHECK-SAME: (%[[A:.*]]: tensor<4x8xf32>, %[[B:.*]]: tensor<8x16xf32>, %[[BT:.*]]: tensor<16x8xf32>, %[[AT:.*]]: tensor<8x4xf32>)
func.func @matmul(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>,
                  %bt: tensor<16x8xf32>, %at: tensor<8x4xf32>)
    -> (tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x4xf32>) {
  // CHECK: nn.matmul %[[A]], %[[B]] : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
  %0 = nn.matmul %a, %b : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
  // CHECK: nn.matmul %[[A]], %[[BT]] transpose_b : tensor<4x8xf32>, tensor<16x8xf32> -> tensor<4x16xf32>
  %1 = nn.matmul %a, %bt transpose_b : tensor<4x8xf32>, tensor<16x8xf32> -> tensor<4x16xf32>
  // CHECK: nn.matmul %[[AT]], %[[BT]] transpose_a transpose_b : tensor<8x4xf32>, tensor<16x8xf32> -> tensor<4x16xf32>
  %2 = nn.matmul %at, %bt transpose_a transpose_b
      : tensor<8x4xf32>, tensor<16x8xf32> -> tensor<4x16xf32>
  // The attribute-dictionary form is accepted too.
  // CHECK: nn.matmul %[[AT]], %[[AT]] transpose_a : tensor<8x4xf32>, tensor<8x4xf32> -> tensor<4x4xf32>
  %3 = nn.matmul %at, %at {transpose_a} : tensor<8x4xf32>, tensor<8x4xf32> -> tensor<4x4xf32>
  return %0, %1, %2, %3 : tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x4xf32>
}

// CHECK-LABEL: func.func @matmul_f64
func.func @matmul_f64(%a: tensor<2x3xf64>, %b: tensor<2x5xf64>) -> tensor<3x5xf64> {
  // CHECK: nn.matmul %{{.*}}, %{{.*}} transpose_a : tensor<2x3xf64>, tensor<2x5xf64> -> tensor<3x5xf64>
  %0 = nn.matmul %a, %b transpose_a : tensor<2x3xf64>, tensor<2x5xf64> -> tensor<3x5xf64>
  return %0 : tensor<3x5xf64>
}

// CHECK-LABEL: func.func @broadcast
func.func @broadcast(%bias: tensor<8xf32>, %col: tensor<4x1xf32>, %s: tensor<f32>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<2x3xf32>) {
  // CHECK: nn.broadcast %{{.*}} dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
  %0 = nn.broadcast %bias dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
  // CHECK: nn.broadcast %{{.*}} dims = [0, 1] : tensor<4x1xf32> -> tensor<4x8xf32>
  %1 = nn.broadcast %col dims = [0, 1] : tensor<4x1xf32> -> tensor<4x8xf32>
  // CHECK: nn.broadcast %{{.*}} dims = [] : tensor<f32> -> tensor<2x3xf32>
  %2 = nn.broadcast %s dims = [] : tensor<f32> -> tensor<2x3xf32>
  return %0, %1, %2 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<2x3xf32>
}

// CHECK-LABEL: func.func @reduce
func.func @reduce(%x: tensor<4x8x2xf32>, %y: tensor<3x3xf64>)
    -> (tensor<4x2xf32>, tensor<1x8x1xf32>, tensor<f32>, tensor<3xf64>) {
  // CHECK: nn.reduce_sum %{{.*}} axes = [1] : tensor<4x8x2xf32> -> tensor<4x2xf32>
  %0 = nn.reduce_sum %x axes = [1] : tensor<4x8x2xf32> -> tensor<4x2xf32>
  // CHECK: nn.reduce_mean %{{.*}} axes = [0, 2] keep_dims : tensor<4x8x2xf32> -> tensor<1x8x1xf32>
  %1 = nn.reduce_mean %x axes = [0, 2] keep_dims : tensor<4x8x2xf32> -> tensor<1x8x1xf32>
  // CHECK: nn.reduce_max %{{.*}} axes = [0, 1, 2] : tensor<4x8x2xf32> -> tensor<f32>
  %2 = nn.reduce_max %x axes = [0, 1, 2] : tensor<4x8x2xf32> -> tensor<f32>
  // CHECK: nn.reduce_sum %{{.*}} axes = [0] : tensor<3x3xf64> -> tensor<3xf64>
  %3 = nn.reduce_sum %y axes = [0] : tensor<3x3xf64> -> tensor<3xf64>
  return %0, %1, %2, %3 : tensor<4x2xf32>, tensor<1x8x1xf32>, tensor<f32>, tensor<3xf64>
}

// CHECK-LABEL: func.func @argmax
func.func @argmax(%x: tensor<64x10xf32>) -> tensor<64xi32> {
  // CHECK: nn.argmax %{{.*}} axis = 1 : tensor<64x10xf32> -> tensor<64xi32>
  %0 = nn.argmax %x axis = 1 : tensor<64x10xf32> -> tensor<64xi32>
  return %0 : tensor<64xi32>
}

// CHECK-LABEL: func.func @shapes
func.func @shapes(%x: tensor<2x1x4x4xf32>, %y: tensor<4x8xf32>)
    -> (tensor<2x16xf32>, tensor<8x4xf32>, tensor<4x3xf32>, tensor<4x2x2x1xf32>) {
  // CHECK: nn.reshape %{{.*}} : tensor<2x1x4x4xf32> -> tensor<2x16xf32>
  %0 = nn.reshape %x : tensor<2x1x4x4xf32> -> tensor<2x16xf32>
  // CHECK: nn.transpose %{{.*}} perm = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
  %1 = nn.transpose %y perm = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
  // CHECK: nn.slice %{{.*}} offsets = [0, 2] sizes = [4, 3] strides = [1, 2] : tensor<4x8xf32> -> tensor<4x3xf32>
  %2 = nn.slice %y offsets = [0, 2] sizes = [4, 3] strides = [1, 2]
      : tensor<4x8xf32> -> tensor<4x3xf32>
  // CHECK: nn.transpose %{{.*}} perm = [3, 0, 2, 1] : tensor<2x1x4x4xf32> -> tensor<4x2x4x1xf32>
  %3 = nn.transpose %x perm = [3, 0, 2, 1] : tensor<2x1x4x4xf32> -> tensor<4x2x4x1xf32>
  // CHECK: nn.slice %{{.*}} offsets = [0, 0, 1, 0] sizes = [4, 2, 2, 1] strides = [1, 1, 2, 1]
  %4 = nn.slice %3 offsets = [0, 0, 1, 0] sizes = [4, 2, 2, 1] strides = [1, 1, 2, 1]
      : tensor<4x2x4x1xf32> -> tensor<4x2x2x1xf32>
  return %0, %1, %2, %4 : tensor<2x16xf32>, tensor<8x4xf32>, tensor<4x3xf32>, tensor<4x2x2x1xf32>
}

// CHECK-LABEL: func.func @take_put
// CHECK-SAME: (%[[SEQ:.*]]: tensor<32x20x16xf32>, %[[D:.*]]: tensor<32x16xf32>)
func.func @take_put(%seq: tensor<32x20x16xf32>, %d: tensor<32x16xf32>)
    -> (tensor<32x16xf32>, tensor<32x20x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c20 = arith.constant 20 : index
  // CHECK: scf.for %[[T:[^ ]*]] =
  %r:2 = scf.for %t = %c0 to %c20 step %c1 iter_args(%h = %d, %acc = %seq)
      -> (tensor<32x16xf32>, tensor<32x20x16xf32>) {
    // CHECK: nn.take %[[SEQ]][%[[T]]] axis = 1 : tensor<32x20x16xf32> -> tensor<32x16xf32>
    %x = nn.take %seq[%t] axis = 1 : tensor<32x20x16xf32> -> tensor<32x16xf32>
    %h2 = nn.tanh %x : tensor<32x16xf32>
    // CHECK: nn.put %{{.*}}[%[[T]]], %{{.*}} axis = 1 accumulate : tensor<32x20x16xf32>, tensor<32x16xf32>
    %acc2 = nn.put %acc[%t], %h2 axis = 1 accumulate : tensor<32x20x16xf32>, tensor<32x16xf32>
    // CHECK: nn.put %{{.*}}[%[[T]]], %{{.*}} axis = 1 : tensor<32x20x16xf32>, tensor<32x16xf32>
    %acc3 = nn.put %acc2[%t], %h2 axis = 1 : tensor<32x20x16xf32>, tensor<32x16xf32>
    scf.yield %h2, %acc3 : tensor<32x16xf32>, tensor<32x20x16xf32>
  }
  return %r#0, %r#1 : tensor<32x16xf32>, tensor<32x20x16xf32>
}

// CHECK-LABEL: func.func @concat
func.func @concat(%a: tensor<4x8xf32>, %b: tensor<4x2xf32>, %c: tensor<2x8xf32>)
    -> (tensor<4x10xf32>, tensor<6x8xf32>, tensor<4x8xf32>) {
  // CHECK: nn.concat %{{.*}}, %{{.*}} axis = 1 : tensor<4x8xf32>, tensor<4x2xf32> -> tensor<4x10xf32>
  %0 = nn.concat %a, %b axis = 1 : tensor<4x8xf32>, tensor<4x2xf32> -> tensor<4x10xf32>
  // CHECK: nn.concat %{{.*}}, %{{.*}} axis = 0 : tensor<4x8xf32>, tensor<2x8xf32> -> tensor<6x8xf32>
  %1 = nn.concat %a, %c axis = 0 : tensor<4x8xf32>, tensor<2x8xf32> -> tensor<6x8xf32>
  // CHECK: nn.concat %{{.*}} axis = 0 : tensor<4x8xf32> -> tensor<4x8xf32>
  %2 = nn.concat %a axis = 0 : tensor<4x8xf32> -> tensor<4x8xf32>
  return %0, %1, %2 : tensor<4x10xf32>, tensor<6x8xf32>, tensor<4x8xf32>
}

// CHECK-LABEL: func.func @softmax
func.func @softmax(%x: tensor<64x10xf32>, %y: tensor<3x4xf64>) -> (tensor<64x10xf32>, tensor<3x4xf64>) {
  // CHECK: nn.softmax %{{.*}} axis = 1 : tensor<64x10xf32>
  %0 = nn.softmax %x axis = 1 : tensor<64x10xf32>
  // CHECK: nn.log_softmax %{{.*}} axis = 0 : tensor<3x4xf64>
  %1 = nn.log_softmax %y axis = 0 : tensor<3x4xf64>
  return %0, %1 : tensor<64x10xf32>, tensor<3x4xf64>
}

// CHECK-LABEL: func.func @losses
func.func @losses(%logits: tensor<64x10xf32>, %labels: tensor<64xi32>,
                  %pred: tensor<64x1xf64>, %target: tensor<64x1xf64>)
    -> (tensor<f32>, tensor<f64>) {
  // CHECK: nn.cross_entropy %{{.*}}, %{{.*}} : tensor<64x10xf32>, tensor<64xi32> -> tensor<f32>
  %0 = nn.cross_entropy %logits, %labels : tensor<64x10xf32>, tensor<64xi32> -> tensor<f32>
  // CHECK: nn.mse %{{.*}}, %{{.*}} : tensor<64x1xf64> -> tensor<f64>
  %1 = nn.mse %pred, %target : tensor<64x1xf64> -> tensor<f64>
  return %0, %1 : tensor<f32>, tensor<f64>
}

// CHECK-LABEL: func.func @conv_pool
func.func @conv_pool(%x: tensor<8x4x32x32xf32>, %w: tensor<16x4x3x3xf32>,
                     %dw: tensor<8x2x3x3xf32>)
    -> (tensor<8x16x32x32xf32>, tensor<8x8x15x15xf32>, tensor<8x16x16x16xf32>, tensor<8x16x17x17xf32>) {
  // CHECK: nn.conv2d %{{.*}}, %{{.*}} strides = [1, 1] padding = [1, 1, 1, 1] dilations = [1, 1] groups = 1 : tensor<8x4x32x32xf32>, tensor<16x4x3x3xf32> -> tensor<8x16x32x32xf32>
  %0 = nn.conv2d %x, %w strides = [1, 1] padding = [1, 1, 1, 1] dilations = [1, 1] groups = 1
      : tensor<8x4x32x32xf32>, tensor<16x4x3x3xf32> -> tensor<8x16x32x32xf32>
  // Grouped, strided, dilated: OH = (32 + 0 + 1 - 2 * 2 - 1) / 2 + 1 = 15.
  // CHECK: nn.conv2d %{{.*}}, %{{.*}} strides = [2, 2] padding = [0, 0, 1, 1] dilations = [2, 2] groups = 2 : tensor<8x4x32x32xf32>, tensor<8x2x3x3xf32> -> tensor<8x8x15x15xf32>
  %1 = nn.conv2d %x, %dw strides = [2, 2] padding = [0, 0, 1, 1] dilations = [2, 2] groups = 2
      : tensor<8x4x32x32xf32>, tensor<8x2x3x3xf32> -> tensor<8x8x15x15xf32>
  // CHECK: nn.max_pool2d %{{.*}} kernel = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0] : tensor<8x16x32x32xf32> -> tensor<8x16x16x16xf32>
  %2 = nn.max_pool2d %0 kernel = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0]
      : tensor<8x16x32x32xf32> -> tensor<8x16x16x16xf32>
  // CHECK: nn.avg_pool2d %{{.*}} kernel = [3, 3] strides = [2, 2] padding = [1, 1, 1, 1] : tensor<8x16x32x32xf32> -> tensor<8x16x16x16xf32>
  %3 = nn.avg_pool2d %0 kernel = [3, 3] strides = [2, 2] padding = [1, 1, 1, 1]
      : tensor<8x16x32x32xf32> -> tensor<8x16x16x16xf32>
  // CHECK: nn.avg_pool2d %{{.*}} kernel = [2, 2] strides = [2, 2] padding = [1, 1, 1, 1] : tensor<8x16x32x32xf32> -> tensor<8x16x17x17xf32>
  %4 = nn.avg_pool2d %0 kernel = [2, 2] strides = [2, 2] padding = [1, 1, 1, 1]
      : tensor<8x16x32x32xf32> -> tensor<8x16x17x17xf32>
  return %0, %1, %2, %4 : tensor<8x16x32x32xf32>, tensor<8x8x15x15xf32>, tensor<8x16x16x16xf32>, tensor<8x16x17x17xf32>
}

// CHECK-LABEL: func.func @conv_f64
func.func @conv_f64(%x: tensor<1x1x5x5xf64>, %w: tensor<2x1x2x2xf64>) -> tensor<1x2x4x4xf64> {
  // CHECK: nn.conv2d {{.*}} : tensor<1x1x5x5xf64>, tensor<2x1x2x2xf64> -> tensor<1x2x4x4xf64>
  %0 = nn.conv2d %x, %w strides = [1, 1] padding = [0, 0, 0, 0] dilations = [1, 1] groups = 1
      : tensor<1x1x5x5xf64>, tensor<2x1x2x2xf64> -> tensor<1x2x4x4xf64>
  return %0 : tensor<1x2x4x4xf64>
}

// CHECK-LABEL: func.func @batch_norm
func.func @batch_norm(%x: tensor<8x16x4x4xf32>, %gamma: tensor<16xf32>, %beta: tensor<16xf32>,
                      %mean: tensor<16xf32>, %var: tensor<16xf32>)
    -> (tensor<8x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>, tensor<8x16x4x4xf32>) {
  // CHECK: %{{.*}}, %{{.*}}, %{{.*}} = nn.batch_norm_train %{{.*}}, %{{.*}}, %{{.*}} epsilon = 1.000000e-05 axis = 1 : tensor<8x16x4x4xf32>, tensor<16xf32>
  %y, %m, %v = nn.batch_norm_train %x, %gamma, %beta epsilon = 1.0e-05 axis = 1
      : tensor<8x16x4x4xf32>, tensor<16xf32>
  // CHECK: nn.batch_norm_infer %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} epsilon = 1.000000e-03 axis = 1 : tensor<8x16x4x4xf32>, tensor<16xf32>
  %z = nn.batch_norm_infer %x, %mean, %var, %gamma, %beta epsilon = 1.0e-03 axis = 1
      : tensor<8x16x4x4xf32>, tensor<16xf32>
  return %y, %m, %v, %z : tensor<8x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>, tensor<8x16x4x4xf32>
}

// CHECK-LABEL: func.func @batch_norm_f64
func.func @batch_norm_f64(%x: tensor<6x3xf64>, %gamma: tensor<6xf64>, %beta: tensor<6xf64>)
    -> tensor<6x3xf64> {
  // CHECK: nn.batch_norm_train {{.*}} axis = 0 : tensor<6x3xf64>, tensor<6xf64>
  %y, %m, %v = nn.batch_norm_train %x, %gamma, %beta epsilon = 1.0e-05 axis = 0
      : tensor<6x3xf64>, tensor<6xf64>
  return %y : tensor<6x3xf64>
}

// CHECK-LABEL: func.func @random
// CHECK-SAME: (%[[KEY:.*]]: i64 {nn.rng})
func.func @random(%key: i64 {nn.rng}) -> (tensor<64x256xf32>, tensor<3xf64>) {
  // CHECK: nn.random_uniform %[[KEY]] stream = 0 : tensor<64x256xf32>
  %0 = nn.random_uniform %key stream = 0 : tensor<64x256xf32>
  // CHECK: nn.random_uniform %[[KEY]] stream = 7 : tensor<3xf64>
  %1 = nn.random_uniform %key stream = 7 : tensor<3xf64>
  return %0, %1 : tensor<64x256xf32>, tensor<3xf64>
}

// The function attributes the front end emits.
// CHECK-LABEL: func.func @train_step
// CHECK-SAME: %{{.*}}: tensor<4x3xf32> {nn.input = "x"}
// CHECK-SAME: %{{.*}}: tensor<4xi32> {nn.labels}
// CHECK-SAME: %{{.*}}: tensor<3x2xf32> {nn.init = {dist = "uniform", high = 5.000000e-01 : f64, low = -5.000000e-01 : f64}, nn.param = "dense_0.w"}
// CHECK-SAME: %{{.*}}: tensor<2xf32> {nn.frozen, nn.init = {dist = "constant", value = 0.000000e+00 : f64}, nn.param = "dense_0.b"}
// CHECK-SAME: %{{.*}}: tensor<2xf32> {nn.init = {dist = "normal", mean = 0.000000e+00 : f64, std = 1.000000e+00 : f64}, nn.state = "batch_norm_0.running_mean"}
// CHECK-SAME: %{{.*}}: i64 {nn.rng}
// CHECK-SAME: -> (tensor<f32> {nn.loss}, tensor<2xf32> {nn.state = "batch_norm_0.running_mean"})
// CHECK-SAME: attributes {nn.mode = "train"}
func.func @train_step(%x: tensor<4x3xf32> {nn.input = "x"},
                      %y: tensor<4xi32> {nn.labels},
                      %w: tensor<3x2xf32> {nn.param = "dense_0.w",
                          nn.init = {dist = "uniform", low = -0.5 : f64, high = 0.5 : f64}},
                      %b: tensor<2xf32> {nn.param = "dense_0.b", nn.frozen,
                          nn.init = {dist = "constant", value = 0.0 : f64}},
                      %rm: tensor<2xf32> {nn.state = "batch_norm_0.running_mean",
                          nn.init = {dist = "normal", mean = 0.0 : f64, std = 1.0 : f64}},
                      %key: i64 {nn.rng})
    -> (tensor<f32> {nn.loss}, tensor<2xf32> {nn.state = "batch_norm_0.running_mean"})
    attributes {nn.mode = "train"} {
  %h = nn.matmul %x, %w : tensor<4x3xf32>, tensor<3x2xf32> -> tensor<4x2xf32>
  %bb = nn.broadcast %b dims = [1] : tensor<2xf32> -> tensor<4x2xf32>
  %logits = nn.add %h, %bb : tensor<4x2xf32>
  %loss = nn.cross_entropy %logits, %y : tensor<4x2xf32>, tensor<4xi32> -> tensor<f32>
  return %loss, %rm : tensor<f32>, tensor<2xf32>
}

// CHECK-LABEL: func.func @eval_step
// CHECK-SAME: attributes {nn.mode = "eval"}
func.func @eval_step(%x: tensor<4x3xf32> {nn.input = "x"}) -> tensor<4x3xf32>
    attributes {nn.mode = "eval"} {
  return %x : tensor<4x3xf32>
}

// The attributes outlive bufferization: they also verify on memrefs.
// CHECK-LABEL: func.func @bufferized
// CHECK-SAME: memref<3x2xf32> {nn.param = "dense_0.w"}
// CHECK-SAME: -> (memref<f32> {nn.loss}, memref<2xf32> {nn.state = "batch_norm_0.running_mean"})
func.func @bufferized(%w: memref<3x2xf32> {nn.param = "dense_0.w"}, %l: memref<f32>,
                      %s: memref<2xf32>)
    -> (memref<f32> {nn.loss}, memref<2xf32> {nn.state = "batch_norm_0.running_mean"}) {
  return %l, %s : memref<f32>, memref<2xf32>
}

// The gradient ops.
// CHECK-LABEL: func.func @gradient_ops
func.func @gradient_ops(%x: tensor<2x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %g: tensor<2x4x8x8xf32>,
                        %p: tensor<2x3x4x4xf32>, %logits: tensor<4x5xf32>, %labels: tensor<4xi32>,
                        %s: tensor<f32>, %c: tensor<3xf32>, %d: tensor<6x8xf32>, %e: tensor<2x4xf32>) {
  // CHECK: nn.insert_slice %{{.*}}, %{{.*}} offsets = [1, 0] strides = [2, 2] : tensor<6x8xf32>, tensor<2x4xf32>
  %0 = nn.insert_slice %d, %e offsets = [1, 0] strides = [2, 2] : tensor<6x8xf32>, tensor<2x4xf32>
  // CHECK: nn.cross_entropy_grad %{{.*}}, %{{.*}}, %{{.*}} : tensor<4x5xf32>, tensor<4xi32>, tensor<f32>
  %1 = nn.cross_entropy_grad %logits, %labels, %s : tensor<4x5xf32>, tensor<4xi32>, tensor<f32>
  // CHECK: nn.conv2d_grad_input {{.*}} -> tensor<2x3x8x8xf32>
  %2 = nn.conv2d_grad_input %g, %w strides = [1, 1] padding = [1, 1, 1, 1] dilations = [1, 1] groups = 1 : tensor<2x4x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<2x3x8x8xf32>
  // CHECK: nn.conv2d_grad_filter {{.*}} -> tensor<4x3x3x3xf32>
  %3 = nn.conv2d_grad_filter %x, %g strides = [1, 1] padding = [1, 1, 1, 1] dilations = [1, 1] groups = 1 : tensor<2x3x8x8xf32>, tensor<2x4x8x8xf32> -> tensor<4x3x3x3xf32>
  // CHECK: nn.max_pool2d_grad %{{.*}}, %{{.*}} kernel = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0] : tensor<2x3x8x8xf32>, tensor<2x3x4x4xf32>
  %4 = nn.max_pool2d_grad %x, %p kernel = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0] : tensor<2x3x8x8xf32>, tensor<2x3x4x4xf32>
  // CHECK: nn.avg_pool2d_grad %{{.*}} kernel = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0] : tensor<2x3x4x4xf32> -> tensor<2x3x8x8xf32>
  %5 = nn.avg_pool2d_grad %p kernel = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0] : tensor<2x3x4x4xf32> -> tensor<2x3x8x8xf32>
  // CHECK: nn.batch_norm_grad %{{.*}} epsilon = 1.000000e-05 axis = 1 : tensor<2x3x8x8xf32>, tensor<3xf32>
  %6:3 = nn.batch_norm_grad %x, %c, %c, %c, %x epsilon = 1.0e-05 axis = 1 : tensor<2x3x8x8xf32>, tensor<3xf32>
  return
}
