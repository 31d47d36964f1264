//===- NNToLinalgNormalization.cpp - nn batch normalization to linalg -----===//
//
// The lowerings of nn.batch_norm_train (the batch's mean and biased variance per channel,
// then the normalization), nn.batch_norm_infer (the running statistics given) and
// nn.batch_norm_grad. Per-channel values are rank-1 tensors read through a map that keeps
// only the channel dimension.
//
//===----------------------------------------------------------------------===//

#include "NNToLinalg.h"

#include "nnc/Dialect/NN/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace nnc;
using namespace nnc::nn_to_linalg;

namespace {

/// The shapes and maps of one batch-norm op over `x`, normalized per channel `axis`.
struct BatchNorm {
  OpLowering &L;
  Value x;
  RankedTensorType xt;
  Type et;
  int64_t rank;
  SmallVector<int64_t> others; // all dimensions but the channel's
  double n;                    // the elements per channel
  AffineMap chan, id;
  RankedTensorType ct; // a per-channel tensor

  explicit BatchNorm(OpLowering &L) : L(L), x(L.op->getOperand(0)), xt(L.type(x)) {
    int64_t axis = L.intAttr("axis");
    et = xt.getElementType();
    rank = xt.getRank();
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis)
        others.push_back(d);
    n = double(xt.getNumElements()) / double(xt.getDimSize(axis));
    chan = AffineMap::get(rank, 0, {L.b.getAffineDimExpr(axis)}, L.ctx());
    id = L.identity(rank);
    ct = RankedTensorType::get({xt.getDimSize(axis)}, et);
  }

  Value cst(OpBuilder &nb, Location nl, double v) {
    return arith::ConstantOp::create(nb, nl, nb.getFloatAttr(et, v)).getResult();
  }
  /// v · f over a per-channel tensor.
  Value scaleC(Value v, double f) {
    return L.elementwise(ct, {v}, [&](OpBuilder &nb, Location nl, ValueRange a) {
      return arith::MulFOp::create(nb, nl, a[0], cst(nb, nl, f)).getResult();
    });
  }
  /// The batch's mean and biased variance per channel.
  std::pair<Value, Value> statistics() {
    Value mean = scaleC(L.sum(x, others, false), 1.0 / n);
    Value centered2 = L.generic(xt, {x, mean}, {id, chan}, id, L.parallel(rank), L.empty(xt),
                                [](OpBuilder &nb, Location nl, ValueRange a) {
                                  Value c = arith::SubFOp::create(nb, nl, a[0], a[1]);
                                  return arith::MulFOp::create(nb, nl, c, c).getResult();
                                });
    Value var = scaleC(L.sum(centered2, others, false), 1.0 / n);
    return {mean, var};
  }
  /// r = 1/sqrt(var + eps)
  Value rsqrt(Value var, double eps) {
    return L.elementwise(ct, {var}, [&](OpBuilder &nb, Location nl, ValueRange a) {
      Value sd =
          math::SqrtOp::create(nb, nl, arith::AddFOp::create(nb, nl, a[0], cst(nb, nl, eps)));
      return arith::DivFOp::create(nb, nl, cst(nb, nl, 1.0), sd).getResult();
    });
  }
  /// y = (x - mean) · r · gamma + beta
  Value normalize(Value mean, Value r, Value gamma, Value beta) {
    return L.generic(xt, {x, mean, r, gamma, beta}, {id, chan, chan, chan, chan}, id,
                     L.parallel(rank), L.empty(xt), [](OpBuilder &nb, Location nl, ValueRange a) {
                       Value c = arith::SubFOp::create(nb, nl, a[0], a[1]);
                       Value nrm = arith::MulFOp::create(nb, nl, c, a[2]);
                       Value scaled = arith::MulFOp::create(nb, nl, nrm, a[3]);
                       return arith::AddFOp::create(nb, nl, scaled, a[4]).getResult();
                     });
  }
  /// The gradients: dbeta = Σg, dgamma = Σ g·x̂, dx = gamma·r/N·(N·g − dbeta − x̂·dgamma).
  void gradients(Value g, Value mean, Value r, Value gamma);
};

} // namespace

void BatchNorm::gradients(Value g, Value mean, Value r, Value gamma) {
  Value dbeta = L.sum(g, others, false);
  Value gx = L.generic(xt, {g, x, mean, r}, {id, id, chan, chan}, id, L.parallel(rank), L.empty(xt),
                       [](OpBuilder &nb, Location nl, ValueRange a) {
                         Value xh = arith::MulFOp::create(
                             nb, nl, arith::SubFOp::create(nb, nl, a[1], a[2]), a[3]);
                         return arith::MulFOp::create(nb, nl, a[0], xh).getResult();
                       });
  Value dgamma = L.sum(gx, others, false);
  Value dx = L.generic(
      xt, {g, x, mean, r, gamma, dbeta, dgamma}, {id, id, chan, chan, chan, chan, chan}, id,
      L.parallel(rank), L.empty(xt), [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value xh = arith::MulFOp::create(nb, nl, arith::SubFOp::create(nb, nl, a[1], a[2]), a[3]);
        Value t = arith::SubFOp::create(nb, nl, arith::MulFOp::create(nb, nl, a[0], cst(nb, nl, n)),
                                        a[5]);
        t = arith::SubFOp::create(nb, nl, t, arith::MulFOp::create(nb, nl, xh, a[6]));
        Value f = arith::MulFOp::create(nb, nl, a[4],
                                        arith::MulFOp::create(nb, nl, a[3], cst(nb, nl, 1.0 / n)));
        return arith::MulFOp::create(nb, nl, f, t).getResult();
      });
  L.results.push_back(dx);
  L.results.push_back(dgamma);
  L.results.push_back(dbeta);
}

static LogicalResult lowerBatchNorm(OpLowering &L) {
  Operation *op = L.op;
  BatchNorm bn(L);
  double eps = op->getAttrOfType<FloatAttr>("epsilon").getValueAsDouble();
  bool isInfer = isa<nn::BatchNormInferOp>(op), isGrad = isa<nn::BatchNormGradOp>(op);
  Value mean, var;
  if (isInfer) {
    mean = op->getOperand(1);
    var = op->getOperand(2);
  } else if (isGrad) {
    mean = op->getOperand(2);
    var = op->getOperand(3);
  } else {
    std::tie(mean, var) = bn.statistics();
  }
  Value r = bn.rsqrt(var, eps);
  Value gamma = op->getOperand(isInfer ? 3 : 1);
  if (isGrad) {
    bn.gradients(op->getOperand(4), mean, r, gamma);
    return success();
  }
  L.results.push_back(bn.normalize(mean, r, gamma, op->getOperand(isInfer ? 4 : 2)));
  if (isa<nn::BatchNormTrainOp>(op)) {
    L.results.push_back(mean);
    L.results.push_back(var);
  }
  return success();
}

void nnc::nn_to_linalg::addNormalizationLowerings(LoweringRegistry &registry) {
  registry.add<nn::BatchNormTrainOp, nn::BatchNormInferOp, nn::BatchNormGradOp>(lowerBatchNorm);
}
