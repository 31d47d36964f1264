//===- NNToLinalgReduction.cpp - Reductions, softmax, losses to linalg ----===//
//
// The lowerings of the ops that reduce along axes: nn.reduce_{sum,mean,max}, nn.argmax,
// nn.softmax and nn.log_softmax (the row maximum subtracted before the exponentials), and
// the losses nn.cross_entropy, nn.cross_entropy_grad and nn.mse. Reductions are
// `linalg.generic`s with reduction iterators into an initialized output; a row's value is
// spread back over the row through a map that drops the reduced dimension.
//
//===----------------------------------------------------------------------===//

#include "NNToLinalg.h"

#include "nnc/Dialect/NN/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace nnc;
using namespace nnc::nn_to_linalg;
using utils::IteratorType;

/// Spreads `r`, reduced over `axis` of `like`'s shape (dropped), back over that shape,
/// applying `body(x, r)` elementwise with `x` an element of `like`.
static Value withRowValue(Lowering &L, Value like, Value r, int64_t axis, CombineFn body) {
  RankedTensorType t = L.type(like);
  int64_t rank = t.getRank();
  return L.generic(t, {like, r}, {L.identity(rank), L.dropDim(rank, axis)}, L.identity(rank),
                   L.parallel(rank), L.empty(t), [&](OpBuilder &nb, Location nl, ValueRange a) {
                     return body(nb, nl, a[0], a[1]);
                   });
}

/// exp(x - r): the exponentials of a row shifted by its maximum.
static Value expShifted(OpBuilder &nb, Location nl, Value v, Value r) {
  return math::ExpOp::create(nb, nl, arith::SubFOp::create(nb, nl, v, r)).getResult();
}

/// a[0] / `divisor` elementwise over the op's result type.
static LogicalResult retDividedBy(OpLowering &L, Value x, double divisor) {
  Type et = L.resultType().getElementType();
  return L.ret(L.elementwise(L.resultType(), {x}, [&](OpBuilder &nb, Location nl, ValueRange a) {
    Value d = arith::ConstantOp::create(nb, nl, nb.getFloatAttr(et, divisor));
    return arith::DivFOp::create(nb, nl, a[0], d).getResult();
  }));
}

static LogicalResult lowerReduce(OpLowering &L) {
  Value x = L.op->getOperand(0);
  SmallVector<int64_t> axes(L.arr("axes"));
  bool keep = L.op->hasAttr("keep_dims");
  if (isa<nn::ReduceMaxOp>(L.op))
    return L.ret(L.max(x, axes, keep));
  Value s = L.sum(x, axes, keep);
  if (isa<nn::ReduceSumOp>(L.op))
    return L.ret(s);
  double n = double(L.type(x).getNumElements()) / double(L.resultType().getNumElements());
  Type et = L.resultType().getElementType();
  return L.ret(L.elementwise(L.resultType(), {s}, [&](OpBuilder &nb, Location nl, ValueRange a) {
    Value inv = arith::ConstantOp::create(nb, nl, nb.getFloatAttr(et, 1.0 / n));
    return arith::MulFOp::create(nb, nl, a[0], inv).getResult();
  }));
}

static LogicalResult lowerArgmax(OpLowering &L) {
  Value x = cast<nn::ArgmaxOp>(L.op).getInput();
  RankedTensorType xt = L.type(x), out = L.resultType();
  int64_t axis = L.intAttr("axis"), rank = xt.getRank();
  SmallVector<IteratorType> iters = L.parallel(rank);
  iters[axis] = IteratorType::reduction;
  RankedTensorType maxType = out.clone(xt.getElementType());
  AffineMap outMap = L.dropDim(rank, axis);
  Value maxInit = L.full(maxType, -INFINITY), indexInit = L.zeros(out);
  auto gen = linalg::GenericOp::create(
      L.b, L.loc, TypeRange{maxType, out}, ValueRange{x}, ValueRange{maxInit, indexInit},
      ArrayRef<AffineMap>{L.identity(rank), outMap, outMap}, iters,
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value idx = arith::IndexCastOp::create(nb, nl, out.getElementType(),
                                               linalg::IndexOp::create(nb, nl, axis));
        Value better = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT, a[0], a[1]);
        Value max = arith::SelectOp::create(nb, nl, better, a[0], a[1]);
        Value at = arith::SelectOp::create(nb, nl, better, idx, a[2]);
        linalg::YieldOp::create(nb, nl, ValueRange{max, at});
      });
  return L.ret(gen.getResult(1));
}

