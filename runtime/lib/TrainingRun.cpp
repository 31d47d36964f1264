//===- TrainingRun.cpp - A training run: its set-up ------------------------===//
//
// What happens before the first step: the compiled step's signature is checked against the
// flags (the batch size and learning rate are compiled in), the arenas are set up, then
// --predict and --evaluate run on a checkpoint, or the data, the validation set, the
// checkpoint to resume, init_from and the metrics file are made ready for training
// (TrainingLoop.cpp).
//
//===----------------------------------------------------------------------===//

#include "nnc/Runtime/TrainingRun.h"
#include "nnc/Runtime/Memory.h"
#include "nnc/Runtime/Predict.h"

#include <cerrno>
#include <cstring>

#include <unistd.h>

namespace nnc::runtime {

TrainingRun::TrainingRun(const ModelDescription &model, PackedFn stepFn, PackedFn evalFn,
                         const TrainerFlags &flags, std::string tool, double compileSeconds,
                         const RunHooks *hooks)
    : model(model), stepDesc(model.trainStep), evalDesc(model.eval), stepFn(stepFn),
      evalFn(evalFn), flags(flags), tool(std::move(tool)), compileSeconds(compileSeconds),
      hooks(hooks), arenas(hooks && hooks->arenas ? *hooks->arenas : ownArenas),
      stopping(model.train.record("early_stopping"), model.trainStep),
      progress(stdout, isatty(fileno(stdout))) {}

TrainingRun::~TrainingRun() {
  if (metrics)
    std::fclose(metrics);
}

Error TrainingRun::run(int &exitCode) {
  exitCode = 0;
  if (Error e = checkSignature())
    return e;
  if (!flags.predict.empty())
    return predictOutputs();
  if (Error e = loadDataSets())
    return e;
  if (flags.evaluate)
    return evaluateWeights();
  if (Error e = loadValidation())
    return e;
  bool emaLoaded = false;
  if (Error e = resume(emaLoaded))
    return e;
  chooseCheckpoints();
  if (const Json *init = model.train.record("init_from"); init && flags.resume.empty())
    if (Error e = initFrom(*init, dataConfig.baseDir, stepDesc, arenas))
      return e;
  // The shadows start as the weights (initialized, or loaded by init_from).
  if (arenas.keepsEma() && !emaLoaded)
    arenas.emaFromWeights();
  if (Error e = openMetrics())
    return e;
  if (Error e = trainEpochs(exitCode))
    return e;
  return exitCode ? Error() : finish();
}

Error TrainingRun::checkSignature() {
  for (const SlotDesc &s : stepDesc.args) {
    if (s.role == SlotDesc::Labels)
      labelSlot = &s;
    if (s.role == SlotDesc::Input && !inputSlot)
      inputSlot = &s;
    if (s.role == SlotDesc::Step && s.dtype != "i64")
      return Error("the training step counts its steps in " + s.dtype + ", not i64");
  }
  if (!labelSlot || !inputSlot || inputSlot->shape.empty())
    return Error("the training step has no input or no labels");
  // Images go to a step compiled for bytes as they are (it scales them itself, as
  // nn-byte-inputs made it); a step compiled for floats gets them scaled here.
  bytesIn = inputSlot->dtype == "u8";
  batch = inputSlot->shape[0];
  // The batch size and the learning rate are compiled into the step.
  if (flags.batch && flags.batch != batch)
    return Error("--batch " + std::to_string(flags.batch) +
                 ": this trainer was compiled for batch " + std::to_string(batch) +
                 " (recompile with nnc --batch " + std::to_string(flags.batch) + ")");
  const Json *optimizer = model.train.record("optimizer");
  double compiledLr = optimizer ? optimizer->number("lr") : 0;
  if (flags.lr > 0 && compiledLr != flags.lr) {
    char buf[96];
    std::snprintf(buf, sizeof(buf), "--lr %g: this trainer was compiled with lr %g", flags.lr,
                  compiledLr);
    return Error(buf + std::string(" (recompile with nnc --lr)"));
  }
  epochs = flags.epochs ? flags.epochs : int64_t(model.train.number("epochs", 1));
  if (flags.steps > 0 && flags.epochs > 0)
    return Error("--steps and --epochs both say how long to train: give one");
  seed = flags.seed >= 0 ? uint64_t(flags.seed) : uint64_t(model.train.number("seed", 0));
  for (size_t i = 1; i < inputSlot->shape.size(); ++i)
    sampleElems *= inputSlot->shape[i];
  // An AOT trainer's first check (nnc-train's is before compiling).
  if (Error e = checkMemory(memoryOf(model), flags.memoryLimit))
    return e;
  if (!(hooks && hooks->arenas))
    if (Error e = Arenas::create(stepDesc, seed, model.train.number("ema", 0), arenas))
      return e;
  for (size_t r = 0; r < stepDesc.results.size(); ++r)
    if (stepDesc.results[r].role == SlotDesc::Loss)
      lossResult = int(r);
  if (lossResult < 0)
    return Error("the training step returns no loss");
  classifier = labelSlot->dtype == "i32";
  evaluation =
      std::make_unique<Evaluation>(evalDesc, evalFn, arenas, batch, sampleElems, bytesIn);
  return Error();
}

/// Loads the checkpoint of --weights for --predict and --evaluate.
static Error loadWeightsFlag(const TrainerFlags &flags, const ModelDescription &model,
                             Arenas &arenas, bool &emaLoaded) {
  LoadedFile file;
  if (Error e = readTensors(flags.weights, "--weights: ", file))
    return e;
  return loadWeights(file, model, arenas, "--weights '" + flags.weights + "': ", emaLoaded,
                     /*withOptState=*/false);
}

Error TrainingRun::predictOutputs() {
  if (flags.weights.empty() || flags.out.empty())
    return Error(
        "--predict needs --weights FILE.safetensors (a checkpoint of --save) and --out FILE.npy");
  bool emaLoaded = false;
  if (Error e = loadWeightsFlag(flags, model, arenas, emaLoaded))
    return e;
  std::vector<void *> weights = arenas.evalView(emaLoaded), ptrs;
  if (Error e = evaluation->args(weights, nullptr, nullptr, ptrs))
    return e;
  PredictShape shape{batch, sampleElems, bytesIn, classifier,
                     evalDesc.results[0].numElements() / batch};
  return predict(flags.predict, flags.out, shape, [&](void *input, void *output) {
    (void)evaluation->args(weights, input, output, ptrs);
    std::vector<void *> packed = packArgs(ptrs);
    evaluation->call(packed);
  });
}

Error TrainingRun::loadDataSets() {
  dataConfig = dataConfigOf(model.train, model.baseDir);
  if (!flags.data.empty())
    dataConfig.path = flags.data;
  loadOptions = loadOptionsOf(model, flags.limit);
  if (hooks && hooks->train) {
    trainSet = *hooks->train;
    testSet = hooks->test ? *hooks->test : Dataset();
    for (const Dataset *ds : {&trainSet, &testSet})
      if (bytesIn && ds->size > 0 && !ds->isU8)
        return Error("the samples are f32, but the model was compiled for u8 images (its train "
                     "block's data hold bytes): pass the images as u8");
  } else if (Error e = Error(loadData(dataConfig, loadOptions, trainSet, testSet))) {
    return e;
  }
  if (trainSet.sampleNumel() != sampleElems)
    return Error("the data's samples have " + std::to_string(trainSet.sampleNumel()) +
                 " values, the model's input '" + inputSlot->name + "' expects " +
                 std::to_string(sampleElems));
  if (trainSet.size < batch)
    return Error("the training set has " + std::to_string(trainSet.size) +
                 " samples, fewer than one batch of " + std::to_string(batch));
  int64_t perSample = labelSlot->numElements() / batch;
  if (trainSet.targetWidth != perSample)
    return Error("the data hold " + std::to_string(trainSet.targetWidth) +
                 (classifier ? " labels" : " targets") + " per sample, the model's loss takes " +
                 std::to_string(perSample));
  if (Error e = requireBytes(trainSet, dataConfig, false))
    return e;
  return requireBytes(testSet, dataConfig, true);
}

/// A step compiled for bytes takes no floats: the data changed since compiling (or a test
/// or validation file holds another type than the training file).
Error TrainingRun::requireBytes(const Dataset &ds, const DataConfig &c, bool test) const {
  if (!bytesIn || ds.size == 0 || ds.isU8)
    return Error();
  std::string path = c.kind == "idx"               ? (test ? c.testImages : c.images)
                     : c.kind == "npy"             ? (test ? c.testX : c.x)
                     : test && !c.test.empty() ? c.test
                                                   : c.path;
  return Error(joinPath(c.baseDir, path) +
               ": the samples are f32, but this trainer was compiled for u8 images (the train "
               "block's data held bytes then); pass the images as u8, or compile the trainer "
               "for this data");
}

Error TrainingRun::evaluateWeights() {
  if (flags.weights.empty())
    return Error("--evaluate needs --weights FILE.safetensors (a checkpoint of --save)");
  bool emaLoaded = false;
  if (Error e = loadWeightsFlag(flags, model, arenas, emaLoaded))
    return e;
  if (testSet.size == 0)
    return Error("--evaluate: the train block's data has no test set");
  Metrics m;
  if (Error e = evaluation->on(testSet, arenas.evalView(emaLoaded), m))
    return e;
  std::printf("test loss %.4f", *m.loss);
  if (m.acc)
    std::printf("  test acc %.4f", *m.acc);
  std::printf("  (%lld samples%s)\n", (long long)testSet.size,
              emaLoaded ? ", the EMA of the weights" : "");
  if (flags.json)
    std::printf("{\"model\": \"%s\", \"test_samples\": %lld, \"test_loss\": %.6f, "
                "\"test_acc\": %s}\n",
                model.model.c_str(), (long long)testSet.size, *m.loss,
                jsonNumber(m.acc, "%.4f").c_str());
  std::fflush(stdout);
  return Error();
}

/// The validation set: a split of the training data (shuffled with a fixed seed first, as
/// sorted files are common) or another data source; and early stopping on it.
Error TrainingRun::loadValidation() {
  if (const Json *v = model.train.record("validation")) {
    if (v->str("kind") == "split") {
      shuffleRows(trainSet, 0x5EED);
      std::string e = splitOff(trainSet, v->number("fraction"), valSet);
      if (!e.empty())
        return Error("validation: " + e);
    } else {
      DataConfig vc = dataConfig;
      vc.kind = v->str("kind");
      vc.path = v->str("path");
      vc.test.clear();
      vc.testFraction = 0;
      Dataset unused;
      LoadOptions vo = loadOptions;
      vo.limit = 0;
      std::string e = loadData(vc, vo, valSet, unused);
      if (!e.empty())
        return Error("validation: " + e);
      if (Error e = requireBytes(valSet, vc, false))
        return e;
    }
    if (valSet.size < 1)
      return Error("validation: the validation set is empty");
  }
  if (stopping.enabled() && valSet.size == 0 && stopping.metric() != "train_loss")
    return Error("early_stopping on '" + stopping.metric() +
                 "' needs a validation set ('validation = split(0.1)' in the train block)");
  if (trainSet.size < batch)
    return Error("the training set has " + std::to_string(trainSet.size) +
                 " samples after the validation split, fewer than one batch of " +
                 std::to_string(batch));
  batcher = std::make_unique<Batcher>(trainSet, batch, seed, /*shuffle=*/true,
                                      /*dropLast=*/true);
  // --steps: as many epochs as the steps take, the last one cut short.
  if (flags.steps > 0)
    epochs = (flags.steps + batcher->numBatches() - 1) / batcher->numBatches();
  rawX.resize(batcher->featureBytes());
  labels.resize(batch * std::max<int64_t>(1, trainSet.targetWidth));
  return Error();
}

Error TrainingRun::resume(bool &emaLoaded) {
  if (hooks && hooks->position) {
    stepCounter = hooks->position->step;
    firstEpoch = hooks->position->epochsDone;
    emaLoaded = true; // The shadows are the hooks' arenas', as they are.
  }
  if (flags.resume.empty())
    return Error();
  std::string from = "cannot resume from '" + flags.resume + "': ";
  LoadedFile file;
  if (Error e = readTensors(flags.resume, "cannot resume: ", file))
    return e;
  if (Error e = loadWeights(file, model, arenas, from, emaLoaded))
    return e;
  if (Error e = stopping.load(file, from, arenas))
    return e;
  if (arenas.keepsEma() && !emaLoaded)
    return Error(from + "it holds no EMA of the weights ('ema.*' tensors), which the train "
                        "block's 'ema' keeps; it was saved without 'ema'");
  stepCounter = std::atoll(file.metaValue("step").c_str());
  firstEpoch = std::atoll(file.metaValue("epoch").c_str());
  resumeStep = std::atoll(file.metaValue("epoch_step").c_str());
  resumeLoss = std::strtod(file.metaValue("epoch_loss").c_str(), nullptr);
  if (resumeStep < 0 || resumeStep > batcher->numBatches())
    return Error(from + "it was saved at step " + std::to_string(resumeStep) +
                 " of an epoch, which now has " + std::to_string(batcher->numBatches()) +
                 " (another --limit, batch size or data?)");
  if (flags.steps > 0 && stepCounter >= flags.steps)
    return Error(from + "it is at step " + std::to_string(stepCounter) + ", not before --steps " +
                 std::to_string(flags.steps));
  lastSaved = flags.resume + " (after epoch " + file.metaValue("epoch") + ")";
  if (resumeStep > 0)
    lastSaved = flags.resume + " (at step " + file.metaValue("step") + ", in epoch " +
                std::to_string(firstEpoch + 1) + ")";
  return Error();
}

/// The train block's `checkpoint` when no --save is given.
void TrainingRun::chooseCheckpoints() {
  savePath = flags.save;
  every = flags.checkpointEvery;
  if (const Json *ck = model.train.record("checkpoint")) {
    if (savePath.empty())
      savePath = ck->str("path");
    if (every <= 0)
      every = int64_t(ck->number("every", 1));
  }
  if (every <= 0)
    every = 1;
}

/// Metrics for plotting: one JSON object per line, flushed each epoch.
Error TrainingRun::openMetrics() {
  logEvery = std::max<int64_t>(1, int64_t(model.train.number("log_every", 50)));
  if (!flags.metrics.empty() && !(metrics = std::fopen(flags.metrics.c_str(), "a")))
    return Error("--metrics: cannot open '" + flags.metrics + "': " + std::strerror(errno));
  return Error();
}

} // namespace nnc::runtime
