// RUN: nnc-opt %s --split-input-file --nn-optimizer | FileCheck %s

// nn-optimizer builds @<model>_train_step from @<model>_loss_grad and the train block: the
// signature (optimizer state and the step counter added), the learning-rate schedule
// evaluated from the step, and each optimizer's update, in the order the IR is built.

// SGD with Nesterov momentum, coupled L2 (0.01) and L1 (0.001) terms; the frozen parameter
// gets no state and no update. The signature: the gradient function's arguments, one
// momentum buffer, the i64 step; the results: the loss, the new parameter, the new buffer.
// CHECK-LABEL: func.func @sgd_train_step(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<2x3xf32> {nn.input = "x"}, %[[W:[^:]*]]: tensor<3xf32> {nn.init = {dist = "constant", value = 0.000000e+00 : f64}, nn.param = "w"},
// CHECK-SAME:      %[[B:[^:]*]]: tensor<3xf32> {nn.frozen, nn.init = {dist = "constant", value = 0.000000e+00 : f64}, nn.param = "b"},
// CHECK-SAME:      %[[BUF:[^:]*]]: tensor<3xf32> {nn.init = {dist = "constant", value = 0.000000e+00 : f64}, nn.opt_state = "sgd.momentum.w"},
// CHECK-SAME:      %[[STEP:[^:]*]]: tensor<i64> {nn.step})
// CHECK-SAME:      -> (tensor<f32> {nn.loss}, tensor<3xf32> {nn.param = "w"}, tensor<3xf32> {nn.opt_state = "sgd.momentum.w"})
// CHECK-SAME:      attributes {nn.mode = "train"}
// CHECK:         %[[G:.*]]:2 = call @sgd_loss_grad(%[[X]], %[[W]], %[[B]])
// CHECK-NEXT:    %[[COUNT:.*]] = tensor.extract %[[STEP]][] : tensor<i64>
// CHECK-NEXT:    %[[T:.*]] = arith.sitofp %[[COUNT]] : i64 to f32
// CHECK-NEXT:    %[[LR:.*]] = arith.constant 1.000000e-01 : f32
// CHECK:         %[[LRT:.*]] = tensor.from_elements %[[LR]] : tensor<f32>
// CHECK-NEXT:    %[[L2:.*]] = nn.constant dense<0.00999999977> : tensor<3xf32>
// CHECK-NEXT:    %[[DECAY:.*]] = nn.mul %[[W]], %[[L2]]
// CHECK-NEXT:    %[[G1:.*]] = nn.add %[[G]]#1, %[[DECAY]]
// CHECK-NEXT:    %[[SIGN:.*]] = nn.sign %[[W]]
// CHECK-NEXT:    %[[L1:.*]] = nn.constant dense<1.000000e-03> : tensor<3xf32>
// CHECK-NEXT:    %[[L1T:.*]] = nn.mul %[[SIGN]], %[[L1]]
// CHECK-NEXT:    %[[G2:.*]] = nn.add %[[G1]], %[[L1T]]
// CHECK-NEXT:    %[[MU:.*]] = nn.constant dense<0.899999976> : tensor<3xf32>
// CHECK-NEXT:    %[[KEPT:.*]] = nn.mul %[[BUF]], %[[MU]]
// CHECK-NEXT:    %[[NBUF:.*]] = nn.add %[[KEPT]], %[[G2]]
// CHECK-NEXT:    %[[MU2:.*]] = nn.constant dense<0.899999976> : tensor<3xf32>
// CHECK-NEXT:    %[[LOOK:.*]] = nn.mul %[[NBUF]], %[[MU2]]
// CHECK-NEXT:    %[[UPD:.*]] = nn.add %[[G2]], %[[LOOK]]
// CHECK-NEXT:    %[[LRB:.*]] = nn.broadcast %[[LRT]] dims = [] : tensor<f32> -> tensor<3xf32>
// CHECK-NEXT:    %[[STEPW:.*]] = nn.mul %[[UPD]], %[[LRB]]
// CHECK-NEXT:    %[[NW:.*]] = nn.sub %[[W]], %[[STEPW]]
// CHECK-NEXT:    return %[[G]]#0, %[[NW]], %[[NBUF]]
module attributes {nn.train = {l1 = 1.0e-03 : f64, l2 = 1.0e-02 : f64, optimizer = {kind = "sgd", lr = 1.0e-01 : f64, momentum = 9.0e-01 : f64, nesterov = true, weight_decay = 0.0 : f64}}} {
  func.func @sgd_loss_grad(%x: tensor<2x3xf32> {nn.input = "x"},
                         %w: tensor<3xf32> {nn.param = "w", nn.init = {dist = "constant", value = 0.0 : f64}},
                         %b: tensor<3xf32> {nn.param = "b", nn.frozen, nn.init = {dist = "constant", value = 0.0 : f64}})
      -> (tensor<f32> {nn.loss}, tensor<3xf32> {nn.grad = "w"}) attributes {nn.mode = "train"} {
    %l = nn.reduce_sum %w axes = [0] : tensor<3xf32> -> tensor<f32>
    %g = nn.add %w, %b : tensor<3xf32>
    return %l, %g : tensor<f32>, tensor<3xf32>
  }
}

