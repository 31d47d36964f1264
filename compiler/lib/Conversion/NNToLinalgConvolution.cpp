//===- NNToLinalgConvolution.cpp - nn convolutions to linalg --------------===//
//
// The lowerings of nn.conv2d and of its gradients (nn.conv2d_grad_filter,
// nn.conv2d_grad_input). Without groups they are matrix products over an im2col buffer,
// the input gradient ending with col2im: a strided add of each kernel offset's part into
// the padded input gradient, in place. A grouped convolution is one contraction over the
// padded input whose channel is an affine `floordiv` of the output channel; its input
// gradient dilates the output gradient into a zero tensor (a strided `tensor.insert_slice`)
// and correlates it with the flipped filter.
//
//===----------------------------------------------------------------------===//

#include "NNToLinalg.h"

#include "nnc/Dialect/NN/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace nnc;
using namespace nnc::nn_to_linalg;
using utils::IteratorType;

namespace {

/// The attributes of a convolution or of one of its gradients.
struct ConvAttrs {
  ArrayRef<int64_t> s, p, d; // strides, padding, dilations
  int64_t groups;
};

} // namespace

/// The iterators (p, p, r, r, r, p, p) of a direct convolution's seven loops.
static SmallVector<IteratorType> convIterators() {
  return {IteratorType::parallel,  IteratorType::parallel,  IteratorType::reduction,
          IteratorType::reduction, IteratorType::reduction, IteratorType::parallel,
          IteratorType::parallel};
}

/// col2im: adds the slice of each kernel offset of `d6` (n, c, kh, kw, oh, ow) into the
/// padded input gradient, strided, then crops the padding.
static Value col2im(OpLowering &L, Value d6, RankedTensorType xt, const ConvAttrs &a) {
  auto d6t = cast<RankedTensorType>(d6.getType());
  int64_t n = d6t.getDimSize(0), c = d6t.getDimSize(1), kh = d6t.getDimSize(2);
  int64_t kw = d6t.getDimSize(3), oh = d6t.getDimSize(4), ow = d6t.getDimSize(5);
  ArrayRef<int64_t> s = a.s, p = a.p, d = a.d;
  RankedTensorType padded =
      xt.clone({n, c, xt.getDimSize(2) + p[0] + p[2], xt.getDimSize(3) + p[1] + p[3]});
  RankedTensorType sliceT = RankedTensorType::get({n, c, oh, ow}, xt.getElementType());
  Value acc = L.zeros(padded);
  for (int64_t i = 0; i < kh; ++i) {
    for (int64_t j = 0; j < kw; ++j) {
      Value part = tensor::ExtractSliceOp::create(
          L.b, L.loc, sliceT, d6, L.indexAttrs({0, 0, i, j, 0, 0}),
          L.indexAttrs({n, c, 1, 1, oh, ow}), L.indexAttrs({1, 1, 1, 1, 1, 1}));
      acc = L.addStrided(acc, part, {0, 0, i * d[0], j * d[1]}, {1, 1, s[0], s[1]});
    }
  }
  if (padded == xt)
    return acc;
  return tensor::ExtractSliceOp::create(L.b, L.loc, xt, acc, L.indexAttrs({0, 0, p[0], p[1]}),
                                        L.indexAttrs(xt.getShape()), L.indexAttrs({1, 1, 1, 1}));
}

