//===- TrainerFlags.h - The command line of nnc-train and AOT trainers -*- C++ -*-===//
//
// nnc-train and the trainers that `nnc -o` builds take the same flags; they override the
// train block's settings. 0 (or -1 for the seed) means "not given".
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_TRAINERFLAGS_H
#define NNC_RUNTIME_TRAINERFLAGS_H

#include <cstdint>
#include <string>

namespace nnc::runtime {

/// The command line of a trainer. nnc-train takes the model file first; an AOT trainer
/// takes none (the model is built in).
struct TrainerFlags {
  std::string modelFile;
  int64_t epochs = 0, batch = 0, limit = 0, seed = -1, checkpointEvery = 0, steps = 0;
  double lr = 0;
  int threads = 1;
  /// --memory-limit: the most memory a run may need, in bytes (0: the machine's available).
  uint64_t memoryLimit = 0;
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

} // namespace nnc::runtime

#endif // NNC_RUNTIME_TRAINERFLAGS_H