// -----

// Adam with a cosine schedule after a 10-step warm-up: lr = min_lr + (lr0 - min_lr) / 2 ·
// (1 + cos(π · min(1, (t - 10) / 90))), times min(1, t / 10); the bias corrections
// 1 - beta^t; the moments' moving averages.
// CHECK-LABEL: func.func @adam_train_step(
// CHECK-SAME:      %[[W:[^:]*]]: tensor<3xf32> {nn.init = {dist = "constant", value = 0.000000e+00 : f64}, nn.param = "w"}, %[[M:[^:]*]]: tensor<3xf32> {nn.init = {dist = "constant", value = 0.000000e+00 : f64}, nn.opt_state = "adam.m.w"},
// CHECK-SAME:      %[[V:[^:]*]]: tensor<3xf32> {nn.init = {dist = "constant", value = 0.000000e+00 : f64}, nn.opt_state = "adam.v.w"}, %[[STEP:[^:]*]]: tensor<i64> {nn.step})
// CHECK-SAME:      -> (tensor<f32> {nn.loss}, tensor<3xf32> {nn.param = "w"}, tensor<3xf32> {nn.opt_state = "adam.m.w"}, tensor<3xf32> {nn.opt_state = "adam.v.w"})
// CHECK:         %[[G:.*]]:2 = call @adam_loss_grad(%[[W]])
// CHECK:         %[[T:.*]] = arith.sitofp
// CHECK-NEXT:    %[[LR0:.*]] = arith.constant 1.000000e-03 : f32
// CHECK-NEXT:    %[[WU:.*]] = arith.constant 1.000000e+01 : f32
// CHECK-NEXT:    %[[SINCE:.*]] = arith.subf %[[T]], %[[WU]] : f32
// CHECK-NEXT:    %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:    %[[AFTER:.*]] = arith.maximumf %[[SINCE]], %[[Z]] : f32
// CHECK-NEXT:    %[[LEN:.*]] = arith.constant 9.000000e+01 : f32
// CHECK-NEXT:    %[[PROG:.*]] = arith.divf %[[AFTER]], %[[LEN]] : f32
// CHECK-NEXT:    %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:    %[[FRAC:.*]] = arith.minimumf %[[PROG]], %[[ONE]] : f32
// CHECK-NEXT:    %[[PI:.*]] = arith.constant 3.14159274 : f32
// CHECK-NEXT:    %[[ANGLE:.*]] = arith.mulf %[[FRAC]], %[[PI]] : f32
// CHECK-NEXT:    %[[COS:.*]] = math.cos %[[ANGLE]] : f32
// CHECK-NEXT:    %[[MIN:.*]] = arith.constant 9.99999974E-6 : f32
// CHECK-NEXT:    %[[HALF:.*]] = arith.constant 4.950000e-04 : f32
// CHECK-NEXT:    %[[ONE2:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:    %[[C1:.*]] = arith.addf %[[ONE2]], %[[COS]] : f32
// CHECK-NEXT:    %[[C2:.*]] = arith.mulf %[[HALF]], %[[C1]] : f32
// CHECK-NEXT:    %[[COSLR:.*]] = arith.addf %[[MIN]], %[[C2]] : f32
// CHECK-NEXT:    %[[ONE3:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:    %[[WU2:.*]] = arith.constant 1.000000e+01 : f32
// CHECK-NEXT:    %[[RAMP:.*]] = arith.divf %[[T]], %[[WU2]] : f32
// CHECK-NEXT:    %[[WARM:.*]] = arith.minimumf %[[ONE3]], %[[RAMP]] : f32
// CHECK-NEXT:    %[[LR:.*]] = arith.mulf %[[COSLR]], %[[WARM]] : f32
// CHECK-NEXT:    %[[LRT:.*]] = tensor.from_elements %[[LR]] : tensor<f32>
// CHECK-NEXT:    %[[ONE4:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:    %[[B1:.*]] = arith.constant 0.899999976 : f32
// CHECK-NEXT:    %[[P1:.*]] = math.powf %[[B1]], %[[T]] : f32
// CHECK-NEXT:    %[[BC1S:.*]] = arith.subf %[[ONE4]], %[[P1]] : f32
// CHECK-NEXT:    %[[BC1:.*]] = tensor.from_elements %[[BC1S]] : tensor<f32>
// CHECK-NEXT:    %[[ONE5:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:    %[[B2:.*]] = arith.constant 9.990000e-01 : f32
// CHECK-NEXT:    %[[P2:.*]] = math.powf %[[B2]], %[[T]] : f32
// CHECK-NEXT:    %[[BC2S:.*]] = arith.subf %[[ONE5]], %[[P2]] : f32
// CHECK-NEXT:    %[[BC2:.*]] = tensor.from_elements %[[BC2S]] : tensor<f32>
// CHECK-NEXT:    %[[K1:.*]] = nn.constant dense<0.899999976> : tensor<3xf32>
// CHECK-NEXT:    %[[MK:.*]] = nn.mul %[[M]], %[[K1]]
// CHECK-NEXT:    %[[A1:.*]] = nn.constant dense<1.000000e-01> : tensor<3xf32>
// CHECK-NEXT:    %[[GA:.*]] = nn.mul %[[G]]#1, %[[A1]]
// CHECK-NEXT:    %[[NM:.*]] = nn.add %[[MK]], %[[GA]]
// CHECK-NEXT:    %[[K2:.*]] = nn.constant dense<9.990000e-01> : tensor<3xf32>
// CHECK-NEXT:    %[[VK:.*]] = nn.mul %[[V]], %[[K2]]
// CHECK-NEXT:    %[[SQ:.*]] = nn.square %[[G]]#1
// CHECK-NEXT:    %[[A2:.*]] = nn.constant dense<1.000000e-03> : tensor<3xf32>
// CHECK-NEXT:    %[[SA:.*]] = nn.mul %[[SQ]], %[[A2]]
// CHECK-NEXT:    %[[NV:.*]] = nn.add %[[VK]], %[[SA]]
// CHECK-NEXT:    %[[BC1B:.*]] = nn.broadcast %[[BC1]]
// CHECK-NEXT:    %[[MHAT:.*]] = nn.div %[[NM]], %[[BC1B]]
// CHECK-NEXT:    %[[BC2B:.*]] = nn.broadcast %[[BC2]]
// CHECK-NEXT:    %[[VHAT:.*]] = nn.div %[[NV]], %[[BC2B]]
// CHECK-NEXT:    %[[ROOT:.*]] = nn.sqrt %[[VHAT]]
// CHECK-NEXT:    %[[EPS:.*]] = nn.constant dense<9.99999993E-9> : tensor<3xf32>
// CHECK-NEXT:    %[[DEN:.*]] = nn.add %[[ROOT]], %[[EPS]]
// CHECK-NEXT:    %[[UPD:.*]] = nn.div %[[MHAT]], %[[DEN]]
// CHECK-NEXT:    %[[LRB:.*]] = nn.broadcast %[[LRT]]
// CHECK-NEXT:    %[[D:.*]] = nn.mul %[[UPD]], %[[LRB]]
// CHECK-NEXT:    %[[NW:.*]] = nn.sub %[[W]], %[[D]]
// CHECK-NEXT:    return %[[G]]#0, %[[NW]], %[[NM]], %[[NV]]
module attributes {nn.train = {optimizer = {kind = "adam", lr = 1.0e-03 : f64, beta1 = 9.0e-01 : f64, beta2 = 9.99e-01 : f64, eps = 1.0e-08 : f64}, schedule = {kind = "cosine", steps = 100 : i64, warmup = 10 : i64, min_lr = 1.0e-05 : f64}}} {
  func.func @adam_loss_grad(%w: tensor<3xf32> {nn.param = "w", nn.init = {dist = "constant", value = 0.0 : f64}})
      -> (tensor<f32> {nn.loss}, tensor<3xf32> {nn.grad = "w"}) attributes {nn.mode = "train"} {
    %l = nn.reduce_sum %w axes = [0] : tensor<3xf32> -> tensor<f32>
    return %l, %w : tensor<f32>, tensor<3xf32>
  }
}