/// Convolutions without groups as matrix products over an im2col buffer:
///   cols[n, (c, kh, kw), (oh, ow)] = xpad[n, c, oh·sh + kh·dh, ow·sw + kw·dw]
///   forward:  y[n, o, p]  = Σ_k w[o, k] · cols[n, k, p]
///   filter:   dw[o, k]    = Σ_{n, p} g[n, o, p] · cols[n, k, p]   (rows times rows)
///   input:    dcols[n, k, p] = Σ_o w[o, k] · g[n, o, p], then col2im (a strided add per
///             kernel offset)
/// so that the register blocking reads every product's operands as vectors along the pixels
/// p = (oh, ow): the output's rows for the forward op and the input gradient, both operands'
/// rows for the filter gradient (a product of rows, summed across the vector at the end).
static Value lowerConvIm2col(OpLowering &L, const ConvAttrs &a) {
  Operation *op = L.op;
  ArrayRef<int64_t> s = a.s, p = a.p, d = a.d;
  auto dim = [&](int64_t i) { return L.b.getAffineDimExpr(i); };
  bool isForward = isa<nn::Conv2dOp>(op), isFilter = isa<nn::Conv2dGradFilterOp>(op);
  // The forward op's shapes, whichever op this is.
  RankedTensorType xt = isForward || isFilter ? L.type(op->getOperand(0)) : L.resultType();
  RankedTensorType wt = isFilter ? L.resultType() : L.type(op->getOperand(1));
  RankedTensorType yt = isForward ? L.resultType() : L.type(op->getOperand(isFilter ? 1 : 0));
  Type et = xt.getElementType();
  int64_t n = xt.getDimSize(0), c = xt.getDimSize(1), o = wt.getDimSize(0);
  int64_t kh = wt.getDimSize(2), kw = wt.getDimSize(3), oh = yt.getDimSize(2);
  int64_t ow = yt.getDimSize(3), k = c * kh * kw, pp = oh * ow;
  RankedTensorType w2t = RankedTensorType::get({o, k}, et);
  RankedTensorType y2t = RankedTensorType::get({n, o, pp}, et);
  RankedTensorType colsT = RankedTensorType::get({n, k, pp}, et);
  RankedTensorType c6 = RankedTensorType::get({n, c, kh, kw, oh, ow}, et);
  auto im2col = [&](Value x) {
    Value xp = L.pad2d(x, p, 0.0);
    AffineMap xm = AffineMap::get(
        6, 0, {dim(0), dim(1), dim(4) * s[0] + dim(2) * d[0], dim(5) * s[1] + dim(3) * d[1]},
        L.ctx());
    Value cols = L.generic(c6, {xp}, {xm}, L.identity(6), L.parallel(6), L.empty(c6), yieldInput);
    return L.reshape(cols, colsT);
  };
  // A product over four loops (i, j, k, l) into a zero-filled `t`: l is the pixels, or a
  // second reduction for a product of rows.
  auto product = [&](RankedTensorType t, Value lhs, Value rhs, ArrayRef<AffineExpr> lhsMap,
                     ArrayRef<AffineExpr> rhsMap, ArrayRef<AffineExpr> outMap, IteratorType l) {
    auto map = [&](ArrayRef<AffineExpr> exprs) { return AffineMap::get(4, 0, exprs, L.ctx()); };
    return L.generic(t, {lhs, rhs}, {map(lhsMap), map(rhsMap)}, map(outMap),
                     {IteratorType::parallel, IteratorType::parallel, IteratorType::reduction, l},
                     L.zeros(t), multiplyAdd);
  };
  if (isForward) {
    Value cols = im2col(op->getOperand(0));
    Value w2 = L.reshape(op->getOperand(1), w2t);
    // (n, o, k, p): y[n, o, p] += w[o, k] * cols[n, k, p]
    Value y = product(y2t, w2, cols, {dim(1), dim(2)}, {dim(0), dim(2), dim(3)},
                      {dim(0), dim(1), dim(3)}, IteratorType::parallel);
    return L.reshape(y, yt);
  }
  Value g2 = L.reshape(op->getOperand(isFilter ? 1 : 0), y2t);
  if (isFilter) {
    // The forward op's columns (CSE shares them): a product of rows, along the pixels.
    Value cols = im2col(op->getOperand(0));
    // (o, k, n, p): dw[o, k] += g[n, o, p] * cols[n, k, p]
    Value dw = product(w2t, g2, cols, {dim(2), dim(0), dim(3)}, {dim(2), dim(1), dim(3)},
                       {dim(0), dim(1)}, IteratorType::reduction);
    return L.reshape(dw, wt);
  }
  // (n, k, o, p): dcols[n, k, p] += w[o, k] * g[n, o, p]
  Value w2 = L.reshape(op->getOperand(1), w2t);
  Value dcols = product(colsT, w2, g2, {dim(2), dim(1)}, {dim(0), dim(2), dim(3)},
                        {dim(0), dim(1), dim(3)}, IteratorType::parallel);
  return col2im(L, L.reshape(dcols, c6), xt, a);
}

