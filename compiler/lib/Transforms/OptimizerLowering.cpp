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
  /// s broadcast to `t`, for a rank-0 tensor s.
  Value broadcast(RankedTensorType t, Value s) {
    return nn::BroadcastOp::create(b, loc, t, s, b.getDenseI64ArrayAttr({}));
  }
  /// x * s for a rank-0 tensor s, broadcast.
  Value scaleBy(Value x, Value s) { return mul(x, broadcast(type(x), s)); }
  /// decay · avg + (1 - decay) · x, with x built by `next` after the first term.
  Value movingAverage(Value avg, double decay, function_ref<Value()> next) {
    Value kept = scale(avg, decay);
    Value added = scale(next(), 1 - decay);
    return add(kept, added);
  }
  /// sqrt(x) + eps.
  Value sqrtPlus(Value x, double eps) {
    Value root = nn::SqrtOp::create(b, loc, x);
    Value epsilon = splat(type(x), eps);
    return add(root, epsilon);
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

/// The optimizer of the train block: its kind, its hyper-parameters and the state slots
/// each parameter needs.
struct Optimizer {
  DictionaryAttr opt;
  StringRef kind;
  double l1, lr0, wd, coupled, momentum;
  double clipNorm, clipValue; // 0: no clipping

  bool nesterov;
  SmallVector<StringRef> slots;

  bool isAdam() const { return kind == "adam" || kind == "adamw"; }
};

/// A parameter that the step updates: its argument, and its optimizer state's arguments
/// and names.
struct Trainable {
  unsigned arg;
  StringAttr name;
  SmallVector<unsigned> stateArgs;
  SmallVector<StringAttr> stateNames;
};

/// Builds `@<model>_train_step` from the gradient function, in the order: the signature,
/// the call of the gradient function, the learning rate, the bias corrections, and each
/// trainable parameter's update.
class StepBuilder {
public:
  StepBuilder(func::FuncOp grad, const Optimizer &o, DictionaryAttr sched)
      : grad(grad), o(o), sched(sched), b(grad.getContext()), loc(grad.getLoc()) {}
  LogicalResult build(StringRef name);

private:
  void addSignature();
  void callGradient();
  void clipGradients();
  FailureOr<Value> learningRate(Value t);
  void addBiasCorrections(Value t);
  LogicalResult addUpdate(Trainable &tr);
  /// The update direction of a parameter p with gradient g (p_new = p - lr · update); the
  /// optimizer's next state goes to `nextState`.
  Value direction(Builder &u, Value &p, Value g, ArrayRef<Value> state,
                  SmallVectorImpl<Value> &nextState);
  void finish(func::FuncOp step);

  func::FuncOp grad;
  const Optimizer &o;
  DictionaryAttr sched;
  OpBuilder b;
  Location loc;
  RankedTensorType scalarType;
  SmallVector<Type> argTypes;
  SmallVector<DictionaryAttr> argAttrs;
  SmallVector<Trainable> trainables;
  unsigned stepArg = 0;
  Block *entry = nullptr;
  // The results: the gradient function's own (the loss and the state updates), then the
  // new parameters, then the new optimizer state.
  SmallVector<Value> results, newParams, newStates;
  SmallVector<DictionaryAttr> resultAttrs, paramAttrs, stateAttrs;
  DenseMap<StringAttr, Value> gradOf;
  Value lrT, bc1, bc2; // the learning rate and Adam's bias corrections, rank-0 tensors
};

struct OptimizerPass : public nnc::impl::NNOptimizerBase<OptimizerPass> {
  void runOnOperation() override;
  LogicalResult build(ModuleOp module, func::FuncOp grad, DictionaryAttr train);
};

} // namespace