// -----

// AdamW decays the parameter itself (p - lr · wd · p) before the update; a step schedule:
// lr · gamma^floor(t / every).
// CHECK-LABEL: func.func @adamw_train_step(
// CHECK-SAME:      %[[W:[^:]*]]: tensor<3xf32> {nn.init = {dist = "constant", value = 0.000000e+00 : f64}, nn.param = "w"}, %{{[^:]*}}: tensor<3xf32> {nn.init = {dist = "constant", value = 0.000000e+00 : f64}, nn.opt_state = "adamw.m.w"}, %{{[^:]*}}: tensor<3xf32> {nn.init = {dist = "constant", value = 0.000000e+00 : f64}, nn.opt_state = "adamw.v.w"}
// CHECK:         %[[LR0:.*]] = arith.constant 1.000000e-03 : f32
// CHECK:         %[[AFTER:.*]] = arith.maximumf
// CHECK-NEXT:    %[[GAMMA:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT:    %[[EVERY:.*]] = arith.constant 1.000000e+01 : f32
// CHECK-NEXT:    %[[Q:.*]] = arith.divf %[[AFTER]], %[[EVERY]] : f32
// CHECK-NEXT:    %[[N:.*]] = math.floor %[[Q]] : f32
// CHECK-NEXT:    %[[F:.*]] = math.powf %[[GAMMA]], %[[N]] : f32
// CHECK-NEXT:    %[[LR:.*]] = arith.mulf %[[LR0]], %[[F]] : f32
// CHECK-NEXT:    %[[LRT:.*]] = tensor.from_elements %[[LR]] : tensor<f32>
// CHECK:         %[[LRB:.*]] = nn.broadcast %[[LRT]] dims = [] : tensor<f32> -> tensor<3xf32>
// CHECK-NEXT:    %[[LRW:.*]] = nn.mul %[[W]], %[[LRB]]
// CHECK-NEXT:    %[[WD:.*]] = nn.constant dense<0.00999999977> : tensor<3xf32>
// CHECK-NEXT:    %[[DECAY:.*]] = nn.mul %[[LRW]], %[[WD]]
// CHECK-NEXT:    %[[PD:.*]] = nn.sub %[[W]], %[[DECAY]]
// CHECK:         nn.sqrt
// CHECK-NEXT:    nn.constant dense<9.99999993E-9> : tensor<3xf32>
// CHECK-NEXT:    nn.add
// CHECK-NEXT:    %[[UPD:.*]] = nn.div
// CHECK-NEXT:    nn.broadcast %[[LRT]]
// CHECK-NEXT:    %[[D:.*]] = nn.mul %[[UPD]]
// CHECK-NEXT:    nn.sub %[[PD]], %[[D]]
module attributes {nn.train = {optimizer = {kind = "adamw", lr = 1.0e-03 : f64, weight_decay = 1.0e-02 : f64}, schedule = {kind = "step", every = 10 : i64, gamma = 5.0e-01 : f64}}} {
  func.func @adamw_loss_grad(%w: tensor<3xf32> {nn.param = "w", nn.init = {dist = "constant", value = 0.0 : f64}})
      -> (tensor<f32> {nn.loss}, tensor<3xf32> {nn.grad = "w"}) attributes {nn.mode = "train"} {
    %l = nn.reduce_sum %w axes = [0] : tensor<3xf32> -> tensor<f32>
    return %l, %w : tensor<f32>, tensor<3xf32>
  }
}