/// (n, o, c, kh, kw, oh, ow): y += xpad[n, grp(o)*Cg + c, oh*sh + kh*dh, ow*sw + kw*dw] *
/// w[o, c, kh, kw]. The output row is the innermost loop: a contiguous update that
/// vectorizes.
static Value lowerGroupedConv(OpLowering &L, const ConvAttrs &a) {
  auto dim = [&](int64_t i) { return L.b.getAffineDimExpr(i); };
  ArrayRef<int64_t> s = a.s, d = a.d;
  Value x = L.pad2d(L.op->getOperand(0), a.p, 0.0), w = L.op->getOperand(1);
  RankedTensorType wt = L.type(w);
  int64_t og = wt.getDimSize(0) / a.groups, cg = wt.getDimSize(1);
  AffineExpr ch = dim(1).floorDiv(og) * cg + dim(2);
  AffineMap xm = AffineMap::get(
      7, 0, {dim(0), ch, dim(5) * s[0] + dim(3) * d[0], dim(6) * s[1] + dim(4) * d[1]}, L.ctx());
  AffineMap wm = AffineMap::get(7, 0, {dim(1), dim(2), dim(3), dim(4)}, L.ctx());
  AffineMap ym = AffineMap::get(7, 0, {dim(0), dim(1), dim(5), dim(6)}, L.ctx());
  return L.generic(L.resultType(), {x, w}, {xm, wm}, ym, convIterators(), L.zeros(L.resultType()),
                   multiplyAdd);
}

/// (o, c, kh, kw, n, oh, ow): dw += g[n, o, oh, ow] *
/// xpad[n, grp(o)*Cg + c, oh*sh + kh*dh, ow*sw + kw*dw]
static Value lowerGroupedConvGradFilter(OpLowering &L, const ConvAttrs &a) {
  auto dim = [&](int64_t i) { return L.b.getAffineDimExpr(i); };
  ArrayRef<int64_t> s = a.s, d = a.d;
  Value x = L.pad2d(L.op->getOperand(0), a.p, 0.0), g = L.op->getOperand(1);
  RankedTensorType wt = L.resultType();
  int64_t og = wt.getDimSize(0) / a.groups, cg = wt.getDimSize(1);
  AffineExpr ch = dim(0).floorDiv(og) * cg + dim(1);
  AffineMap gm = AffineMap::get(7, 0, {dim(4), dim(0), dim(5), dim(6)}, L.ctx());
  AffineMap xm = AffineMap::get(
      7, 0, {dim(4), ch, dim(5) * s[0] + dim(2) * d[0], dim(6) * s[1] + dim(3) * d[1]}, L.ctx());
  AffineMap wm = AffineMap::get(7, 0, {dim(0), dim(1), dim(2), dim(3)}, L.ctx());
  SmallVector<IteratorType> it = L.parallel(4);
  it.append(3, IteratorType::reduction);
  return L.generic(wt, {g, x}, {gm, xm}, wm, it, L.zeros(wt), multiplyAdd);
}

/// The rows (or columns) [lo, hi] of the output gradient that land inside the dilated
/// grid of `size`, at `off` + i · `stride` for i < `count`.
static std::pair<int64_t, int64_t> rowsInside(int64_t off, int64_t stride, int64_t count,
                                              int64_t size) {
  int64_t lo = off >= 0 ? 0 : (-off + stride - 1) / stride;
  int64_t hi = std::min(count - 1, (size - 1 - off) >= 0 ? (size - 1 - off) / stride : -1);
  return std::make_pair(lo, hi);
}

