//===- nnc-train.cpp - Compile a model and train it -----------------------===//
//
// `nnc-train model.nn` compiles the model's training step and evaluation function with
// the JIT and trains it with the runtime's training loop (runtime/include/nnc/Runtime/
// Trainer.h), the same loop, flags and checkpoints as a trainer compiled ahead of time by
// `nnc model.nn -o trainer`. --batch and --lr are compiled into the step.
//
//===----------------------------------------------------------------------===//

#include "nnc/Frontend/Frontend.h"
#include "nnc/Frontend/MLIRGen.h"
#include "nnc/Pipeline/Aot.h"
#include "nnc/Runtime/Memory.h"
#include "nnc/Runtime/Trainer.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

#include <chrono>

using namespace nnc;

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  runtime::TrainerFlags flags;
  std::string err = runtime::parseTrainerFlags(argc, argv, /*wantModelFile=*/true, flags);
  if (!err.empty()) {
    llvm::errs() << "nnc-train: " << err << "\n";
    return 1;
  }
  if (flags.help) {
    llvm::outs() << runtime::trainerHelp(
        "nnc-train",
        "nnc-train: compiles a model with the JIT and trains it\n\n"
        "  nnc-train models/mlp.nn --epochs 1",
        /*wantModelFile=*/true);
    return 0;
  }
  auto t0 = std::chrono::steady_clock::now();

  mlir::DialectRegistry registry;
  registerPipelineDialects(registry);
  mlir::MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  ctx.printOpOnDiagnostic(false);
  llvm::SourceMgr srcMgr;
  mlir::SourceMgrDiagnosticHandler handler(srcMgr, &ctx);

  FrontendOptions fo;
  fo.batch = flags.batch;
  Frontend fe(srcMgr, &ctx, fo);
  if (mlir::failed(fe.load(flags.modelFile)))
    return 1;
  mlir::FailureOr<Program> prog = fe.check();
  if (mlir::failed(prog))
    return 1;
  if (!prog->hasTrain) {
    llvm::errs() << "nnc-train: '" << flags.modelFile << "' has no train block: nothing to train\n";
    return 1;
  }
  mlir::OwningOpRef<mlir::ModuleOp> module = mlirGen(*prog, fe, &ctx);
  if (mlir::failed(mlir::verify(*module)))
    return 1;
  if (flags.lr > 0)
    setLearningRate(*module, flags.lr);
  // NNC_PROFILE_OPS=1 (with NNC_PERF=1 and perf) names each op in a profile.
  CompileOptions co = compileOptionsFromEnvironment();
  co.threads = flags.threads > 1 ? CompileOptions::Threads::Several
                                   : CompileOptions::Threads::One;
  mlir::FailureOr<runtime::ModelDescription> model =
      lowerTrainer(*module, llvm::sys::path::parent_path(flags.modelFile), co);
  if (mlir::failed(model))
    return 1;
  // Every buffer's size is known now: refuse what the machine cannot hold before the JIT
  // allocates the code's static memory.
  if (runtime::Error e = runtime::checkMemory(runtime::memoryOf(*model), flags.memoryLimit)) {
    llvm::errs() << "nnc-train: " << e.message();
    return 1;
  }
  auto engine = jitCompile(*module, co);
  if (mlir::failed(engine))
    return 1;
  // ORC compiles lazily, on the first lookup: do it now, so that compile time is not
  // counted as training time.
  runtime::PackedFn fns[2];
  for (int i = 0; i < 2; ++i) {
    const std::string &fn = i == 0 ? model->trainStep.function : model->eval.function;
    auto sym = (*engine)->lookupPacked(fn);
    if (!sym) {
      llvm::errs() << "nnc-train: JIT compilation of '" << fn
                   << "' failed: " << llvm::toString(sym.takeError()) << "\n";
      return 1;
    }
    fns[i] = *sym;
  }
  double compileSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return runtime::train(*model, fns[0], fns[1], flags, "nnc-train", compileSeconds);
}