// -----

// RMSprop with momentum: the square average, then a momentum buffer over g / (sqrt + eps);
// an exponential schedule (every step by default).
// CHECK-LABEL: func.func @rmsprop_train_step(
// CHECK-SAME:      %[[W:[^:]*]]: tensor<3xf32> {nn.init = {dist = "constant", value = 0.000000e+00 : f64}, nn.param = "w"}, %[[SQA:[^:]*]]: tensor<3xf32> {nn.init = {dist = "constant", value = 0.000000e+00 : f64}, nn.opt_state = "rmsprop.square_avg.w"},
// CHECK-SAME:      %[[MOM:[^:]*]]: tensor<3xf32> {nn.init = {dist = "constant", value = 0.000000e+00 : f64}, nn.opt_state = "rmsprop.momentum.w"}, %{{[^:]*}}: tensor<i64> {nn.step})
// CHECK:         %[[G:.*]]:2 = call @rmsprop_loss_grad(%[[W]])
// CHECK:         arith.constant 0.899999976 : f32
// CHECK-NEXT:    arith.constant 1.000000e+00 : f32
// CHECK-NEXT:    arith.divf
// CHECK-NEXT:    math.floor
// CHECK-NEXT:    math.powf
// CHECK:         %[[ALPHA:.*]] = nn.constant dense<9.900000e-01> : tensor<3xf32>
// CHECK-NEXT:    %[[KEPT:.*]] = nn.mul %[[SQA]], %[[ALPHA]]
// CHECK-NEXT:    %[[SQ:.*]] = nn.square %[[G]]#1
// CHECK-NEXT:    %[[A:.*]] = nn.constant dense<0.00999999977> : tensor<3xf32>
// CHECK-NEXT:    %[[ADDED:.*]] = nn.mul %[[SQ]], %[[A]]
// CHECK-NEXT:    %[[NSQ:.*]] = nn.add %[[KEPT]], %[[ADDED]]
// CHECK-NEXT:    %[[ROOT:.*]] = nn.sqrt %[[NSQ]]
// CHECK-NEXT:    %[[EPS:.*]] = nn.constant dense<9.99999993E-9> : tensor<3xf32>
// CHECK-NEXT:    %[[DEN:.*]] = nn.add %[[ROOT]], %[[EPS]]
// CHECK-NEXT:    %[[U:.*]] = nn.div %[[G]]#1, %[[DEN]]
// CHECK-NEXT:    %[[MU:.*]] = nn.constant dense<5.000000e-01> : tensor<3xf32>
// CHECK-NEXT:    %[[MK:.*]] = nn.mul %[[MOM]], %[[MU]]
// CHECK-NEXT:    %[[NMOM:.*]] = nn.add %[[MK]], %[[U]]
// CHECK:         %[[NW:.*]] = nn.sub %[[W]], %{{.*}}
// CHECK-NEXT:    return %[[G]]#0, %[[NW]], %[[NSQ]], %[[NMOM]]
module attributes {nn.train = {optimizer = {kind = "rmsprop", lr = 1.0e-02 : f64, alpha = 9.9e-01 : f64, momentum = 5.0e-01 : f64}, schedule = {kind = "exponential", gamma = 9.0e-01 : f64}}} {
  func.func @rmsprop_loss_grad(%w: tensor<3xf32> {nn.param = "w", nn.init = {dist = "constant", value = 0.0 : f64}})
      -> (tensor<f32> {nn.loss}, tensor<3xf32> {nn.grad = "w"}) attributes {nn.mode = "train"} {
    %l = nn.reduce_sum %w axes = [0] : tensor<3xf32> -> tensor<f32>
    return %l, %w : tensor<f32>, tensor<3xf32>
  }
}

