//===- NNDialect.h - The nn dialect -----------------------------*- C++ -*-===//
//
// Declares nnc::nn::NNDialect, the dialect of tensor-level neural-network ops
// (docs/dialect.md). Include NNOps.h for the ops themselves.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DIALECT_NN_NNDIALECT_H
#define NNC_DIALECT_NN_NNDIALECT_H

#include "mlir/IR/Dialect.h"

#include "nnc/Dialect/NN/NNDialect.h.inc"

#endif // NNC_DIALECT_NN_NNDIALECT_H
