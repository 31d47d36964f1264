//===- MLIRGen.h - The typed program to the nn dialect --------------------===//
//
// Translates Sema's Program into a module of `func.func`s over the nn dialect, one op per
// program op, each at the FileLineColLoc of the source it came from.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_FRONTEND_MLIRGEN_H
#define NNC_FRONTEND_MLIRGEN_H

#include "nnc/Frontend/Program.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace nnc {
class Frontend;

mlir::OwningOpRef<mlir::ModuleOp> mlirGen(const Program &prog, const Frontend &fe,
                                          mlir::MLIRContext *ctx);
} // namespace nnc

#endif // NNC_FRONTEND_MLIRGEN_H
