//===- Autodiff.cpp - Reverse-mode differentiation of the training loss ---===//
//
// `nn-autodiff` turns each training function `@f` (nn.mode = "train", an
// nn.loss result) into `@f_grad`, which also returns the gradient of every
// trainable parameter.
//
// Algorithm:
// 1. Clone `@f` into `@f_grad`.
// 2. Activity: a value is varied when it depends on a trainable parameter
//    (or an input, with wrt-inputs). Only varied float tensors get adjoints,
//    so nothing is computed for labels, masks or constants.
// 3. Tape: every scf.for whose carried values are varied is rewritten to
//    also stack its carried values, one slot per iteration (`nn.put` into an
//    extra iter_arg of type tensor<T x ...>). Nothing else is stored: the
//    reverse pass recomputes each iteration's body from its carried values.
// 4. Reverse sweep over the function body, from the loss (adjoint 1) back
//    to the parameters. Each op's vector-Jacobian product comes from
//    GradientOpInterface; an adjoint is the sum of the contributions of all
//    uses. Ops marked NoGradient stop the sweep; an active op with neither is
//    an error that names it.
// 5. A loop is reversed by a loop: iteration i of the reverse loop handles
//    forward iteration t = T-1-i. It reads the carried values of step t from
//    the tape, clones the forward body on them, and runs the same sweep over
//    the clone, seeded by the carried-state adjoints (iter_args of the reverse
//    loop). It yields the adjoints of the carried values entering step t and
//    accumulates, as further iter_args, the gradients of the outside values
//    the body reads (the weights). Nested loops work the same way: a cloned
//    inner loop is taped and reversed in turn.
//
// Memory: the tape holds T copies of each carried value (for an LSTM with
// hidden size H at batch B, 2·T·B·H floats), linear in T; the reverse loop's
// iteration recomputes one forward step, so its working set does not grow.
// A sequence the loop writes one step of per iteration (`ys[:, t, :] = h`) is not
// taped: the reverse pass never reads its value (writtenOnly).
//
//===----------------------------------------------------------------------===//

#include "nnc/Dialect/NN/NNInterfaces.h"
#include "nnc/Dialect/NN/NNOps.h"
#include "nnc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "llvm/ADT/SetVector.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Iterators.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace nnc {
#define GEN_PASS_DEF_NNAUTODIFF
#include "nnc/Transforms/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using namespace nnc;

namespace {

/// Marks a taped loop: its number of carried values (the tapes' iter_args follow them), and
/// which of them have a tape, in the tapes' order.
constexpr StringLiteral kTapeAttr = "nnc.tape";
constexpr StringLiteral kTapedAttr = "nnc.taped";

/// A carried value the body only writes one slot of (an nn.put into it, yielded in its
/// place), as a sequence output: no gradient rule reads its value (put's adjoints are the
/// slot of the result's adjoint and the rest of it), so the reverse pass does not need it and
/// it gets no tape. Taping it would keep T copies of the whole sequence.
bool writtenOnly(scf::ForOp loop, unsigned k) {
  BlockArgument arg = loop.getRegionIterArgs()[k];
  if (!arg.hasOneUse())
    return false;
  auto put = dyn_cast<nn::PutOp>(*arg.getUsers().begin());
  return put && put.getDest() == arg && put.getResult().hasOneUse() &&
         loop.getYieldedValues()[k] == put.getResult();
}

bool isFloatTensor(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && isa<FloatType>(t.getElementType());
}

Value zerosOf(OpBuilder &b, Location loc, Type type) {
  auto t = cast<RankedTensorType>(type);
  return nn::ConstantOp::create(
      b, loc, DenseElementsAttr::get(t, b.getFloatAttr(t.getElementType(), 0.0)));
}

/// The trip count of a loop with constant bounds.
std::optional<int64_t> tripCount(scf::ForOp loop) {
  std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound());
  std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound());
  std::optional<int64_t> step = getConstantIntValue(loop.getStep());
  if (!lb || !ub || !step || *step <= 0)
    return std::nullopt;
  return *ub > *lb ? (*ub - *lb + *step - 1) / *step : 0;
}

class Differentiator {
public:
  explicit Differentiator(DenseSet<Value> &varied) : varied(varied) {}

