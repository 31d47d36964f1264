//===- nnc-train.cpp - Compile a model and train it -----------------------===//
//
// `nnc-train model.nn` compiles the model's training step and evaluation function with
// the JIT and trains it with the runtime's training loop (runtime/include/nnc/Runtime/
// Trainer.h), the same loop, flags and checkpoints as a trainer compiled ahead of time by
// `nnc model.nn -o trainer`. --batch and --lr are compiled into the step.
//
//===----------------------------------------------------------------------===//

#include "nnc/Pipeline/JitModel.h"
#include "nnc/Runtime/Trainer.h"

#include "llvm/Support/InitLLVM.h"

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
  mlir::FailureOr<JitModel> m = compileJit(flags, "nnc-train", llvm::errs());
  if (mlir::failed(m))
    return 1;
  return runtime::train(m->desc, m->step, m->eval, flags, "nnc-train", m->compileSeconds);
}
