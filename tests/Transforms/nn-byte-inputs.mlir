// RUN: nnc-opt %s --nn-byte-inputs | FileCheck %s

// The f32 inputs of the model functions become bytes, scaled by 1/255 first thing; labels,
// parameters, non-f32 inputs and functions that are not the model's stay as they are.

// CHECK-LABEL: func.func @m(
// CHECK-SAME: %[[X:.*]]: tensor<2x3xui8> {nn.input = "x"}, %[[W:.*]]: tensor<3x4xf32> {nn.init = {{.*}}, nn.param = "w"}) -> tensor<2x4xf32>
// CHECK-NEXT: %[[S:.*]] = nn.dequantize %[[X]] scale = 0.0039215686274509803 : tensor<2x3xui8> -> tensor<2x3xf32>
// CHECK-NEXT: nn.matmul %[[S]], %[[W]]
func.func @m(%x: tensor<2x3xf32> {nn.input = "x"},
             %w: tensor<3x4xf32> {nn.param = "w", nn.init = {dist = "constant", value = 0.0 : f64}})
    -> tensor<2x4xf32> attributes {nn.mode = "eval"} {
  %y = nn.matmul %x, %w : tensor<2x3xf32>, tensor<3x4xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// CHECK-LABEL: func.func @m_loss(
// CHECK-SAME: %[[X:.*]]: tensor<2x3xui8> {nn.input = "x"}, %[[L:.*]]: tensor<2xi32> {nn.labels}, %[[K:.*]]: tensor<2xf64> {nn.input = "k"})
// CHECK-NEXT: %[[S:.*]] = nn.dequantize %[[X]] scale = 0.0039215686274509803 : tensor<2x3xui8> -> tensor<2x3xf32>
// CHECK-NEXT: nn.reduce_sum %[[S]]
func.func @m_loss(%x: tensor<2x3xf32> {nn.input = "x"}, %l: tensor<2xi32> {nn.labels},
                  %k: tensor<2xf64> {nn.input = "k"})
    -> (tensor<f32> {nn.loss}) attributes {nn.mode = "train"} {
  %s = nn.reduce_sum %x axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %s : tensor<f32>
}

// CHECK-LABEL: func.func @helper(
// CHECK-SAME: tensor<2x3xf32>
func.func @helper(%x: tensor<2x3xf32> {nn.input = "x"}) -> tensor<2x3xf32> {
  return %x : tensor<2x3xf32>
}