  /// Propagates "varied" forward through `block`, loops to a fixpoint.
  void propagate(Block &block);
  /// Rewrites every varied loop under `root` to stack its carried values.
  LogicalResult tape(Operation *root);
  /// The reverse sweep over `ops` (in program order), at `b`'s insertion point.
  LogicalResult reverse(ArrayRef<Operation *> ops, OpBuilder &b, DenseMap<Value, Value> &adj);

private:
  LogicalResult reverseLoop(scf::ForOp loop, OpBuilder &b, DenseMap<Value, Value> &adj);
  void accumulate(OpBuilder &b, Location loc, DenseMap<Value, Value> &adj, Value v, Value d) {
    auto [it, fresh] = adj.try_emplace(v, d);
    if (!fresh)
      it->second = nn::AddOp::create(b, loc, it->second, d);
  }

  DenseSet<Value> &varied;
};

void Differentiator::propagate(Block &block) {
  for (Operation &op : block.without_terminator()) {
    if (auto loop = dyn_cast<scf::ForOp>(op)) {
      // Carried values are varied if their init or what the body yields is; iterate.
      bool changed = true;
      while (changed) {
        changed = false;
        for (auto [init, arg] : llvm::zip(loop.getInitArgs(), loop.getRegionIterArgs()))
          if (varied.contains(init) && varied.insert(arg).second)
            changed = true;
        propagate(*loop.getBody());
        for (auto [yielded, arg] : llvm::zip(loop.getYieldedValues(), loop.getRegionIterArgs()))
          if (varied.contains(yielded) && varied.insert(arg).second)
            changed = true;
      }
      for (auto [arg, result] : llvm::zip(loop.getRegionIterArgs(), loop.getResults()))
        if (varied.contains(arg))
          varied.insert(result);
      continue;
    }
    if (nn::hasNoGradient(&op))
      continue;
    bool anyVaried = llvm::any_of(op.getOperands(), [&](Value v) { return varied.contains(v); });
    if (!anyVaried)
      continue;
    for (Value r : op.getResults())
      if (isFloatTensor(r))
        varied.insert(r);
    for (Region &region : op.getRegions())
      for (Block &inner : region)
        propagate(inner);
  }
}

LogicalResult Differentiator::tape(Operation *root) {
  SmallVector<scf::ForOp> loops;
  root->walk([&](scf::ForOp loop) {
    if (llvm::any_of(loop.getRegionIterArgs(), [&](Value v) { return varied.contains(v); }))
      loops.push_back(loop);
  });
  IRRewriter rewriter(root->getContext());
  for (scf::ForOp loop : loops) {
    std::optional<int64_t> trips = tripCount(loop);
    if (!trips)
      return loop.emitError("cannot differentiate a loop whose bounds are not constants");
    if (*trips == 0)
      continue;
    SmallVector<Value> inits;
    SmallVector<int64_t> taped;
    rewriter.setInsertionPoint(loop);
    for (auto [k, arg] : llvm::enumerate(loop.getRegionIterArgs())) {
      auto t = dyn_cast<RankedTensorType>(arg.getType());
      if (!t)
        return loop.emitError("cannot differentiate a loop that carries a non-tensor value");
      if (writtenOnly(loop, k))
        continue;
      SmallVector<int64_t> shape{*trips};
      llvm::append_range(shape, t.getShape());
      inits.push_back(zerosOf(rewriter, loop.getLoc(), t.clone(shape)));
      taped.push_back(k);
    }
    unsigned numCarried = loop.getNumRegionIterArgs();
    int64_t lb = *getConstantIntValue(loop.getLowerBound());
    int64_t step = *getConstantIntValue(loop.getStep());
    auto newLoop = loop.replaceWithAdditionalYields(
        rewriter, inits, /*replaceInitOperandUsesInLoop=*/false,
        [&](OpBuilder &b, Location loc, ArrayRef<BlockArgument> tapes) {
          // Slot (iv - lb) / step holds the carried values entering that iteration.
          Value iv = loop.getInductionVar();
          Value slot = iv;
          if (lb != 0)
            slot = arith::SubIOp::create(b, loc, slot, arith::ConstantIndexOp::create(b, loc, lb));
          if (step != 1)
            slot = arith::DivUIOp::create(b, loc, slot,
                                          arith::ConstantIndexOp::create(b, loc, step));
          SmallVector<Value> yields;
          for (auto [j, k] : llvm::enumerate(taped))
            yields.push_back(nn::PutOp::create(b, loc, tapes[j], loop.getRegionIterArgs()[k],
                                               slot, b.getI64IntegerAttr(0), UnitAttr()));
          return yields;
        });
    if (failed(newLoop))
      return loop.emitError("could not add the tape to this loop");
    Operation *op = newLoop->getOperation();
    op->setAttr(kTapeAttr, rewriter.getI64IntegerAttr(numCarried));
    op->setAttr(kTapedAttr, rewriter.getDenseI64ArrayAttr(taped));
    // The rewritten loop's carried values keep their activity.
    auto nl = cast<scf::ForOp>(op);
    for (unsigned k = 0; k < numCarried; ++k) {
      if (varied.contains(nl.getInitArgs()[k]) || varied.contains(nl.getYieldedValues()[k])) {
        varied.insert(nl.getRegionIterArgs()[k]);
        varied.insert(nl.getResult(k));
      }
    }
  }
  return success();
}

