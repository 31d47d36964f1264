//===- Pipeline.h - From nn IR to a callable training step ----------------===//
//
// The back half of the compiler: it takes the module MLIRGen produced, adds the gradient
// and training-step functions (nn-autodiff, nn-optimizer), records what each argument of
// the entry points is (the ABI the runtime calls), and lowers everything to the LLVM
// dialect; then it JIT-compiles it with MLIR's ExecutionEngine.
//
// The ABI: every entry point takes one pointer per tensor (bare-pointer memrefs, static
// shapes), first its inputs in the order of `EntryDesc::args`, then one output buffer per
// result in the order of `EntryDesc::results`. No two buffers may overlap: the entry points
// are compiled with their pointers marked noalias.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_PIPELINE_PIPELINE_H
#define NNC_PIPELINE_PIPELINE_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/TargetParser/SubtargetFeature.h"
#include "mlir/Support/LLVM.h"
#include "nnc/Runtime/ModelDescription.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlir {
class ExecutionEngine;
class DialectRegistry;
} // namespace mlir

namespace nnc {

/// The ABI of an entry point is the runtime's own description of it (one type for both
/// sides): each argument and result's role, name, dtype, shape, initializer (`nn.init` as
/// JSON) and frozen flag.
using runtime::EntryDesc;
using runtime::SlotDesc;

/// An attribute as JSON: numbers, strings, booleans, lists and records (the train block,
/// the initializers).
runtime::Json toJson(mlir::Attribute a);

/// What the register blocking is sized for.
struct VectorTarget {
  int64_t vectorBits; // 512 for AVX-512, 256 for AVX2, 128 for SSE; 0 leaves loops scalar
  int64_t registers;  // vector registers
};

/// The vector width and register count of an x86 CPU with the given features ("avx512f").
VectorTarget vectorTargetForFeatures(llvm::function_ref<bool(llvm::StringRef)> hasFeature);

/// The host CPU's vector width and register count.
VectorTarget hostVectorTarget();

struct CompileOptions {
  int optLevel = 3;
  /// The vector target of the register blocking (default: the host's).
  std::optional<VectorTarget> target;
  /// Each linalg op of the entry points becomes a function of its own that LLVM does not
  /// inline, named after its position and output shape, so that a profiler (perf with
  /// NNC_PERF=1) shows the time of each op. Slower: the ops no longer share registers.
  bool outlineOps = false;
  /// The threads the step will run on: the parallel loops with enough work become OpenMP
  /// regions (nn-parallelize) for Several (more than one: nnc-train --threads N) and Any
  /// (decided at run time: trainers, which also keep a sequential copy of each region for
  /// one thread). The code then needs libomp; the results are the same on any number of
  /// threads.
  enum class Threads { One, Several, Any };
  Threads threads = Threads::One;
  /// Where lowering stops (for --emit): the whole way to the LLVM dialect, or after fusion
  /// (linalg on tensors), or after bufferization and the memory plan (loops on buffers).
  enum class Stage { LLVM, Linalg, Buffers };
  Stage stopAfter = Stage::LLVM;
};

/// Everything the driver needs to run a model.
/// The defaults, with what the environment asks for: NNC_PROFILE_OPS=1 sets outlineOps.
CompileOptions compileOptionsFromEnvironment();

/// What the JIT's and the trainers' target machines ask of LLVM beyond the CPU's features:
/// - no gathers and scatters: LLVM's loop vectorizer turns strided loops (im2col, the pooling
///   gradients, transposes) into AVX-512 gathers and scatters, which ran slower than scalar
///   code here (the cnn's step took 2.5 times as long);
/// - full-width vectors: Intel's server CPUs carry LLVM's `prefer-256-bit` tuning, under
///   which the backend splits the register blocks' 512-bit vectors into two 256-bit halves
///   (mlp for Sapphire Rapids: 858 ymm FMAs beside 1200 zmm ones; 0 ymm without it).
void tuneTargetFeatures(llvm::SubtargetFeatures &features);

struct CompiledModel {
  EntryDesc trainStep; // Empty function name when the model has no train block.
  EntryDesc eval;
  /// The compiled code's static memory: the planned temporaries of the entry points
  /// (nn-plan-memory's globals) and the constants.
  uint64_t temporaryBytes = 0, constantBytes = 0;
};

/// Registers the dialects and translations the pipeline uses.
void registerPipelineDialects(mlir::DialectRegistry &registry);

/// Adds `@<model>_loss_grad` and `@<model>_train_step` to `module`.
mlir::LogicalResult buildTrainingStep(mlir::ModuleOp module);

/// Reads the entry points' signatures, then lowers `module` to the LLVM dialect, keeping only
/// the entry points.
mlir::FailureOr<CompiledModel> lowerToLLVM(mlir::ModuleOp module, const CompileOptions &opts);

/// Lowers the functions `entries` of `module` (and what they call) to the LLVM dialect,
/// returning their signatures, in order.
mlir::FailureOr<std::vector<EntryDesc>>
lowerEntryPointsToLLVM(mlir::ModuleOp module, llvm::ArrayRef<std::string> entries,
                       const CompileOptions &opts);

/// JIT-compiles a module in the LLVM dialect for the host CPU.
mlir::FailureOr<std::unique_ptr<mlir::ExecutionEngine>> jitCompile(mlir::ModuleOp module,
                                                                   const CompileOptions &opts);

} // namespace nnc

#endif // NNC_PIPELINE_PIPELINE_H
