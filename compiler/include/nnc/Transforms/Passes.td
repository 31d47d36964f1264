//===- Passes.td - The passes of nnc -----------------------*- tablegen -*-===//

#ifndef NNC_TRANSFORMS_PASSES_TD
#define NNC_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def NNAutodiff : Pass<"nn-autodiff", "mlir::ModuleOp"> {
  let summary = "Generates the gradient function of each training loss";
  let description = [{
    For every function with `nn.mode = "train"` and an `nn.loss` result,
    builds `@<name>_grad`: the same results (loss, state updates), then the
    gradient of every trainable (non-frozen) `nn.param` argument, marked
    `nn.grad = "<param name>"`, and with `wrt-inputs` the gradient of every
    `nn.input`, marked `nn.input_grad`.

    Reverse mode over the ops between the parameters and the loss: each op's
    vector-Jacobian product comes from the nn gradient interface; adjoints
    add up where a value fans out. An active op without a rule is an error
    naming it. `scf.for` loops are differentiated without unrolling
    (backpropagation through time): the forward loop stacks its carried
    values per iteration, and a reverse loop recomputes each iteration's body
    from them, carrying the state adjoints and accumulating the gradients of
    the values the body reads from outside.

    Example: `nnc-opt --nn-autodiff` on the output of `nnc model.nn`.
  }];
  let options = [
    Option<"wrtInputs", "wrt-inputs", "bool", /*default=*/"false",
           "Also return the gradients of the model inputs">,
  ];
  let dependentDialects = ["::nnc::nn::NNDialect", "::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect"];
}

def NNOptimizer : Pass<"nn-optimizer", "mlir::ModuleOp"> {
  let summary = "Builds the training step: gradients and the optimizer's update";
  let description = [{
    From each `@<model>_loss_grad` (nn-autodiff) and the module's `nn.train`
    record, builds `@<model>_train_step(inputs, labels, params, state, [rng],
    opt_state, step) -> (loss, new state, new params, new opt_state)`, with
    the optimizer of the train block (SGD with momentum or Nesterov, Adam,
    AdamW, RMSprop, Adagrad), L1/L2 terms and the learning-rate schedule
    evaluated from the step counter. Frozen parameters pass through.
  }];
  let dependentDialects = ["::nnc::nn::NNDialect", "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::func::FuncDialect"];
}

#endif // NNC_TRANSFORMS_PASSES_TD
