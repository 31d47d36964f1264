//===- Model.cpp - A compiled model for Python ------------------------------===//

#include "Model.h"

#include "nnc/Runtime/EarlyStopping.h"
#include "nnc/Runtime/OpenMP.h"
#include "nnc/Runtime/Predict.h"

#include "llvm/Support/raw_ostream.h"

#include <cstring>

namespace nnc::python {

using runtime::Error;
using runtime::SlotDesc;

std::unique_ptr<Model> Model::compile(const runtime::TrainerFlags &flags, std::string &error) {
  std::unique_ptr<Model> m(new Model());
  m->flags = flags;
  llvm::raw_string_ostream diag(error);
  mlir::FailureOr<JitModel> jit = compileJit(flags, "nnc", diag);
  if (mlir::failed(jit))
    return nullptr;
  m->jit = std::move(*jit);
  const runtime::ModelDescription &d = m->jit.desc;
  for (const SlotDesc &s : d.trainStep.args)
    if (s.role == SlotDesc::Input && !m->input)
      m->input = &s;
  const SlotDesc *labels = nullptr;
  for (const SlotDesc &s : d.trainStep.args)
    if (s.role == SlotDesc::Labels)
      labels = &s;
  m->isClassifier = labels->dtype == "i32";
  m->batch = m->input->shape[0];
  for (size_t i = 1; i < m->input->shape.size(); ++i)
    m->sampleElems *= m->input->shape[i];
  m->bytesIn = m->input->dtype == "u8";
  m->outputCols = d.eval.results[0].numElements() / m->batch;
  m->labelsPerSample = labels->numElements() / m->batch;
  m->classes = d.eval.results[0].shape.back();
  m->seed = flags.seed >= 0 ? uint64_t(flags.seed) : uint64_t(d.train.number("seed", 0));
  if (Error e = runtime::Arenas::create(d.trainStep, m->seed, d.train.number("ema", 0),
                                        m->arenas)) {
    error = e.message();
    return nullptr;
  }
  if (m->arenas.keepsEma())
    m->arenas.emaFromWeights();
  m->evaluation = std::make_unique<runtime::Evaluation>(d.eval, m->jit.eval, m->arenas, m->batch,
                                                        m->sampleElems, m->bytesIn);
  runtime::startOpenMP(flags.threads);
  return m;
}

Error Model::fit(int64_t epochs, const runtime::Dataset *train, const runtime::Dataset *test,
                 const std::function<bool(const runtime::EpochReport &)> &onEpoch) {
  runtime::TrainerFlags f = flags;
  f.epochs = pos.epochsDone + (epochs > 0 ? epochs : int64_t(jit.desc.train.number("epochs", 1)));
  runtime::RunHooks hooks{&arenas, &pos, train, test, onEpoch};
  runtime::TrainingRun run(jit.desc, jit.step, jit.eval, f, "nnc", jit.compileSeconds, &hooks);
  int exitCode = 0;
  return run.run(exitCode);
}

Error Model::loadTestSet() {
  if (blockTestLoaded)
    return Error();
  runtime::DataConfig config = runtime::dataConfigOf(jit.desc.train, jit.desc.baseDir);
  runtime::Dataset trainSet;
  runtime::LoadOptions options = runtime::loadOptionsOf(jit.desc, /*limit=*/1);
  if (Error e = Error(runtime::loadData(config, options, trainSet, blockTest)))
    return e;
  blockTestLoaded = true;
  return Error();
}

Error Model::evaluate(const runtime::Dataset *ds, runtime::Metrics &out) {
  if (!ds) {
    if (Error e = loadTestSet())
      return e;
    if (blockTest.size == 0)
      return Error("the train block's data have no test set: pass the samples to evaluate");
    ds = &blockTest;
  }
  return evaluation->on(*ds, arenas.evalView(arenas.keepsEma()), out);
}

Error Model::predict(runtime::NpyArray x, std::vector<double> &out, int64_t &cols) {
  std::vector<void *> weights = arenas.evalView(arenas.keepsEma()), ptrs;
  if (Error e = evaluation->args(weights, nullptr, nullptr, ptrs))
    return e;
  runtime::PredictShape shape{batch, sampleElems, bytesIn, isClassifier, outputCols};
  cols = outputCols;
  return runtime::predictRows(std::move(x), "predict", shape,
                              [&](void *in, void *output) {
                                (void)evaluation->args(weights, in, output, ptrs);
                                std::vector<void *> packed = runtime::packArgs(ptrs);
                                evaluation->call(packed);
                              },
                              out);
}

std::vector<const SlotDesc *> Model::weights() const {
  std::vector<const SlotDesc *> out;
  for (const SlotDesc &s : jit.desc.trainStep.args)
    if (s.role == SlotDesc::Param || s.role == SlotDesc::State)
      out.push_back(&s);
  return out;
}

const float *Model::data(const SlotDesc &slot) const {
  size_t i = &slot - jit.desc.trainStep.args.data();
  return static_cast<const float *>(arenas.arg(i));
}

Error Model::set(const std::string &name, const std::vector<int64_t> &shape,
                 const float *values) {
  for (const SlotDesc *s : weights()) {
    if (runtime::checkpointName(*s) != name)
      continue;
    if (s->shape != shape || s->dtype != "f32")
      return Error("parameter '" + name + "' has another shape than the array");
    arenas.load(s - jit.desc.trainStep.args.data(), values, s->bytes());
    return Error();
  }
  return Error("the model has no parameter '" + name + "'");
}

Error Model::save(const std::string &path) {
  runtime::EarlyStopping stopping(jit.desc.train.record("early_stopping"), jit.desc.trainStep);
  std::string lastSaved;
  return runtime::saveCheckpoint(path, jit.desc, arenas, seed, pos, stopping, lastSaved);
}

Error Model::load(const std::string &path) {
  runtime::LoadedFile file;
  if (Error e = runtime::readTensors(path, "", file))
    return e;
  bool emaLoaded = false;
  if (Error e = runtime::loadWeights(file, jit.desc, arenas, "'" + path + "': ", emaLoaded))
    return e;
  if (arenas.keepsEma() && !emaLoaded)
    arenas.emaFromWeights();
  pos = {std::atoll(file.metaValue("step").c_str()), std::atoll(file.metaValue("epoch").c_str()),
         0, 0};
  return Error();
}

Error Model::dataset(const void *x, bool u8, const std::vector<int64_t> &shape, const void *y,
                     int64_t ySize, runtime::Dataset &out) const {
  int64_t n = shape.empty() ? 0 : shape[0], elems = 1;
  for (size_t i = 1; i < shape.size(); ++i)
    elems *= shape[i];
  if (n == 0 || elems != sampleElems)
    return Error("the samples have " + std::to_string(elems) + " values each, the model's input '" +
                 input->name + "' takes " + std::to_string(sampleElems));
  out.sampleShape.assign(shape.begin() + 1, shape.end());
  out.size = n;
  out.isU8 = u8;
  if (u8)
    out.u8.assign(static_cast<const uint8_t *>(x), static_cast<const uint8_t *>(x) + n * elems);
  else
    out.f32.assign(static_cast<const float *>(x), static_cast<const float *>(x) + n * elems);
  out.intLabels = isClassifier;
  if (isClassifier) {
    if (ySize != n * labelsPerSample)
      return Error("expected " + std::to_string(n * labelsPerSample) + " labels (" +
                   std::to_string(labelsPerSample) + " per sample), found " +
                   std::to_string(ySize));
    out.labels.assign(static_cast<const int32_t *>(y),
                      static_cast<const int32_t *>(y) + ySize);
    out.targetWidth = labelsPerSample;
    out.numClasses = classes;
    for (int32_t l : out.labels)
      if (l < 0 || l >= classes)
        return Error("label " + std::to_string(l) + " is not a class of the model (0 to " +
                     std::to_string(classes - 1) + ")");
    return Error();
  }
  if (ySize != n * outputCols)
    return Error("expected " + std::to_string(n * outputCols) + " targets (" +
                 std::to_string(outputCols) + " per sample), found " + std::to_string(ySize));
  out.targets.assign(static_cast<const float *>(y), static_cast<const float *>(y) + ySize);
  out.targetWidth = outputCols;
  return Error();
}

} // namespace nnc::python
