//===- Passes.td - The conversion passes of nnc ------------*- tablegen -*-===//

#ifndef NNC_CONVERSION_PASSES_TD
#define NNC_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertNNToLinalg : Pass<"convert-nn-to-linalg"> {
  let summary = "Lowers the nn dialect to linalg, tensor, arith and math on tensors";
  let description = [{
    Replaces every nn op by destination-passing linalg (mostly `linalg.generic`),
    `tensor` slicing and padding, and scalar arith/math bodies, ready for fusion,
    tiling, vectorization and one-shot bufferization. Shapes stay static.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect", "::mlir::math::MathDialect"];
}

#endif // NNC_CONVERSION_PASSES_TD
