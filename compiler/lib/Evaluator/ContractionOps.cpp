//===- ContractionOps.cpp - Matmul and convolution ------------------------===//
//
// The contractions: nn.matmul (with either operand transposed) and nn.conv2d
// with its input and filter gradients. Each output element is one sum, in the
// order of the loop nest written here; the gradients scatter along the
// forward op's loop nest instead of deriving their own.
//
//===----------------------------------------------------------------------===//

#include "EvaluatorInternal.h"
#include "nnc/Dialect/NN/NNOps.h"

using namespace mlir;

namespace nnc::eval {

namespace {

LogicalResult matmulOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 2, 1)))
    return failure();
  const Tensor &a = *in[0], &b = *in[1];
  if (failed(expectFloat(op, a, "the lhs")) || failed(expectFloat(op, b, "the rhs")))
    return failure();
  if (a.shape.size() != 2 || b.shape.size() != 2 || out[0].shape.size() != 2)
    return op->emitError("expects 2-D operands and result");
  bool ta = unitAttr(op, "transpose_a"), tb = unitAttr(op, "transpose_b");
  int64_t m = ta ? a.shape[1] : a.shape[0], k = ta ? a.shape[0] : a.shape[1];
  int64_t k2 = tb ? b.shape[1] : b.shape[0], n = tb ? b.shape[0] : b.shape[1];
  if (k != k2 || out[0].shape[0] != m || out[0].shape[1] != n)
    return op->emitError() << "inconsistent matmul shapes " << a.typeString() << " x "
                           << b.typeString() << " -> " << out[0].typeString();
  int64_t lda = a.shape[1], ldb = b.shape[1];
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0;
      for (int64_t p = 0; p < k; ++p)
        sum +=
            (ta ? a.f[p * lda + i] : a.f[i * lda + p]) * (tb ? b.f[j * ldb + p] : b.f[p * ldb + j]);
      out[0].f[i * n + j] = sum;
    }
  return success();
}

/// The geometry shared by nn.conv2d and its two gradients, validated so that
/// no index computed from it leaves its tensor.
struct ConvGeom {
  int64_t n, c, h, w, o, cg, kh, kw, oh, ow, sh, sw, pt, pl, dh, dw, groups;
};

FailureOr<ConvGeom> convGeometry(Operation *op, ArrayRef<int64_t> x, ArrayRef<int64_t> f,
                                 ArrayRef<int64_t> y) {
  FailureOr<SmallVector<int64_t>> strides = i64Array(op, "strides", 2);
  FailureOr<SmallVector<int64_t>> padding = i64Array(op, "padding", 4);
  FailureOr<SmallVector<int64_t>> dilations = i64Array(op, "dilations", 2);
  FailureOr<int64_t> groups = i64Attr(op, "groups");
  if (failed(strides) || failed(padding) || failed(dilations) || failed(groups))
    return failure();
  if (x.size() != 4 || f.size() != 4 || y.size() != 4)
    return op->emitError("expects 4-D input, filter and output");
  ConvGeom g;
  g.n = x[0], g.c = x[1], g.h = x[2], g.w = x[3];
  g.o = f[0], g.cg = f[1], g.kh = f[2], g.kw = f[3];
  g.oh = y[2], g.ow = y[3];
  g.sh = (*strides)[0], g.sw = (*strides)[1];
  g.pt = (*padding)[0], g.pl = (*padding)[1];
  g.dh = (*dilations)[0], g.dw = (*dilations)[1];
  g.groups = *groups;
  int64_t pb = (*padding)[2], pr = (*padding)[3];
  auto outSize = [](int64_t in, int64_t p0, int64_t p1, int64_t k, int64_t d, int64_t s) {
    int64_t span = in + p0 + p1 - d * (k - 1) - 1;
    return span < 0 ? int64_t(-1) : span / s + 1;
  };
  if (g.sh < 1 || g.sw < 1 || g.dh < 1 || g.dw < 1 || g.pt < 0 || g.pl < 0 || pb < 0 || pr < 0 ||
      g.groups < 1 || g.c != g.cg * g.groups || g.o % g.groups != 0 || y[0] != g.n || y[1] != g.o ||
      g.oh != outSize(g.h, g.pt, pb, g.kh, g.dh, g.sh) ||
      g.ow != outSize(g.w, g.pl, pr, g.kw, g.dw, g.sw))
    return op->emitError("inconsistent convolution shapes or attributes");
  return g;
}

