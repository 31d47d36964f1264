//===- Passes.td - The passes of nnc -----------------------*- tablegen -*-===//
//
// Every pass of nnc is named `nn-<what it does>` (the conversion to linalg, declared in
// nnc/Conversion/Passes.td, follows MLIR's `convert-<from>-to-<to>`), so `nnc-opt --help`
// lists them together; its lit test is tests/Transforms/<name>.mlir.
//
//===----------------------------------------------------------------------===//

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

def NNTokenInputs : Pass<"nn-token-inputs", "mlir::ModuleOp"> {
  let summary = "Makes the model functions take integer inputs as the data hold them";
  let description = [{
    Every integer argument marked `nn.input` of a model function (token ids)
    becomes `ui8` (with `bytes`) or `f32` of the same shape, and the function
    starts with `nn.cast` back to the integer type: the trainer hands each
    batch to the step as the data set stores it (bytes, or floats: the loaders
    read every other type as f32, exact for ids below 2^24). Run before
    nn-autodiff whenever a model input is an integer tensor.
  }];
  let options = [Option<"bytes", "bytes", "bool", "false", "the data hold bytes">];
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

def FuseElementwise : Pass<"nn-fuse-elementwise", "mlir::func::FuncOp"> {
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

def ApproximateMath : Pass<"nn-approximate-math", "mlir::func::FuncOp"> {
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

def VectorizeContractions : Pass<"nn-vectorize-contractions", "mlir::func::FuncOp"> {
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

def LoopCarriedInPlace : Pass<"nn-loop-carried-in-place", "mlir::func::FuncOp"> {
  let summary = "Makes every tensor a loop carries live in one buffer across iterations";
  let description = [{
    The value an `scf.for` yields for a tensor iter_arg becomes equivalent to
    that iter_arg: the op computing it writes into the iter_arg when it only
    writes its init (a `tensor.empty`, e.g. an elementwise `linalg.generic`),
    otherwise it is copied into it (`bufferization.materialize_in_destination`).
    One-shot bufferization then keeps the recurrent state of a loop (the hidden
    state of an RNN, the gradients accumulated by backpropagation through time)
    in the buffer allocated before the loop instead of a fresh buffer per
    iteration, freed through runtime ownership checks; every buffer allocated
    inside the loop dies inside the iteration, so `nn-plan-memory` can place it.
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect"];
}

def PlanMemory : Pass<"nn-plan-memory", "mlir::ModuleOp"> {
  let summary = "Places the temporary buffers of each function in static memory";
  let description = [{
    Every `memref.alloc` of a static shape whose only `memref.dealloc` is in the
    same block becomes a `memref.view` of an uninitialized private global
    (`@__nnc_<function>_buffer<i>`, 64-byte aligned), and the dealloc goes: the
    steady state allocates nothing. A buffer lives from its alloc to the last
    use of it or of a view of it (ops are numbered in pre-order, a use inside a
    loop counts as the whole loop; an alias a loop or branch yields extends it
    to the dealloc). Buffers whose lifetimes never overlap share a global, the
    largest first; buffers live at the same time are in distinct globals, so
    LLVM knows they do not alias. Buffers inside a parallel loop (one per
    thread) and buffers of a dynamic size stay on the heap. The functions are
    not reentrant afterwards: two calls of one function must not run at the
    same time.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect", "::mlir::arith::ArithDialect"];
}

def Parallelize : Pass<"nn-parallelize", "mlir::ModuleOp"> {
  let summary = "Runs the parallel loops with enough work on several threads (OpenMP)";
  let description = [{
    Runs after the loop lowering (`convert-linalg-to-parallel-loops` and the
    contraction blocking, which marks its loops over parallel dimensions
    `nnc.parallel`). The outermost parallel loops that execute at least
    `min-work` scalar operations (roughly: trip counts times the ops of the
    bodies, an op on vectors counting its lanes) become an `omp.parallel`
    region in which each thread runs one contiguous chunk of the loop's leading
    dimensions (enough of them for 64 chunks; the inner ones stay a loop LLVM
    vectorizes), from `omp_get_thread_num` and `omp_get_num_threads`: no
    worksharing loop, whose libomp entry point allocates on every call. When
    `omp_get_max_threads()` is 1 the loop runs as it is instead (a serialized
    parallel region allocates too), unless `one-thread-fallback` is off (the
    caller knows there will be several threads: half the code to compile). All
    other parallel loops become sequential `scf.for`, so that small ops (a
    recurrent cell's elementwise ops) run on the calling thread without a fork.
    Only independent iterations are split, and no reduction: the results are
    the same on any number of threads.
  }];
  let options = [
    Option<"minWork", "min-work", "int64_t", /*default=*/"1048576",
           "The least work of a loop that runs on several threads">,
    Option<"oneThreadFallback", "one-thread-fallback", "bool", /*default=*/"true",
           "Keep a sequential copy of each region for a run on one thread">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::omp::OpenMPDialect",
                           "::mlir::func::FuncDialect", "::mlir::arith::ArithDialect"];
}

#endif // NNC_TRANSFORMS_PASSES_TD
