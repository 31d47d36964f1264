//===- Aot.h - Trainers: the model description and object files -*- C++ -*-===//
//
// What both trainers need from the compiler. nnc-train lowers the module, JIT-compiles it
// and hands the runtime's training loop (runtime/include/nnc/Runtime/Trainer.h) the
// model's description and the JIT's entry points; `nnc model.nn -o trainer` lowers it the
// same way, writes an object file for the host CPU (or --mcpu/--mattr) that carries the
// description and the entry points, and links it with the runtime into an executable.
//
// The object file defines, besides the entry points:
//   _mlir_<entry>(void **args)   each entry point with the packed convention (as the JIT's)
//   nnc_aot_model                { const char *description; uint64_t size;
//                                  void (*trainStep)(void **); void (*eval)(void **); }
// runtime/lib/AotMain.cpp reads `nnc_aot_model`.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_PIPELINE_AOT_H
#define NNC_PIPELINE_AOT_H

#include "nnc/Pipeline/Pipeline.h"
#include "nnc/Runtime/Trainer.h"

namespace llvm {
class raw_pwrite_stream;
} // namespace llvm

namespace nnc {

/// Sets the optimizer's learning rate in the module's train block (`--lr`): it is compiled
/// into the training step.
void setLearningRate(mlir::ModuleOp module, double lr);

/// Builds the training step of `module` (which must have a train block) and lowers the
/// module to the LLVM dialect; returns the description the runtime's trainer needs.
/// Relative paths of the train block resolve against `baseDir`.
mlir::FailureOr<runtime::ModelDescription>
lowerTrainer(mlir::ModuleOp module, llvm::StringRef baseDir, const CompileOptions &opts);

struct AotTarget {
  std::string cpu;      // LLVM's CPU name; empty: the host's.
  std::string features; // "+avx2,-avx512f"; empty: the CPU's (the host's with the host CPU).
};

/// What the register blocking of a trainer for `target` is sized for (the host's when the
/// target is the host).
mlir::FailureOr<VectorTarget> vectorTargetOf(mlir::ModuleOp module, const AotTarget &target);

enum class AotOutput { Object, LLVMIR };

/// Translates `module` (lowerTrainer's output) to LLVM IR, adds the packed entry points and
/// `nnc_aot_model` with `description`, optimizes it as the JIT does (O3) for `target`, and
/// writes a position-independent object file (or the optimized LLVM IR) to `os`.
mlir::LogicalResult emitTrainer(mlir::ModuleOp module, const runtime::ModelDescription &model,
                                const AotTarget &target, AotOutput kind,
                                llvm::raw_pwrite_stream &os);

} // namespace nnc

#endif // NNC_PIPELINE_AOT_H