/// An output element of a convolution: its position, the first input channel of its group,
/// and its index in the output.
struct ConvOut {
  int64_t n, o, oh, ow, c0, index;
};

/// Calls `fn(y)` for each output element `y` of the convolution `g`, in order.
template <typename Fn> void forEachOutput(const ConvGeom &g, Fn fn) {
  int64_t opg = g.o / g.groups;
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t o = 0; o < g.o; ++o)
      for (int64_t oh = 0; oh < g.oh; ++oh)
        for (int64_t ow = 0; ow < g.ow; ++ow)
          fn(ConvOut{n, o, oh, ow, (o / opg) * g.cg, ((n * g.o + o) * g.oh + oh) * g.ow + ow});
}

/// Calls `fn(xk, wk)` for each tap of the output element `y` that falls inside the input (not
/// in the padding), in the order of its sum: `xk` and `wk` index the input and filter elements
/// that the tap multiplies.
template <typename Fn> void forEachTap(const ConvGeom &g, const ConvOut &y, Fn fn) {
  for (int64_t ci = 0; ci < g.cg; ++ci)
    for (int64_t kh = 0; kh < g.kh; ++kh)
      for (int64_t kw = 0; kw < g.kw; ++kw) {
        int64_t h = y.oh * g.sh - g.pt + kh * g.dh;
        int64_t wi = y.ow * g.sw - g.pl + kw * g.dw;
        if (h < 0 || h >= g.h || wi < 0 || wi >= g.w)
          continue;
        int64_t c = y.c0 + ci;
        fn(((y.n * g.c + c) * g.h + h) * g.w + wi, ((y.o * g.cg + ci) * g.kh + kh) * g.kw + kw);
      }
}

LogicalResult conv2dOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 2, 1)) || failed(expectFloat(op, *in[0], "the input")) ||
      failed(expectFloat(op, *in[1], "the filter")))
    return failure();
  const Tensor &x = *in[0], &w = *in[1];
  FailureOr<ConvGeom> g = convGeometry(op, x.shape, w.shape, out[0].shape);
  if (failed(g))
    return failure();
  forEachOutput(*g, [&](const ConvOut &y) {
    double sum = 0;
    forEachTap(*g, y, [&](int64_t xk, int64_t wk) { sum += x.f[xk] * w.f[wk]; });
    out[0].f[y.index] = sum;
  });
  return success();
}

/// Input gradient (`filterGrad` false: in = grad, filter; out = dx) or
/// filter gradient (true: in = input, grad; out = dw). Both scatter along
/// the forward op's loop nest, which makes them correct by construction.
LogicalResult conv2dGradOp(Operation *op, Inputs in, Outputs out, bool filterGrad) {
  if (failed(arity(op, in, out, 2, 1)) || failed(expectFloat(op, *in[0], "the first operand")) ||
      failed(expectFloat(op, *in[1], "the second operand")))
    return failure();
  const Tensor &x = filterGrad ? *in[0] : out[0];
  const Tensor &w = filterGrad ? out[0] : *in[1];
  const Tensor &dy = filterGrad ? *in[1] : *in[0];
  FailureOr<ConvGeom> g = convGeometry(op, x.shape, w.shape, dy.shape);
  if (failed(g))
    return failure();
  forEachOutput(*g, [&](const ConvOut &y) {
    double gv = dy.f[y.index];
    forEachTap(*g, y, [&](int64_t xk, int64_t wk) {
      if (filterGrad)
        out[0].f[wk] += gv * x.f[xk];
      else
        out[0].f[xk] += gv * w.f[wk];
    });
  });
  return success();
}

} // namespace

void registerContractionOps(OpRegistry &registry) {
  registry.add(nn::MatmulOp::getOperationName(), matmulOp);
  registry.add(nn::Conv2dOp::getOperationName(), conv2dOp);
  registry.add(nn::Conv2dGradInputOp::getOperationName(),
               withArg(conv2dGradOp, /*filterGrad=*/false));
  registry.add(nn::Conv2dGradFilterOp::getOperationName(),
               withArg(conv2dGradOp, /*filterGrad=*/true));
}

} // namespace nnc::eval
