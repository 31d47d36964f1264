//===- TrainingRun.h - One run of the training loop --------------*- C++ -*-===//
//
// A training run, in phases: check the compiled step's signature against the flags, set up
// the arenas, then either predict (--predict), evaluate (--evaluate) or train: load the data
// and the validation set, resume or initialize (init_from), run the epochs (steps, the
// progress line, Ctrl-C, metrics, validation, early stopping, checkpoints) and report (the
// final evaluation, --plot, --json). Each phase returns an Error instead of exiting; the
// tool prints it.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_TRAININGRUN_H
#define NNC_RUNTIME_TRAININGRUN_H

#include "nnc/Runtime/Arenas.h"
#include "nnc/Runtime/Batches.h"
#include "nnc/Runtime/Checkpoint.h"
#include "nnc/Runtime/EarlyStopping.h"
#include "nnc/Runtime/Evaluation.h"
#include "nnc/Runtime/Plot.h"
#include "nnc/Runtime/Progress.h"
#include "nnc/Runtime/TrainerFlags.h"

#include <functional>
#include <memory>

namespace nnc::runtime {

/// `v` in `format`, or null when absent: a number of --json.
std::string jsonNumber(std::optional<double> v, const char *format);

/// An epoch's scores, for RunHooks::onEpoch (test scores on the epochs that report them).
struct EpochReport {
  int64_t epoch = 0, step = 0; // Counted from 1; the steps of the whole run.
  double trainLoss = 0;
  Metrics val, test;
};

/// What a program that embeds the loop (the Python module) gives a run instead of the tool's
/// files: the weights it keeps between runs, data sets in memory, and an observer.
struct RunHooks {
  /// Trained in place, instead of freshly initialized arenas (Arenas::create).
  Arenas *arenas = nullptr;
  /// Where training with `arenas` stands; the run continues from there and updates it.
  RunPosition *position = nullptr;
  /// Instead of the train block's data (the test set may be empty).
  const Dataset *train = nullptr, *test = nullptr;
  /// Called after each epoch; returning false ends the run there.
  std::function<bool(const EpochReport &)> onEpoch;
};

class TrainingRun {
public:
  TrainingRun(const ModelDescription &model, PackedFn stepFn, PackedFn evalFn,
              const TrainerFlags &flags, std::string tool, double compileSeconds,
              const RunHooks *hooks = nullptr);
  ~TrainingRun();

  /// The whole run. `exitCode` is 0, or 130 when Ctrl-C interrupted it (a checkpoint is
  /// saved); an error ends it with the message.
  Error run(int &exitCode);

private:
  // Set-up.
  Error checkSignature();
  Error predictOutputs();
  Error loadDataSets();
  Error requireBytes(const Dataset &ds, const DataConfig &c, bool test) const;
  Error evaluateWeights();
  Error loadValidation();
  Error resume(bool &emaLoaded);
  void chooseCheckpoints();
  Error openMetrics();

  // Training.
  Error trainEpochs(int &exitCode);
  Error runEpoch(int64_t epoch, bool &interrupted, bool &stop);
  Error step(int64_t epoch, int64_t s, int64_t firstStep, double &lossSum);
  Error interrupt(int64_t epoch, int64_t s, double lossSum);
  Error endEpoch(int64_t epoch, double samplesPerSec, double seconds, bool &stop);
  void logEpoch(int64_t epoch);
  /// Tells the hooks where the run stands after `epoch`; their observer may `stop` it.
  void report(int64_t epoch, bool &stop);

  // Results.
  Error evaluateTest();
  Error finish();
  void printJson() const;

  const ModelDescription &model;
  const EntryDesc &stepDesc, &evalDesc;
  PackedFn stepFn, evalFn;
  const TrainerFlags &flags;
  std::string tool;
  double compileSeconds;

  // The compiled step.
  const SlotDesc *inputSlot = nullptr, *labelSlot = nullptr;
  int lossResult = -1;
  bool bytesIn = false, classifier = false, scaleInputs = false;
  int64_t batch = 0, sampleElems = 1, epochs = 0;
  uint64_t seed = 0;
  const RunHooks *hooks;
  Arenas ownArenas;
  Arenas &arenas; // hooks->arenas, or ownArenas
  std::unique_ptr<Evaluation> evaluation;

  // The data.
  DataConfig dataConfig;
  LoadOptions loadOptions;
  Dataset trainSet, testSet, valSet;
  std::unique_ptr<Batcher> batcher;
  std::vector<uint8_t> rawX;
  std::vector<int32_t> labels;
  std::vector<float> scaledX; // The batch scaled to floats, for a step taking f32 images.

  // Where the run stands.
  int64_t stepCounter = 0, firstEpoch = 0, epochsRun = 0, resumeStep = 0;
  /// The steps of the last epoch when --steps cut it short (0 otherwise), and their loss.
  int64_t epochStepsDone = 0;
  double lossSumDone = 0;
  double resumeLoss = 0;
  EarlyStopping stopping;
  std::string savePath, lastSaved;
  int64_t every = 1;
  std::vector<void *> stepPtrs, stepPacked;
  uint64_t steadyAllocs = 0, steadySteps = 0;

  // What it reports.
  Progress progress;
  std::FILE *metrics = nullptr;
  int64_t logEvery = 50;
  double trainSeconds = 0, lastLoss = 0;
  int64_t samples = 0;
  Metrics val, test;
  /// Whether `test` and `val` are those of the weights as they are now (the last epoch's
  /// evaluation), so that the final report does not evaluate the same weights again.
  bool evaluatedFinal = false;
  std::vector<EpochPoint> plotPoints;
};

} // namespace nnc::runtime

#endif // NNC_RUNTIME_TRAININGRUN_H
