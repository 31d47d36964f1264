//===- NNToLinalg.cpp - Lowering the nn dialect to linalg on tensors ------===//
//
// `convert-nn-to-linalg` replaces every nn op by linalg, tensor, arith and math ops on
// tensors, in destination-passing style, so that the upstream pipeline (fusion, tiling,
// vectorization, one-shot bufferization) takes over.
//
// Most ops become one `linalg.generic` whose indexing maps say how it reads its operands:
// elementwise ops are identity maps, broadcasts drop or pin dimensions, reductions have
// reduction iterators and an initialized output, a matmul is a contraction (transposes are
// just other maps). Convolutions and their gradients are contractions over padded inputs;
// a grouped convolution's channel is an affine `floordiv` of the output channel. Where the
// gradient of a strided window op would scatter (the input gradients of conv and pooling),
// the lowering instead dilates the output gradient into a zero tensor with a strided
// `tensor.insert_slice` and gathers from it, which keeps every map affine.
//
// Shapes are static throughout; nothing here allocates on the heap once bufferized into
// planned buffers.
//
//===----------------------------------------------------------------------===//

#include "nnc/Conversion/Passes.h"
#include "nnc/Dialect/NN/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"

namespace nnc {
#define GEN_PASS_DEF_CONVERTNNTOLINALG
#include "nnc/Conversion/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using namespace nnc;
using utils::IteratorType;

namespace {

using BodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

struct Lowering {
  OpBuilder &b;
  Location loc;

  MLIRContext *ctx() { return b.getContext(); }
  RankedTensorType type(Value v) { return cast<RankedTensorType>(v.getType()); }
  Type elem(Value v) { return type(v).getElementType(); }

  Value empty(RankedTensorType t) {
    return tensor::EmptyOp::create(b, loc, t.getShape(), t.getElementType());
  }
  Value scalarConst(Type t, double v) {
    if (isa<FloatType>(t))
      return arith::ConstantOp::create(b, loc, b.getFloatAttr(t, v));
    return arith::ConstantOp::create(b, loc, b.getIntegerAttr(t, int64_t(v)));
  }
  Value full(RankedTensorType t, double v) {
    Value init = empty(t);
    return linalg::FillOp::create(b, loc, scalarConst(t.getElementType(), v), init).getResult(0);
  }
  Value zeros(RankedTensorType t) { return full(t, 0.0); }

  AffineMap identity(int64_t rank) { return b.getMultiDimIdentityMap(rank); }
  SmallVector<IteratorType> parallel(int64_t n) {
    return SmallVector<IteratorType>(n, IteratorType::parallel);
  }

  /// One linalg.generic with a single result.
  Value generic(RankedTensorType outType, ValueRange inputs, ArrayRef<AffineMap> inMaps,
                AffineMap outMap, ArrayRef<IteratorType> iters, Value init, BodyFn body) {
    SmallVector<AffineMap> maps(inMaps);
    maps.push_back(outMap);
    auto op = linalg::GenericOp::create(
        b, loc, TypeRange{outType}, inputs, ValueRange{init}, maps, iters,
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          linalg::YieldOp::create(nb, nl, body(nb, nl, args));
        });
    return op.getResult(0);
  }

  /// Elementwise over operands of `outType`'s shape (maps all identity).
  Value elementwise(RankedTensorType outType, ValueRange inputs, BodyFn body) {
    int64_t rank = outType.getRank();
    SmallVector<AffineMap> maps(inputs.size(), identity(rank));
    return generic(outType, inputs, maps, identity(rank), parallel(rank), empty(outType), body);
  }

  /// The map of a tensor that drops dimension `axis` of a rank-`rank` iteration space.
  AffineMap dropDim(int64_t rank, int64_t axis) {
    SmallVector<AffineExpr> exprs;
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis)
        exprs.push_back(b.getAffineDimExpr(d));
    return AffineMap::get(rank, 0, exprs, ctx());
  }

  /// Reduces `x` over `axes` with `combine`, starting from `init`; the result keeps the
  /// other dimensions (and size-1 ones for the reduced axes when `keep`).
  Value reduce(Value x, ArrayRef<int64_t> axes, bool keep, double initValue,
               function_ref<Value(OpBuilder &, Location, Value, Value)> combine,
               RankedTensorType resultType = {}) {
    RankedTensorType xt = type(x);
    int64_t rank = xt.getRank();
    SmallVector<int64_t> shape;
    SmallVector<AffineExpr> outExprs;
    SmallVector<IteratorType> iters;
    for (int64_t d = 0; d < rank; ++d) {
      bool reduced = llvm::is_contained(axes, d);
      iters.push_back(reduced ? IteratorType::reduction : IteratorType::parallel);
      if (!reduced) {
        shape.push_back(xt.getDimSize(d));
        outExprs.push_back(b.getAffineDimExpr(d));
      } else if (keep) {
        shape.push_back(1);
        outExprs.push_back(b.getAffineConstantExpr(0));
      }
    }
    RankedTensorType outType = resultType ? resultType : xt.clone(shape);
    AffineMap outMap = AffineMap::get(rank, 0, outExprs, ctx());
    return generic(outType, {x}, {identity(rank)}, outMap, iters,
                   full(outType, initValue), [&](OpBuilder &nb, Location nl, ValueRange a) {
                     return combine(nb, nl, a[0], a[1]);
                   });
  }
  Value sum(Value x, ArrayRef<int64_t> axes, bool keep) {
    return reduce(x, axes, keep, 0.0, [](OpBuilder &nb, Location nl, Value v, Value acc) {
      return arith::AddFOp::create(nb, nl, acc, v).getResult();
    });
  }
  Value max(Value x, ArrayRef<int64_t> axes, bool keep) {
    return reduce(x, axes, keep, -INFINITY, [](OpBuilder &nb, Location nl, Value v, Value acc) {
      return arith::MaximumFOp::create(nb, nl, acc, v).getResult();
    });
  }

  /// Spreads `r`, reduced over `axis` of `like`'s shape (dropped), back over that shape,
  /// applying `body(x, r)` elementwise with `x` an element of `like`.
  Value withRowValue(Value like, Value r, int64_t axis,
                     function_ref<Value(OpBuilder &, Location, Value, Value)> body) {
    RankedTensorType t = type(like);
    int64_t rank = t.getRank();
    return generic(t, {like, r}, {identity(rank), dropDim(rank, axis)}, identity(rank),
                   parallel(rank), empty(t), [&](OpBuilder &nb, Location nl, ValueRange a) {
                     return body(nb, nl, a[0], a[1]);
                   });
  }

  /// Pads the two spatial dims of an NCHW tensor with `value` ([top, left, bottom, right]).
  Value pad2d(Value x, ArrayRef<int64_t> p, double value) {
    if (llvm::all_of(p, [](int64_t v) { return v == 0; }))
      return x;
    RankedTensorType t = type(x);
    SmallVector<int64_t> shape(t.getShape());
    shape[2] += p[0] + p[2];
    shape[3] += p[1] + p[3];
    SmallVector<OpFoldResult> low = {b.getIndexAttr(0), b.getIndexAttr(0), b.getIndexAttr(p[0]),
                                     b.getIndexAttr(p[1])};
    SmallVector<OpFoldResult> high = {b.getIndexAttr(0), b.getIndexAttr(0), b.getIndexAttr(p[2]),
                                      b.getIndexAttr(p[3])};
    return tensor::PadOp::create(b, loc, t.clone(shape), x, low, high,
                                 scalarConst(t.getElementType(), value));
  }