/// Reads the optimizer of the train block.
static FailureOr<Optimizer> readOptimizer(func::FuncOp grad, DictionaryAttr train) {
  Optimizer o;
  o.opt = train.getAs<DictionaryAttr>("optimizer");
  o.kind = kindOf(o.opt);
  if (!llvm::is_contained({"sgd", "adam", "adamw", "rmsprop", "adagrad"}, o.kind))
    return grad.emitError() << "unknown optimizer '" << o.kind << "'";
  double l2 = field(train, "l2");
  o.l1 = field(train, "l1");
  o.lr0 = field(o.opt, "lr", 1e-3);
  o.wd = field(o.opt, "weight_decay");
  o.coupled = l2 + (o.kind == "adamw" ? 0 : o.wd);
  o.momentum = field(o.opt, "momentum");
  o.nesterov = field(o.opt, "nesterov") != 0;
  o.clipNorm = field(train, "clip_norm");
  o.clipValue = field(train, "clip_value");
  if (o.kind == "sgd" && o.momentum > 0)
    o.slots = {"momentum"};
  else if (o.isAdam())
    o.slots = {"m", "v"};
  else if (o.kind == "rmsprop")
    o.slots = o.momentum > 0 ? SmallVector<StringRef>{"square_avg", "momentum"}
                             : SmallVector<StringRef>{"square_avg"};
  else if (o.kind == "adagrad")
    o.slots = {"sum"};
  return o;
}

/// The signature: the gradient function's arguments, the optimizer state, the step.
void StepBuilder::addSignature() {
  argTypes.assign(grad.getArgumentTypes().begin(), grad.getArgumentTypes().end());
  for (unsigned i = 0; i < grad.getNumArguments(); ++i)
    argAttrs.push_back(grad.getArgAttrDict(i));
  for (unsigned i = 0; i < grad.getNumArguments(); ++i) {
    auto pname = grad.getArgAttrOfType<StringAttr>(i, nn::NNDialect::kParamAttr);
    if (pname && !grad.getArgAttr(i, nn::NNDialect::kFrozenAttr))
      trainables.push_back({i, pname, {}, {}});
  }
  auto zeroInit = b.getDictionaryAttr({b.getNamedAttr("dist", b.getStringAttr("constant")),
                                       b.getNamedAttr("value", b.getF64FloatAttr(0.0))});
  for (Trainable &t : trainables) {
    for (StringRef slot : o.slots) {
      t.stateArgs.push_back(argTypes.size());
      argTypes.push_back(grad.getArgumentTypes()[t.arg]);
      std::string sname = (o.kind + "." + slot + "." + t.name.getValue()).str();
      t.stateNames.push_back(b.getStringAttr(sname));
      argAttrs.push_back(
          b.getDictionaryAttr({b.getNamedAttr(nn::NNDialect::kOptStateAttr, b.getStringAttr(sname)),
                               b.getNamedAttr(nn::NNDialect::kInitAttr, zeroInit)}));
    }
  }
  scalarType = RankedTensorType::get({}, b.getF32Type());
  stepArg = argTypes.size();
  argTypes.push_back(RankedTensorType::get({}, b.getI64Type()));
  argAttrs.push_back(
      b.getDictionaryAttr(b.getNamedAttr(nn::NNDialect::kStepAttr, b.getUnitAttr())));
}

/// Forward and backward: the gradients by parameter name, the other results kept.
void StepBuilder::callGradient() {
  SmallVector<Value> gradArgs(entry->getArguments().take_front(grad.getNumArguments()));
  auto call = func::CallOp::create(b, loc, grad, gradArgs);
  for (unsigned i = 0; i < grad.getNumResults(); ++i) {
    if (auto g = grad.getResultAttrOfType<StringAttr>(i, nn::NNDialect::kGradAttr)) {
      gradOf[g] = call.getResult(i);
      continue;
    }
    results.push_back(call.getResult(i)); // The loss and the state updates.
    resultAttrs.push_back(grad.getResultAttrDict(i));
  }
}

/// The learning rate at step `t` (an f32 scalar): the schedule after a linear warm-up.
FailureOr<Value> StepBuilder::learningRate(Value t) {
  Scalar s{b, loc};
  Value lr = s.c(o.lr0);
  StringRef skind = kindOf(sched);
  double warmup = field(sched, skind == "warmup" ? "steps" : "warmup");
  Value sinceWarmup = s.sub(t, s.c(warmup));
  Value after = s.max(sinceWarmup, s.c(0)); // Steps since the warm-up ended.
  if (skind == "step" || skind == "exponential") {
    Value gamma = s.c(field(sched, "gamma", skind == "step" ? 0.1 : 1));
    Value periods = s.floor(s.div(after, s.c(field(sched, "every", 1))));
    lr = s.mul(lr, s.pow(gamma, periods));
  } else if (skind == "cosine") {
    double total = field(sched, "steps");
    double minLr = field(sched, "min_lr");
    if (total <= 0)
      return grad.emitError("a cosine schedule needs 'steps' (the length of the run in steps)");
    Value progress = s.div(after, s.c(std::max(1.0, total - warmup)));
    Value frac = s.min(progress, s.c(1));
    Value cosv = s.cos(s.mul(frac, s.c(M_PI)));
    Value minLrV = s.c(minLr), halfRange = s.c((o.lr0 - minLr) / 2);
    lr = s.add(minLrV, s.mul(halfRange, s.add(s.c(1), cosv)));
  }
  if (warmup > 0) {
    Value one = s.c(1);
    lr = s.mul(lr, s.min(one, s.div(t, s.c(warmup))));
  }
  return lr;
}

