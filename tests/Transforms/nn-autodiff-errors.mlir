// RUN: nnc-opt %s --nn-autodiff --split-input-file --verify-diagnostics

// An active op without a gradient rule stops the pass and is named.
func.func @no_rule(%w: tensor<2x3x4x4xf32> {nn.param = "w", nn.init = {dist = "constant", value = 0.0 : f64}},
                   %g: tensor<2x3x4x4xf32> {nn.input = "g"}) -> (tensor<f32> {nn.loss}) attributes {nn.mode = "train"} {
  // expected-error @+1 {{no gradient rule for 'nn.conv2d_grad_filter', which lies between the parameters and the loss}}
  %dw = nn.conv2d_grad_filter %w, %g strides = [1, 1] padding = [0, 0, 0, 0] dilations = [1, 1] groups = 1 : tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32> -> tensor<3x3x1x1xf32>
  %l = nn.reduce_sum %dw axes = [0, 1, 2, 3] : tensor<3x3x1x1xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A loss that is not a scalar is rejected before the pass runs.
// expected-error @+1 {{expected the 'nn.loss' result to be a rank-0 float tensor, found 'tensor<4xf32>'}}
func.func @vector_loss(%w: tensor<4xf32> {nn.param = "w", nn.init = {dist = "constant", value = 0.0 : f64}}) -> (tensor<4xf32> {nn.loss}) attributes {nn.mode = "train"} {
  return %w : tensor<4xf32>
}

// -----

// expected-error @+1 {{a training function needs a result marked nn.loss to differentiate}}
func.func @no_loss(%w: tensor<4xf32> {nn.param = "w", nn.init = {dist = "constant", value = 0.0 : f64}}) -> tensor<4xf32> attributes {nn.mode = "train"} {
  return %w : tensor<4xf32>
}

// -----

func.func @dynamic_loop(%w: tensor<4xf32> {nn.param = "w", nn.init = {dist = "constant", value = 0.0 : f64}}, %n: index) -> (tensor<f32> {nn.loss}) attributes {nn.mode = "train"} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // expected-error @+1 {{cannot differentiate a loop whose bounds are not constants}}
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%h = %w) -> (tensor<4xf32>) {
    %t = nn.tanh %h : tensor<4xf32>
    scf.yield %t : tensor<4xf32>
  }
  %l = nn.reduce_sum %r axes = [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
