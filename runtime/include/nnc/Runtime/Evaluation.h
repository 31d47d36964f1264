//===- Evaluation.h - The loss and accuracy of a model on a data set -*- C++ -*-===//
//
// The compiled evaluation function (no dropout, batch-norm running statistics) over a data
// set in batches, the last one padded with zeros: the mean cross-entropy and the accuracy
// for a classifier (integer labels), the mean squared error for a regression.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_EVALUATION_H
#define NNC_RUNTIME_EVALUATION_H

#include "nnc/Runtime/Arenas.h"
#include "nnc/Runtime/Data.h"

#include <optional>

namespace nnc::runtime {

/// A model's scores on a data set; absent on an empty set (and the accuracy for a
/// regression).
struct Metrics {
  std::optional<double> loss, acc;
};

class Evaluation {
public:
  /// `eval` reads the arenas' buffers by name; batches of `batch` samples of `sampleElems`
  /// values, as bytes when `bytesIn`.
  Evaluation(const EntryDesc &eval, PackedFn fn, const Arenas &arenas, int64_t batch,
             int64_t sampleElems, bool bytesIn)
      : eval(eval), fn(fn), arenas(arenas), batch(batch), sampleElems(sampleElems),
        bytesIn(bytesIn) {}

  /// The arguments of the evaluation function: the input, the buffers of `params` (an
  /// Arenas::evalView), the output buffer.
  Error args(const std::vector<void *> &params, void *input, void *output,
             std::vector<void *> &out) const;

  /// The scores of the model with `params` on `ds`.
  Error on(const Dataset &ds, const std::vector<void *> &params, Metrics &out) const;

  /// Calls the function with the packed arguments (packArgs of `args`).
  void call(std::vector<void *> &packed) const { fn(packed.data()); }

private:
  const EntryDesc &eval;
  PackedFn fn;
  const Arenas &arenas;
  int64_t batch, sampleElems;
  bool bytesIn;
};

} // namespace nnc::runtime

#endif // NNC_RUNTIME_EVALUATION_H