// -----

// Adagrad on an f64 model: the schedule (a 5-step warm-up) is computed in f32 and cast.
// CHECK-LABEL: func.func @adagrad_train_step(
// CHECK-SAME:      %[[W:[^:]*]]: tensor<3xf64> {nn.init = {dist = "constant", value = 0.000000e+00 : f64}, nn.param = "w"}, %[[SUM:[^:]*]]: tensor<3xf64> {nn.init = {dist = "constant", value = 0.000000e+00 : f64}, nn.opt_state = "adagrad.sum.w"}, %{{[^:]*}}: tensor<i64> {nn.step})
// CHECK-SAME:      -> (tensor<f64> {nn.loss}, tensor<3xf64> {nn.param = "w"}, tensor<3xf64> {nn.opt_state = "adagrad.sum.w"})
// CHECK:         %[[G:.*]]:2 = call @adagrad_loss_grad(%[[W]])
// CHECK:         %[[T:.*]] = arith.sitofp
// CHECK-NEXT:    %[[LR0:.*]] = arith.constant 0.00999999977 : f32
// CHECK-NEXT:    %[[WU:.*]] = arith.constant 5.000000e+00 : f32
// CHECK-NEXT:    arith.subf %[[T]], %[[WU]]
// CHECK-NEXT:    arith.constant 0.000000e+00 : f32
// CHECK-NEXT:    arith.maximumf
// CHECK-NEXT:    %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:    %[[WU2:.*]] = arith.constant 5.000000e+00 : f32
// CHECK-NEXT:    %[[R:.*]] = arith.divf %[[T]], %[[WU2]] : f32
// CHECK-NEXT:    %[[F:.*]] = arith.minimumf %[[ONE]], %[[R]] : f32
// CHECK-NEXT:    %[[LR:.*]] = arith.mulf %[[LR0]], %[[F]] : f32
// CHECK-NEXT:    %[[LRT:.*]] = tensor.from_elements %[[LR]] : tensor<f32>
// CHECK-NEXT:    %[[LR64:.*]] = nn.cast %[[LRT]] : tensor<f32> -> tensor<f64>
// CHECK-NEXT:    %[[SQ:.*]] = nn.square %[[G]]#1 : tensor<3xf64>
// CHECK-NEXT:    %[[NSUM:.*]] = nn.add %[[SUM]], %[[SQ]]
// CHECK-NEXT:    %[[ROOT:.*]] = nn.sqrt %[[NSUM]]
// CHECK-NEXT:    %[[EPS:.*]] = nn.constant dense<1.000000e-10> : tensor<3xf64>
// CHECK-NEXT:    %[[DEN:.*]] = nn.add %[[ROOT]], %[[EPS]]
// CHECK-NEXT:    %[[U:.*]] = nn.div %[[G]]#1, %[[DEN]]
// CHECK-NEXT:    %[[LRB:.*]] = nn.broadcast %[[LR64]] dims = [] : tensor<f64> -> tensor<3xf64>
// CHECK-NEXT:    %[[D:.*]] = nn.mul %[[U]], %[[LRB]]
// CHECK-NEXT:    %[[NW:.*]] = nn.sub %[[W]], %[[D]]
// CHECK-NEXT:    return %[[G]]#0, %[[NW]], %[[NSUM]]
module attributes {nn.train = {optimizer = {kind = "adagrad", lr = 1.0e-02 : f64}, schedule = {kind = "warmup", steps = 5 : i64}}} {
  func.func @adagrad_loss_grad(%w: tensor<3xf64> {nn.param = "w", nn.init = {dist = "constant", value = 0.0 : f64}})
      -> (tensor<f64> {nn.loss}, tensor<3xf64> {nn.grad = "w"}) attributes {nn.mode = "train"} {
    %l = nn.reduce_sum %w axes = [0] : tensor<3xf64> -> tensor<f64>
    return %l, %w : tensor<f64>, tensor<3xf64>
  }
}