LogicalResult Differentiator::reverse(ArrayRef<Operation *> ops, OpBuilder &b,
                                      DenseMap<Value, Value> &adj) {
  for (Operation *op : llvm::reverse(ops)) {
    if (auto loop = dyn_cast<scf::ForOp>(op)) {
      if (failed(reverseLoop(loop, b, adj)))
        return failure();
      continue;
    }
    SmallVector<Value> resultAdj;
    bool any = false;
    for (Value r : op->getResults()) {
      Value a = adj.lookup(r);
      resultAdj.push_back(a);
      any |= static_cast<bool>(a);
    }
    if (!any || nn::hasNoGradient(op))
      continue;
    auto rule = dyn_cast<nn::GradientOpInterface>(op);
    if (!rule)
      return op->emitError() << "no gradient rule for '" << op->getName()
                             << "', which lies between the parameters and the loss";
    SmallVector<Value> operandAdj;
    if (failed(rule.buildVJP(b, resultAdj, operandAdj)))
      return failure();
    for (auto [operand, d] : llvm::zip(op->getOperands(), operandAdj)) {
      if (!d || !varied.contains(operand))
        continue;
      if (d.getType() != operand.getType())
        return op->emitError() << "internal error: the gradient rule of '" << op->getName()
                               << "' built an adjoint of type " << d.getType()
                               << " for an operand of type " << operand.getType();
      accumulate(b, op->getLoc(), adj, operand, d);
    }
  }
  return success();
}

