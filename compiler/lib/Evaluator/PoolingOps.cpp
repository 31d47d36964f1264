//===- PoolingOps.cpp - 2-D max and average pooling -----------------------===//
//
// nn.max_pool2d, nn.avg_pool2d and their gradients. One function walks the
// windows of all four: the max forms pick the first maximum of each window
// (NaN wins), the average forms divide by the full window area (padding
// counts as zeros), and the gradients route the output gradient back along
// the same windows.
//
//===----------------------------------------------------------------------===//

#include "EvaluatorInternal.h"
#include "nnc/Dialect/NN/NNOps.h"

using namespace mlir;

namespace nnc::eval {

namespace {

struct PoolGeom {
  int64_t n, c, h, w, oh, ow, kh, kw, sh, sw, pt, pl;
};

/// Validates the pooling geometry between `x` [N,C,H,W] and `y` [N,C,OH,OW].
FailureOr<PoolGeom> poolGeometry(Operation *op, ArrayRef<int64_t> x, ArrayRef<int64_t> y) {
  FailureOr<SmallVector<int64_t>> kernel = i64Array(op, "kernel", 2);
  FailureOr<SmallVector<int64_t>> strides = i64Array(op, "strides", 2);
  FailureOr<SmallVector<int64_t>> padding = i64Array(op, "padding", 4);
  if (failed(kernel) || failed(strides) || failed(padding))
    return failure();
  if (x.size() != 4 || y.size() != 4)
    return op->emitError("expects 4-D input and output");
  PoolGeom g;
  g.n = x[0], g.c = x[1], g.h = x[2], g.w = x[3], g.oh = y[2], g.ow = y[3];
  g.kh = (*kernel)[0], g.kw = (*kernel)[1];
  g.sh = (*strides)[0], g.sw = (*strides)[1];
  g.pt = (*padding)[0], g.pl = (*padding)[1];
  int64_t pb = (*padding)[2], pr = (*padding)[3];
  auto outSize = [](int64_t in, int64_t p0, int64_t p1, int64_t k, int64_t s) {
    int64_t span = in + p0 + p1 - k;
    return span < 0 ? int64_t(-1) : span / s + 1;
  };
  if (g.kh < 1 || g.kw < 1 || g.sh < 1 || g.sw < 1 || g.pt < 0 || g.pl < 0 || pb < 0 || pr < 0 ||
      y[0] != g.n || y[1] != g.c || g.oh != outSize(g.h, g.pt, pb, g.kh, g.sh) ||
      g.ow != outSize(g.w, g.pl, pr, g.kw, g.sw))
    return op->emitError("inconsistent pooling shapes or attributes");
  return g;
}

/// Calls `fn(inputOffset)` for each in-bounds input position of window
/// (n, c, oh, ow), in row-major order.
template <typename Fn>
void forWindow(const PoolGeom &g, int64_t n, int64_t c, int64_t oh, int64_t ow, Fn fn) {
  for (int64_t kh = 0; kh < g.kh; ++kh)
    for (int64_t kw = 0; kw < g.kw; ++kw) {
      int64_t h = oh * g.sh - g.pt + kh, w = ow * g.sw - g.pl + kw;
      if (h >= 0 && h < g.h && w >= 0 && w < g.w)
        fn(((n * g.c + c) * g.h + h) * g.w + w);
    }
}

enum class PoolKind { Max, Avg, MaxGrad, AvgGrad };

LogicalResult poolOp(Operation *op, Inputs in, Outputs out, PoolKind kind) {
  bool isGrad = kind == PoolKind::MaxGrad || kind == PoolKind::AvgGrad;
  size_t numIn = kind == PoolKind::MaxGrad ? 2 : 1;
  if (failed(arity(op, in, out, numIn, 1)))
    return failure();
  for (const Tensor *t : in)
    if (failed(expectFloat(op, *t, "the operands")))
      return failure();
  // Forward: x = in[0], y = out. MaxGrad: x = in[0], dy = in[1], dx = out.
  // AvgGrad: dy = in[0], dx = out (its shape is the input's).
  ArrayRef<int64_t> xShape = kind == PoolKind::AvgGrad ? out[0].shape : in[0]->shape;
  ArrayRef<int64_t> yShape = !isGrad ? out[0].shape : in[numIn - 1]->shape;
  FailureOr<PoolGeom> g = poolGeometry(op, xShape, yShape);
  if (failed(g) ||
      (kind == PoolKind::MaxGrad && failed(expectShape(op, out[0], in[0]->shape, "the result"))))
    return failure();
  double area = double(g->kh * g->kw);
  std::vector<double> &r = out[0].f;
  for (int64_t n = 0; n < g->n; ++n)
    for (int64_t c = 0; c < g->c; ++c)
      for (int64_t oh = 0; oh < g->oh; ++oh)
        for (int64_t ow = 0; ow < g->ow; ++ow) {
          int64_t y = ((n * g->c + c) * g->oh + oh) * g->ow + ow;
          switch (kind) {
          case PoolKind::Max:
          case PoolKind::MaxGrad: {
            int64_t best = -1;
            forWindow(*g, n, c, oh, ow, [&](int64_t k) {
              if (best < 0 || beats(in[0]->f[k], in[0]->f[best]))
                best = k;
            });
            if (kind == PoolKind::Max)
              r[y] = best < 0 ? -std::numeric_limits<double>::infinity() : in[0]->f[best];
            else if (best >= 0)
              r[best] += in[1]->f[y];
            break;
          }
          case PoolKind::Avg: {
            double sum = 0;
            forWindow(*g, n, c, oh, ow, [&](int64_t k) { sum += in[0]->f[k]; });
            r[y] = sum / area;
            break;
          }
          case PoolKind::AvgGrad:
            forWindow(*g, n, c, oh, ow, [&](int64_t k) { r[k] += in[0]->f[y] / area; });
            break;
          }
        }
  return success();
}

} // namespace

void registerPoolingOps(OpRegistry &registry) {
  registry.add(nn::MaxPool2dOp::getOperationName(), withArg(poolOp, PoolKind::Max));
  registry.add(nn::AvgPool2dOp::getOperationName(), withArg(poolOp, PoolKind::Avg));
  registry.add(nn::MaxPool2dGradOp::getOperationName(), withArg(poolOp, PoolKind::MaxGrad));
  registry.add(nn::AvgPool2dGradOp::getOperationName(), withArg(poolOp, PoolKind::AvgGrad));
}

} // namespace nnc::eval
