//===- ReductionOps.cpp - Reductions and softmax --------------------------===//
//
// The ops that reduce along axes: nn.reduce_sum, nn.reduce_mean and
// nn.reduce_max over a set of axes, nn.argmax along one, and nn.softmax and
// nn.log_softmax, which normalize along one axis with its maximum subtracted
// first. Sums run in the row-major order of the input.
//
//===----------------------------------------------------------------------===//

#include "EvaluatorInternal.h"
#include "nnc/Dialect/NN/NNOps.h"

using namespace mlir;

namespace nnc::eval {

namespace {

enum class Reduction { Sum, Mean, Max };

LogicalResult reduceOp(Operation *op, Inputs in, Outputs out, Reduction kind) {
  if (failed(arity(op, in, out, 1, 1)) || failed(expectFloat(op, *in[0], "the operand")))
    return failure();
  const Tensor &x = *in[0];
  FailureOr<SmallVector<int64_t>> axes = i64Array(op, "axes");
  if (failed(axes))
    return failure();
  SmallVector<int64_t> kept(x.shape.begin(), x.shape.end());
  SmallVector<bool> reduced(x.shape.size(), false);
  int64_t count = 1;
  for (int64_t a : *axes) {
    if (a < 0 || a >= int64_t(x.shape.size()) || reduced[a])
      return op->emitError() << "invalid reduction axis " << a;
    reduced[a] = true;
    count *= x.shape[a];
    kept[a] = 1;
  }
  // The result's row-major offsets are those of the keep_dims shape whether
  // or not the size-1 dimensions are dropped.
  if (out[0].numel() != product(kept))
    return op->emitError() << "result " << out[0].typeString() << " does not match the reduction";
  SmallVector<int64_t> keptStrides = stridesOf(kept);
  std::vector<double> &r = out[0].f;
  std::fill(r.begin(), r.end(),
            kind == Reduction::Max ? -std::numeric_limits<double>::infinity() : 0.0);
  SmallVector<int64_t> idx(x.shape.size(), 0);
  for (int64_t k = 0, n = x.numel(); k < n; ++k, nextIndex(idx, x.shape)) {
    int64_t dst = 0;
    for (size_t d = 0; d < idx.size(); ++d)
      if (!reduced[d])
        dst += idx[d] * keptStrides[d];
    r[dst] = kind == Reduction::Max ? maxNaN(r[dst], x.f[k]) : r[dst] + x.f[k];
  }
  if (kind == Reduction::Mean)
    for (double &v : r)
      v /= double(count);
  return success();
}

LogicalResult argmaxOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 1, 1)) || failed(expectFloat(op, *in[0], "the operand")))
    return failure();
  const Tensor &x = *in[0];
  AxisSplit s;
  if (failed(axisSplit(op, x.shape, s)))
    return failure();
  if (out[0].numel() != s.outer * s.inner)
    return op->emitError("result shape does not match the input without the axis");
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t r = 0; r < s.inner; ++r) {
      int64_t best = 0;
      for (int64_t j = 1; j < s.size; ++j)
        if (beats(x.f[(o * s.size + j) * s.inner + r], x.f[(o * s.size + best) * s.inner + r]))
          best = j;
      out[0].i[o * s.inner + r] = best;
    }
  return success();
}

LogicalResult softmaxOp(Operation *op, Inputs in, Outputs out, bool log) {
  if (failed(arity(op, in, out, 1, 1)) || failed(expectFloat(op, *in[0], "the operand")) ||
      failed(expectShape(op, *in[0], out[0].shape, "the operand")))
    return failure();
  const Tensor &x = *in[0];
  AxisSplit s;
  if (failed(axisSplit(op, x.shape, s)))
    return failure();
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t q = 0; q < s.inner; ++q) {
      auto at = [&](int64_t j) { return (o * s.size + j) * s.inner + q; };
      double m = -std::numeric_limits<double>::infinity();
      for (int64_t j = 0; j < s.size; ++j)
        m = maxNaN(m, x.f[at(j)]);
      double sum = 0;
      for (int64_t j = 0; j < s.size; ++j)
        sum += std::exp(x.f[at(j)] - m);
      for (int64_t j = 0; j < s.size; ++j)
        out[0].f[at(j)] = log ? x.f[at(j)] - m - std::log(sum) : std::exp(x.f[at(j)] - m) / sum;
    }
  return success();
}

} // namespace

void registerReductionOps(OpRegistry &registry) {
  registry.add(nn::ReduceSumOp::getOperationName(), withArg(reduceOp, Reduction::Sum));
  registry.add(nn::ReduceMeanOp::getOperationName(), withArg(reduceOp, Reduction::Mean));
  registry.add(nn::ReduceMaxOp::getOperationName(), withArg(reduceOp, Reduction::Max));
  registry.add(nn::ArgmaxOp::getOperationName(), argmaxOp);
  registry.add(nn::SoftmaxOp::getOperationName(), withArg(softmaxOp, /*log=*/false));
  registry.add(nn::LogSoftmaxOp::getOperationName(), withArg(softmaxOp, /*log=*/true));
}

} // namespace nnc::eval