LogicalResult Differentiator::reverseLoop(scf::ForOp loop, OpBuilder &b,
                                          DenseMap<Value, Value> &adj) {
  auto tapeAttr = loop->getAttrOfType<IntegerAttr>(kTapeAttr);
  unsigned numCarried = tapeAttr ? tapeAttr.getInt() : 0;
  // Only the original carried values have adjoints; the tapes are bookkeeping.
  bool any = false;
  for (unsigned k = 0; k < numCarried; ++k)
    any |= static_cast<bool>(adj.lookup(loop.getResult(k)));
  if (!tapeAttr || !any)
    return success();
  Location loc = loop.getLoc();
  int64_t trips = *tripCount(loop);
  int64_t lb = *getConstantIntValue(loop.getLowerBound());
  int64_t step = *getConstantIntValue(loop.getStep());
  Block *body = loop.getBody();

  // The varied float values from outside that the body reads: their adjoints accumulate.
  SetVector<Value> captured;
  loop->walk([&](Operation *inner) {
    for (Value v : inner->getOperands())
      if (varied.contains(v) && isFloatTensor(v) &&
          !loop->isAncestor(v.getParentRegion()->getParentOp()))
        captured.insert(v);
  });

  SmallVector<Value> inits;
  for (unsigned k = 0; k < numCarried; ++k) {
    Value a = adj.lookup(loop.getResult(k));
    inits.push_back(a ? a : zerosOf(b, loc, loop.getResult(k).getType()));
  }
  for (Value v : captured)
    inits.push_back(zerosOf(b, loc, v.getType()));
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value tripsV = arith::ConstantIndexOp::create(b, loc, trips);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  auto rev = scf::ForOp::create(b, loc, zero, tripsV, one, inits);

  OpBuilder::InsertionGuard guard(b);
  Block *rbody = rev.getBody();
  if (!rbody->empty() && rbody->back().hasTrait<OpTrait::IsTerminator>())
    rbody->back().erase();
  b.setInsertionPointToEnd(rbody);
  // Forward step t = T-1-i, and its induction value lb + t*step.
  Value t = arith::SubIOp::create(b, loc, arith::ConstantIndexOp::create(b, loc, trips - 1),
                                  rev.getInductionVar());
  Value iv = t;
  if (step != 1)
    iv = arith::MulIOp::create(b, loc, iv, arith::ConstantIndexOp::create(b, loc, step));
  if (lb != 0)
    iv = arith::AddIOp::create(b, loc, iv, arith::ConstantIndexOp::create(b, loc, lb));

  IRMapping map;
  map.map(loop.getInductionVar(), iv);
  SmallVector<Value> carriedIn;
  ArrayRef<int64_t> taped = loop->getAttrOfType<DenseI64ArrayAttr>(kTapedAttr).asArrayRef();
  for (unsigned k = 0; k < numCarried; ++k) {
    Value arg = loop.getRegionIterArgs()[k];
    // An untaped (written-only) carried value: its value is never read, zeros stand for it.
    const int64_t *slot = llvm::find(taped, int64_t(k));
    Value h = slot == taped.end()
                  ? zerosOf(b, loc, arg.getType())
                  : nn::TakeOp::create(b, loc, arg.getType(),
                                       loop.getResult(numCarried + (slot - taped.begin())), t,
                                       b.getI64IntegerAttr(0))
                        .getResult();
    map.map(arg, h);
    carriedIn.push_back(h);
    if (varied.contains(arg))
      varied.insert(h);
  }
  // Recompute the step. The tape updates of the clone are dead and get folded away.
  SmallVector<Operation *> cloned;
  for (Operation &op : body->without_terminator()) {
    Operation *c = b.clone(op, map);
    cloned.push_back(c);
    for (auto [orig, copy] : llvm::zip(op.getResults(), c->getResults()))
      if (varied.contains(orig))
        varied.insert(copy);
    // Values defined in nested regions of the clone keep the activity of the originals.
    for (auto [origRegion, copyRegion] : llvm::zip(op.getRegions(), c->getRegions())) {
      SmallVector<Value> origVals, copyVals;
      origRegion.walk([&](Operation *o) { llvm::append_range(origVals, o->getResults()); });
      copyRegion.walk([&](Operation *o) { llvm::append_range(copyVals, o->getResults()); });
      for (auto [o, cpy] : llvm::zip(origVals, copyVals))
        if (varied.contains(o))
          varied.insert(cpy);
      for (auto [ob, cb] : llvm::zip(origRegion.getBlocks(), copyRegion.getBlocks()))
        for (auto [oa, ca] : llvm::zip(ob.getArguments(), cb.getArguments()))
          if (varied.contains(oa))
            varied.insert(ca);
    }
  }

  DenseMap<Value, Value> local;
  auto yielded = cast<scf::YieldOp>(body->getTerminator()).getOperands();
  for (unsigned k = 0; k < numCarried; ++k) {
    Value y = map.lookupOrDefault(yielded[k]);
    if (varied.contains(yielded[k]) || varied.contains(y))
      accumulate(b, loc, local, y, rbody->getArgument(1 + k));
  }
  if (failed(reverse(cloned, b, local)))
    return failure();

  SmallVector<Value> yields;
  for (unsigned k = 0; k < numCarried; ++k) {
    Value a = local.lookup(carriedIn[k]);
    yields.push_back(a ? a : zerosOf(b, loc, carriedIn[k].getType()));
  }
  for (auto [j, v] : llvm::enumerate(captured)) {
    Value acc = rbody->getArgument(1 + numCarried + j);
    Value a = local.lookup(v);
    yields.push_back(a ? nn::AddOp::create(b, loc, acc, a).getResult() : acc);
  }
  scf::YieldOp::create(b, loc, yields);

  // Back outside: the adjoints flow to the initial carried values and the captured values.
  b.setInsertionPointAfter(rev);
  for (unsigned k = 0; k < numCarried; ++k) {
    Value init = loop.getInitArgs()[k];
    if (varied.contains(init))
      accumulate(b, loc, adj, init, rev.getResult(k));
  }
  for (auto [j, v] : llvm::enumerate(captured))
    accumulate(b, loc, adj, v, rev.getResult(numCarried + j));
  return success();
}

struct AutodiffPass : public nnc::impl::NNAutodiffBase<AutodiffPass> {
  using NNAutodiffBase::NNAutodiffBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> targets;
    for (auto f : module.getOps<func::FuncOp>()) {
      auto mode = f->getAttrOfType<StringAttr>(nn::NNDialect::kModeAttr);
      if (!mode || mode.getValue() != "train" || f.isExternal())
        continue;
      if (module.lookupSymbol((f.getName() + "_grad").str()))
        continue; // Already differentiated.
      targets.push_back(f);
    }
    for (func::FuncOp f : targets)
      if (failed(differentiate(f)))
        return signalPassFailure();
  }

  LogicalResult differentiate(func::FuncOp fwd);
};

} // namespace

