//===- BatchNormOps.cpp - Batch normalization -----------------------------===//
//
// nn.batch_norm_train (which also returns the batch mean and biased
// variance), nn.batch_norm_infer (with given statistics) and
// nn.batch_norm_grad, all per channel along the `axis` attribute. The
// statistics are two-pass sums in the row-major order of the input.
//
//===----------------------------------------------------------------------===//

#include "EvaluatorInternal.h"
#include "nnc/Dialect/NN/NNOps.h"

using namespace mlir;

namespace nnc::eval {

namespace {

/// Checks that each per-channel operand is 1-D of the channel count and
/// returns the split of the input around the channel axis.
FailureOr<AxisSplit> channelSplit(Operation *op, const Tensor &x, ArrayRef<const Tensor *> vecs) {
  if (failed(expectFloat(op, x, "the input")))
    return failure();
  AxisSplit s;
  if (failed(axisSplit(op, x.shape, s)))
    return failure();
  for (const Tensor *v : vecs)
    if (failed(expectFloat(op, *v, "per-channel operands")) ||
        failed(expectShape(op, *v, {s.size}, "per-channel operands and results")))
      return failure();
  return s;
}

/// Calls `fn(offset, channel)` for every element of a tensor split by `s`.
template <typename Fn> void forChannels(const AxisSplit &s, Fn fn) {
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t c = 0; c < s.size; ++c)
      for (int64_t q = 0; q < s.inner; ++q)
        fn((o * s.size + c) * s.inner + q, c);
}

LogicalResult batchNormTrainOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 3, 3)))
    return failure();
  const Tensor &x = *in[0], &gamma = *in[1], &beta = *in[2];
  FailureOr<AxisSplit> s = channelSplit(op, x, {&gamma, &beta, &out[1], &out[2]});
  FailureOr<double> eps = f64Attr(op, "epsilon");
  if (failed(s) || failed(eps) || failed(expectShape(op, out[0], x.shape, "the output")))
    return failure();
  double count = double(s->outer * s->inner);
  std::vector<double> mean(s->size, 0.0), var(s->size, 0.0);
  forChannels(*s, [&](int64_t k, int64_t c) { mean[c] += x.f[k]; });
  for (double &m : mean)
    m /= count;
  forChannels(*s, [&](int64_t k, int64_t c) { var[c] += (x.f[k] - mean[c]) * (x.f[k] - mean[c]); });
  for (double &v : var)
    v /= count;
  forChannels(*s, [&](int64_t k, int64_t c) {
    out[0].f[k] = (x.f[k] - mean[c]) / std::sqrt(var[c] + *eps) * gamma.f[c] + beta.f[c];
  });
  out[1].f = mean;
  out[2].f = var;
  return success();
}

LogicalResult batchNormInferOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 5, 1)))
    return failure();
  const Tensor &x = *in[0], &mean = *in[1], &var = *in[2], &gamma = *in[3], &beta = *in[4];
  FailureOr<AxisSplit> s = channelSplit(op, x, {&mean, &var, &gamma, &beta});
  FailureOr<double> eps = f64Attr(op, "epsilon");
  if (failed(s) || failed(eps) || failed(expectShape(op, out[0], x.shape, "the output")))
    return failure();
  forChannels(*s, [&](int64_t k, int64_t c) {
    out[0].f[k] = (x.f[k] - mean.f[c]) / std::sqrt(var.f[c] + *eps) * gamma.f[c] + beta.f[c];
  });
  return success();
}

LogicalResult batchNormGradOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 5, 3)))
    return failure();
  const Tensor &x = *in[0], &gamma = *in[1], &mean = *in[2], &var = *in[3], &dy = *in[4];
  FailureOr<AxisSplit> s = channelSplit(op, x, {&gamma, &mean, &var, &out[1], &out[2]});
  FailureOr<double> eps = f64Attr(op, "epsilon");
  if (failed(s) || failed(eps) || failed(expectFloat(op, dy, "grad")) ||
      failed(expectShape(op, dy, x.shape, "grad")) ||
      failed(expectShape(op, out[0], x.shape, "dx")))
    return failure();
  double count = double(s->outer * s->inner);
  std::vector<double> rstd(s->size), dgamma(s->size, 0.0), dbeta(s->size, 0.0);
  for (int64_t c = 0; c < s->size; ++c)
    rstd[c] = 1.0 / std::sqrt(var.f[c] + *eps);
  auto xhat = [&](int64_t k, int64_t c) { return (x.f[k] - mean.f[c]) * rstd[c]; };
  forChannels(*s, [&](int64_t k, int64_t c) {
    dbeta[c] += dy.f[k];
    dgamma[c] += dy.f[k] * xhat(k, c);
  });
  forChannels(*s, [&](int64_t k, int64_t c) {
    out[0].f[k] =
        gamma.f[c] * rstd[c] / count * (count * dy.f[k] - dbeta[c] - xhat(k, c) * dgamma[c]);
  });
  out[1].f = dgamma;
  out[2].f = dbeta;
  return success();
}

} // namespace

void registerBatchNormOps(OpRegistry &registry) {
  registry.add(nn::BatchNormTrainOp::getOperationName(), batchNormTrainOp);
  registry.add(nn::BatchNormInferOp::getOperationName(), batchNormInferOp);
  registry.add(nn::BatchNormGradOp::getOperationName(), batchNormGradOp);
}

} // namespace nnc::eval