  /// Reshapes through one dimension: collapse all, expand to the target.
  Value reshape(Value x, RankedTensorType to) {
    RankedTensorType from = type(x);
    if (from == to)
      return x;
    Value flat = x;
    int64_t n = from.getNumElements();
    auto flatType = RankedTensorType::get({n}, from.getElementType());
    if (from.getRank() == 0)
      flat = tensor::ExpandShapeOp::create(b, loc, flatType, x, ArrayRef<ReassociationIndices>{});
    else if (from.getRank() > 1) {
      ReassociationIndices all;
      for (int64_t d = 0; d < from.getRank(); ++d)
        all.push_back(d);
      flat = tensor::CollapseShapeOp::create(b, loc, flatType, x,
                                             ArrayRef<ReassociationIndices>{all});
    }
    if (to.getRank() == 1)
      return flat;
    if (to.getRank() == 0)
      return tensor::CollapseShapeOp::create(b, loc, to, flat, ArrayRef<ReassociationIndices>{});
    ReassociationIndices all;
    for (int64_t d = 0; d < to.getRank(); ++d)
      all.push_back(d);
    return tensor::ExpandShapeOp::create(b, loc, to, flat, ArrayRef<ReassociationIndices>{all});
  }

  /// An operand that only gives the window loops their extent: linalg derives every loop's
  /// size from an operand dimension indexed by that loop alone, and the window loops of
  /// pooling and of a convolution's input gradient appear only inside sums otherwise (as the
  /// window tensor of linalg's named pooling ops).
  Value window(ArrayRef<int64_t> shape, Type elem) {
    return tensor::EmptyOp::create(b, loc, shape, elem);
  }

  SmallVector<OpFoldResult> indexAttrs(ArrayRef<int64_t> v) {
    SmallVector<OpFoldResult> r;
    for (int64_t x : v)
      r.push_back(b.getIndexAttr(x));
    return r;
  }

  /// `src` written into `dest` at `offsets` with `strides`.
  Value insert(Value src, Value dest, ArrayRef<int64_t> offsets, ArrayRef<int64_t> strides) {
    return tensor::InsertSliceOp::create(b, loc, src, dest, indexAttrs(offsets),
                                         indexAttrs(type(src).getShape()), indexAttrs(strides));
  }

  /// The loops of a pooling window, (n, c, kh, kw, oh, ow): the window loops outside, so
  /// that the innermost loop runs along an output row (vectorized) rather than over the two
  /// elements of a window row. The maps of the padded input, the output and the window
  /// tensor, and the iterators.
  struct PoolLoops {
    AffineMap x, y, k;
    SmallVector<IteratorType> iters;
  };
  PoolLoops poolLoops(ArrayRef<int64_t> strides) {
    auto d = [&](int64_t i) { return b.getAffineDimExpr(i); };
    return {AffineMap::get(6, 0, {d(0), d(1), d(4) * strides[0] + d(2), d(5) * strides[1] + d(3)}, ctx()),
            AffineMap::get(6, 0, {d(0), d(1), d(4), d(5)}, ctx()),
            AffineMap::get(6, 0, {d(2), d(3)}, ctx()),
            {IteratorType::parallel, IteratorType::parallel, IteratorType::reduction,
             IteratorType::reduction, IteratorType::parallel, IteratorType::parallel}};
  }

  /// acc[offsets :: strides] += part: the strided slice is read, added to and written back
  /// in place, so a scatter of several parts touches each part's elements only.
  Value addStrided(Value acc, Value part, ArrayRef<int64_t> offsets, ArrayRef<int64_t> strides) {
    RankedTensorType pt = type(part);
    Value old = tensor::ExtractSliceOp::create(b, loc, pt, acc, indexAttrs(offsets),
                                               indexAttrs(pt.getShape()), indexAttrs(strides));
    // The slice itself is the sum's destination, so that bufferization adds into the
    // accumulator's memory directly rather than into a temporary it then copies back.
    int64_t rank = pt.getRank();
    Value sum = generic(pt, {part}, {identity(rank)}, identity(rank), parallel(rank), old,
                        [](OpBuilder &nb, Location nl, ValueRange a) {
                          return arith::AddFOp::create(nb, nl, a[1], a[0]).getResult();
                        });
    return insert(sum, acc, offsets, strides);
  }
};

/// Builds the scalar body of an elementwise op.
Value unaryBody(OpBuilder &b, Location loc, StringRef name, Value x) {
  Type t = x.getType();
  auto c = [&](double v) { return arith::ConstantOp::create(b, loc, b.getFloatAttr(t, v)); };
  if (name == "nn.neg") return arith::NegFOp::create(b, loc, x);
  if (name == "nn.exp") return math::ExpOp::create(b, loc, x);
  if (name == "nn.log") return math::LogOp::create(b, loc, x);
  if (name == "nn.tanh") return math::TanhOp::create(b, loc, x);
  if (name == "nn.sqrt") return math::SqrtOp::create(b, loc, x);
  if (name == "nn.rsqrt") // There is no libm rsqrtf; 1/sqrt is what LLVM fuses best.
    return arith::DivFOp::create(b, loc, c(1), math::SqrtOp::create(b, loc, x));
  if (name == "nn.abs") return math::AbsFOp::create(b, loc, x);
  if (name == "nn.square") return arith::MulFOp::create(b, loc, x, x);
  if (name == "nn.relu") return arith::MaximumFOp::create(b, loc, x, c(0));
  if (name == "nn.sigmoid") {
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
    return arith::DivFOp::create(b, loc, c(1), arith::AddFOp::create(b, loc, c(1), e));
  }
  // nn.sign: -1, 0 or 1 (0 for 0 and NaN).
  Value pos = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, c(0));
  Value neg = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, c(0));
  return arith::SelectOp::create(b, loc, pos, c(1), arith::SelectOp::create(b, loc, neg, c(-1), c(0)));
}

Value binaryBody(OpBuilder &b, Location loc, StringRef name, Value x, Value y) {
  if (name == "nn.add") return arith::AddFOp::create(b, loc, x, y);
  if (name == "nn.sub") return arith::SubFOp::create(b, loc, x, y);
  if (name == "nn.mul") return arith::MulFOp::create(b, loc, x, y);
  if (name == "nn.div") return arith::DivFOp::create(b, loc, x, y);
  if (name == "nn.max") return arith::MaximumFOp::create(b, loc, x, y);
  if (name == "nn.min") return arith::MinimumFOp::create(b, loc, x, y);
  return math::PowFOp::create(b, loc, x, y);
}

Value castScalar(OpBuilder &b, Location loc, Value x, Type to) {
  Type from = x.getType();
  if (from == to)
    return x;
  bool fromF = isa<FloatType>(from), toF = isa<FloatType>(to);
  if (fromF && toF)
    return from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth()
               ? arith::ExtFOp::create(b, loc, to, x).getResult()
               : arith::TruncFOp::create(b, loc, to, x).getResult();
  if (!fromF && toF)
    return from.isInteger(1) || from.isUnsignedInteger()
               ? arith::UIToFPOp::create(b, loc, to, x).getResult()
               : arith::SIToFPOp::create(b, loc, to, x).getResult();
  if (fromF && !toF) {
    if (to.isInteger(1))
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, x,
                                   arith::ConstantOp::create(b, loc, b.getFloatAttr(from, 0)));
    return arith::FPToSIOp::create(b, loc, to, x);
  }
  unsigned fw = from.getIntOrFloatBitWidth(), tw = to.getIntOrFloatBitWidth();
  if (fw < tw)
    return from.isInteger(1) || from.isUnsignedInteger()
               ? arith::ExtUIOp::create(b, loc, to, x).getResult()
               : arith::ExtSIOp::create(b, loc, to, x).getResult();
  return arith::TruncIOp::create(b, loc, to, x);
}

