//===- Evaluation.cpp - The loss and accuracy of a model on a data set ----===//
//
// The cross-entropy is computed from the logits stably (the arg-max subtracted), in double,
// and summed in sample order, so the same weights always give the same numbers.
//
//===----------------------------------------------------------------------===//

#include "nnc/Runtime/Evaluation.h"
#include "nnc/Runtime/Batches.h"

#include <algorithm>
#include <cmath>

namespace nnc::runtime {

Error Evaluation::args(const std::vector<void *> &params, void *input, void *output,
                       std::vector<void *> &out) const {
  out.clear();
  for (const SlotDesc &s : eval.args) {
    if (s.role == SlotDesc::Input) {
      out.push_back(input);
      continue;
    }
    const size_t *i = arenas.indexOf(s);
    if (!i)
      return Error("internal error: the evaluation function reads '" + s.name +
                   "', unknown to the step");
    out.push_back(params[*i]);
  }
  out.push_back(output);
  return Error();
}

namespace {

/// Adds the losses (and the correct predictions) of a batch's first `n` rows: for a
/// classifier, of each of their `width` positions (`cols` logits per sample).
void score(const float *out, int64_t cols, const Dataset &ds, const int32_t *labels, int64_t n,
           double &lossSum, int64_t &correct) {
  int64_t width = ds.targetWidth;
  if (ds.intLabels) {
    cols /= width;
    n *= width;
  }
  for (int64_t r = 0; r < n; ++r) {
    const float *row = out + r * cols;
    if (ds.intLabels) {
      // Cross-entropy from the logits, stably, and the arg-max.
      int64_t best = 0;
      for (int64_t c = 1; c < cols; ++c)
        if (row[c] > row[best])
          best = c;
      double sum = 0;
      for (int64_t c = 0; c < cols; ++c)
        sum += std::exp(double(row[c]) - row[best]);
      lossSum += std::log(sum) + row[best] - row[labels[r]];
      correct += best == labels[r];
    } else {
      const float *target = reinterpret_cast<const float *>(labels) + r * width;
      for (int64_t c = 0; c < cols; ++c)
        lossSum += (row[c] - target[c]) * (row[c] - target[c]) / double(cols);
    }
  }
}

} // namespace

Error Evaluation::on(const Dataset &ds, const std::vector<void *> &params, Metrics &m) const {
  m = Metrics();
  if (ds.size == 0)
    return Error();
  Batcher tb(ds, batch, 0, /*shuffle=*/false, /*dropLast=*/false);
  tb.startEpoch(0);
  int64_t width = ds.targetWidth;
  std::vector<uint8_t> tx(tb.featureBytes());
  std::vector<int32_t> ty(batch * width);
  // The batch goes to the function as the batcher writes it, unless it is bytes and the
  // function takes floats.
  bool scale = ds.isU8 && !bytesIn;
  std::vector<float> xf(scale ? batch * sampleElems : 0), out(eval.results[0].numElements());
  std::vector<void *> ptrs;
  if (Error e = args(params, scale ? static_cast<void *>(xf.data()) : tx.data(), out.data(),
                     ptrs))
    return e;
  std::vector<void *> packed = packArgs(ptrs);
  int64_t correct = 0, total = 0, cols = int64_t(out.size()) / batch;
  double lossSum = 0;
  while (tb.next(tx.data(), ty.data())) {
    int64_t n = tb.lastCount();
    // The last batch is padded with zeros.
    std::fill(tx.begin() + n * ds.sampleBytes(), tx.end(), 0);
    if (scale)
      scaleBytes(tx.data(), xf.data(), batch * sampleElems);
    call(packed);
    score(out.data(), cols, ds, ty.data(), n, lossSum, correct);
    total += ds.intLabels ? n * width : n;
  }
  m.loss = lossSum / double(total);
  if (ds.intLabels)
    m.acc = double(correct) / double(total);
  return Error();
}

} // namespace nnc::runtime