LogicalResult AutodiffPass::differentiate(func::FuncOp fwd) {
  int lossIndex = -1;
  for (unsigned i = 0; i < fwd.getNumResults(); ++i)
    if (fwd.getResultAttr(i, nn::NNDialect::kLossAttr))
      lossIndex = i;
  if (lossIndex < 0)
    return fwd.emitError("a training function needs a result marked nn.loss to differentiate");
  auto lossType = dyn_cast<RankedTensorType>(fwd.getResultTypes()[lossIndex]);
  if (!lossType || lossType.getRank() != 0)
    return fwd.emitError() << "the loss must be a scalar (a rank-0 tensor), found "
                           << fwd.getResultTypes()[lossIndex];
  if (!fwd.getBody().hasOneBlock())
    return fwd.emitError("cannot differentiate a function with more than one block");

  OpBuilder b(fwd);
  b.setInsertionPointAfter(fwd);
  auto grad = cast<func::FuncOp>(b.clone(*fwd));
  grad.setName((fwd.getName() + "_grad").str());
  Block &entry = grad.getBody().front();
  auto ret = cast<func::ReturnOp>(entry.getTerminator());

  // Sources: trainable parameters (and inputs on request).
  DenseSet<Value> varied;
  SmallVector<std::pair<BlockArgument, StringAttr>> params, inputs;
  for (BlockArgument arg : entry.getArguments()) {
    unsigned i = arg.getArgNumber();
    if (auto name = grad.getArgAttrOfType<StringAttr>(i, nn::NNDialect::kParamAttr)) {
      if (grad.getArgAttr(i, nn::NNDialect::kFrozenAttr))
        continue;
      params.push_back({arg, name});
      varied.insert(arg);
    } else if (auto name = grad.getArgAttrOfType<StringAttr>(i, nn::NNDialect::kInputAttr)) {
      if (wrtInputs && isFloatTensor(arg)) {
        inputs.push_back({arg, name});
        varied.insert(arg);
      }
    }
  }

  Differentiator diff(varied);
  diff.propagate(entry);
  if (failed(diff.tape(grad)))
    return failure();

  SmallVector<Operation *> ops;
  for (Operation &op : entry.without_terminator())
    ops.push_back(&op);
  b.setInsertionPoint(ret);
  Location loc = ret.getLoc();
  DenseMap<Value, Value> adj;
  Value loss = ret.getOperand(lossIndex);
  if (varied.contains(loss)) {
    adj[loss] = nn::ConstantOp::create(
        b, loc, DenseElementsAttr::get(lossType, b.getFloatAttr(lossType.getElementType(), 1.0)));
    if (failed(diff.reverse(ops, b, adj)))
      return failure();
  }

  SmallVector<Value> results(ret.getOperands());
  SmallVector<DictionaryAttr> resultAttrs;
  for (unsigned i = 0; i < grad.getNumResults(); ++i)
    resultAttrs.push_back(grad.getResultAttrDict(i));
  auto addGrads = [&](ArrayRef<std::pair<BlockArgument, StringAttr>> sources, StringRef attr) {
    for (auto [arg, name] : sources) {
      Value g = adj.lookup(arg);
      results.push_back(g ? g : zerosOf(b, loc, arg.getType()));
      resultAttrs.push_back(b.getDictionaryAttr(b.getNamedAttr(attr, name)));
    }
  };
  addGrads(params, nn::NNDialect::kGradAttr);
  addGrads(inputs, nn::NNDialect::kInputGradAttr);
  func::ReturnOp::create(b, loc, results);
  ret.erase();
  SmallVector<Type> types;
  for (Value v : results)
    types.push_back(v.getType());
  grad.setFunctionType(b.getFunctionType(grad.getArgumentTypes(), types));
  grad.setAllResultAttrs(resultAttrs);
  grad.walk([](scf::ForOp loop) { loop->removeAttr(kTapeAttr); });
  // The rules build the adjoints of all operands of an op, also of those that need none (a
  // matmul's input); drop what nothing uses.
  bool changed = true;
  while (changed) {
    changed = false;
    grad.walk<WalkOrder::PostOrder, mlir::ReverseIterator>([&](Operation *op) {
      if (isOpTriviallyDead(op)) {
        op->erase();
        changed = true;
      }
    });
  }
  return success();
}
