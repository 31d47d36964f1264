// RUN: nnc-opt %s --nn-autodiff --split-input-file | FileCheck %s
// The backward IR the pass builds: the rules, fan-out accumulation, activity, and the loop.

// A dense layer with cross-entropy: the fused rule, the bias gradient through the broadcast
// (a reduction), the weight gradient as Xᵀ·dY, and no gradient for the input.
// CHECK-LABEL: func.func @dense_grad(
// CHECK-SAME: -> (tensor<f32> {nn.loss}, tensor<4x3xf32> {nn.grad = "w"}, tensor<3xf32> {nn.grad = "b"})
// CHECK: %[[Y:.*]] = nn.add
// CHECK: %[[L:.*]] = nn.cross_entropy %[[Y]], %arg1
// CHECK: %[[ONE:.*]] = nn.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[DY:.*]] = nn.cross_entropy_grad %[[Y]], %arg1, %[[ONE]]
// CHECK: %[[DB:.*]] = nn.reduce_sum %[[DY]] axes = [0] : tensor<2x3xf32> -> tensor<3xf32>
// CHECK: %[[DW:.*]] = nn.matmul %arg0, %[[DY]] transpose_a : tensor<2x4xf32>, tensor<2x3xf32> -> tensor<4x3xf32>
// CHECK-NOT: transpose_b
// CHECK: return %[[L]], %[[DW]], %[[DB]]
func.func @dense(%x: tensor<2x4xf32> {nn.input = "x"}, %y: tensor<2xi32> {nn.labels},
                 %w: tensor<4x3xf32> {nn.param = "w", nn.init = {dist = "constant", value = 0.0 : f64}},
                 %b: tensor<3xf32> {nn.param = "b", nn.init = {dist = "constant", value = 0.0 : f64}})
    -> (tensor<f32> {nn.loss}) attributes {nn.mode = "train"} {
  %m = nn.matmul %x, %w : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
  %bb = nn.broadcast %b dims = [1] : tensor<3xf32> -> tensor<2x3xf32>
  %z = nn.add %m, %bb : tensor<2x3xf32>
  %l = nn.cross_entropy %z, %y : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A value used twice gets the sum of both adjoints; relu's rule is a select on its output, not a mask product;
// a frozen parameter gets no gradient.
// CHECK-LABEL: func.func @fanout_grad(
// CHECK-SAME: -> (tensor<f32> {nn.loss}, tensor<3xf32> {nn.grad = "w"})
// CHECK: %[[R:.*]] = nn.relu %arg0
// CHECK: %[[P:.*]] = nn.mul %[[R]], %[[R]]
// CHECK: %[[G1:.*]] = nn.mul %{{.*}}, %[[R]]
// CHECK: %[[G2:.*]] = nn.mul %{{.*}}, %[[R]]
// CHECK: %[[SUM:.*]] = nn.add %[[G1]], %[[G2]]
// CHECK: %[[POS:.*]] = nn.cmp gt, %[[R]]
// CHECK: %[[DW:.*]] = nn.select %[[POS]], %[[SUM]], %{{.*}}
// CHECK: return %{{.*}}, %[[DW]] : tensor<f32>, tensor<3xf32>
func.func @fanout(%w: tensor<3xf32> {nn.param = "w", nn.init = {dist = "constant", value = 0.0 : f64}},
                  %v: tensor<3xf32> {nn.param = "v", nn.frozen, nn.init = {dist = "constant", value = 0.0 : f64}})
    -> (tensor<f32> {nn.loss}) attributes {nn.mode = "train"} {
  %r = nn.relu %w : tensor<3xf32>
  %p = nn.mul %r, %r : tensor<3xf32>
  %q = nn.mul %p, %v : tensor<3xf32>
  %l = nn.reduce_sum %q axes = [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Broadcasting a size-1 dimension reduces it back, keeping the operand's shape.
// CHECK-LABEL: func.func @bcast_grad(
// CHECK: %[[S:.*]] = nn.reduce_sum %{{.*}} axes = [0, 1] : tensor<5x4x3xf32> -> tensor<3xf32>
// CHECK: %[[R:.*]] = nn.reshape %[[S]] : tensor<3xf32> -> tensor<1x3xf32>
// CHECK: return %{{.*}}, %[[R]]
func.func @bcast(%w: tensor<1x3xf32> {nn.param = "w", nn.init = {dist = "constant", value = 0.0 : f64}})
    -> (tensor<f32> {nn.loss}) attributes {nn.mode = "train"} {
  %b = nn.broadcast %w dims = [1, 2] : tensor<1x3xf32> -> tensor<5x4x3xf32>
  %l = nn.reduce_sum %b axes = [0, 1, 2] : tensor<5x4x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Convolution and pooling use the gradient ops; batch norm's rule is nn.batch_norm_grad.
// CHECK-LABEL: func.func @conv_grad(
// CHECK: nn.max_pool2d_grad %[[C:.*]], %{{.*}} kernel = [2, 2]
// CHECK: nn.batch_norm_grad
// CHECK: nn.conv2d_grad_filter %arg0, %{{.*}} strides = [1, 1] padding = [1, 1, 1, 1]
// CHECK-NOT: nn.conv2d_grad_input
// CHECK: return
func.func @conv(%x: tensor<2x1x4x4xf32> {nn.input = "x"},
                %w: tensor<3x1x3x3xf32> {nn.param = "w", nn.init = {dist = "constant", value = 0.0 : f64}},
                %g: tensor<3xf32> {nn.param = "g", nn.init = {dist = "constant", value = 1.0 : f64}},
                %be: tensor<3xf32> {nn.param = "be", nn.init = {dist = "constant", value = 0.0 : f64}})
    -> (tensor<f32> {nn.loss}) attributes {nn.mode = "train"} {
  %c = nn.conv2d %x, %w strides = [1, 1] padding = [1, 1, 1, 1] dilations = [1, 1] groups = 1 : tensor<2x1x4x4xf32>, tensor<3x1x3x3xf32> -> tensor<2x3x4x4xf32>
  %n, %mean, %var = nn.batch_norm_train %c, %g, %be epsilon = 1.0e-05 axis = 1 : tensor<2x3x4x4xf32>, tensor<3xf32>
  %p = nn.max_pool2d %n kernel = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0] : tensor<2x3x4x4xf32> -> tensor<2x3x2x2xf32>
  %l = nn.reduce_mean %p axes = [0, 1, 2, 3] : tensor<2x3x2x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A recurrence: the forward loop stacks its carried value per iteration (the tape); one
// reverse loop runs the steps backwards from the tape, recomputes each step, carries the
// state adjoint and accumulates the weight gradient.
// CHECK-LABEL: func.func @rnn_grad(
// CHECK: %[[TAPE0:.*]] = nn.constant dense<0.000000e+00> : tensor<5x2x3xf32>
// CHECK: %[[FWD:.*]]:2 = scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[H:.*]] = %arg0, %[[TAPE:.*]] = %[[TAPE0]])
// CHECK: nn.put %[[TAPE]][%[[I]]], %[[H]] axis = 0
// CHECK: scf.yield
// CHECK: %[[C5:.*]] = arith.constant 5 : index
// CHECK: %[[REV:.*]]:2 = scf.for %[[J:.*]] = %{{.*}} to %[[C5]] step %{{.*}} iter_args(%[[DH:.*]] = %{{.*}}, %[[DW:.*]] = %{{.*}}) -> (tensor<2x3xf32>, tensor<3x3xf32>)
// CHECK: %[[C4:.*]] = arith.constant 4 : index
// CHECK: %[[T:.*]] = arith.subi %[[C4]], %[[J]]
// CHECK: %[[HT:.*]] = nn.take %[[FWD]]#1[%[[T]]] axis = 0
// CHECK: nn.matmul %[[HT]], %arg1
// CHECK: nn.tanh
// CHECK: nn.matmul %{{.*}}, %arg1 transpose_b
// CHECK: %[[DWT:.*]] = nn.matmul %[[HT]], %{{.*}} transpose_a
// CHECK: %[[ACC:.*]] = nn.add %[[DW]], %[[DWT]]
// CHECK: scf.yield %{{.*}}, %[[ACC]]
// CHECK-NOT: scf.for
// CHECK: return %{{.*}}, %[[REV]]#1
func.func @rnn(%h0: tensor<2x3xf32> {nn.input = "h0"},
               %w: tensor<3x3xf32> {nn.param = "w", nn.init = {dist = "constant", value = 0.0 : f64}})
    -> (tensor<f32> {nn.loss}) attributes {nn.mode = "train"} {
  %c0 = arith.constant 0 : index
  %c5 = arith.constant 5 : index
  %c1 = arith.constant 1 : index
  %h = scf.for %i = %c0 to %c5 step %c1 iter_args(%hi = %h0) -> (tensor<2x3xf32>) {
    %m = nn.matmul %hi, %w : tensor<2x3xf32>, tensor<3x3xf32> -> tensor<2x3xf32>
    %t = nn.tanh %m : tensor<2x3xf32>
    scf.yield %t : tensor<2x3xf32>
  }
  %l = nn.reduce_sum %h axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// With wrt-inputs, the input gradients are results too.
// RUN: nnc-opt %s --nn-autodiff=wrt-inputs=true --split-input-file | FileCheck %s --check-prefix=INPUTS
// INPUTS-LABEL: func.func @dense_grad(
// INPUTS-SAME: tensor<2x4xf32> {nn.input_grad = "x"}
