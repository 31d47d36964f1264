//===- OptimizerLowering.cpp - The training step: gradients + updates -----===//
//
// `nn-optimizer` builds `@<model>_train_step` from the gradient function `@<model>_loss_grad`
// (nn-autodiff) and the train block recorded on the module (`nn.train`): one function that
// runs forward, backward and the parameter update, as the JIT driver and the AOT trainer
// call it once per batch.
//
//   train_step(inputs, labels, params, state, [rng], opt_state, step)
//     -> (loss, new state, new params, new opt_state)
//
// The step counter `step` (an i64 scalar, 1 for the first step, so that it never stops
// advancing as an f32 would at 2^24) drives, converted to f32, Adam's bias correction and
// the learning-rate schedule, both evaluated inside the step. Optimizer state
// (momentum buffers, moment estimates) is a list of arguments with their results, named
// `<kind>.<slot>.<param>` and zero-initialized. Frozen parameters take no update and no
// state: they pass through unchanged and are not results.
//
// Updates follow PyTorch's optimizers exactly (torch.optim.SGD with momentum and Nesterov,
// Adam, AdamW, RMSprop, Adagrad), so that a step of nnc and a step of PyTorch agree:
//   g' = g + (l2 + weight_decay) · p + l1 · sign(p)   (coupled decay; AdamW decouples its own)
// The learning rate at step t: a linear warm-up over `warmup` steps, then the schedule.
//
//===----------------------------------------------------------------------===//

#include "nnc/Dialect/NN/NNOps.h"
#include "nnc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace nnc {
#define GEN_PASS_DEF_NNOPTIMIZER
#include "nnc/Transforms/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using namespace nnc;

namespace {

/// Reads a number or bool of a record of the train block.
double field(DictionaryAttr rec, StringRef name, double def = 0) {
  if (!rec)
    return def;
  Attribute a = rec.get(name);
  if (auto f = dyn_cast_or_null<FloatAttr>(a))
    return f.getValueAsDouble();
  if (auto i = dyn_cast_or_null<IntegerAttr>(a))
    return double(i.getValue().getSExtValue());
  if (auto b = dyn_cast_or_null<BoolAttr>(a))
    return b.getValue() ? 1 : 0;
  return def;
}

StringRef kindOf(DictionaryAttr rec) {
  auto k = rec ? rec.getAs<StringAttr>("kind") : StringAttr();
  return k ? k.getValue() : StringRef();
}

/// Builds tensor arithmetic for one parameter's update.
struct Builder {
  OpBuilder &b;
  Location loc;

  RankedTensorType type(Value v) { return cast<RankedTensorType>(v.getType()); }
  Value splat(RankedTensorType t, double v) {
    return nn::ConstantOp::create(b, loc,
                                  DenseElementsAttr::get(t, b.getFloatAttr(t.getElementType(), v)));
  }
  Value add(Value x, Value y) { return nn::AddOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return nn::SubOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return nn::MulOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return nn::DivOp::create(b, loc, x, y); }
  Value scale(Value x, double s) { return s == 1 ? x : mul(x, splat(type(x), s)); }
  /// x * s for a rank-0 tensor s, broadcast.
  Value scaleBy(Value x, Value s) {
    return mul(x, nn::BroadcastOp::create(b, loc, type(x), s, b.getDenseI64ArrayAttr({})));
  }
};

/// Scalar arithmetic of the schedule, on f32 values extracted from rank-0 tensors.
struct Scalar {
  OpBuilder &b;
  Location loc;
  Value c(double v) { return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v)); }
  Value add(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubFOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return arith::DivFOp::create(b, loc, x, y); }
  Value min(Value x, Value y) { return arith::MinimumFOp::create(b, loc, x, y); }
  Value max(Value x, Value y) { return arith::MaximumFOp::create(b, loc, x, y); }
  Value pow(Value x, Value y) { return math::PowFOp::create(b, loc, x, y); }
  Value floor(Value x) { return math::FloorOp::create(b, loc, x); }
  Value cos(Value x) { return math::CosOp::create(b, loc, x); }
};

