//===- Model.h - A compiled model for Python --------------------*- C++ -*-===//
//
// What `nnc.Model` holds: the model compiled with the JIT, its weights (the runtime's arenas),
// where training stands, and the runtime's loop, evaluation and checkpoints working on them.
// Nothing here knows Python: errors are runtime::Error values, and the bindings
// (Bindings.cpp) turn them into exceptions.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_PYTHON_MODEL_H
#define NNC_PYTHON_MODEL_H

#include "nnc/Pipeline/JitModel.h"
#include "nnc/Runtime/Arenas.h"
#include "nnc/Runtime/Checkpoint.h"
#include "nnc/Runtime/Data.h"
#include "nnc/Runtime/Evaluation.h"
#include "nnc/Runtime/Npy.h"
#include "nnc/Runtime/TrainingRun.h"

#include <memory>

namespace nnc::python {

class Model {
public:
  /// Compiles `flags.modelFile`; `error` gets the diagnostics when it fails.
  static std::unique_ptr<Model> compile(const runtime::TrainerFlags &flags, std::string &error);

  /// Trains `epochs` more epochs (0: the train block's) on `train` and `test` (null: the
  /// train block's data and test set; no test set when only `train` is given).
  runtime::Error fit(int64_t epochs, const runtime::Dataset *train, const runtime::Dataset *test,
                     const std::function<bool(const runtime::EpochReport &)> &onEpoch);
  /// Scores the weights on `ds` (null: the train block's test set).
  runtime::Error evaluate(const runtime::Dataset *ds, runtime::Metrics &out);
  /// The outputs for the samples of `x` (a classifier's probabilities), `cols` per sample.
  runtime::Error predict(runtime::NpyArray x, std::vector<double> &out, int64_t &cols);

  /// The weights by checkpoint name ("state." for state), with their shapes.
  std::vector<const runtime::SlotDesc *> weights() const;
  const float *data(const runtime::SlotDesc &slot) const;
  runtime::Error set(const std::string &name, const std::vector<int64_t> &shape,
                     const float *values);

  runtime::Error save(const std::string &path);
  runtime::Error load(const std::string &path);

  /// A dataset of `n` samples of `sampleShape` from raw features (u8 or f32) and labels
  /// (i32 class indices for a classifier, f32 targets otherwise); checked against the model.
  runtime::Error dataset(const void *x, bool u8, const std::vector<int64_t> &shape,
                         const void *y, int64_t ySize, runtime::Dataset &out) const;

  bool classifier() const { return isClassifier; }
  const runtime::RunPosition &position() const { return pos; }
  const runtime::ModelDescription &description() const { return jit.desc; }

private:
  Model() = default;
  runtime::Error loadTestSet();

  JitModel jit;
  runtime::TrainerFlags flags;
  runtime::Arenas arenas;
  runtime::RunPosition pos;
  std::unique_ptr<runtime::Evaluation> evaluation;
  const runtime::SlotDesc *input = nullptr;
  int64_t batch = 0, sampleElems = 1, outputCols = 0, labelsPerSample = 1, classes = 0;
  bool bytesIn = false, isClassifier = false;
  uint64_t seed = 0;
  runtime::Dataset blockTest; // The train block's test set, once loaded.
  bool blockTestLoaded = false;
};

} // namespace nnc::python

#endif // NNC_PYTHON_MODEL_H
