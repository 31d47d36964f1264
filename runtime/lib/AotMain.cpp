//===- AotMain.cpp - The main of a trainer compiled ahead of time ---------===//
//
// `nnc model.nn -o trainer` links this file, the runtime and the object file it compiled
// into a standalone trainer. The object file defines `nnc_aot_model`: the model's
// description (JSON, see Trainer.h) and its two entry points with the packed convention.
// Everything else (flags, the loop, checkpoints) is the runtime's, shared with nnc-train.
//
//===----------------------------------------------------------------------===//

#include "nnc/Runtime/Trainer.h"

#include <cstdio>
#include <cstring>
#include <string>

extern "C" {
/// What the object file of `nnc -o` defines (compiler/lib/Pipeline/Aot.cpp writes it).
struct NncAotModel {
  const char *description;
  uint64_t descriptionSize;
  void (*trainStep)(void **);
  void (*eval)(void **);
};
extern const NncAotModel nnc_aot_model;
}

int main(int argc, char **argv) {
  using namespace nnc::runtime;
  const char *slash = std::strrchr(argv[0], '/');
  std::string tool = slash ? slash + 1 : argv[0];
  ModelDescription model;
  std::string err = parseModelDescription(
      std::string(nnc_aot_model.description, nnc_aot_model.descriptionSize), model);
  if (!err.empty()) {
    std::fprintf(stderr, "%s: the built-in model description is broken: %s\n", tool.c_str(),
                 err.c_str());
    return 1;
  }
  TrainerFlags flags;
  err = parseTrainerFlags(argc, argv, /*wantModelFile=*/false, flags);
  if (!err.empty()) {
    std::fprintf(stderr, "%s: %s\n", tool.c_str(), err.c_str());
    return 1;
  }
  if (flags.help) {
    std::string overview = tool + ": trains the model '" + model.model +
                           "', compiled ahead of time by nnc (no JIT, no MLIR or LLVM library)";
    std::fputs(trainerHelp(tool, overview, /*wantModelFile=*/false).c_str(), stdout);
    return 0;
  }
  return train(model, nnc_aot_model.trainStep, nnc_aot_model.eval, flags, tool,
               /*compileSeconds=*/0);
}
