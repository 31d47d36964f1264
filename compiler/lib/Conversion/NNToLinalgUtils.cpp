//===- NNToLinalgUtils.cpp - Builder helpers of the nn to linalg lowering -===//
//
// The helpers of `Lowering` (NNToLinalg.h) that the op families share: empty and filled
// tensors, a single-result `linalg.generic`, elementwise maps, reductions over a set of
// axes, padding, reshapes through one dimension, and strided slices (the in-place strided
// add that the gradients of the window ops use for their scatters).
//
//===----------------------------------------------------------------------===//

#include "NNToLinalg.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace nnc::nn_to_linalg;
using utils::IteratorType;

Value Lowering::empty(RankedTensorType t) {
  return tensor::EmptyOp::create(b, loc, t.getShape(), t.getElementType());
}

Value Lowering::scalarConst(Type t, double v) {
  if (isa<FloatType>(t))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(t, v));
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(t, int64_t(v)));
}

Value Lowering::full(RankedTensorType t, double v) {
  Value init = empty(t);
  return linalg::FillOp::create(b, loc, scalarConst(t.getElementType(), v), init).getResult(0);
}

Value Lowering::generic(RankedTensorType outType, ValueRange inputs, ArrayRef<AffineMap> inMaps,
                        AffineMap outMap, ArrayRef<IteratorType> iters, Value init, BodyFn body) {
  SmallVector<AffineMap> maps(inMaps);
  maps.push_back(outMap);
  auto op = linalg::GenericOp::create(b, loc, TypeRange{outType}, inputs, ValueRange{init}, maps,
                                      iters, [&](OpBuilder &nb, Location nl, ValueRange args) {
                                        linalg::YieldOp::create(nb, nl, body(nb, nl, args));
                                      });
  return op.getResult(0);
}

Value Lowering::elementwise(RankedTensorType outType, ValueRange inputs, BodyFn body) {
  int64_t rank = outType.getRank();
  SmallVector<AffineMap> maps(inputs.size(), identity(rank));
  return generic(outType, inputs, maps, identity(rank), parallel(rank), empty(outType), body);
}

AffineMap Lowering::dropDim(int64_t rank, int64_t axis) {
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis)
      exprs.push_back(b.getAffineDimExpr(d));
  return AffineMap::get(rank, 0, exprs, ctx());
}

Value Lowering::reduce(Value x, ArrayRef<int64_t> axes, bool keep, double initValue,
                       CombineFn combine, RankedTensorType resultType) {
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
  return generic(
      outType, {x}, {identity(rank)}, outMap, iters, full(outType, initValue),
      [&](OpBuilder &nb, Location nl, ValueRange a) { return combine(nb, nl, a[0], a[1]); });
}

Value Lowering::sum(Value x, ArrayRef<int64_t> axes, bool keep) {
  return reduce(x, axes, keep, 0.0, [](OpBuilder &nb, Location nl, Value v, Value acc) {
    return arith::AddFOp::create(nb, nl, acc, v).getResult();
  });
}

Value Lowering::max(Value x, ArrayRef<int64_t> axes, bool keep) {
  return reduce(x, axes, keep, -INFINITY, [](OpBuilder &nb, Location nl, Value v, Value acc) {
    return arith::MaximumFOp::create(nb, nl, acc, v).getResult();
  });
}

Value Lowering::pad2d(Value x, ArrayRef<int64_t> p, double value) {
  if (llvm::all_of(p, [](int64_t v) { return v == 0; }))
    return x;
  RankedTensorType t = type(x);
  SmallVector<int64_t> shape(t.getShape());
  shape[2] += p[0] + p[2];
  shape[3] += p[1] + p[3];
  SmallVector<OpFoldResult> low = indexAttrs({0, 0, p[0], p[1]});
  SmallVector<OpFoldResult> high = indexAttrs({0, 0, p[2], p[3]});
  return tensor::PadOp::create(b, loc, t.clone(shape), x, low, high,
                               scalarConst(t.getElementType(), value));
}

Value Lowering::reshape(Value x, RankedTensorType to) {
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
    flat =
        tensor::CollapseShapeOp::create(b, loc, flatType, x, ArrayRef<ReassociationIndices>{all});
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

Value Lowering::window(ArrayRef<int64_t> shape, Type elem) {
  return tensor::EmptyOp::create(b, loc, shape, elem);
}

SmallVector<OpFoldResult> Lowering::indexAttrs(ArrayRef<int64_t> v) {
  SmallVector<OpFoldResult> r;
  for (int64_t x : v)
    r.push_back(b.getIndexAttr(x));
  return r;
}

Value Lowering::insert(Value src, Value dest, ArrayRef<int64_t> offsets,
                       ArrayRef<int64_t> strides) {
  return tensor::InsertSliceOp::create(b, loc, src, dest, indexAttrs(offsets),
                                       indexAttrs(type(src).getShape()), indexAttrs(strides));
}

Value Lowering::addStrided(Value acc, Value part, ArrayRef<int64_t> offsets,
                           ArrayRef<int64_t> strides) {
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

Value nnc::nn_to_linalg::yieldInput(OpBuilder &, Location, ValueRange a) { return a[0]; }

Value nnc::nn_to_linalg::multiplyAdd(OpBuilder &b, Location loc, ValueRange a) {
  Value product = arith::MulFOp::create(b, loc, a[0], a[1]);
  return arith::AddFOp::create(b, loc, a[2], product);
}
