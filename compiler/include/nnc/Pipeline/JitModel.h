//===- JitModel.h - A model file compiled with the JIT ----------*- C++ -*-===//
//
// What nnc-train and the Python module share: a model file and its train block checked,
// lowered and compiled with the JIT into the training step and the evaluation function.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_PIPELINE_JITMODEL_H
#define NNC_PIPELINE_JITMODEL_H

#include "nnc/Runtime/ModelDescription.h"
#include "nnc/Runtime/TrainerFlags.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include <memory>

namespace nnc {

struct JitModel {
  std::unique_ptr<mlir::MLIRContext> ctx;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::unique_ptr<mlir::ExecutionEngine> engine;
  runtime::ModelDescription desc;
  runtime::PackedFn step = nullptr, eval = nullptr;
  double compileSeconds = 0;
};

/// Compiles `flags.modelFile` with its train block (--batch and --lr compiled in, OpenMP
/// regions for --threads above 1), after checking that a run fits in memory
/// (--memory-limit). Diagnostics go to `diag`: the model's errors with file:line:col and a
/// caret, the others as "<tool>: <message>".
mlir::FailureOr<JitModel> compileJit(const runtime::TrainerFlags &flags, llvm::StringRef tool,
                                     llvm::raw_ostream &diag);

} // namespace nnc

#endif // NNC_PIPELINE_JITMODEL_H
