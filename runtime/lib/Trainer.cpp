//===- Trainer.cpp - The process around a training run ---------------------===//
//
// train() sets up what a run needs of the process (signals, malloc, threads), runs the
// TrainingRun and prints the error that ended it, if any, as "<tool>: <message>" with exit
// code 1.
//
//===----------------------------------------------------------------------===//

#include "nnc/Runtime/Trainer.h"
#include "nnc/Runtime/OpenMP.h"
#include "nnc/Runtime/TrainingRun.h"

#include <csignal>
#include <cstdio>

#include <malloc.h>

namespace nnc::runtime {

namespace {

volatile std::sig_atomic_t interrupted = 0;
void onInterrupt(int) { interrupted = 1; }

} // namespace

bool interruptRequested() { return interrupted != 0; }

int train(const ModelDescription &model, PackedFn stepFn, PackedFn evalFn,
          const TrainerFlags &flags, const std::string &tool, double compileSeconds) {
  std::signal(SIGINT, onInterrupt);
  // A file size limit (ulimit -f) would kill the process with SIGXFSZ in the middle of a
  // checkpoint; ignored, the write fails with EFBIG like a full disk's ENOSPC, the save is
  // abandoned and the previous checkpoint stays intact.
  std::signal(SIGXFSZ, SIG_IGN);
  // Large blocks would be mmap'ed and returned to the system at every free (the data sets,
  // evaluation's batches): keep freed memory for reuse instead.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  // The step's parallel loops (OpenMP, compiled in for --threads above 1) share the work
  // among this many threads; the results do not depend on it.
  startOpenMP(flags.threads);

  TrainingRun run(model, stepFn, evalFn, flags, tool, compileSeconds);
  int exitCode = 0;
  if (Error e = run.run(exitCode)) {
    std::fflush(stdout);
    std::fprintf(stderr, "%s: %s\n", tool.c_str(), e.message().c_str());
    return 1;
  }
  return exitCode;
}

} // namespace nnc::runtime
