// RUN: nnc-opt %s --split-input-file --nn-optimizer --verify-diagnostics

// A gradient function without the train block: nothing says how to update.
// expected-error @+1 {{nn-optimizer needs the train block ('nn.train' on the module)}}
module {
  func.func @m_loss_grad(%w: tensor<3xf32> {nn.param = "w", nn.init = {dist = "constant", value = 0.0 : f64}})
      -> (tensor<f32> {nn.loss}, tensor<3xf32> {nn.grad = "w"}) attributes {nn.mode = "train"} {
    %l = nn.reduce_sum %w axes = [0] : tensor<3xf32> -> tensor<f32>
    return %l, %w : tensor<f32>, tensor<3xf32>
  }
}

// -----

module attributes {nn.train = {optimizer = {kind = "adamax", lr = 1.0e-03 : f64}}} {
  // expected-error @+1 {{unknown optimizer 'adamax'}}
  func.func @m_loss_grad(%w: tensor<3xf32> {nn.param = "w", nn.init = {dist = "constant", value = 0.0 : f64}})
      -> (tensor<f32> {nn.loss}, tensor<3xf32> {nn.grad = "w"}) attributes {nn.mode = "train"} {
    %l = nn.reduce_sum %w axes = [0] : tensor<3xf32> -> tensor<f32>
    return %l, %w : tensor<f32>, tensor<3xf32>
  }
}

// -----

module attributes {nn.train = {optimizer = {kind = "sgd", lr = 1.0e-01 : f64}, schedule = {kind = "cosine", min_lr = 0.0 : f64}}} {
  // expected-error @+1 {{a cosine schedule needs 'steps' (the length of the run in steps)}}
  func.func @m_loss_grad(%w: tensor<3xf32> {nn.param = "w", nn.init = {dist = "constant", value = 0.0 : f64}})
      -> (tensor<f32> {nn.loss}, tensor<3xf32> {nn.grad = "w"}) attributes {nn.mode = "train"} {
    %l = nn.reduce_sum %w axes = [0] : tensor<3xf32> -> tensor<f32>
    return %l, %w : tensor<f32>, tensor<3xf32>
  }
}

// -----

// A trainable parameter whose gradient the gradient function does not return.
module attributes {nn.train = {optimizer = {kind = "sgd", lr = 1.0e-01 : f64}}} {
  // expected-error @+1 {{no gradient for parameter 'b'}}
  func.func @m_loss_grad(%w: tensor<3xf32> {nn.param = "w", nn.init = {dist = "constant", value = 0.0 : f64}},
                         %b: tensor<3xf32> {nn.param = "b", nn.init = {dist = "constant", value = 0.0 : f64}})
      -> (tensor<f32> {nn.loss}, tensor<3xf32> {nn.grad = "w"}) attributes {nn.mode = "train"} {
    %l = nn.reduce_sum %w axes = [0] : tensor<3xf32> -> tensor<f32>
    return %l, %w : tensor<f32>, tensor<3xf32>
  }
}
