//===- TrainingLoop.cpp - A training run: the epochs and the report -------===//
//
// Each epoch shuffles the batches by (seed, epoch); each step calls the compiled training
// step on the current arena and flips the arenas. After an epoch come the validation
// scores, the metrics line, early stopping, the checkpoint and the summary line; after the
// last, the final evaluation, --plot and --json. Ctrl-C finishes the step under way, saves a
// checkpoint that resumes from the next step, and ends the run with exit code 130.
//
//===----------------------------------------------------------------------===//

#include "nnc/Runtime/Allocations.h"
#include "nnc/Runtime/Random.h"
#include "nnc/Runtime/Trainer.h"
#include "nnc/Runtime/TrainingRun.h"

#include <chrono>
#include <cmath>

namespace nnc::runtime {

namespace {

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

std::string jsonNumber(std::optional<double> v, const char *format) {
  if (!v)
    return "null";
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, *v);
  return buf;
}

Error TrainingRun::trainEpochs(int &exitCode) {
  scaleInputs = trainSet.isU8 && !bytesIn;
  scaledX.resize(scaleInputs ? batch * sampleElems : 0);
  // The step's arguments and results, and the pointers to them that the packed calling
  // convention takes: set in place each step, nothing allocated.
  stepPtrs.resize(stepDesc.args.size() + arenas.results().size());
  stepPacked = packArgs(stepPtrs);
  epochsRun = firstEpoch;
  for (int64_t epoch = firstEpoch; epoch < epochs; ++epoch) {
    bool interrupted = false, stop = false;
    if (Error e = runEpoch(epoch, interrupted, stop))
      return e;
    if (interrupted) {
      exitCode = 130;
      return Error();
    }
    report(epoch, stop);
    if (stop)
      break;
  }
  return Error();
}

Error TrainingRun::runEpoch(int64_t epoch, bool &interrupted, bool &stop) {
  evaluatedFinal = false;
  batcher->startEpoch(epoch);
  double lossSum = 0;
  // Resuming from the middle of this epoch: skip the batches already trained on.
  int64_t firstStep = 0;
  if (epoch == firstEpoch && resumeStep > 0) {
    for (; firstStep < resumeStep; ++firstStep)
      batcher->next(rawX.data(), labels.data());
    lossSum = resumeLoss;
  }
  int64_t steps = batcher->numBatches();
  // --steps: the run ends at that step of the whole run, in the middle of an epoch perhaps.
  if (flags.steps > 0)
    steps = std::min(steps, flags.steps - epoch * batcher->numBatches());
  progress.startEpoch(epoch, epochs, steps);
  auto start = std::chrono::steady_clock::now();
  for (int64_t s = firstStep; s < steps; ++s) {
    if (Error e = step(epoch, s, firstStep, lossSum))
      return e;
    if (interruptRequested()) {
      interrupted = true;
      return interrupt(epoch, s, lossSum);
    }
    if (s % 50 == 0 || s + 1 == steps)
      progress.update(s + 1, lossSum / double(s + 1),
                      double((s + 1) * batch) / std::max(secondsSince(start), 1e-9));
  }
  double seconds = secondsSince(start);
  trainSeconds += seconds;
  samples += (steps - firstStep) * batch;
  lastLoss = lossSum / double(steps);
  epochsRun = epoch + 1;
  epochStepsDone = steps < batcher->numBatches() ? steps : 0;
  lossSumDone = lossSum;
  return endEpoch(epoch, double(steps - firstStep) * double(batch) / seconds, seconds, stop);
}

Error TrainingRun::step(int64_t epoch, int64_t s, int64_t firstStep, double &lossSum) {
  std::optional<uint64_t> allocsBefore = heapAllocations();
  batcher->next(rawX.data(), labels.data());
  if (scaleInputs)
    scaleBytes(rawX.data(), scaledX.data(), batch * sampleElems);
  stepCounter += 1;
  int64_t key = int64_t(splitMix64(seed, 1u << 20, uint64_t(stepCounter)));
  for (size_t i = 0; i < stepDesc.args.size(); ++i) {
    SlotDesc::Role role = stepDesc.args[i].role;
    if (role == SlotDesc::Input)
      stepPtrs[i] = scaleInputs ? static_cast<void *>(scaledX.data()) : rawX.data();
    else if (role == SlotDesc::Labels)
      stepPtrs[i] = labels.data();
    else if (role == SlotDesc::Step)
      stepPtrs[i] = &stepCounter;
    else if (role == SlotDesc::Rng)
      stepPtrs[i] = reinterpret_cast<void *>(key);
    else
      stepPtrs[i] = arenas.arg(i);
  }
  std::copy(arenas.results().begin(), arenas.results().end(),
            stepPtrs.begin() + stepDesc.args.size());
  stepFn(stepPacked.data());
  // The steady state: every step but the run's first (which faults the static memory in).
  if (std::optional<uint64_t> allocsAfter = heapAllocations(); allocsAfter && s > firstStep) {
    steadyAllocs += *allocsAfter - *allocsBefore;
    steadySteps += 1;
  }
  float loss = *static_cast<float *>(arenas.results()[lossResult]);
  if (!std::isfinite(loss))
    return Error("the loss is " + std::string(std::isnan(loss) ? "NaN" : "infinite") +
                 " at step " + std::to_string(stepCounter) + " (epoch " +
                 std::to_string(epoch + 1) + "); lower the learning rate. " +
                 (lastSaved.empty() ? std::string("No checkpoint was written.")
                                    : "The last good checkpoint is " + lastSaved + "."));
  lossSum += loss;
  if (metrics && stepCounter % logEvery == 0)
    std::fprintf(metrics, "{\"step\": %lld, \"epoch\": %lld, \"loss\": %.6f}\n",
                 (long long)stepCounter, (long long)epoch + 1, loss);
  arenas.flip();
  if (arenas.keepsEma())
    arenas.updateEma();
  return Error();
}

/// Ctrl-C: the step is finished; keep what was learned and leave cleanly.
Error TrainingRun::interrupt(int64_t epoch, int64_t s, double lossSum) {
  std::string path = savePath.empty() ? model.model + ".interrupted.safetensors" : savePath;
  if (Error e = saveCheckpoint(path, model, arenas, seed, {stepCounter, epoch, s + 1, lossSum},
                               stopping, lastSaved))
    return e;
  std::fflush(stdout);
  std::fprintf(stderr,
               "\n%s: interrupted at step %lld (epoch %lld); saved %s (resume with --resume "
               "%s: it goes on from that step)\n",
               tool.c_str(), (long long)stepCounter, (long long)epoch + 1, path.c_str(),
               path.c_str());
  return Error();
}

Error TrainingRun::endEpoch(int64_t epoch, double samplesPerSec, double seconds, bool &stop) {
  if (valSet.size > 0)
    if (Error e = evaluation->on(valSet, arenas.evalView(arenas.keepsEma()), val))
      return e;
  logEpoch(epoch);
  bool plotting = !flags.plot.empty();
  if (plotting)
    plotPoints.push_back({epoch + 1, lastLoss, val.loss.value_or(-1), val.acc.value_or(-1), -1});
  stop = stopping.observe(epoch, val, lastLoss, arenas);
  // An epoch cut short by --steps is saved as Ctrl-C saves one: a run with more steps
  // resumes from the next step.
  RunPosition at = epochStepsDone ? RunPosition{stepCounter, epoch, epochStepsDone, lossSumDone}
                                  : RunPosition{stepCounter, epoch + 1, 0, 0};
  if (!savePath.empty() && (stop || (epoch + 1) % every == 0 || epoch + 1 == epochs))
    if (Error e = saveCheckpoint(savePath, model, arenas, seed, at, stopping, lastSaved))
      return e;
  if (stop) {
    progress.endEpoch({lastLoss, val.loss, val.acc, {}, {}, {}, {}});
    std::printf("early stopping: no improvement of %s for %lld epochs; restored the weights "
                "of epoch %lld\n",
                stopping.metric().c_str(), (long long)stopping.badEpochs(),
                (long long)stopping.bestEpoch() + 1);
    std::fflush(stdout);
    return Error();
  }
  // Long runs of short epochs (the small CSV models) print ten summaries, not hundreds.
  bool show = epochs <= 20 || (epoch + 1) % (epochs / 10) == 0 || epoch + 1 == epochs;
  if (show || plotting) {
    if (Error e = evaluateTest())
      return e;
    if (plotting)
      plotPoints.back().testAcc = test.acc.value_or(-1);
  }
  if (!show) {
    progress.endEpoch();
    return Error();
  }
  progress.endEpoch({lastLoss, val.loss, val.acc, test.loss, test.acc, samplesPerSec, seconds});
  return Error();
}

void TrainingRun::report(int64_t epoch, bool &stop) {
  if (hooks && hooks->position)
    *hooks->position = {stepCounter, epoch + 1, 0, 0};
  if (hooks && hooks->onEpoch && !hooks->onEpoch({epoch + 1, stepCounter, lastLoss, val, test}))
    stop = true;
}

/// The epoch's line of --metrics.
void TrainingRun::logEpoch(int64_t epoch) {
  if (!metrics)
    return;
  std::fprintf(metrics, "{\"epoch\": %lld, \"step\": %lld, \"train_loss\": %.6f",
               (long long)epoch + 1, (long long)stepCounter, lastLoss);
  if (val.loss)
    std::fprintf(metrics, ", \"val_loss\": %.6f", *val.loss);
  if (val.acc)
    std::fprintf(metrics, ", \"val_acc\": %.4f", *val.acc);
  std::fprintf(metrics, "}\n");
  std::fflush(metrics);
}

/// The test scores of the weights evaluation uses now.
Error TrainingRun::evaluateTest() {
  evaluatedFinal = true;
  return evaluation->on(testSet, arenas.evalView(arenas.keepsEma()), test);
}

Error TrainingRun::finish() {
  if (metrics) {
    std::fclose(metrics);
    metrics = nullptr;
  }
  // Of the final (or restored best) weights.
  if (!evaluatedFinal) {
    if (Error e = evaluateTest())
      return e;
    if (valSet.size > 0)
      if (Error e = evaluation->on(valSet, arenas.evalView(arenas.keepsEma()), val))
        return e;
  }
  if (!flags.plot.empty())
    if (std::string e = writePlot(flags.plot, model.model, plotPoints); !e.empty())
      return Error("--plot: " + e);
  if (flags.json)
    printJson();
  std::fflush(stdout);
  return Error();
}

void TrainingRun::printJson() const {
  int64_t bestEpoch = stopping.bestEpoch() >= 0 ? stopping.bestEpoch() : epochsRun - 1;
  std::string allocs = heapAllocations() && steadySteps > 0
                           ? std::to_string(double(steadyAllocs) / double(steadySteps))
                           : "null";
  std::printf("{\"model\": \"%s\", \"threads\": %d, \"batch\": %lld, \"epochs\": %lld, "
              "\"samples_per_s\": %.1f, \"test_acc\": %s, \"test_loss\": %s, "
              "\"train_loss\": %.6f, \"val_loss\": %s, \"val_acc\": %s, \"best_epoch\": %lld, "
              "\"ema\": %g, \"compile_s\": %.3f, \"heap_allocs_per_step\": %s}\n",
              model.model.c_str(), flags.threads, (long long)batch, (long long)epochsRun,
              double(samples) / std::max(trainSeconds, 1e-9),
              jsonNumber(test.acc, "%.4f").c_str(), jsonNumber(test.loss, "%.6f").c_str(),
              lastLoss, jsonNumber(val.loss, "%.6f").c_str(), jsonNumber(val.acc, "%.4f").c_str(),
              (long long)bestEpoch + 1, arenas.emaDecay(), compileSeconds, allocs.c_str());
}

} // namespace nnc::runtime
