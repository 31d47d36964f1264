//===- Trainer.h - The training loop of nnc-train and AOT trainers -*- C++ -*-===//
//
// One training loop serves both ways of running a model: nnc-train compiles the model with
// the JIT and calls train() with the JIT's function pointers; `nnc model.nn -o trainer`
// links the compiled object file with this library and a main (AotMain.cpp) into a
// standalone trainer. Either way the loop (TrainingRun.h), the flags (TrainerFlags.h), the
// checkpoints, validation, early stopping and the output are this library's, and it depends
// on no MLIR or LLVM library. What it knows of the compiled model is a ModelDescription.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_TRAINER_H
#define NNC_RUNTIME_TRAINER_H

#include "nnc/Runtime/ModelDescription.h"
#include "nnc/Runtime/TrainerFlags.h"

#include <string>

namespace nnc::runtime {

/// Trains `model` with its compiled entry points as `flags` and the train block say.
/// `tool` names the program in messages ("nnc-train: ..."). Returns the exit code: 0, 1 on
/// an error (printed), 130 when interrupted by Ctrl-C (a checkpoint is saved).
int train(const ModelDescription &model, PackedFn trainStep, PackedFn eval,
          const TrainerFlags &flags, const std::string &tool, double compileSeconds);

/// Whether Ctrl-C (SIGINT) arrived since train() started.
bool interruptRequested();

} // namespace nnc::runtime

#endif // NNC_RUNTIME_TRAINER_H
