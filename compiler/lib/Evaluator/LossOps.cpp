//===- LossOps.cpp - Loss functions ---------------------------------------===//
//
// The losses: nn.cross_entropy (the mean over the batch of the negative log
// softmax at each label, through a stable log-sum-exp) with its gradient,
// and nn.mse. A label outside [0, C) is an error at the op, not a crash.
//
//===----------------------------------------------------------------------===//

#include "EvaluatorInternal.h"
#include "nnc/Dialect/NN/NNOps.h"

using namespace mlir;

namespace nnc::eval {

namespace {

/// Checks logits [B, C] and labels [B] and returns C.
FailureOr<int64_t> checkLogitsLabels(Operation *op, const Tensor &logits, const Tensor &labels) {
  if (failed(expectFloat(op, logits, "the logits")) || failed(expectInt(op, labels, "the labels")))
    return failure();
  if (logits.shape.size() != 2 || labels.shape.size() != 1 || labels.shape[0] != logits.shape[0])
    return op->emitError() << "expects logits [B, C] and labels [B], found " << logits.typeString()
                           << " and " << labels.typeString();
  int64_t c = logits.shape[1];
  for (int64_t b = 0; b < labels.shape[0]; ++b)
    if (labels.i[b] < 0 || labels.i[b] >= c)
      return op->emitError() << "label " << labels.i[b] << " of batch element " << b
                             << " is out of range [0, " << c << ")";
  return c;
}

/// The stable log-sum-exp of `row[0, n)`.
double logSumExp(const double *row, int64_t n) {
  double m = -std::numeric_limits<double>::infinity();
  for (int64_t j = 0; j < n; ++j)
    m = maxNaN(m, row[j]);
  if (std::isinf(m))
    return m;
  double sum = 0;
  for (int64_t j = 0; j < n; ++j)
    sum += std::exp(row[j] - m);
  return m + std::log(sum);
}

LogicalResult crossEntropyOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 2, 1)))
    return failure();
  const Tensor &logits = *in[0], &labels = *in[1];
  FailureOr<int64_t> c = checkLogitsLabels(op, logits, labels);
  if (failed(c) || failed(expectShape(op, out[0], {}, "the result")))
    return failure();
  int64_t batch = logits.shape[0];
  double total = 0;
  for (int64_t b = 0; b < batch; ++b) {
    const double *row = logits.f.data() + b * *c;
    total += logSumExp(row, *c) - row[labels.i[b]];
  }
  out[0].f[0] = total / double(batch);
  return success();
}

LogicalResult crossEntropyGradOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 3, 1)))
    return failure();
  const Tensor &logits = *in[0], &labels = *in[1], &g = *in[2];
  FailureOr<int64_t> c = checkLogitsLabels(op, logits, labels);
  if (failed(c) || failed(expectFloat(op, g, "g")) || failed(expectShape(op, g, {}, "g")) ||
      failed(expectShape(op, out[0], logits.shape, "the result")))
    return failure();
  int64_t batch = logits.shape[0];
  for (int64_t b = 0; b < batch; ++b) {
    const double *row = logits.f.data() + b * *c;
    double lse = logSumExp(row, *c);
    for (int64_t j = 0; j < *c; ++j)
      out[0].f[b * *c + j] =
          (std::exp(row[j] - lse) - (j == labels.i[b] ? 1.0 : 0.0)) * g.f[0] / double(batch);
  }
  return success();
}

LogicalResult mseOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 2, 1)) || failed(expectFloat(op, *in[0], "pred")) ||
      failed(expectFloat(op, *in[1], "target")) ||
      failed(expectShape(op, *in[1], in[0]->shape, "target")) ||
      failed(expectShape(op, out[0], {}, "the result")))
    return failure();
  double sum = 0;
  int64_t n = in[0]->numel();
  for (int64_t k = 0; k < n; ++k) {
    double d = in[0]->f[k] - in[1]->f[k];
    sum += d * d;
  }
  out[0].f[0] = sum / double(n);
  return success();
}

} // namespace

void registerLossOps(OpRegistry &registry) {
  registry.add(nn::CrossEntropyOp::getOperationName(), crossEntropyOp);
  registry.add(nn::CrossEntropyGradOp::getOperationName(), crossEntropyGradOp);
  registry.add(nn::MseOp::getOperationName(), mseOp);
}

} // namespace nnc::eval