/// Adam's bias corrections 1 - beta^t.
void StepBuilder::addBiasCorrections(Value t) {
  if (!o.isAdam())
    return;
  Scalar s{b, loc};
  auto correction = [&](double beta) {
    Value one = s.c(1);
    Value power = s.pow(s.c(beta), t);
    return tensor::FromElementsOp::create(b, loc, scalarType, ValueRange{s.sub(one, power)})
        .getResult();
  };
  bc1 = correction(field(o.opt, "beta1", 0.9));
  bc2 = correction(field(o.opt, "beta2", 0.999));
}

Value StepBuilder::direction(Builder &u, Value &p, Value g, ArrayRef<Value> state,
                             SmallVectorImpl<Value> &nextState) {
  RankedTensorType pt = u.type(p);
  if (o.kind == "sgd") {
    if (o.momentum > 0) {
      Value buf = u.add(u.scale(state[0], o.momentum), g);
      nextState.push_back(buf);
      return o.nesterov ? u.add(g, u.scale(buf, o.momentum)) : buf;
    }
    return g;
  }
  if (o.isAdam()) {
    double beta1 = field(o.opt, "beta1", 0.9), beta2 = field(o.opt, "beta2", 0.999);
    if (o.kind == "adamw")
      p = u.sub(p, u.scale(u.scaleBy(p, lrT), o.wd));
    Value m = u.movingAverage(state[0], beta1, [&] { return g; });
    Value v = u.movingAverage(state[1], beta2,
                              [&] { return nn::SquareOp::create(b, loc, g).getResult(); });
    nextState.append({m, v});
    Value mhat = u.div(m, u.broadcast(pt, bc1));
    Value vhat = u.div(v, u.broadcast(pt, bc2));
    return u.div(mhat, u.sqrtPlus(vhat, field(o.opt, "eps", 1e-8)));
  }
  if (o.kind == "rmsprop") {
    double alpha = field(o.opt, "alpha", 0.99);
    Value sq = u.movingAverage(state[0], alpha,
                               [&] { return nn::SquareOp::create(b, loc, g).getResult(); });
    nextState.push_back(sq);
    Value update = u.div(g, u.sqrtPlus(sq, field(o.opt, "eps", 1e-8)));
    if (o.momentum > 0) {
      update = u.add(u.scale(state[1], o.momentum), update);
      nextState.push_back(update);
    }
    return update;
  }
  // adagrad
  Value sum = u.add(state[0], nn::SquareOp::create(b, loc, g));
  nextState.push_back(sum);
  return u.div(g, u.sqrtPlus(sum, field(o.opt, "eps", 1e-10)));
}

/// The update of one trainable parameter, with its next optimizer state.
LogicalResult StepBuilder::addUpdate(Trainable &tr) {
  Builder u{b, loc};
  Value p = entry->getArgument(tr.arg);
  Value g = gradOf.lookup(tr.name);
  if (!g)
    return grad.emitError() << "no gradient for parameter '" << tr.name.getValue() << "'";
  Type elem = u.type(p).getElementType();
  if (cast<RankedTensorType>(lrT.getType()).getElementType() != elem) {
    // The schedule is computed in f32; a model instantiated in f64 (gradient checks) gets
    // it converted.
    auto castTo = [&](Value v) {
      return nn::CastOp::create(b, loc, RankedTensorType::get({}, elem), v).getResult();
    };
    lrT = castTo(lrT);
    if (bc1) {
      bc1 = castTo(bc1);
      bc2 = castTo(bc2);
    }
  }
  if (o.coupled != 0)
    g = u.add(g, u.scale(p, o.coupled));
  if (o.l1 != 0)
    g = u.add(g, u.scale(nn::SignOp::create(b, loc, p), o.l1));
  SmallVector<Value> state, nextState;
  for (unsigned k : tr.stateArgs)
    state.push_back(entry->getArgument(k));
  Value update = direction(u, p, g, state, nextState);
  newParams.push_back(u.sub(p, u.scaleBy(update, lrT)));
  paramAttrs.push_back(b.getDictionaryAttr(b.getNamedAttr(nn::NNDialect::kParamAttr, tr.name)));
  for (auto [k, v] : llvm::enumerate(nextState)) {
    newStates.push_back(v);
    NamedAttribute name = b.getNamedAttr(nn::NNDialect::kOptStateAttr, tr.stateNames[k]);
    stateAttrs.push_back(b.getDictionaryAttr(name));
  }
  return success();
}