/// SplitMix64 of (key, stream, counter), as docs/dialect.md defines nn.random_uniform,
/// then 24 bits as a float in [0, 1).
Value randomBits(OpBuilder &b, Location loc, Value key, int64_t stream, Value linear, Type ft) {
  Type i64 = b.getI64Type();
  auto c = [&](uint64_t v) { return arith::ConstantOp::create(b, loc, b.getIntegerAttr(i64, v)); };
  Value counter = arith::AddIOp::create(b, loc, arith::IndexCastOp::create(b, loc, i64, linear),
                                        c((uint64_t(stream) << 32) + 1));
  Value z = arith::AddIOp::create(b, loc, key,
                                  arith::MulIOp::create(b, loc, counter, c(0x9E3779B97F4A7C15ull)));
  auto mix = [&](Value v, int64_t shift, uint64_t mul) {
    Value s = arith::ShRUIOp::create(b, loc, v, c(shift));
    return arith::MulIOp::create(b, loc, arith::XOrIOp::create(b, loc, v, s), c(mul)).getResult();
  };
  z = mix(z, 30, 0xBF58476D1CE4E5B9ull);
  z = mix(z, 27, 0x94D049BB133111EBull);
  z = arith::XOrIOp::create(b, loc, z, arith::ShRUIOp::create(b, loc, z, c(31)));
  Value top = arith::ShRUIOp::create(b, loc, z, c(40));
  Value f = arith::UIToFPOp::create(b, loc, ft, top);
  return arith::MulFOp::create(b, loc, f,
                               arith::ConstantOp::create(b, loc, b.getFloatAttr(ft, 1.0 / 16777216.0)));
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
LogicalResult lowerConvIm2col(Lowering &L, Operation *op, ArrayRef<int64_t> s,
                              ArrayRef<int64_t> p, ArrayRef<int64_t> d,
                              SmallVectorImpl<Value> &results) {
  OpBuilder &b = L.b;
  auto dim = [&](int64_t i) { return b.getAffineDimExpr(i); };
  bool isForward = isa<nn::Conv2dOp>(op), isFilter = isa<nn::Conv2dGradFilterOp>(op);
  // The forward op's shapes, whichever op this is.
  RankedTensorType xt = isForward || isFilter ? L.type(op->getOperand(0))
                                              : cast<RankedTensorType>(op->getResult(0).getType());
  RankedTensorType wt = isFilter ? cast<RankedTensorType>(op->getResult(0).getType())
                                 : L.type(op->getOperand(1));
  RankedTensorType yt = isForward ? cast<RankedTensorType>(op->getResult(0).getType())
                                  : L.type(op->getOperand(isFilter ? 1 : 0));
  Type et = xt.getElementType();
  int64_t n = xt.getDimSize(0), c = xt.getDimSize(1), o = wt.getDimSize(0);
  int64_t kh = wt.getDimSize(2), kw = wt.getDimSize(3), oh = yt.getDimSize(2), ow = yt.getDimSize(3);
  int64_t k = c * kh * kw, pp = oh * ow;
  auto mac = [](OpBuilder &nb, Location nl, ValueRange a) {
    return arith::AddFOp::create(nb, nl, a[2], arith::MulFOp::create(nb, nl, a[0], a[1])).getResult();
  };
  RankedTensorType w2t = RankedTensorType::get({o, k}, et);
  RankedTensorType y2t = RankedTensorType::get({n, o, pp}, et);
  RankedTensorType colsT = RankedTensorType::get({n, k, pp}, et);
  auto im2col = [&](Value x) {
    Value xp = L.pad2d(x, p, 0.0);
    RankedTensorType c6 = RankedTensorType::get({n, c, kh, kw, oh, ow}, et);
    AffineMap xm = AffineMap::get(6, 0, {dim(0), dim(1), dim(4) * s[0] + dim(2) * d[0], dim(5) * s[1] + dim(3) * d[1]}, L.ctx());
    Value cols = L.generic(c6, {xp}, {xm}, L.identity(6), L.parallel(6), L.empty(c6),
                           [](OpBuilder &, Location, ValueRange a) { return a[0]; });
    return L.reshape(cols, colsT);
  };
  if (isForward) {
    Value cols = im2col(op->getOperand(0));
    Value w2 = L.reshape(op->getOperand(1), w2t);
    // (n, o, k, p)
    AffineMap wm = AffineMap::get(4, 0, {dim(1), dim(2)}, L.ctx());
    AffineMap cm = AffineMap::get(4, 0, {dim(0), dim(2), dim(3)}, L.ctx());
    AffineMap ym = AffineMap::get(4, 0, {dim(0), dim(1), dim(3)}, L.ctx());
    Value y = L.generic(y2t, {w2, cols}, {wm, cm}, ym,
                        {IteratorType::parallel, IteratorType::parallel, IteratorType::reduction,
                         IteratorType::parallel},
                        L.zeros(y2t), mac);
    results.push_back(L.reshape(y, yt));
    return success();
  }
  Value g2 = L.reshape(op->getOperand(isFilter ? 1 : 0), y2t);
  if (isFilter) {
    // The forward op's columns (CSE shares them): a product of rows, along the pixels.
    Value cols = im2col(op->getOperand(0));
    // (o, k, n, p): dw[o, k] += g[n, o, p] * cols[n, k, p]
    AffineMap gm = AffineMap::get(4, 0, {dim(2), dim(0), dim(3)}, L.ctx());
    AffineMap cm = AffineMap::get(4, 0, {dim(2), dim(1), dim(3)}, L.ctx());
    AffineMap wm = AffineMap::get(4, 0, {dim(0), dim(1)}, L.ctx());
    Value dw = L.generic(w2t, {g2, cols}, {gm, cm}, wm,
                         {IteratorType::parallel, IteratorType::parallel, IteratorType::reduction,
                          IteratorType::reduction},
                         L.zeros(w2t), mac);
    results.push_back(L.reshape(dw, wt));
    return success();
  }
  // (n, k, o, p): dcols[n, k, p] += w[o, k] * g[n, o, p]
  Value w2 = L.reshape(op->getOperand(1), w2t);
  AffineMap wm = AffineMap::get(4, 0, {dim(2), dim(1)}, L.ctx());
  AffineMap gm = AffineMap::get(4, 0, {dim(0), dim(2), dim(3)}, L.ctx());
  AffineMap cm = AffineMap::get(4, 0, {dim(0), dim(1), dim(3)}, L.ctx());
  Value dcols = L.generic(colsT, {w2, g2}, {wm, gm}, cm,
                          {IteratorType::parallel, IteratorType::parallel, IteratorType::reduction,
                           IteratorType::parallel},
                          L.zeros(colsT), mac);
  RankedTensorType c6 = RankedTensorType::get({n, c, kh, kw, oh, ow}, et);
  Value d6 = L.reshape(dcols, c6);
  // col2im: each kernel offset adds its slice into the padded input, strided.
  RankedTensorType padded = xt.clone({n, c, xt.getDimSize(2) + p[0] + p[2], xt.getDimSize(3) + p[1] + p[3]});
  RankedTensorType sliceT = RankedTensorType::get({n, c, oh, ow}, et);
  Value acc = L.zeros(padded);
  for (int64_t i = 0; i < kh; ++i) {
    for (int64_t j = 0; j < kw; ++j) {
      Value part = tensor::ExtractSliceOp::create(
          b, L.loc, sliceT, d6, L.indexAttrs({0, 0, i, j, 0, 0}), L.indexAttrs({n, c, 1, 1, oh, ow}),
          L.indexAttrs({1, 1, 1, 1, 1, 1}));
      acc = L.addStrided(acc, part, {0, 0, i * d[0], j * d[1]}, {1, 1, s[0], s[1]});
    }
  }
  if (padded == xt) {
    results.push_back(acc);
    return success();
  }
  results.push_back(tensor::ExtractSliceOp::create(b, L.loc, xt, acc, L.indexAttrs({0, 0, p[0], p[1]}),
                                                   L.indexAttrs(xt.getShape()),
                                                   L.indexAttrs({1, 1, 1, 1})));
  return success();
}

/// Lowers `op` into `results`; the ops whose float arithmetic must stay exact (no
/// fast-math flags) go into `exactOps`.
LogicalResult lower(Operation *op, OpBuilder &b, SmallVectorImpl<Value> &results,
                    DenseSet<Operation *> &exactOps) {
  Lowering L{b, op->getLoc()};
  Location loc = op->getLoc();
  StringRef name = op->getName().getStringRef();
  auto resultType = [&](unsigned i = 0) { return cast<RankedTensorType>(op->getResult(i).getType()); };
  auto arr = [&](StringRef attr) { return op->getAttrOfType<DenseI64ArrayAttr>(attr).asArrayRef(); };
  auto intAttr = [&](StringRef attr) { return op->getAttrOfType<IntegerAttr>(attr).getInt(); };
  auto ret = [&](Value v) {
    results.push_back(v);
    return success();
  };

  if (auto c = dyn_cast<nn::ConstantOp>(op))
    return ret(arith::ConstantOp::create(b, loc, cast<TypedAttr>(c.getValue())));

  if (llvm::is_contained({"nn.add", "nn.sub", "nn.mul", "nn.div", "nn.max", "nn.min", "nn.pow"},
                         name))
    return ret(L.elementwise(resultType(), op->getOperands(), [&](OpBuilder &nb, Location nl,
                                                                    ValueRange a) {
      return binaryBody(nb, nl, name, a[0], a[1]);
    }));
  if (llvm::is_contained({"nn.neg", "nn.exp", "nn.log", "nn.tanh", "nn.sigmoid", "nn.relu",
                          "nn.sqrt", "nn.rsqrt", "nn.abs", "nn.square", "nn.sign"},
                         name))
    return ret(L.elementwise(resultType(), op->getOperands(),
                             [&](OpBuilder &nb, Location nl, ValueRange a) {
                               return unaryBody(nb, nl, name, a[0]);
                             }));
  if (auto cmp = dyn_cast<nn::CmpOp>(op)) {
    StringRef p = cmp.getPredicate();
    bool isF = isa<FloatType>(L.elem(cmp.getLhs()));
    return ret(L.elementwise(resultType(), op->getOperands(), [&](OpBuilder &nb, Location nl,
                                                                    ValueRange a) -> Value {
      if (isF) {
        auto pred = llvm::StringSwitch<arith::CmpFPredicate>(p)
                        .Case("eq", arith::CmpFPredicate::OEQ)
                        .Case("ne", arith::CmpFPredicate::UNE)
                        .Case("lt", arith::CmpFPredicate::OLT)
                        .Case("le", arith::CmpFPredicate::OLE)
                        .Case("gt", arith::CmpFPredicate::OGT)
                        .Default(arith::CmpFPredicate::OGE);
        return arith::CmpFOp::create(nb, nl, pred, a[0], a[1]);
      }
      auto pred = llvm::StringSwitch<arith::CmpIPredicate>(p)
                      .Case("eq", arith::CmpIPredicate::eq)
                      .Case("ne", arith::CmpIPredicate::ne)
                      .Case("lt", arith::CmpIPredicate::slt)
                      .Case("le", arith::CmpIPredicate::sle)
                      .Case("gt", arith::CmpIPredicate::sgt)
                      .Default(arith::CmpIPredicate::sge);
      return arith::CmpIOp::create(nb, nl, pred, a[0], a[1]);
    }));
  }
  if (isa<nn::SelectOp>(op))
    return ret(L.elementwise(resultType(), op->getOperands(),
                             [&](OpBuilder &nb, Location nl, ValueRange a) {
                               return arith::SelectOp::create(nb, nl, a[0], a[1], a[2]).getResult();
                             }));
  if (isa<nn::CastOp>(op)) {
    Type to = resultType().getElementType();
    return ret(L.elementwise(resultType(), op->getOperands(),
                             [&](OpBuilder &nb, Location nl, ValueRange a) {
                               return castScalar(nb, nl, a[0], to);
                             }));
  }
  if (auto dq = dyn_cast<nn::DequantizeOp>(op)) {
    // One loop over all elements (an image batch's innermost dimension, 28, is too short a
    // loop for LLVM to vectorize well). arith converts signless integers: the unsigned byte
    // is reinterpreted (both are i8 in LLVM, where the cast disappears), then converted as
    // unsigned and scaled.
    RankedTensorType type = resultType();
    auto ft = cast<FloatType>(type.getElementType());
    double scale = dq.getScale().convertToDouble();
    SmallVector<ReassociationIndices> all;
    if (type.getRank() > 1)
      all.push_back(llvm::to_vector(llvm::seq<int64_t>(0, type.getRank())));
    Value x = dq.getInput();
    if (!all.empty())
      x = tensor::CollapseShapeOp::create(b, loc, x, all);
    Value flat = L.elementwise(
        RankedTensorType::get({type.getNumElements()}, ft), x,
        [&](OpBuilder &nb, Location nl, ValueRange a) {
          Type bits = nb.getIntegerType(a[0].getType().getIntOrFloatBitWidth());
          Value i = UnrealizedConversionCastOp::create(nb, nl, bits, a[0]).getResult(0);
          Value f = arith::UIToFPOp::create(nb, nl, ft, i);
          Value s = arith::ConstantOp::create(nb, nl, nb.getFloatAttr(ft, scale));
          return arith::MulFOp::create(nb, nl, f, s).getResult();
        });
    flat.getDefiningOp()->walk([&](arith::MulFOp m) { exactOps.insert(m); });
    if (all.empty())
      return ret(flat);
    return ret(tensor::ExpandShapeOp::create(b, loc, type, flat, all));
  }
  if (auto mm = dyn_cast<nn::MatmulOp>(op)) {
    // C[m, n] += A[m, k] * B[k, n], a transposed A as another map, in the loop order
    // (m, k, n): the innermost loop runs along rows of B and C, which the register blocking
    // (nnc-vectorize-contractions) reads as whole vectors. A transposed B (the input
    // gradient dY · Wᵀ) would leave no operand contiguous along n, so it is transposed
    // into a buffer first: K · N moves against M · N · K multiply-adds.
    Value lhs = mm.getLhs(), rhs = mm.getRhs();
    if (mm.getTransposeB()) {
      RankedTensorType bt = L.type(rhs);
      RankedTensorType t = bt.clone({bt.getDimSize(1), bt.getDimSize(0)});
      AffineMap swap = AffineMap::get(2, 0, {b.getAffineDimExpr(1), b.getAffineDimExpr(0)}, L.ctx());
      rhs = L.generic(t, {rhs}, {swap}, L.identity(2), L.parallel(2), L.empty(t),
                      [](OpBuilder &, Location, ValueRange a) { return a[0]; });
    }
    AffineExpr m = b.getAffineDimExpr(0), k = b.getAffineDimExpr(1), n = b.getAffineDimExpr(2);
    AffineMap a = AffineMap::get(3, 0, mm.getTransposeA() ? ArrayRef<AffineExpr>{k, m}
                                                          : ArrayRef<AffineExpr>{m, k}, L.ctx());
    AffineMap bm = AffineMap::get(3, 0, {k, n}, L.ctx());
    AffineMap c = AffineMap::get(3, 0, {m, n}, L.ctx());
    SmallVector<IteratorType> iters = {IteratorType::parallel, IteratorType::reduction,
                                       IteratorType::parallel};
    return ret(L.generic(resultType(), {lhs, rhs}, {a, bm}, c, iters, L.zeros(resultType()),
                         [&](OpBuilder &nb, Location nl, ValueRange v) {
                           Value p = arith::MulFOp::create(nb, nl, v[0], v[1]);
                           return arith::AddFOp::create(nb, nl, v[2], p).getResult();
                         }));
  }
  if (auto bc = dyn_cast<nn::BroadcastOp>(op)) {
    RankedTensorType in = L.type(bc.getInput()), out = resultType();
    SmallVector<AffineExpr> exprs;
    for (auto [i, d] : llvm::enumerate(bc.getDims()))
      exprs.push_back(in.getDimSize(i) == 1 && out.getDimSize(d) != 1 ? b.getAffineConstantExpr(0)
                                                                      : b.getAffineDimExpr(d));
    int64_t rank = out.getRank();
    return ret(L.generic(out, {bc.getInput()}, {AffineMap::get(rank, 0, exprs, L.ctx())},
                         L.identity(rank), L.parallel(rank), L.empty(out),
                         [](OpBuilder &, Location, ValueRange a) { return a[0]; }));
  }
  if (isa<nn::ReduceSumOp, nn::ReduceMeanOp, nn::ReduceMaxOp>(op)) {
    Value x = op->getOperand(0);
    SmallVector<int64_t> axes(arr("axes"));
    bool keep = op->hasAttr("keep_dims");
    if (isa<nn::ReduceMaxOp>(op))
      return ret(L.max(x, axes, keep));
    Value s = L.sum(x, axes, keep);
    if (isa<nn::ReduceSumOp>(op))
      return ret(s);
    double n = double(L.type(x).getNumElements()) / double(resultType().getNumElements());
    Type et = resultType().getElementType();
    return ret(L.elementwise(resultType(), {s}, [&](OpBuilder &nb, Location nl, ValueRange a) {
      return arith::MulFOp::create(nb, nl, a[0],
                                   arith::ConstantOp::create(nb, nl, nb.getFloatAttr(et, 1.0 / n)))
          .getResult();
    }));
  }
  if (auto am = dyn_cast<nn::ArgmaxOp>(op)) {
    Value x = am.getInput();
    RankedTensorType xt = L.type(x), out = resultType();
    int64_t axis = intAttr("axis"), rank = xt.getRank();
    SmallVector<IteratorType> iters = L.parallel(rank);
    iters[axis] = IteratorType::reduction;
    RankedTensorType maxType = out.clone(xt.getElementType());
    AffineMap outMap = L.dropDim(rank, axis);
    auto gen = linalg::GenericOp::create(
        b, loc, TypeRange{maxType, out}, ValueRange{x},
        ValueRange{L.full(maxType, -INFINITY), L.zeros(out)},
        ArrayRef<AffineMap>{L.identity(rank), outMap, outMap}, iters,
        [&](OpBuilder &nb, Location nl, ValueRange a) {
          Value idx = arith::IndexCastOp::create(nb, nl, out.getElementType(),
                                                 linalg::IndexOp::create(nb, nl, axis));
          Value better = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT, a[0], a[1]);
          linalg::YieldOp::create(nb, nl,
                                  ValueRange{arith::SelectOp::create(nb, nl, better, a[0], a[1]),
                                             arith::SelectOp::create(nb, nl, better, idx, a[2])});
        });
    return ret(gen.getResult(1));
  }
  if (isa<nn::ReshapeOp>(op))
    return ret(L.reshape(op->getOperand(0), resultType()));
  if (auto tr = dyn_cast<nn::TransposeOp>(op)) {
    int64_t rank = resultType().getRank();
    SmallVector<AffineExpr> exprs(rank);
    for (auto [i, p] : llvm::enumerate(tr.getPerm()))
      exprs[p] = b.getAffineDimExpr(i);
    return ret(L.generic(resultType(), {tr.getInput()}, {AffineMap::get(rank, 0, exprs, L.ctx())},
                         L.identity(rank), L.parallel(rank), L.empty(resultType()),
                         [](OpBuilder &, Location, ValueRange a) { return a[0]; }));
  }
  if (auto sl = dyn_cast<nn::SliceOp>(op))
    return ret(tensor::ExtractSliceOp::create(b, loc, resultType(), sl.getInput(),
                                              L.indexAttrs(arr("offsets")), L.indexAttrs(arr("sizes")),
                                              L.indexAttrs(arr("strides"))));
  if (auto is = dyn_cast<nn::InsertSliceOp>(op))
    return ret(L.insert(is.getSrc(), is.getDest(), arr("offsets"), arr("strides")));
  if (isa<nn::TakeOp, nn::PutOp>(op)) {
    bool take = isa<nn::TakeOp>(op);
    Value big = op->getOperand(0);
    Value index = op->getOperand(take ? 1 : 2);
    RankedTensorType bt = L.type(big);
    int64_t axis = intAttr("axis");
    SmallVector<OpFoldResult> offsets(bt.getRank(), b.getIndexAttr(0)), sizes, strides(bt.getRank(), b.getIndexAttr(1));
    for (int64_t d = 0; d < bt.getRank(); ++d)
      sizes.push_back(b.getIndexAttr(d == axis ? 1 : bt.getDimSize(d)));
    offsets[axis] = index;
    if (take)
      return ret(tensor::ExtractSliceOp::create(b, loc, resultType(), big, offsets, sizes, strides));
    Value src = op->getOperand(1);
    if (op->hasAttr("accumulate")) {
      Value old = tensor::ExtractSliceOp::create(b, loc, L.type(src), big, offsets, sizes, strides);
      src = L.elementwise(L.type(src), {old, src}, [](OpBuilder &nb, Location nl, ValueRange a) {
        return arith::AddFOp::create(nb, nl, a[0], a[1]).getResult();
      });
    }
    return ret(tensor::InsertSliceOp::create(b, loc, src, big, offsets, sizes, strides));
  }
  if (auto cc = dyn_cast<nn::ConcatOp>(op)) {
    int64_t axis = intAttr("axis");
    Value acc = L.empty(resultType());
    int64_t offset = 0;
    for (Value in : cc.getInputs()) {
      SmallVector<int64_t> offsets(resultType().getRank(), 0), strides(resultType().getRank(), 1);
      offsets[axis] = offset;
      acc = L.insert(in, acc, offsets, strides);
      offset += L.type(in).getDimSize(axis);
    }
    return ret(acc);
  }
  if (isa<nn::SoftmaxOp, nn::LogSoftmaxOp>(op)) {
    Value x = op->getOperand(0);
    int64_t axis = intAttr("axis");
    Value m = L.max(x, {axis}, false);
    Value e = L.withRowValue(x, m, axis, [](OpBuilder &nb, Location nl, Value v, Value r) {
      return math::ExpOp::create(nb, nl, arith::SubFOp::create(nb, nl, v, r)).getResult();
    });
    Value s = L.sum(e, {axis}, false);
    if (isa<nn::SoftmaxOp>(op))
      return ret(L.withRowValue(e, s, axis, [](OpBuilder &nb, Location nl, Value v, Value r) {
        return arith::DivFOp::create(nb, nl, v, r).getResult();
      }));
    // x - m - log(s)
    Value lse = L.elementwise(L.type(s), {m, s}, [](OpBuilder &nb, Location nl, ValueRange a) {
      return arith::AddFOp::create(nb, nl, a[0], math::LogOp::create(nb, nl, a[1])).getResult();
    });
    return ret(L.withRowValue(x, lse, axis, [](OpBuilder &nb, Location nl, Value v, Value r) {
      return arith::SubFOp::create(nb, nl, v, r).getResult();
    }));
  }
  if (isa<nn::CrossEntropyOp, nn::CrossEntropyGradOp>(op)) {
    Value x = op->getOperand(0), labels = op->getOperand(1);
    RankedTensorType xt = L.type(x);
    int64_t batch = xt.getDimSize(0);
    Type et = xt.getElementType();
    AffineMap row = L.dropDim(2, 1);
    Value m = L.max(x, {1}, false);
    Value e = L.withRowValue(x, m, 1, [](OpBuilder &nb, Location nl, Value v, Value r) {
      return math::ExpOp::create(nb, nl, arith::SubFOp::create(nb, nl, v, r)).getResult();
    });
    Value s = L.sum(e, {1}, false);
    auto isLabel = [&](OpBuilder &nb, Location nl, Value label) {
      Value c = linalg::IndexOp::create(nb, nl, 1);
      Value l = arith::IndexCastOp::create(nb, nl, nb.getIndexType(), label);
      return arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, c, l).getResult();
    };
    if (isa<nn::CrossEntropyGradOp>(op)) {
      // (softmax - onehot) * g / B
      Value g = op->getOperand(2);
      AffineMap scalarMap = AffineMap::get(2, 0, {}, L.ctx());
      return ret(L.generic(xt, {e, s, labels, g}, {L.identity(2), row, row, scalarMap},
                           L.identity(2), L.parallel(2), L.empty(xt),
                           [&](OpBuilder &nb, Location nl, ValueRange a) {
                             Value p = arith::DivFOp::create(nb, nl, a[0], a[1]);
                             Value one = arith::ConstantOp::create(nb, nl, nb.getFloatAttr(et, 1));
                             Value zero = arith::ConstantOp::create(nb, nl, nb.getFloatAttr(et, 0));
                             Value oh = arith::SelectOp::create(nb, nl, isLabel(nb, nl, a[2]), one, zero);
                             Value d = arith::SubFOp::create(nb, nl, p, oh);
                             Value scale = arith::DivFOp::create(
                                 nb, nl, a[3], arith::ConstantOp::create(nb, nl, nb.getFloatAttr(et, batch)));
                             return arith::MulFOp::create(nb, nl, d, scale).getResult();
                           }));
    }
    // Per row: m + log(s) - x[label]; then the mean over the batch.
    RankedTensorType rowType = RankedTensorType::get({batch}, et);
    Value picked = L.generic(rowType, {x, labels}, {L.identity(2), row}, row,
                             {IteratorType::parallel, IteratorType::reduction}, L.zeros(rowType),
                             [&](OpBuilder &nb, Location nl, ValueRange a) {
                               Value zero = arith::ConstantOp::create(nb, nl, nb.getFloatAttr(et, 0));
                               Value v = arith::SelectOp::create(nb, nl, isLabel(nb, nl, a[1]), a[0], zero);
                               return arith::AddFOp::create(nb, nl, a[2], v).getResult();
                             });
    Value perRow = L.elementwise(rowType, {m, s, picked}, [](OpBuilder &nb, Location nl, ValueRange a) {
      Value lse = arith::AddFOp::create(nb, nl, a[0], math::LogOp::create(nb, nl, a[1]));
      return arith::SubFOp::create(nb, nl, lse, a[2]).getResult();
    });
    Value total = L.sum(perRow, {0}, false);
    return ret(L.elementwise(resultType(), {total}, [&](OpBuilder &nb, Location nl, ValueRange a) {
      return arith::DivFOp::create(nb, nl, a[0],
                                   arith::ConstantOp::create(nb, nl, nb.getFloatAttr(et, batch)))
          .getResult();
    }));
  }
  if (isa<nn::MseOp>(op)) {
    RankedTensorType t = L.type(op->getOperand(0));
    Value sq = L.elementwise(t, op->getOperands(), [](OpBuilder &nb, Location nl, ValueRange a) {
      Value d = arith::SubFOp::create(nb, nl, a[0], a[1]);
      return arith::MulFOp::create(nb, nl, d, d).getResult();
    });
    SmallVector<int64_t> all;
    for (int64_t d = 0; d < t.getRank(); ++d)
      all.push_back(d);
    Value total = L.sum(sq, all, false);
    double n = t.getNumElements();
    Type et = t.getElementType();
    return ret(L.elementwise(resultType(), {total}, [&](OpBuilder &nb, Location nl, ValueRange a) {
      return arith::DivFOp::create(nb, nl, a[0], arith::ConstantOp::create(nb, nl, nb.getFloatAttr(et, n)))
          .getResult();
    }));
  }
  if (isa<nn::Conv2dOp, nn::Conv2dGradFilterOp, nn::Conv2dGradInputOp>(op)) {
    ArrayRef<int64_t> s = arr("strides"), p = arr("padding"), d = arr("dilations");
    int64_t groups = intAttr("groups");
    auto mac = [](OpBuilder &nb, Location nl, ValueRange a) {
      return arith::AddFOp::create(nb, nl, a[2], arith::MulFOp::create(nb, nl, a[0], a[1])).getResult();
    };
    auto dim = [&](int64_t i) { return b.getAffineDimExpr(i); };
    if (groups == 1)
      return lowerConvIm2col(L, op, s, p, d, results);
    if (isa<nn::Conv2dOp>(op)) {
      // (n, o, c, kh, kw, oh, ow): y += xpad[n, grp(o)*Cg + c, oh*sh + kh*dh, ow*sw + kw*dw] * w[o, c, kh, kw].
      // The output row is the innermost loop: a contiguous update that vectorizes.
      Value x = L.pad2d(op->getOperand(0), p, 0.0), w = op->getOperand(1);
      RankedTensorType wt = L.type(w);
      int64_t og = wt.getDimSize(0) / groups, cg = wt.getDimSize(1);
      AffineExpr ch = dim(1).floorDiv(og) * cg + dim(2);
      AffineMap xm = AffineMap::get(7, 0, {dim(0), ch, dim(5) * s[0] + dim(3) * d[0], dim(6) * s[1] + dim(4) * d[1]}, L.ctx());
      AffineMap wm = AffineMap::get(7, 0, {dim(1), dim(2), dim(3), dim(4)}, L.ctx());
      AffineMap ym = AffineMap::get(7, 0, {dim(0), dim(1), dim(5), dim(6)}, L.ctx());
      SmallVector<IteratorType> it = {IteratorType::parallel,  IteratorType::parallel,
                                      IteratorType::reduction, IteratorType::reduction,
                                      IteratorType::reduction, IteratorType::parallel,
                                      IteratorType::parallel};
      return ret(L.generic(resultType(), {x, w}, {xm, wm}, ym, it, L.zeros(resultType()), mac));
    }
    if (isa<nn::Conv2dGradFilterOp>(op)) {
      // (o, c, kh, kw, n, oh, ow): dw += g[n, o, oh, ow] * xpad[n, grp(o)*Cg + c, oh*sh + kh*dh, ow*sw + kw*dw]
      Value x = L.pad2d(op->getOperand(0), p, 0.0), g = op->getOperand(1);
      RankedTensorType wt = resultType();
      int64_t og = wt.getDimSize(0) / groups, cg = wt.getDimSize(1);
      AffineExpr ch = dim(0).floorDiv(og) * cg + dim(1);
      AffineMap gm = AffineMap::get(7, 0, {dim(4), dim(0), dim(5), dim(6)}, L.ctx());
      AffineMap xm = AffineMap::get(7, 0, {dim(4), ch, dim(5) * s[0] + dim(2) * d[0], dim(6) * s[1] + dim(3) * d[1]}, L.ctx());
      AffineMap wm = AffineMap::get(7, 0, {dim(0), dim(1), dim(2), dim(3)}, L.ctx());
      SmallVector<IteratorType> it = L.parallel(4);
      it.append(3, IteratorType::reduction);
      return ret(L.generic(wt, {g, x}, {gm, xm}, wm, it, L.zeros(wt), mac));
    }
    // The input gradient: dilate the output gradient by the stride into a zero tensor
    // shifted by (KH-1)·dh - pad, then correlate with the flipped filter.
    Value g = op->getOperand(0), w = op->getOperand(1);
    RankedTensorType gt = L.type(g), wt = L.type(w), xt = resultType();
    int64_t kh = wt.getDimSize(2), kw = wt.getDimSize(3);
    int64_t top = (kh - 1) * d[0] - p[0], left = (kw - 1) * d[1] - p[1];
    int64_t hp = xt.getDimSize(2) + (kh - 1) * d[0], wp = xt.getDimSize(3) + (kw - 1) * d[1];
    // The rows and columns of g that land inside the dilated grid.
    auto range = [](int64_t off, int64_t stride, int64_t count, int64_t size) {
      int64_t lo = off >= 0 ? 0 : (-off + stride - 1) / stride;
      int64_t hi = std::min(count - 1, (size - 1 - off) >= 0 ? (size - 1 - off) / stride : -1);
      return std::make_pair(lo, hi);
    };
    auto [r0, r1] = range(top, s[0], gt.getDimSize(2), hp);
    auto [c0, c1] = range(left, s[1], gt.getDimSize(3), wp);
    RankedTensorType gpType = gt.clone({gt.getDimSize(0), gt.getDimSize(1), hp, wp});
    Value gp = L.zeros(gpType);
    if (r1 >= r0 && c1 >= c0) {
      Value part = g;
      if (r0 != 0 || c0 != 0 || r1 != gt.getDimSize(2) - 1 || c1 != gt.getDimSize(3) - 1)
        part = tensor::ExtractSliceOp::create(
            b, loc, gt.clone({gt.getDimSize(0), gt.getDimSize(1), r1 - r0 + 1, c1 - c0 + 1}), g,
            L.indexAttrs({0, 0, r0, c0}),
            L.indexAttrs({gt.getDimSize(0), gt.getDimSize(1), r1 - r0 + 1, c1 - c0 + 1}),
            L.indexAttrs({1, 1, 1, 1}));
      gp = L.insert(part, gp, {0, 0, top + r0 * s[0], left + c0 * s[1]}, {1, 1, s[0], s[1]});
    }
    // (n, c, o', kh, kw, h, w): dx += gp[n, grp(c)*Og + o', h + kh*dh, w + kw*dw] * w[grp(c)*Og + o', c mod Cg, KH-1-kh, KW-1-kw],
    // with the input row innermost.
    int64_t og = wt.getDimSize(0) / groups, cg = wt.getDimSize(1);
    AffineExpr o = dim(1).floorDiv(cg) * og + dim(2);
    AffineMap gm = AffineMap::get(7, 0, {dim(0), o, dim(5) + dim(3) * d[0], dim(6) + dim(4) * d[1]}, L.ctx());
    AffineMap wm = AffineMap::get(7, 0, {o, dim(1) % cg, -dim(3) + (kh - 1), -dim(4) + (kw - 1)}, L.ctx());
    AffineMap xm = AffineMap::get(7, 0, {dim(0), dim(1), dim(5), dim(6)}, L.ctx());
    AffineMap km = AffineMap::get(7, 0, {dim(2), dim(3), dim(4)}, L.ctx());
    SmallVector<IteratorType> it = {IteratorType::parallel,  IteratorType::parallel,
                                    IteratorType::reduction, IteratorType::reduction,
                                    IteratorType::reduction, IteratorType::parallel,
                                    IteratorType::parallel};
    Value win = L.window({og, kh, kw}, xt.getElementType());
    return ret(L.generic(xt, {gp, w, win}, {gm, wm, km}, xm, it, L.zeros(xt),
                         [](OpBuilder &nb, Location nl, ValueRange a) {
                           return arith::AddFOp::create(nb, nl, a[3], arith::MulFOp::create(nb, nl, a[0], a[1]))
                               .getResult();
                         }));
  }
  if (isa<nn::MaxPool2dOp, nn::AvgPool2dOp>(op)) {
    bool isMax = isa<nn::MaxPool2dOp>(op);
    ArrayRef<int64_t> k = arr("kernel"), s = arr("strides"), p = arr("padding");
    Value x = L.pad2d(op->getOperand(0), p, isMax ? -INFINITY : 0.0);
    auto [xm, ym, km, it] = L.poolLoops(s);
    Type et = resultType().getElementType();
    Value win = L.window(k, et);
    Value r = L.generic(resultType(), {x, win}, {xm, km}, ym, it, L.full(resultType(), isMax ? -INFINITY : 0.0),
                        [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                          if (isMax)
                            return arith::MaximumFOp::create(nb, nl, a[2], a[0]);
                          return arith::AddFOp::create(nb, nl, a[2], a[0]);
                        });
    if (isMax)
      return ret(r);
    double inv = 1.0 / double(k[0] * k[1]);
    return ret(L.elementwise(resultType(), {r}, [&](OpBuilder &nb, Location nl, ValueRange a) {
      return arith::MulFOp::create(nb, nl, a[0], arith::ConstantOp::create(nb, nl, nb.getFloatAttr(et, inv)))
          .getResult();
    }));
  }
  if (isa<nn::MaxPool2dGradOp, nn::AvgPool2dGradOp>(op)) {
    bool isMax = isa<nn::MaxPool2dGradOp>(op);
    ArrayRef<int64_t> k = arr("kernel"), s = arr("strides"), p = arr("padding");
    Value g = op->getOperand(isMax ? 1 : 0);
    RankedTensorType gt = L.type(g), xt = resultType();
    Type et = xt.getElementType();
    Value arg;
    if (isMax) {
      // The position of each window's first maximum, kh * KW + kw.
      Value x = L.pad2d(op->getOperand(0), p, -INFINITY);
      auto [xm, ym, km, it] = L.poolLoops(s);
      RankedTensorType it32 = gt.clone(b.getI32Type());
      auto gen = linalg::GenericOp::create(
          b, loc, TypeRange{gt, it32}, ValueRange{x, L.window(k, et)},
          ValueRange{L.full(gt, -INFINITY), L.full(it32, -1)},
          ArrayRef<AffineMap>{xm, km, ym, ym}, it, [&](OpBuilder &nb, Location nl, ValueRange a) {
            Value khI = linalg::IndexOp::create(nb, nl, 2), kwI = linalg::IndexOp::create(nb, nl, 3);
            Value pos = arith::AddIOp::create(
                nb, nl, arith::MulIOp::create(nb, nl, khI, arith::ConstantIndexOp::create(nb, nl, k[1])), kwI);
            Value posI = arith::IndexCastOp::create(nb, nl, nb.getI32Type(), pos);
            Value better = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT, a[0], a[2]);
            Value first = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, a[3],
                                                arith::ConstantOp::create(nb, nl, nb.getI32IntegerAttr(0)));
            Value take = arith::OrIOp::create(nb, nl, better, first);
            linalg::YieldOp::create(nb, nl, ValueRange{arith::SelectOp::create(nb, nl, take, a[0], a[2]),
                                                       arith::SelectOp::create(nb, nl, take, posI, a[3])});
          });
      arg = gen.getResult(1);
    }
    // Each kernel offset adds its share of g into the padded input grid, in place.
    RankedTensorType padded = xt.clone({xt.getDimSize(0), xt.getDimSize(1), xt.getDimSize(2) + p[0] + p[2],
                                        xt.getDimSize(3) + p[1] + p[3]});
    Value acc = L.zeros(padded);
    double inv = 1.0 / double(k[0] * k[1]);
    for (int64_t kh = 0; kh < k[0]; ++kh) {
      for (int64_t kw = 0; kw < k[1]; ++kw) {
        Value share;
        if (isMax) {
          int32_t pos = kh * k[1] + kw;
          share = L.elementwise(gt, {g, arg}, [&](OpBuilder &nb, Location nl, ValueRange a) {
            Value is = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, a[1],
                                             arith::ConstantOp::create(nb, nl, nb.getI32IntegerAttr(pos)));
            return arith::SelectOp::create(nb, nl, is, a[0],
                                           arith::ConstantOp::create(nb, nl, nb.getFloatAttr(et, 0)))
                .getResult();
          });
        } else {
          share = L.elementwise(gt, {g}, [&](OpBuilder &nb, Location nl, ValueRange a) {
            return arith::MulFOp::create(nb, nl, a[0], arith::ConstantOp::create(nb, nl, nb.getFloatAttr(et, inv)))
                .getResult();
          });
        }
        acc = L.addStrided(acc, share, {0, 0, kh, kw}, {1, 1, s[0], s[1]});
      }
    }
    if (padded == xt)
      return ret(acc);
    return ret(tensor::ExtractSliceOp::create(b, loc, xt, acc, L.indexAttrs({0, 0, p[0], p[1]}),
                                              L.indexAttrs(xt.getShape()), L.indexAttrs({1, 1, 1, 1})));
  }
  if (isa<nn::BatchNormTrainOp, nn::BatchNormInferOp, nn::BatchNormGradOp>(op)) {
    Value x = op->getOperand(0);
    RankedTensorType xt = L.type(x);
    int64_t axis = intAttr("axis"), rank = xt.getRank();
    double eps = op->getAttrOfType<FloatAttr>("epsilon").getValueAsDouble();
    Type et = xt.getElementType();
    SmallVector<int64_t> others;
    for (int64_t dd = 0; dd < rank; ++dd)
      if (dd != axis)
        others.push_back(dd);
    double n = double(xt.getNumElements()) / double(xt.getDimSize(axis));
    AffineMap chan = AffineMap::get(rank, 0, {b.getAffineDimExpr(axis)}, L.ctx());
    AffineMap id = L.identity(rank);
    RankedTensorType ct = RankedTensorType::get({xt.getDimSize(axis)}, et);
    auto cst = [&](OpBuilder &nb, Location nl, double v) {
      return arith::ConstantOp::create(nb, nl, nb.getFloatAttr(et, v)).getResult();
    };
    auto scaleC = [&](Value v, double f) {
      return L.elementwise(ct, {v}, [&](OpBuilder &nb, Location nl, ValueRange a) {
        return arith::MulFOp::create(nb, nl, a[0], cst(nb, nl, f)).getResult();
      });
    };
    Value mean, var;
    if (isa<nn::BatchNormInferOp>(op)) {
      mean = op->getOperand(1);
      var = op->getOperand(2);
    } else if (isa<nn::BatchNormGradOp>(op)) {
      mean = op->getOperand(2);
      var = op->getOperand(3);
    } else {
      mean = scaleC(L.sum(x, others, false), 1.0 / n);
      Value centered2 = L.generic(xt, {x, mean}, {id, chan}, id, L.parallel(rank), L.empty(xt),
                                  [](OpBuilder &nb, Location nl, ValueRange a) {
                                    Value c = arith::SubFOp::create(nb, nl, a[0], a[1]);
                                    return arith::MulFOp::create(nb, nl, c, c).getResult();
                                  });
      var = scaleC(L.sum(centered2, others, false), 1.0 / n);
    }
    // r = 1/sqrt(var + eps)
    Value r = L.elementwise(ct, {var}, [&](OpBuilder &nb, Location nl, ValueRange a) {
      Value sd = math::SqrtOp::create(nb, nl, arith::AddFOp::create(nb, nl, a[0], cst(nb, nl, eps)));
      return arith::DivFOp::create(nb, nl, cst(nb, nl, 1.0), sd).getResult();
    });
    Value gamma = op->getOperand(isa<nn::BatchNormInferOp>(op) ? 3 : 1);
    if (!isa<nn::BatchNormGradOp>(op)) {
      Value beta = op->getOperand(isa<nn::BatchNormInferOp>(op) ? 4 : 2);
      Value y = L.generic(xt, {x, mean, r, gamma, beta}, {id, chan, chan, chan, chan}, id, L.parallel(rank),
                          L.empty(xt), [](OpBuilder &nb, Location nl, ValueRange a) {
                            Value c = arith::SubFOp::create(nb, nl, a[0], a[1]);
                            Value nrm = arith::MulFOp::create(nb, nl, c, a[2]);
                            return arith::AddFOp::create(nb, nl, arith::MulFOp::create(nb, nl, nrm, a[3]), a[4])
                                .getResult();
                          });
      results.push_back(y);
      if (isa<nn::BatchNormTrainOp>(op)) {
        results.push_back(mean);
        results.push_back(var);
      }
      return success();
    }
    // The gradients: dbeta = Σg, dgamma = Σ g·x̂, dx = gamma·r/N·(N·g − dbeta − x̂·dgamma).
    Value g = op->getOperand(4);
    Value dbeta = L.sum(g, others, false);
    Value gx = L.generic(xt, {g, x, mean, r}, {id, id, chan, chan}, id, L.parallel(rank), L.empty(xt),
                         [](OpBuilder &nb, Location nl, ValueRange a) {
                           Value xh = arith::MulFOp::create(nb, nl, arith::SubFOp::create(nb, nl, a[1], a[2]), a[3]);
                           return arith::MulFOp::create(nb, nl, a[0], xh).getResult();
                         });
    Value dgamma = L.sum(gx, others, false);
    Value dx = L.generic(xt, {g, x, mean, r, gamma, dbeta, dgamma}, {id, id, chan, chan, chan, chan, chan}, id,
                         L.parallel(rank), L.empty(xt), [&](OpBuilder &nb, Location nl, ValueRange a) {
                           Value xh = arith::MulFOp::create(nb, nl, arith::SubFOp::create(nb, nl, a[1], a[2]), a[3]);
                           Value t = arith::SubFOp::create(nb, nl, arith::MulFOp::create(nb, nl, a[0], cst(nb, nl, n)), a[5]);
                           t = arith::SubFOp::create(nb, nl, t, arith::MulFOp::create(nb, nl, xh, a[6]));
                           Value f = arith::MulFOp::create(nb, nl, a[4], arith::MulFOp::create(nb, nl, a[3], cst(nb, nl, 1.0 / n)));
                           return arith::MulFOp::create(nb, nl, f, t).getResult();
                         });
    results.push_back(dx);
    results.push_back(dgamma);
    results.push_back(dbeta);
    return success();
  }
  if (auto rnd = dyn_cast<nn::RandomUniformOp>(op)) {
    RankedTensorType t = resultType();
    int64_t rank = t.getRank(), stream = intAttr("stream");
    Value key = rnd.getKey();
    return ret(L.generic(t, {}, {}, L.identity(rank), L.parallel(rank), L.empty(t),
                         [&](OpBuilder &nb, Location nl, ValueRange) {
                           // The row-major linear index of the element.
                           Value lin = arith::ConstantIndexOp::create(nb, nl, 0);
                           for (int64_t dd = 0; dd < rank; ++dd) {
                             lin = arith::MulIOp::create(nb, nl, lin, arith::ConstantIndexOp::create(nb, nl, t.getDimSize(dd)));
                             lin = arith::AddIOp::create(nb, nl, lin, linalg::IndexOp::create(nb, nl, dd));
                           }
                           return randomBits(nb, nl, key, stream, lin, t.getElementType());
                         }));
  }
  return op->emitError() << "no lowering to linalg for '" << name << "'";
}

