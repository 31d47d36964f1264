//===- NNToLinalgPooling.cpp - nn pooling to linalg -----------------------===//
//
// The lowerings of nn.max_pool2d, nn.avg_pool2d and their gradients. A pooling op is a
// reduction over the window of the padded input, the window loops outside the output row
// (which then vectorizes). A gradient scatters: each kernel offset adds its share of the
// output gradient (for max pooling, where that offset held the window's first maximum)
// into its strided slice of the padded input gradient, in place.
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

/// The loops of a pooling window, (n, c, kh, kw, oh, ow): the window loops outside, so
/// that the innermost loop runs along an output row (vectorized) rather than over the two
/// elements of a window row. The maps of the padded input, the output and the window
/// tensor, and the iterators.
struct PoolLoops {
  AffineMap x, y, k;
  SmallVector<IteratorType> iters;
};

} // namespace

static PoolLoops poolLoops(Lowering &L, ArrayRef<int64_t> strides) {
  auto d = [&](int64_t i) { return L.b.getAffineDimExpr(i); };
  return {AffineMap::get(6, 0, {d(0), d(1), d(4) * strides[0] + d(2), d(5) * strides[1] + d(3)},
                         L.ctx()),
          AffineMap::get(6, 0, {d(0), d(1), d(4), d(5)}, L.ctx()),
          AffineMap::get(6, 0, {d(2), d(3)}, L.ctx()),
          {IteratorType::parallel, IteratorType::parallel, IteratorType::reduction,
           IteratorType::reduction, IteratorType::parallel, IteratorType::parallel}};
}

/// x · `factor` elementwise over `type`, `factor` a constant of its element type.
static Value scaleBy(Lowering &L, RankedTensorType type, Value x, double factor) {
  Type et = type.getElementType();
  return L.elementwise(type, {x}, [&](OpBuilder &nb, Location nl, ValueRange a) {
    Value f = arith::ConstantOp::create(nb, nl, nb.getFloatAttr(et, factor));
    return arith::MulFOp::create(nb, nl, a[0], f).getResult();
  });
}

static LogicalResult lowerPool(OpLowering &L) {
  bool isMax = isa<nn::MaxPool2dOp>(L.op);
  ArrayRef<int64_t> k = L.arr("kernel"), s = L.arr("strides"), p = L.arr("padding");
  Value x = L.pad2d(L.op->getOperand(0), p, isMax ? -INFINITY : 0.0);
  auto [xm, ym, km, it] = poolLoops(L, s);
  Type et = L.resultType().getElementType();
  Value win = L.window(k, et);
  Value r = L.generic(L.resultType(), {x, win}, {xm, km}, ym, it,
                      L.full(L.resultType(), isMax ? -INFINITY : 0.0),
                      [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                        if (isMax)
                          return arith::MaximumFOp::create(nb, nl, a[2], a[0]);
                        return arith::AddFOp::create(nb, nl, a[2], a[0]);
                      });
  if (isMax)
    return L.ret(r);
  return L.ret(scaleBy(L, L.resultType(), r, 1.0 / double(k[0] * k[1])));
}

/// The position kh · KW + kw of each window's first maximum (an i32 of `gt`'s shape).
static Value firstMaxPositions(OpLowering &L, RankedTensorType gt, ArrayRef<int64_t> k,
                               ArrayRef<int64_t> s, ArrayRef<int64_t> p) {
  Type et = L.resultType().getElementType();
  Value x = L.pad2d(L.op->getOperand(0), p, -INFINITY);
  auto [xm, ym, km, it] = poolLoops(L, s);
  RankedTensorType it32 = gt.clone(L.b.getI32Type());
  Value win = L.window(k, et);
  Value maxInit = L.full(gt, -INFINITY), posInit = L.full(it32, -1);
  auto gen = linalg::GenericOp::create(
      L.b, L.loc, TypeRange{gt, it32}, ValueRange{x, win}, ValueRange{maxInit, posInit},
      ArrayRef<AffineMap>{xm, km, ym, ym}, it, [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value khI = linalg::IndexOp::create(nb, nl, 2), kwI = linalg::IndexOp::create(nb, nl, 3);
        Value pos = arith::AddIOp::create(
            nb, nl,
            arith::MulIOp::create(nb, nl, khI, arith::ConstantIndexOp::create(nb, nl, k[1])), kwI);
        Value posI = arith::IndexCastOp::create(nb, nl, nb.getI32Type(), pos);
        Value better = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT, a[0], a[2]);
        Value first =
            arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, a[3],
                                  arith::ConstantOp::create(nb, nl, nb.getI32IntegerAttr(0)));
        Value take = arith::OrIOp::create(nb, nl, better, first);
        Value max = arith::SelectOp::create(nb, nl, take, a[0], a[2]);
        Value at = arith::SelectOp::create(nb, nl, take, posI, a[3]);
        linalg::YieldOp::create(nb, nl, ValueRange{max, at});
      });
  return gen.getResult(1);
}

static LogicalResult lowerPoolGrad(OpLowering &L) {
  bool isMax = isa<nn::MaxPool2dGradOp>(L.op);
  ArrayRef<int64_t> k = L.arr("kernel"), s = L.arr("strides"), p = L.arr("padding");
  Value g = L.op->getOperand(isMax ? 1 : 0);
  RankedTensorType gt = L.type(g), xt = L.resultType();
  Type et = xt.getElementType();
  Value arg;
  if (isMax)
    arg = firstMaxPositions(L, gt, k, s, p);
  // Each kernel offset adds its share of g into the padded input grid, in place.
  RankedTensorType padded =
      xt.clone({xt.getDimSize(0), xt.getDimSize(1), xt.getDimSize(2) + p[0] + p[2],
                xt.getDimSize(3) + p[1] + p[3]});
  Value acc = L.zeros(padded);
  for (int64_t kh = 0; kh < k[0]; ++kh) {
    for (int64_t kw = 0; kw < k[1]; ++kw) {
      Value share;
      if (isMax) {
        int32_t pos = kh * k[1] + kw;
        share = L.elementwise(gt, {g, arg}, [&](OpBuilder &nb, Location nl, ValueRange a) {
          Value is =
              arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, a[1],
                                    arith::ConstantOp::create(nb, nl, nb.getI32IntegerAttr(pos)));
          return arith::SelectOp::create(nb, nl, is, a[0],
                                         arith::ConstantOp::create(nb, nl, nb.getFloatAttr(et, 0)))
              .getResult();
        });
      } else {
        share = scaleBy(L, gt, g, 1.0 / double(k[0] * k[1]));
      }
      acc = L.addStrided(acc, share, {0, 0, kh, kw}, {1, 1, s[0], s[1]});
    }
  }
  if (padded == xt)
    return L.ret(acc);
  return L.ret(tensor::ExtractSliceOp::create(L.b, L.loc, xt, acc, L.indexAttrs({0, 0, p[0], p[1]}),
                                              L.indexAttrs(xt.getShape()),
                                              L.indexAttrs({1, 1, 1, 1})));
}

void nnc::nn_to_linalg::addPoolingLowerings(LoweringRegistry &registry) {
  registry.add<nn::MaxPool2dOp, nn::AvgPool2dOp>(lowerPool);
  registry.add<nn::MaxPool2dGradOp, nn::AvgPool2dGradOp>(lowerPoolGrad);
}
