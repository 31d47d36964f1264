//===- NNGradients.cpp - Vector-Jacobian products of the nn ops -----------===//
//
// One rule per differentiable op: given the adjoints of the results (null
// means zero), build the adjoints of the operands. The rules read the op's
// forward operands and results; the autodiff pass makes them available.
//
// Conventions that avoid the known traps:
// - Gradients that switch on a condition (relu, max, min, select, abs) use
//   nn.select rather than a multiplication by a 0/1 mask, so an infinite or
//   NaN value in the branch not taken cannot turn a zero into NaN (0 * inf).
// - Broadcasting is always explicit in the IR, so no rule here reduces a
//   gradient back to a shape: nn.broadcast's own rule does it.
// - The gradient ops (conv, pool, batch-norm and cross-entropy gradients)
//   have no rule of their own: nnc does not take second derivatives.
//
//===----------------------------------------------------------------------===//

#include "nnc/Dialect/NN/NNInterfaces.h"
#include "nnc/Dialect/NN/NNOps.h"

#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace nnc::nn;

namespace {

/// Builds ops at one location; small helpers keep the rules close to the math.
struct G {
  OpBuilder &b;
  Location loc;

  RankedTensorType type(Value v) { return cast<RankedTensorType>(v.getType()); }
  Value splat(RankedTensorType t, double v) {
    return ConstantOp::create(b, loc,
                              DenseElementsAttr::get(t, b.getFloatAttr(t.getElementType(), v)));
  }
  Value zerosLike(Value v) { return splat(type(v), 0.0); }
  Value add(Value x, Value y) { return AddOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return SubOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return MulOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return DivOp::create(b, loc, x, y); }
  Value neg(Value x) { return NegOp::create(b, loc, x); }
  Value scale(Value x, double s) { return mul(x, splat(type(x), s)); }
  Value cmp(StringRef pred, Value x, Value y) { return CmpOp::create(b, loc, pred, x, y); }
  Value select(Value c, Value x, Value y) { return SelectOp::create(b, loc, c, x, y); }
  /// Routes the adjoint `r` by the condition `c`: into `onTrue` where it holds, into `onFalse`
  /// elsewhere, each zero where the other gets it.
  void route(Value c, Value r, Value &onTrue, Value &onFalse) {
    Value zero = zerosLike(r);
    onTrue = select(c, r, zero);
    onFalse = select(c, zero, r);
  }
  Value reshape(Value x, RankedTensorType t) {
    if (x.getType() == t)
      return x;
    return ReshapeOp::create(b, loc, t, x);
  }
  /// Broadcasts `x` to `t` along the dims it maps to.
  Value broadcast(Value x, RankedTensorType t, ArrayRef<int64_t> dims) {
    if (x.getType() == t)
      return x;
    return BroadcastOp::create(b, loc, t, x, b.getDenseI64ArrayAttr(dims));
  }
  /// A rank-0 value broadcast to `t`.
  Value broadcastScalar(Value x, RankedTensorType t) { return broadcast(x, t, {}); }
  /// A 1-D per-channel value broadcast along `axis` of `t`.
  Value broadcastChannel(Value x, RankedTensorType t, int64_t axis) {
    return broadcast(x, t, {axis});
  }
  Value reduceSum(Value x, ArrayRef<int64_t> axes, bool keep) {
    RankedTensorType t = type(x);
    SmallVector<int64_t> shape;
    for (int64_t d = 0; d < t.getRank(); ++d) {
      if (!llvm::is_contained(axes, d))
        shape.push_back(t.getDimSize(d));
      else if (keep)
        shape.push_back(1);
    }
    return ReduceSumOp::create(b, loc, t.clone(shape), x, b.getDenseI64ArrayAttr(axes),
                               keep ? b.getUnitAttr() : UnitAttr());
  }
  /// Sums `x` over every axis but `axis`: the per-channel totals of batch norm.
  Value sumAllBut(Value x, int64_t axis) {
    SmallVector<int64_t> axes;
    for (int64_t d = 0; d < type(x).getRank(); ++d)
      if (d != axis)
        axes.push_back(d);
    return reduceSum(x, axes, false);
  }
};

int64_t numElements(Value v) { return cast<RankedTensorType>(v.getType()).getNumElements(); }

//===----------------------------------------------------------------------===//
// The rules. Each returns the operand adjoints in `d` (pre-sized, null).
//===----------------------------------------------------------------------===//

LogicalResult vjp(AddOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  d[0] = r[0];
  d[1] = r[0];
  return success();
}
LogicalResult vjp(SubOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  d[0] = r[0];
  d[1] = g.neg(r[0]);
  return success();
}
LogicalResult vjp(MulOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  d[0] = g.mul(r[0], op.getRhs());
  d[1] = g.mul(r[0], op.getLhs());
  return success();
}
LogicalResult vjp(DivOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  // d(a/b) = da/b - db * (a/b)/b.
  d[0] = g.div(r[0], op.getRhs());
  d[1] = g.neg(g.div(g.mul(r[0], op.getResult()), op.getRhs()));
  return success();
}
LogicalResult vjp(MaxOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  // Ties go to the left operand, as one subgradient.
  Value left = g.cmp("ge", op.getLhs(), op.getRhs());
  g.route(left, r[0], d[0], d[1]);
  return success();
}
LogicalResult vjp(MinOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  Value left = g.cmp("le", op.getLhs(), op.getRhs());
  g.route(left, r[0], d[0], d[1]);
  return success();
}
LogicalResult vjp(PowOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  // d(a^b) = b a^(b-1) da + a^b log(a) db; the second term only where the exponent varies.
  Value a = op.getLhs(), e = op.getRhs();
  Value em1 = g.sub(e, g.splat(g.type(e), 1.0));
  d[0] = g.mul(r[0], g.mul(e, PowOp::create(g.b, g.loc, a, em1)));
  d[1] = g.mul(r[0], g.mul(op.getResult(), LogOp::create(g.b, g.loc, a)));
  return success();
}
LogicalResult vjp(NegOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  d[0] = g.neg(r[0]);
  return success();
}
LogicalResult vjp(ExpOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  d[0] = g.mul(r[0], op.getResult());
  return success();
}
LogicalResult vjp(LogOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  d[0] = g.div(r[0], op.getInput());
  return success();
}
LogicalResult vjp(TanhOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  Value y = op.getResult();
  // Each operand is built in its own statement: the order of function arguments is
  // unspecified, and the IR must not depend on the compiler.
  Value one = g.splat(g.type(y), 1.0);
  Value square = g.mul(y, y);
  d[0] = g.mul(r[0], g.sub(one, square));
  return success();
}
LogicalResult vjp(SigmoidOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  Value y = op.getResult();
  d[0] = g.mul(r[0], g.mul(y, g.sub(g.splat(g.type(y), 1.0), y)));
  return success();
}
LogicalResult vjp(ReluOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  // y > 0 exactly where x > 0: masking by the output leaves the input's only use the relu,
  // so that the op computing it (a bias add) fuses with the relu into one pass.
  Value y = op.getResult();
  Value positive = g.cmp("gt", y, g.zerosLike(y));
  d[0] = g.select(positive, r[0], g.zerosLike(r[0]));
  return success();
}
LogicalResult vjp(SqrtOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  d[0] = g.div(g.scale(r[0], 0.5), op.getResult());
  return success();
}
LogicalResult vjp(RsqrtOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  // d(x^-1/2) = -1/2 x^-3/2 = -1/2 y^3.
  Value y = op.getResult();
  Value half = g.scale(r[0], -0.5);
  d[0] = g.mul(half, g.mul(y, g.mul(y, y)));
  return success();
}
LogicalResult vjp(AbsOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  Value x = op.getInput();
  Value negative = g.cmp("lt", x, g.zerosLike(x));
  d[0] = g.select(negative, g.neg(r[0]), r[0]);
  return success();
}
LogicalResult vjp(SquareOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  d[0] = g.mul(g.scale(r[0], 2.0), op.getInput());
  return success();
}
LogicalResult vjp(SelectOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  g.route(op.getCondition(), r[0], d[1], d[2]);
  return success();
}
LogicalResult vjp(CastOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  // Only float-to-float casts carry a gradient; integers and bools are constants of the
  // backward pass.
  auto in = g.type(op.getInput());
  if (isa<FloatType>(in.getElementType()) && isa<FloatType>(g.type(r[0]).getElementType()))
    d[0] = CastOp::create(g.b, g.loc, in, r[0]);
  return success();
}
LogicalResult vjp(MatmulOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  // C = A' B' with A' = ta ? Aᵀ : A and B' = tb ? Bᵀ : B.
  // dA' = dC B'ᵀ, dB' = A'ᵀ dC; transpose back where the operand was transposed.
  Value a = op.getLhs(), bm = op.getRhs(), dc = r[0];
  bool ta = op.getTransposeA(), tb = op.getTransposeB();
  auto mm = [&](RankedTensorType t, Value x, Value y, bool tx, bool ty) -> Value {
    return MatmulOp::create(g.b, g.loc, t, x, y, tx, ty);
  };
  RankedTensorType at = g.type(a), bt = g.type(bm);
  d[0] = !ta ? (!tb ? mm(at, dc, bm, false, true) : mm(at, dc, bm, false, false))
             : (!tb ? mm(at, bm, dc, false, true) : mm(at, bm, dc, true, true));
  d[1] = !tb ? (!ta ? mm(bt, a, dc, true, false) : mm(bt, a, dc, false, false))
             : (!ta ? mm(bt, dc, a, true, false) : mm(bt, dc, a, true, true));
  return success();
}
LogicalResult vjp(BroadcastOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  // Sum over the result dims the operand does not have, and over those it has with size 1.
  RankedTensorType in = g.type(op.getInput()), out = g.type(op.getResult());
  ArrayRef<int64_t> dims = op.getDims();
  SmallVector<int64_t> axes;
  for (int64_t rd = 0; rd < out.getRank(); ++rd) {
    auto it = llvm::find(dims, rd);
    if (it == dims.end())
      axes.push_back(rd);
    else if (in.getDimSize(it - dims.begin()) == 1 && out.getDimSize(rd) != 1)
      axes.push_back(rd);
  }
  Value sum = axes.empty() ? r[0] : g.reduceSum(r[0], axes, false);
  d[0] = g.reshape(sum, in);
  return success();
}
/// The gradient of a reduction, before scaling: the result adjoint spread over the input.
Value spreadReduction(G &g, Value input, Value result, ArrayRef<int64_t> axes, bool keep,
                      Value adj) {
  RankedTensorType in = g.type(input);
  SmallVector<int64_t> keptShape(in.getShape());
  for (int64_t a : axes)
    keptShape[a] = 1;
  Value kept = g.reshape(adj, in.clone(keptShape));
  SmallVector<int64_t> identity;
  for (int64_t dd = 0; dd < in.getRank(); ++dd)
    identity.push_back(dd);
  return g.broadcast(kept, in, identity);
}
LogicalResult vjp(ReduceSumOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  d[0] = spreadReduction(g, op.getInput(), op.getResult(), op.getAxes(), op.getKeepDims(), r[0]);
  return success();
}
LogicalResult vjp(ReduceMeanOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  double n = double(numElements(op.getInput())) / double(numElements(op.getResult()));
  d[0] = g.scale(
      spreadReduction(g, op.getInput(), op.getResult(), op.getAxes(), op.getKeepDims(), r[0]),
      1.0 / n);
  return success();
}
LogicalResult vjp(ReduceMaxOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  // Every position equal to the maximum receives the gradient.
  Value x = op.getInput();
  Value maxSpread =
      spreadReduction(g, x, op.getResult(), op.getAxes(), op.getKeepDims(), op.getResult());
  Value adjSpread = spreadReduction(g, x, op.getResult(), op.getAxes(), op.getKeepDims(), r[0]);
  Value isMax = g.cmp("eq", x, maxSpread);
  d[0] = g.select(isMax, adjSpread, g.zerosLike(x));
  return success();
}
LogicalResult vjp(ReshapeOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  d[0] = g.reshape(r[0], g.type(op.getInput()));
  return success();
}
LogicalResult vjp(TransposeOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  ArrayRef<int64_t> perm = op.getPerm();
  SmallVector<int64_t> inverse(perm.size());
  for (size_t i = 0; i < perm.size(); ++i)
    inverse[perm[i]] = i;
  d[0] = TransposeOp::create(g.b, g.loc, g.type(op.getInput()), r[0],
                             g.b.getDenseI64ArrayAttr(inverse));
  return success();
}
LogicalResult vjp(SliceOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  d[0] = InsertSliceOp::create(g.b, g.loc, g.zerosLike(op.getInput()), r[0],
                               op.getOffsetsAttr(), op.getStridesAttr());
  return success();
}
LogicalResult vjp(InsertSliceOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  d[0] = InsertSliceOp::create(g.b, g.loc, r[0], g.zerosLike(op.getSrc()),
                               op.getOffsetsAttr(), op.getStridesAttr());
  d[1] = SliceOp::create(g.b, g.loc, g.type(op.getSrc()), r[0], op.getOffsetsAttr(),
                         g.b.getDenseI64ArrayAttr(g.type(op.getSrc()).getShape()),
                         op.getStridesAttr());
  return success();
}
LogicalResult vjp(TakeOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  d[0] = PutOp::create(g.b, g.loc, g.zerosLike(op.getInput()), r[0], op.getIndex(),
                       op.getAxisAttr(), UnitAttr());
  return success();
}
LogicalResult vjp(PutOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  d[0] = op.getAccumulate()
             ? r[0]
             : PutOp::create(g.b, g.loc, r[0], g.zerosLike(op.getSrc()), op.getIndex(),
                             op.getAxisAttr(), UnitAttr()).getResult();
  d[1] = TakeOp::create(g.b, g.loc, g.type(op.getSrc()), r[0], op.getIndex(), op.getAxisAttr());
  return success();
}
LogicalResult vjp(GatherOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  // The rows' adjoints added back at their ids; the ids (integers) have no adjoint.
  d[0] = ScatterAddOp::create(g.b, g.loc, g.type(op.getTable()), r[0], op.getIds());
  return success();
}
LogicalResult vjp(ConcatOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  int64_t axis = op.getAxisAttr().getInt();
  RankedTensorType out = g.type(op.getResult());
  int64_t offset = 0;
  for (auto [i, in] : llvm::enumerate(op.getInputs())) {
    RankedTensorType t = g.type(in);
    SmallVector<int64_t> offsets(out.getRank(), 0), strides(out.getRank(), 1);
    offsets[axis] = offset;
    d[i] = SliceOp::create(g.b, g.loc, t, r[0], g.b.getDenseI64ArrayAttr(offsets),
                           g.b.getDenseI64ArrayAttr(t.getShape()),
                           g.b.getDenseI64ArrayAttr(strides));
    offset += t.getDimSize(axis);
  }
  return success();
}
LogicalResult vjp(SoftmaxOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  // dx = y * (dy - sum(dy * y)).
  int64_t axis = op.getAxisAttr().getInt();
  Value y = op.getResult();
  Value s = g.reduceSum(g.mul(r[0], y), {axis}, true);
  SmallVector<int64_t> identity;
  for (int64_t dd = 0; dd < g.type(y).getRank(); ++dd)
    identity.push_back(dd);
  d[0] = g.mul(y, g.sub(r[0], g.broadcast(s, g.type(y), identity)));
  return success();
}
LogicalResult vjp(LogSoftmaxOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  // dx = dy - softmax(x) * sum(dy).
  int64_t axis = op.getAxisAttr().getInt();
  Value y = op.getResult();
  Value s = g.reduceSum(r[0], {axis}, true);
  SmallVector<int64_t> identity;
  for (int64_t dd = 0; dd < g.type(y).getRank(); ++dd)
    identity.push_back(dd);
  Value p = ExpOp::create(g.b, g.loc, y);
  d[0] = g.sub(r[0], g.mul(p, g.broadcast(s, g.type(y), identity)));
  return success();
}
LogicalResult vjp(CrossEntropyOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  d[0] = CrossEntropyGradOp::create(g.b, g.loc, g.type(op.getLogits()), op.getLogits(),
                                    op.getLabels(), r[0]);
  return success();
}
LogicalResult vjp(MseOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  // d mean((p - t)^2) = 2 (p - t) / N.
  RankedTensorType t = g.type(op.getPred());
  Value diff = g.sub(op.getPred(), op.getTarget());
  Value scaled = g.scale(g.broadcastScalar(r[0], t), 2.0 / double(t.getNumElements()));
  d[0] = g.mul(diff, scaled);
  d[1] = g.neg(d[0]);
  return success();
}
LogicalResult vjp(Conv2dOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  d[0] = Conv2dGradInputOp::create(g.b, g.loc, g.type(op.getInput()), r[0], op.getFilter(),
                                   op.getStridesAttr(), op.getPaddingAttr(),
                                   op.getDilationsAttr(), op.getGroupsAttr());
  d[1] = Conv2dGradFilterOp::create(g.b, g.loc, g.type(op.getFilter()), op.getInput(), r[0],
                                    op.getStridesAttr(), op.getPaddingAttr(),
                                    op.getDilationsAttr(), op.getGroupsAttr());
  return success();
}
LogicalResult vjp(MaxPool2dOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  d[0] = MaxPool2dGradOp::create(g.b, g.loc, g.type(op.getInput()), op.getInput(), r[0],
                                 op.getKernelAttr(), op.getStridesAttr(), op.getPaddingAttr());
  return success();
}
LogicalResult vjp(AvgPool2dOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  d[0] = AvgPool2dGradOp::create(g.b, g.loc, g.type(op.getInput()), r[0], op.getKernelAttr(),
                                 op.getStridesAttr(), op.getPaddingAttr());
  return success();
}
LogicalResult vjp(BatchNormTrainOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  Value x = op.getInput();
  RankedTensorType xt = g.type(x);
  int64_t axis = op.getAxisAttr().getInt();
  double n = double(xt.getNumElements()) / double(xt.getDimSize(axis));
  if (r[0]) {
    auto grad = BatchNormGradOp::create(g.b, g.loc, xt, g.type(op.getGamma()),
                                        g.type(op.getGamma()), x, op.getGamma(), op.getMean(),
                                        op.getVar(), r[0], op.getEpsilonAttr(), op.getAxisAttr());
    d[0] = grad.getDinput();
    d[1] = grad.getDgamma();
    d[2] = grad.getDbeta();
  }
  // The batch statistics are results too (the running statistics read them).
  auto accumulate = [&](Value v) { d[0] = d[0] ? g.add(d[0], v) : v; };
  if (r[1])
    accumulate(g.scale(g.broadcastChannel(r[1], xt, axis), 1.0 / n));
  if (r[2]) {
    Value centered = g.sub(x, g.broadcastChannel(op.getMean(), xt, axis));
    accumulate(g.mul(g.scale(g.broadcastChannel(r[2], xt, axis), 2.0 / n), centered));
  }
  return success();
}
LogicalResult vjp(BatchNormInferOp op, G &g, ArrayRef<Value> r, SmallVectorImpl<Value> &d) {
  // y = (x - m) * s * gamma + beta with s = (v + eps)^-1/2.
  Value x = op.getInput();
  RankedTensorType xt = g.type(x), ct = g.type(op.getVar());
  int64_t axis = op.getAxisAttr().getInt();
  double eps = op.getEpsilon().convertToDouble();
  Value s = RsqrtOp::create(g.b, g.loc, g.add(op.getVar(), g.splat(ct, eps)));
  Value gs = g.mul(op.getGamma(), s);
  Value centered = g.sub(x, g.broadcastChannel(op.getMean(), xt, axis));
  Value dySum = g.sumAllBut(r[0], axis);
  Value dyCentered = g.sumAllBut(g.mul(r[0], centered), axis);
  d[0] = g.mul(r[0], g.broadcastChannel(gs, xt, axis));
  d[1] = g.neg(g.mul(dySum, gs));
  // dv = sum(dy (x - m)) gamma (-1/2) s^3.
  Value halfDy = g.scale(dyCentered, -0.5);
  d[2] = g.mul(halfDy, g.mul(op.getGamma(), g.mul(s, g.mul(s, s))));
  d[3] = g.mul(dyCentered, s);
  d[4] = dySum;
  return success();
}

/// Attaches one rule to one op class.
template <typename OpT>
struct Rule : GradientOpInterface::ExternalModel<Rule<OpT>, OpT> {
  LogicalResult buildVJP(Operation *op, OpBuilder &builder, ArrayRef<Value> resultAdjoints,
                         SmallVectorImpl<Value> &operandAdjoints) const {
    operandAdjoints.assign(op->getNumOperands(), Value());
    G g{builder, op->getLoc()};
    return vjp(cast<OpT>(op), g, resultAdjoints, operandAdjoints);
  }
};

template <typename... Ops>
void attach(MLIRContext *ctx) {
  (Ops::template attachInterface<Rule<Ops>>(*ctx), ...);
}

} // namespace

#include "nnc/Dialect/NN/NNInterfaces.cpp.inc"

void nnc::nn::attachGradientRules(MLIRContext *ctx) {
  attach<AddOp, SubOp, MulOp, DivOp, MaxOp, MinOp, PowOp, NegOp, ExpOp, LogOp, TanhOp,
         SigmoidOp, ReluOp, SqrtOp, RsqrtOp, AbsOp, SquareOp, SelectOp, CastOp, MatmulOp,
         BroadcastOp, ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReshapeOp, TransposeOp, SliceOp,
         InsertSliceOp, TakeOp, PutOp, GatherOp, ConcatOp, SoftmaxOp, LogSoftmaxOp, CrossEntropyOp, MseOp,
         Conv2dOp, MaxPool2dOp, AvgPool2dOp, BatchNormTrainOp, BatchNormInferOp>(ctx);
}
