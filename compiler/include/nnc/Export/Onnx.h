//===- Onnx.h - ONNX export of a model's evaluation function ----*- C++ -*-===//
//
// `nnc model.nn --weights CKPT --emit=onnx -o model.onnx`: the evaluation function (the nn
// dialect, nn.mode = "eval") as an ONNX model of opset 13, with the weights as initializers.
// Shapes are static, the batch included (--batch picks it). Loops of constant bounds (the
// recurrent layers' time steps) are unrolled, so that any ONNX consumer runs them. A matmul
// or convolution followed by the addition of a broadcast bias becomes one Gemm or Conv, as
// PyTorch exports them. An op with no ONNX translation is an error at its source location.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_EXPORT_ONNX_H
#define NNC_EXPORT_ONNX_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <functional>
#include <string>

namespace nnc {

struct OnnxOptions {
  /// The raw little-endian data of argument `i` of the evaluation function, a weight (a
  /// parameter or state); "" makes the export fail (the caller has said why).
  std::function<std::string(unsigned i)> weight;
  /// A classifier: a final Softmax makes the output the probabilities --predict writes.
  bool probabilities = false;
  /// The model's doc_string.
  std::string doc;
};

/// The serialized ONNX model (ModelProto) of `eval`, or failure after an error on the op.
mlir::FailureOr<std::string> exportOnnx(mlir::func::FuncOp eval, const OnnxOptions &opts);

/// `nnc --emit=onnx`: the model of `module`'s evaluation function with the weights of the
/// checkpoint `weightsPath` (the EMA of the weights when the train block keeps one and the
/// checkpoint holds it, as --predict uses), its output the probabilities for a classifier
/// (loss = cross_entropy). Errors name the checkpoint and what is wrong with it.
mlir::FailureOr<std::string> exportOnnxModel(mlir::ModuleOp module,
                                             const std::string &weightsPath);

} // namespace nnc

#endif // NNC_EXPORT_ONNX_H
