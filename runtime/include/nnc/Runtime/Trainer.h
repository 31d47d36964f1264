//===- Trainer.h - The training loop of nnc-train and AOT trainers -*- C++ -*-===//
//
// One training loop serves both ways of running a model: nnc-train compiles the model with
// the JIT and calls train() with the JIT's function pointers; `nnc model.nn -o trainer`
// links the compiled object file with this library and a main (AotMain.cpp) into a
// standalone trainer. Either way the loop, the flags, the checkpoints, validation, early
// stopping and the output are this file's, and it depends on no MLIR or LLVM library.
//
// What the loop needs to know about the compiled model is a ModelDescription: for each
// entry point (the training step and the evaluation function) the role, name, type, shape,
// initializer and frozen flag of every argument and result (the ABI of
// compiler/include/nnc/Pipeline/Pipeline.h), and the train block's settings as a JSON
// record (the `nn.train` attribute: data, epochs, seed, validation, early_stopping,
// checkpoint, init_from, log_every, optimizer). An AOT trainer carries it as JSON text.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_TRAINER_H
#define NNC_RUNTIME_TRAINER_H

#include "nnc/Runtime/Data.h"
#include "nnc/Runtime/Json.h"

#include <cstdint>
#include <string>
#include <vector>

namespace nnc::runtime {

/// One argument or result of an entry point.
struct SlotDesc {
  enum Role { Input, Labels, Param, State, OptState, Rng, Step, Loss, Output } role = Output;
  std::string name;  // The parameter/state name, the input's name, "" otherwise.
  std::string dtype; // "f32", "f64", "i32", "i64", "u8", "i1"
  std::vector<int64_t> shape;
  Json init; // {"dist": "uniform", "low": ..., "high": ...}, "normal" (mean, std), "constant"
             // (value)
  bool frozen = false;

  int64_t numElements() const;
  size_t bytes() const;
};

struct EntryDesc {
  std::string function;
  std::vector<SlotDesc> args, results;
};

struct ModelDescription {
  std::string model;
  /// Relative data paths in `train` resolve against this folder (the model file's).
  std::string baseDir;
  Json train;
  EntryDesc trainStep, eval;
};

/// The description as JSON text ({"format": "nnc-model-1", ...}) and back.
std::string writeModelDescription(const ModelDescription &model);
/// Returns "" or the reason the text is not a model description.
std::string parseModelDescription(const std::string &text, ModelDescription &out);

/// The data source of a train block (its "data" record), relative paths resolving against
/// `baseDir`.
DataConfig dataConfigOf(const Json &train, const std::string &baseDir);

/// An entry point compiled with the packed convention: `args[i]` points at the i-th
/// argument (a buffer's address, or the scalar itself), then one per result buffer.
using PackedFn = void (*)(void **args);

/// The command line of a trainer. nnc-train takes the model file first; an AOT trainer
/// takes none (the model is built in).
struct TrainerFlags {
  std::string modelFile;
  int64_t epochs = 0, batch = 0, limit = 0, seed = -1, checkpointEvery = 0;
  double lr = 0;
  int threads = 1;
  std::string data, save, resume, metrics;
  /// --plot: the SVG of the curves; --predict/--out: the samples and the outputs' .npy;
  /// --weights: the checkpoint that --evaluate and --predict use.
  std::string plot, predict, out, weights;
  bool json = false, help = false, evaluate = false;
};

/// Parses argv (argv[0] is the program). `wantModelFile` expects one positional argument.
/// Returns "" or the error, phrased for "<tool>: <error>".
std::string parseTrainerFlags(int argc, char **argv, bool wantModelFile, TrainerFlags &out);

/// The text of --help.
std::string trainerHelp(const std::string &tool, const std::string &overview, bool wantModelFile);

/// Trains `model` with its compiled entry points as `flags` and the train block say.
/// `tool` names the program in messages ("nnc-train: ..."). Returns the exit code: 0, 1 on
/// an error (printed), 130 when interrupted by Ctrl-C (a checkpoint is saved).
int train(const ModelDescription &model, PackedFn trainStep, PackedFn eval,
          const TrainerFlags &flags, const std::string &tool, double compileSeconds);

} // namespace nnc::runtime

#endif // NNC_RUNTIME_TRAINER_H
