//===- NNInterfaces.h - Interfaces of the nn dialect ------------*- C++ -*-===//
//
// The gradient interface (NNInterfaces.td) and the hook that attaches the
// gradient rules of NNGradients.cpp to the ops.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DIALECT_NN_NNINTERFACES_H
#define NNC_DIALECT_NN_NNINTERFACES_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpDefinition.h"

#include "nnc/Dialect/NN/NNInterfaces.h.inc"

namespace mlir {
class MLIRContext;
}

namespace nnc::nn {
/// Attaches the vector-Jacobian product of every differentiable nn op.
void attachGradientRules(mlir::MLIRContext *ctx);
} // namespace nnc::nn

#endif // NNC_DIALECT_NN_NNINTERFACES_H