// -----

// Without a gradient function there is nothing to train: no train block needed, no step.
// CHECK-LABEL: func.func @plain_loss(
// CHECK-NOT:     train_step
module {
  func.func @plain_loss(%w: tensor<3xf32>) -> tensor<3xf32> {
    return %w : tensor<3xf32>
  }
}

// -----

// Gradient clipping, before weight decay, as torch.nn.utils does it: each element into
// [-clip_value, clip_value], then every gradient times min(1, clip_norm / (norm + 1e-6)),
// the norm that of all the gradients together, summed in the order of the parameters.
// CHECK-LABEL: func.func @clip_train_step(
// CHECK:         %[[G:.*]]:3 = call @clip_loss_grad(
// CHECK-NEXT:    %[[LO:.*]] = nn.constant dense<-3.000000e-01> : tensor<2xf32>
// CHECK-NEXT:    %[[GA1:.*]] = nn.max %[[G]]#1, %[[LO]]
// CHECK-NEXT:    %[[HI:.*]] = nn.constant dense<3.000000e-01> : tensor<2xf32>
// CHECK-NEXT:    %[[GA:.*]] = nn.min %[[GA1]], %[[HI]]
// CHECK-NEXT:    %[[LO2:.*]] = nn.constant dense<-3.000000e-01> : tensor<3x2xf32>
// CHECK-NEXT:    %[[GB1:.*]] = nn.max %[[G]]#2, %[[LO2]]
// CHECK-NEXT:    %[[HI2:.*]] = nn.constant dense<3.000000e-01> : tensor<3x2xf32>
// CHECK-NEXT:    %[[GB:.*]] = nn.min %[[GB1]], %[[HI2]]
// CHECK-NEXT:    %[[SQA:.*]] = nn.mul %[[GA]], %[[GA]]
// CHECK-NEXT:    %[[SA:.*]] = nn.reduce_sum %[[SQA]] axes = [0] : tensor<2xf32> -> tensor<f32>
// CHECK-NEXT:    %[[SQB:.*]] = nn.mul %[[GB]], %[[GB]]
// CHECK-NEXT:    %[[SB:.*]] = nn.reduce_sum %[[SQB]] axes = [0, 1] : tensor<3x2xf32> -> tensor<f32>
// CHECK-NEXT:    %[[TOTAL:.*]] = nn.add %[[SA]], %[[SB]] : tensor<f32>
// CHECK-NEXT:    %[[NORM:.*]] = nn.sqrt %[[TOTAL]]
// CHECK-NEXT:    %[[EPS:.*]] = nn.constant dense<9.99999997E-7> : tensor<f32>
// CHECK-NEXT:    %[[PAD:.*]] = nn.add %[[NORM]], %[[EPS]]
// CHECK-NEXT:    %[[MAX:.*]] = nn.constant dense<5.000000e-01> : tensor<f32>
// CHECK-NEXT:    %[[COEF:.*]] = nn.div %[[MAX]], %[[PAD]]
// CHECK-NEXT:    %[[ONE:.*]] = nn.constant dense<1.000000e+00> : tensor<f32>
// CHECK-NEXT:    %[[CL:.*]] = nn.min %[[COEF]], %[[ONE]]
// CHECK-NEXT:    %[[BA:.*]] = nn.broadcast %[[CL]] dims = [] : tensor<f32> -> tensor<2xf32>
// CHECK-NEXT:    %[[FA:.*]] = nn.mul %[[GA]], %[[BA]]
// CHECK-NEXT:    %[[BB:.*]] = nn.broadcast %[[CL]] dims = [] : tensor<f32> -> tensor<3x2xf32>
// CHECK-NEXT:    %[[FB:.*]] = nn.mul %[[GB]], %[[BB]]
// The coupled weight decay comes after the clipping.
// CHECK:         %[[WD:.*]] = nn.constant dense<0.00999999977> : tensor<2xf32>
// CHECK-NEXT:    %[[DA:.*]] = nn.mul %{{.*}}, %[[WD]]
// CHECK-NEXT:    nn.add %[[FA]], %[[DA]]
module attributes {nn.train = {clip_norm = 5.0e-01 : f64, clip_value = 3.0e-01 : f64, optimizer = {kind = "sgd", lr = 1.0e-01 : f64, momentum = 0.0 : f64, nesterov = false, weight_decay = 1.0e-02 : f64}}} {
  func.func @clip_loss_grad(%a: tensor<2xf32> {nn.param = "a", nn.init = {dist = "constant", value = 0.0 : f64}},
                            %b: tensor<3x2xf32> {nn.param = "b", nn.init = {dist = "constant", value = 0.0 : f64}})
      -> (tensor<f32> {nn.loss}, tensor<2xf32> {nn.grad = "a"}, tensor<3x2xf32> {nn.grad = "b"}) attributes {nn.mode = "train"} {
    %l = nn.reduce_sum %a axes = [0] : tensor<2xf32> -> tensor<f32>
    return %l, %a, %b : tensor<f32>, tensor<2xf32>, tensor<3x2xf32>
  }
}

// -----

// A training step that exists already is left as it is.
// CHECK-LABEL: func.func @built_loss_grad(
// CHECK:       func.func @built_train_step(%{{[^:]*}}: tensor<3xf32>) -> tensor<3xf32> {
// CHECK-NEXT:    return
// CHECK-NOT:   func.func
module attributes {nn.train = {optimizer = {kind = "sgd", lr = 1.0e-01 : f64}}} {
  func.func @built_loss_grad(%w: tensor<3xf32> {nn.param = "w", nn.init = {dist = "constant", value = 0.0 : f64}})
      -> (tensor<f32> {nn.loss}, tensor<3xf32> {nn.grad = "w"}) attributes {nn.mode = "train"} {
    %l = nn.reduce_sum %w axes = [0] : tensor<3xf32> -> tensor<f32>
    return %l, %w : tensor<f32>, tensor<3xf32>
  }
  func.func @built_train_step(%w: tensor<3xf32>) -> tensor<3xf32> {
    return %w : tensor<3xf32>
  }
}