static LogicalResult lowerSoftmax(OpLowering &L) {
  Value x = L.op->getOperand(0);
  int64_t axis = L.intAttr("axis");
  Value m = L.max(x, {axis}, false);
  Value e = withRowValue(L, x, m, axis, expShifted);
  Value s = L.sum(e, {axis}, false);
  if (isa<nn::SoftmaxOp>(L.op))
    return L.ret(withRowValue(L, e, s, axis, [](OpBuilder &nb, Location nl, Value v, Value r) {
      return arith::DivFOp::create(nb, nl, v, r).getResult();
    }));
  // x - m - log(s)
  Value lse = L.elementwise(L.type(s), {m, s}, [](OpBuilder &nb, Location nl, ValueRange a) {
    return arith::AddFOp::create(nb, nl, a[0], math::LogOp::create(nb, nl, a[1])).getResult();
  });
  return L.ret(withRowValue(L, x, lse, axis, [](OpBuilder &nb, Location nl, Value v, Value r) {
    return arith::SubFOp::create(nb, nl, v, r).getResult();
  }));
}

/// Whether the column of the element is `label`.
static Value isLabel(OpBuilder &nb, Location nl, Value label) {
  Value c = linalg::IndexOp::create(nb, nl, 1);
  Value l = arith::IndexCastOp::create(nb, nl, nb.getIndexType(), label);
  return arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, c, l).getResult();
}

static LogicalResult lowerCrossEntropy(OpLowering &L) {
  Value x = L.op->getOperand(0), labels = L.op->getOperand(1);
  RankedTensorType xt = L.type(x);
  int64_t batch = xt.getDimSize(0);
  Type et = xt.getElementType();
  AffineMap row = L.dropDim(2, 1);
  Value m = L.max(x, {1}, false);
  Value e = withRowValue(L, x, m, 1, expShifted);
  Value s = L.sum(e, {1}, false);
  if (isa<nn::CrossEntropyGradOp>(L.op)) {
    // (softmax - onehot) * g / B
    Value g = L.op->getOperand(2);
    AffineMap scalarMap = AffineMap::get(2, 0, {}, L.ctx());
    return L.ret(L.generic(
        xt, {e, s, labels, g}, {L.identity(2), row, row, scalarMap}, L.identity(2), L.parallel(2),
        L.empty(xt), [&](OpBuilder &nb, Location nl, ValueRange a) {
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
                             Value v =
                                 arith::SelectOp::create(nb, nl, isLabel(nb, nl, a[1]), a[0], zero);
                             return arith::AddFOp::create(nb, nl, a[2], v).getResult();
                           });
  Value perRow =
      L.elementwise(rowType, {m, s, picked}, [](OpBuilder &nb, Location nl, ValueRange a) {
        Value lse = arith::AddFOp::create(nb, nl, a[0], math::LogOp::create(nb, nl, a[1]));
        return arith::SubFOp::create(nb, nl, lse, a[2]).getResult();
      });
  Value total = L.sum(perRow, {0}, false);
  return retDividedBy(L, total, batch);
}

static LogicalResult lowerMse(OpLowering &L) {
  RankedTensorType t = L.type(L.op->getOperand(0));
  Value sq = L.elementwise(t, L.op->getOperands(), [](OpBuilder &nb, Location nl, ValueRange a) {
    Value d = arith::SubFOp::create(nb, nl, a[0], a[1]);
    return arith::MulFOp::create(nb, nl, d, d).getResult();
  });
  SmallVector<int64_t> all;
  for (int64_t d = 0; d < t.getRank(); ++d)
    all.push_back(d);
  Value total = L.sum(sq, all, false);
  return retDividedBy(L, total, t.getNumElements());
}

void nnc::nn_to_linalg::addReductionLowerings(LoweringRegistry &registry) {
  registry.add<nn::ReduceSumOp, nn::ReduceMeanOp, nn::ReduceMaxOp>(lowerReduce);
  registry.add<nn::ArgmaxOp>(lowerArgmax);
  registry.add<nn::SoftmaxOp, nn::LogSoftmaxOp>(lowerSoftmax);
  registry.add<nn::CrossEntropyOp, nn::CrossEntropyGradOp>(lowerCrossEntropy);
  registry.add<nn::MseOp>(lowerMse);
}