struct OptimizerPass : public nnc::impl::NNOptimizerBase<OptimizerPass> {
  void runOnOperation() override;
  LogicalResult build(ModuleOp module, func::FuncOp grad, DictionaryAttr train);
};

} // namespace

void OptimizerPass::runOnOperation() {
  ModuleOp module = getOperation();
  auto train = module->getAttrOfType<DictionaryAttr>("nn.train");
  SmallVector<func::FuncOp> grads;
  for (auto f : module.getOps<func::FuncOp>())
    if (f.getName().ends_with("_loss_grad"))
      grads.push_back(f);
  if (grads.empty())
    return; // Nothing to train (no train block, or autodiff has not run).
  if (!train) {
    module.emitError("nn-optimizer needs the train block ('nn.train' on the module)");
    return signalPassFailure();
  }
  for (func::FuncOp g : grads)
    if (failed(build(module, g, train)))
      return signalPassFailure();
}

LogicalResult OptimizerPass::build(ModuleOp module, func::FuncOp grad, DictionaryAttr train) {
  StringRef base = grad.getName().drop_back(strlen("_loss_grad"));
  std::string name = (base + "_train_step").str();
  if (module.lookupSymbol(name))
    return success();
  auto opt = train.getAs<DictionaryAttr>("optimizer");
  StringRef kind = kindOf(opt);
  if (!llvm::is_contained({"sgd", "adam", "adamw", "rmsprop", "adagrad"}, kind))
    return grad.emitError() << "unknown optimizer '" << kind << "'";
  auto sched = train.getAs<DictionaryAttr>("schedule");
  double l1 = field(train, "l1"), l2 = field(train, "l2");
  double lr0 = field(opt, "lr", 1e-3), wd = field(opt, "weight_decay");
  double coupled = l2 + (kind == "adamw" ? 0 : wd);
  double momentum = field(opt, "momentum");
  bool nesterov = field(opt, "nesterov") != 0;

  // Which state slots each parameter needs.
  SmallVector<StringRef> slots;
  if (kind == "sgd" && momentum > 0)
    slots = {"momentum"};
  else if (kind == "adam" || kind == "adamw")
    slots = {"m", "v"};
  else if (kind == "rmsprop")
    slots = momentum > 0 ? SmallVector<StringRef>{"square_avg", "momentum"}
                         : SmallVector<StringRef>{"square_avg"};
  else if (kind == "adagrad")
    slots = {"sum"};

  // The signature: the gradient function's arguments, the optimizer state, the step.
  OpBuilder b(module.getContext());
  b.setInsertionPointAfter(grad);
  Location loc = grad.getLoc();
  SmallVector<Type> argTypes(grad.getArgumentTypes());
  SmallVector<DictionaryAttr> argAttrs;
  for (unsigned i = 0; i < grad.getNumArguments(); ++i)
    argAttrs.push_back(grad.getArgAttrDict(i));
  struct Trainable {
    unsigned arg;
    StringAttr name;
    SmallVector<unsigned> stateArgs;
    SmallVector<StringAttr> stateNames;
  };
  SmallVector<Trainable> trainables;
  for (unsigned i = 0; i < grad.getNumArguments(); ++i) {
    auto pname = grad.getArgAttrOfType<StringAttr>(i, nn::NNDialect::kParamAttr);
    if (pname && !grad.getArgAttr(i, nn::NNDialect::kFrozenAttr))
      trainables.push_back({i, pname, {}});
  }
  auto zeroInit = b.getDictionaryAttr({b.getNamedAttr("dist", b.getStringAttr("constant")),
                                       b.getNamedAttr("value", b.getF64FloatAttr(0.0))});
  for (Trainable &t : trainables) {
    for (StringRef slot : slots) {
      t.stateArgs.push_back(argTypes.size());
      argTypes.push_back(grad.getArgumentTypes()[t.arg]);
      std::string sname = (kind + "." + slot + "." + t.name.getValue()).str();
      t.stateNames.push_back(b.getStringAttr(sname));
      argAttrs.push_back(
          b.getDictionaryAttr({b.getNamedAttr("nn.opt_state", b.getStringAttr(sname)),
                               b.getNamedAttr(nn::NNDialect::kInitAttr, zeroInit)}));
    }
  }
  auto f32 = b.getF32Type();
  auto scalarType = RankedTensorType::get({}, f32);
  unsigned stepArg = argTypes.size();
  argTypes.push_back(RankedTensorType::get({}, b.getI64Type()));
  argAttrs.push_back(b.getDictionaryAttr(b.getNamedAttr("nn.step", b.getUnitAttr())));

  auto step = func::FuncOp::create(b, loc, name, b.getFunctionType(argTypes, {}));
  step->setAttr(nn::NNDialect::kModeAttr, b.getStringAttr("train"));
  Block *entry = step.addEntryBlock();
  b.setInsertionPointToEnd(entry);

  // Forward and backward.
  SmallVector<Value> gradArgs(entry->getArguments().take_front(grad.getNumArguments()));
  auto call = func::CallOp::create(b, loc, grad, gradArgs);
  SmallVector<Value> results;
  SmallVector<DictionaryAttr> resultAttrs;
  DenseMap<StringAttr, Value> gradOf;
  for (unsigned i = 0; i < grad.getNumResults(); ++i) {
    if (auto g = grad.getResultAttrOfType<StringAttr>(i, "nn.grad")) {
      gradOf[g] = call.getResult(i);
      continue;
    }
    results.push_back(call.getResult(i)); // The loss and the state updates.
    resultAttrs.push_back(grad.getResultAttrDict(i));
  }

  // The learning rate at this step, as a rank-0 tensor.
  Scalar s{b, loc};
  Value count = tensor::ExtractOp::create(b, loc, entry->getArgument(stepArg), ValueRange{});
  Value t = arith::SIToFPOp::create(b, loc, f32, count);
  Value lr = s.c(lr0);
  StringRef skind = kindOf(sched);
  double warmup = field(sched, skind == "warmup" ? "steps" : "warmup");
  Value after = s.max(s.sub(t, s.c(warmup)), s.c(0)); // Steps since the warm-up ended.
  if (skind == "step") {
    lr = s.mul(lr, s.pow(s.c(field(sched, "gamma", 0.1)),
                         s.floor(s.div(after, s.c(field(sched, "every", 1))))));
  } else if (skind == "exponential") {
    lr = s.mul(lr, s.pow(s.c(field(sched, "gamma", 1)),
                         s.floor(s.div(after, s.c(field(sched, "every", 1))))));
  } else if (skind == "cosine") {
    double total = field(sched, "steps");
    double minLr = field(sched, "min_lr");
    if (total <= 0)
      return grad.emitError("a cosine schedule needs 'steps' (the length of the run in steps)");
    Value frac = s.min(s.div(after, s.c(std::max(1.0, total - warmup))), s.c(1));
    Value cosv = s.cos(s.mul(frac, s.c(M_PI)));
    lr = s.add(s.c(minLr), s.mul(s.c((lr0 - minLr) / 2), s.add(s.c(1), cosv)));
  }
  if (warmup > 0)
    lr = s.mul(lr, s.min(s.c(1), s.div(t, s.c(warmup))));
  Value lrT = tensor::FromElementsOp::create(b, loc, scalarType, ValueRange{lr});

  // Adam's bias corrections 1 - beta^t.
  Value bc1, bc2;
  double beta1 = field(opt, "beta1", 0.9), beta2 = field(opt, "beta2", 0.999);
  if (kind == "adam" || kind == "adamw") {
    bc1 = tensor::FromElementsOp::create(b, loc, scalarType,
                                         ValueRange{s.sub(s.c(1), s.pow(s.c(beta1), t))});
    bc2 = tensor::FromElementsOp::create(b, loc, scalarType,
                                         ValueRange{s.sub(s.c(1), s.pow(s.c(beta2), t))});
  }

  SmallVector<Value> newParams, newStates;
  SmallVector<DictionaryAttr> paramAttrs, stateAttrs;
  for (Trainable &tr : trainables) {
    Builder u{b, loc};
    Value p = entry->getArgument(tr.arg);
    Value g = gradOf.lookup(tr.name);
    if (!g)
      return grad.emitError() << "no gradient for parameter '" << tr.name.getValue() << "'";
    RankedTensorType pt = u.type(p);
    Type elem = pt.getElementType();
    if (cast<RankedTensorType>(lrT.getType()).getElementType() != elem) {
      // The schedule is computed in f32; a model instantiated in f64 (gradient checks)
      // gets it converted.
      auto castTo = [&](Value v) {
        return nn::CastOp::create(b, loc, RankedTensorType::get({}, elem), v).getResult();
      };
      lrT = castTo(lrT);
      if (bc1) {
        bc1 = castTo(bc1);
        bc2 = castTo(bc2);
      }
    }
    if (coupled != 0)
      g = u.add(g, u.scale(p, coupled));
    if (l1 != 0)
      g = u.add(g, u.scale(nn::SignOp::create(b, loc, p), l1));
    auto state = [&](unsigned k) { return entry->getArgument(tr.stateArgs[k]); };
    SmallVector<Value> nextState;
    Value update; // p_new = p - lr * update
    if (kind == "sgd") {
      if (momentum > 0) {
        Value buf = u.add(u.scale(state(0), momentum), g);
        nextState.push_back(buf);
        update = nesterov ? u.add(g, u.scale(buf, momentum)) : buf;
      } else {
        update = g;
      }
    } else if (kind == "adam" || kind == "adamw") {
      if (kind == "adamw")
        p = u.sub(p, u.scale(u.scaleBy(p, lrT), wd));
      Value m = u.add(u.scale(state(0), beta1), u.scale(g, 1 - beta1));
      Value v = u.add(u.scale(state(1), beta2), u.scale(nn::SquareOp::create(b, loc, g), 1 - beta2));
      nextState = {m, v};
      Value mhat = u.div(m, nn::BroadcastOp::create(b, loc, pt, bc1, b.getDenseI64ArrayAttr({})));
      Value vhat = u.div(v, nn::BroadcastOp::create(b, loc, pt, bc2, b.getDenseI64ArrayAttr({})));
      Value denom = u.add(nn::SqrtOp::create(b, loc, vhat), u.splat(pt, field(opt, "eps", 1e-8)));
      update = u.div(mhat, denom);
    } else if (kind == "rmsprop") {
      double alpha = field(opt, "alpha", 0.99);
      Value sq = u.add(u.scale(state(0), alpha), u.scale(nn::SquareOp::create(b, loc, g), 1 - alpha));
      nextState.push_back(sq);
      Value denom = u.add(nn::SqrtOp::create(b, loc, sq), u.splat(pt, field(opt, "eps", 1e-8)));
      update = u.div(g, denom);
      if (momentum > 0) {
        Value buf = u.add(u.scale(state(1), momentum), update);
        nextState.push_back(buf);
        update = buf;
      }
    } else { // adagrad
      Value sum = u.add(state(0), nn::SquareOp::create(b, loc, g));
      nextState.push_back(sum);
      Value denom = u.add(nn::SqrtOp::create(b, loc, sum), u.splat(pt, field(opt, "eps", 1e-10)));
      update = u.div(g, denom);
    }
    newParams.push_back(u.sub(p, u.scaleBy(update, lrT)));
    paramAttrs.push_back(b.getDictionaryAttr(b.getNamedAttr(nn::NNDialect::kParamAttr, tr.name)));
    for (auto [k, v] : llvm::enumerate(nextState)) {
      newStates.push_back(v);
      stateAttrs.push_back(b.getDictionaryAttr(
          b.getNamedAttr("nn.opt_state", tr.stateNames[k])));
    }
  }
  llvm::append_range(results, newParams);
  llvm::append_range(resultAttrs, paramAttrs);
  llvm::append_range(results, newStates);
  llvm::append_range(resultAttrs, stateAttrs);
  func::ReturnOp::create(b, loc, results);
  SmallVector<Type> resultTypes;
  for (Value v : results)
    resultTypes.push_back(v.getType());
  step.setFunctionType(b.getFunctionType(argTypes, resultTypes));
  step.setAllArgAttrs(argAttrs);
  step.setAllResultAttrs(resultAttrs);
  return success();
}