/// Gradient clipping, as torch.nn.utils' clip_grad_value_ then clip_grad_norm_ do, before
/// weight decay: each element into [-clip_value, clip_value], then every gradient scaled by
/// min(1, clip_norm / (‖g‖ + 1e-6)), ‖g‖ the norm of all the trainable parameters'
/// gradients together, summed in the order of the parameters.
void StepBuilder::clipGradients() {
  Builder u{b, loc};
  // A parameter without a gradient is reported by addUpdate.
  auto hasGrad = [&](Trainable &tr) { return bool(gradOf.lookup(tr.name)); };
  if (o.clipValue > 0) {
    for (Trainable &tr : llvm::make_filter_range(trainables, hasGrad)) {
      Value &g = gradOf[tr.name];
      Value low = u.splat(u.type(g), -o.clipValue);
      Value clipped = nn::MaxOp::create(b, loc, g, low);
      Value high = u.splat(u.type(g), o.clipValue);
      g = nn::MinOp::create(b, loc, clipped, high);
    }
  }
  if (o.clipNorm <= 0 || llvm::none_of(trainables, hasGrad))
    return;
  Value total;
  for (Trainable &tr : llvm::make_filter_range(trainables, hasGrad)) {
    Value g = gradOf.lookup(tr.name);
    RankedTensorType t = u.type(g);
    SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(0, t.getRank()));
    Value square = u.mul(g, g);
    Value sum = nn::ReduceSumOp::create(b, loc, RankedTensorType::get({}, t.getElementType()),
                                        square, b.getDenseI64ArrayAttr(axes), UnitAttr());
    total = total ? u.add(total, sum) : sum;
  }
  RankedTensorType scalar = u.type(total);
  Value norm = nn::SqrtOp::create(b, loc, total);
  Value padded = u.add(norm, u.splat(scalar, 1e-6));
  Value coefficient = u.div(u.splat(scalar, o.clipNorm), padded);
  Value one = u.splat(scalar, 1.0);
  Value clamped = nn::MinOp::create(b, loc, coefficient, one);
  for (Trainable &tr : llvm::make_filter_range(trainables, hasGrad)) {
    Value &g = gradOf[tr.name];
    g = u.scaleBy(g, clamped);
  }
}

/// The return and the final signature.
void StepBuilder::finish(func::FuncOp step) {
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
}

LogicalResult StepBuilder::build(StringRef name) {
  b.setInsertionPointAfter(grad);
  addSignature();
  auto step = func::FuncOp::create(b, loc, name, b.getFunctionType(argTypes, {}));
  step->setAttr(nn::NNDialect::kModeAttr, b.getStringAttr("train"));
  entry = step.addEntryBlock();
  b.setInsertionPointToEnd(entry);
  callGradient();
  clipGradients();
  Value count = tensor::ExtractOp::create(b, loc, entry->getArgument(stepArg), ValueRange{});
  Value t = arith::SIToFPOp::create(b, loc, b.getF32Type(), count); // the step, as an f32
  FailureOr<Value> lr = learningRate(t);
  if (failed(lr))
    return failure();
  lrT = tensor::FromElementsOp::create(b, loc, scalarType, ValueRange{*lr});
  addBiasCorrections(t);
  for (Trainable &tr : trainables)
    if (failed(addUpdate(tr)))
      return failure();
  finish(step);
  return success();
}

void OptimizerPass::runOnOperation() {
  ModuleOp module = getOperation();
  auto train = module->getAttrOfType<DictionaryAttr>(nn::NNDialect::kTrainAttr);
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
  FailureOr<Optimizer> o = readOptimizer(grad, train);
  if (failed(o))
    return failure();
  return StepBuilder(grad, *o, train.getAs<DictionaryAttr>("schedule")).build(name);
}
