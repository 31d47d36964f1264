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

def NNByteInputs : Pass<"nn-byte-inputs", "mlir::ModuleOp"> {
  let summary = "Makes the model functions take their f32 inputs as bytes";
  let description = [{
    Every `f32` argument marked `nn.input` of a model function (`nn.mode`)
    becomes `ui8` of the same shape, and the function starts with
    `nn.dequantize` by 1/255: the images of a data set go to the step as the
    data set stores them, scaled inside it exactly as `float(x) * (1.0f /
    255.0f)`. Run before nn-autodiff, when the train block's data hold bytes.
  }];
  let dependentDialects = ["::nnc::nn::NNDialect"];
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

def FuseElementwise : Pass<"nnc-fuse-elementwise", "mlir::func::FuncOp"> {
  let summary = "Fuses producers into their elementwise and reduction consumers";
  let description = [{
    Upstream elementwise fusion of `linalg.generic` on tensors (and the reshapes
    between them), restricted to fusions that compute nothing twice: a single-use
    producer fuses into its consumer only when the consumer reads it through a
    permutation of all its loops, i.e. each element once. Chains of elementwise
    ops, an elementwise op into a reduction over it (softmax, the loss, batch-norm
    statistics) and the optimizer's per-parameter arithmetic fuse; a producer of a
    matrix product's operand does not (it would run once per row or column of the
    other operand, and the transposed operand written for the register blocking
    would be read strided again).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::affine::AffineDialect",
                           "::mlir::tensor::TensorDialect"];
}

def ApproximateMath : Pass<"nnc-approximate-math", "mlir::func::FuncOp"> {
  let summary = "Replaces f32 transcendental functions by inline polynomial approximations";
  let description = [{
    `math.tanh`, `math.exp`, `math.expm1`, `math.log`, `math.log1p`, `math.log2` and
    `math.erf` on `f32` become MLIR's polynomial approximations (a few ulp),
    plain arithmetic that LLVM vectorizes with the loop around it, instead of a
    scalar libm call per element. The tanh and sigmoid of recurrent cells and the
    exponentials of softmax spend most of their time there otherwise. `f64`
    (gradient checks) keeps libm.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

def VectorizeContractions : Pass<"nnc-vectorize-contractions", "mlir::func::FuncOp"> {
  let summary = "Register-tiles and vectorizes the contractions (matmuls, convolutions)";
  let description = [{
    Every `linalg.generic` on buffers that is a contraction (a multiply-add body
    whose maps are projected permutations: matrix products, the im2col
    convolutions and their gradients) and whose output's innermost dimension
    is contiguous in one operand is tiled into a register block: `TN` elements
    along that dimension (one or two vector registers), `TM` along a dimension
    of the other operand, one along the reduction, which becomes the innermost
    loop. The block is vectorized into a `vector.contract`; the accumulator is
    hoisted out of the reduction loop and the contraction is lowered to outer
    products, i.e. one broadcast and `TN / lanes` FMAs per element of the other
    operand. Sizes come from `vector-bits` and `registers`; a dimension that
    the vector width does not divide is split, the remainder handled the same
    way with a narrower block.

    A contraction whose output is contiguous in neither operand but whose
    reduction is innermost in both (a product of rows: a filter gradient, a
    transposed right-hand side) gets a block of `TM × TN` vector accumulators
    along the reduction instead, each summed across its lanes after the loop;
    a reduction the vector does not divide ends with a zero-padded step. Other
    contractions are left to the loop lowering.
  }];
  let options = [
    Option<"vectorBits", "vector-bits", "int64_t", /*default=*/"512",
           "The width of a vector register in bits (0: do nothing)">,
    Option<"registers", "registers", "int64_t", /*default=*/"32",
           "The number of vector registers">,
  ];
  let dependentDialects = ["::mlir::vector::VectorDialect", "::mlir::scf::SCFDialect",
                           "::mlir::memref::MemRefDialect", "::mlir::affine::AffineDialect",
                           "::mlir::arith::ArithDialect"];
}

#endif // NNC_TRANSFORMS_PASSES_TD