/// The input gradient: dilate the output gradient by the stride into a zero tensor
/// shifted by (KH-1)·dh - pad, then correlate with the flipped filter.
static Value lowerGroupedConvGradInput(OpLowering &L, const ConvAttrs &a) {
  auto dim = [&](int64_t i) { return L.b.getAffineDimExpr(i); };
  ArrayRef<int64_t> s = a.s, p = a.p, d = a.d;
  Value g = L.op->getOperand(0), w = L.op->getOperand(1);
  RankedTensorType gt = L.type(g), wt = L.type(w), xt = L.resultType();
  int64_t kh = wt.getDimSize(2), kw = wt.getDimSize(3);
  int64_t top = (kh - 1) * d[0] - p[0], left = (kw - 1) * d[1] - p[1];
  int64_t hp = xt.getDimSize(2) + (kh - 1) * d[0], wp = xt.getDimSize(3) + (kw - 1) * d[1];
  auto [r0, r1] = rowsInside(top, s[0], gt.getDimSize(2), hp);
  auto [c0, c1] = rowsInside(left, s[1], gt.getDimSize(3), wp);
  RankedTensorType gpType = gt.clone({gt.getDimSize(0), gt.getDimSize(1), hp, wp});
  Value gp = L.zeros(gpType);
  if (r1 >= r0 && c1 >= c0) {
    Value part = g;
    if (r0 != 0 || c0 != 0 || r1 != gt.getDimSize(2) - 1 || c1 != gt.getDimSize(3) - 1)
      part = tensor::ExtractSliceOp::create(
          L.b, L.loc, gt.clone({gt.getDimSize(0), gt.getDimSize(1), r1 - r0 + 1, c1 - c0 + 1}), g,
          L.indexAttrs({0, 0, r0, c0}),
          L.indexAttrs({gt.getDimSize(0), gt.getDimSize(1), r1 - r0 + 1, c1 - c0 + 1}),
          L.indexAttrs({1, 1, 1, 1}));
    gp = L.insert(part, gp, {0, 0, top + r0 * s[0], left + c0 * s[1]}, {1, 1, s[0], s[1]});
  }
  // (n, c, o', kh, kw, h, w): dx += gp[n, grp(c)*Og + o', h + kh*dh, w + kw*dw] *
  // w[grp(c)*Og + o', c mod Cg, KH-1-kh, KW-1-kw], with the input row innermost.
  int64_t og = wt.getDimSize(0) / a.groups, cg = wt.getDimSize(1);
  AffineExpr o = dim(1).floorDiv(cg) * og + dim(2);
  AffineMap gm =
      AffineMap::get(7, 0, {dim(0), o, dim(5) + dim(3) * d[0], dim(6) + dim(4) * d[1]}, L.ctx());
  AffineMap wm =
      AffineMap::get(7, 0, {o, dim(1) % cg, -dim(3) + (kh - 1), -dim(4) + (kw - 1)}, L.ctx());
  AffineMap xm = AffineMap::get(7, 0, {dim(0), dim(1), dim(5), dim(6)}, L.ctx());
  AffineMap km = AffineMap::get(7, 0, {dim(2), dim(3), dim(4)}, L.ctx());
  Value win = L.window({og, kh, kw}, xt.getElementType());
  return L.generic(xt, {gp, w, win}, {gm, wm, km}, xm, convIterators(), L.zeros(xt),
                   [](OpBuilder &nb, Location nl, ValueRange v) {
                     Value product = arith::MulFOp::create(nb, nl, v[0], v[1]);
                     return arith::AddFOp::create(nb, nl, v[3], product).getResult();
                   });
}

static LogicalResult lowerConv(OpLowering &L) {
  ConvAttrs a{L.arr("strides"), L.arr("padding"), L.arr("dilations"), L.intAttr("groups")};
  if (a.groups == 1)
    return L.ret(lowerConvIm2col(L, a));
  if (isa<nn::Conv2dOp>(L.op))
    return L.ret(lowerGroupedConv(L, a));
  if (isa<nn::Conv2dGradFilterOp>(L.op))
    return L.ret(lowerGroupedConvGradFilter(L, a));
  return L.ret(lowerGroupedConvGradInput(L, a));
}

void nnc::nn_to_linalg::addConvolutionLowerings(LoweringRegistry &registry) {
  registry.add<nn::Conv2dOp, nn::Conv2dGradFilterOp, nn::Conv2dGradInputOp>(lowerConv);
}