/// Float arithmetic may be reassociated and contracted into FMAs: that lets LLVM vectorize
/// reductions (the filter gradient, softmax sums) and fuse multiply-adds. Results differ
/// from a sequential evaluation only by float reassociation. The ops of `exact` (the scaling
/// of nn.dequantize, which must give the host's bits) keep strict semantics.
void allowReassociation(Operation *root, const DenseSet<Operation *> &exact) {
  auto flags = arith::FastMathFlags::reassoc | arith::FastMathFlags::contract;
  root->walk([&](Operation *op) {
    if (exact.contains(op))
      return;
    if (auto fm = dyn_cast<arith::ArithFastMathInterface>(op))
      op->setAttr(fm.getFastMathAttrName(), arith::FastMathFlagsAttr::get(op->getContext(), flags));
  });
}

struct NNToLinalgPass : public nnc::impl::ConvertNNToLinalgBase<NNToLinalgPass> {
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if (op->getDialect() && op->getDialect()->getNamespace() == "nn")
        ops.push_back(op);
    });
    OpBuilder b(&getContext());
    DenseSet<Operation *> exact;
    for (Operation *op : ops) {
      b.setInsertionPoint(op);
      SmallVector<Value> results;
      if (failed(lower(op, b, results, exact)))
        return signalPassFailure();
      op->replaceAllUsesWith(results);
      op->erase();
    }
    allowReassociation(getOperation(), exact);
  }
};

} // namespace
