//===- Evaluator.cpp - The reference evaluator of the nn dialect ----------===//
//
// Why this exists: nnc needs an oracle. Autodiff is checked by comparing its
// gradients with finite differences computed by evaluating the forward
// function in f64 here, and every compiled stage (linalg, bufferized, LLVM)
// is tested against the results of this file on the same inputs. An oracle
// must be easy to trust, so each op is a naive loop nest written straight
// from its definition in docs/dialect.md, with no sharing of tricks with the
// lowering.
//
// How it works: a function is run op by op over an environment that maps
// SSA values to Tensors. Before an op runs, its result tensors are allocated
// from the result types; the op's handler fills them in, computing in double;
// then every float result is rounded to its element type (so f32 IR behaves
// like f32 code, op by op) and every integer result is wrapped to its width.
// Regions (scf.for, scf.if) and calls (func.call) recurse into the same
// machinery. Ops are recognised by name: each op family (one file each,
// ElementwiseOps.cpp to ControlFlowOps.cpp) registers its handlers in a
// table keyed by operation name, and this file looks each op up in it.
// Attributes are read by name, so a handler needs no more of the dialect's
// op classes than their names.
//
// Anything the evaluator cannot do, or input that makes an op meaningless
// (a label outside [0, C), an out-of-range nn.take index, inconsistent
// shapes in unverified IR), is reported with emitError at the op's location.
//
//===----------------------------------------------------------------------===//

#include "EvaluatorInternal.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;

namespace nnc::eval {

//===----------------------------------------------------------------------===//
// The registry
//===----------------------------------------------------------------------===//

void OpRegistry::add(StringRef name, SimpleHandler handler) {
  auto run = [handler = std::move(handler)](Operation *op, Inputs in, Outputs out, Interpreter &,
                                            Env &) { return handler(op, in, out); };
  addWithRegions(name, std::move(run));
}

void OpRegistry::add(std::initializer_list<StringRef> names, const SimpleHandler &handler) {
  for (StringRef name : names)
    add(name, handler);
}

void OpRegistry::addWithRegions(StringRef name, Handler handler) {
  bool inserted = handlers.try_emplace(name, std::move(handler)).second;
  assert(inserted && "an op is registered twice");
  (void)inserted;
}

const OpRegistry::Handler *OpRegistry::lookup(StringRef name) const {
  auto it = handlers.find(name);
  return it == handlers.end() ? nullptr : &it->second;
}

/// The handlers of every op family, registered on first use.
static const OpRegistry &registry() {
  static const OpRegistry instance = [] {
    OpRegistry registry;
    registerElementwiseOps(registry);
    registerArithOps(registry);
    registerContractionOps(registry);
    registerPoolingOps(registry);
    registerReductionOps(registry);
    registerLossOps(registry);
    registerShapeOps(registry);
    registerBatchNormOps(registry);
    registerRandomOps(registry);
    registerControlFlowOps(registry);
    return registry;
  }();
  return instance;
}

//===----------------------------------------------------------------------===//
// The interpreter
//===----------------------------------------------------------------------===//

/// Allocates the zero tensor of an MLIR type, or fails for types the
/// evaluator does not model (dynamic shapes, memrefs, wide integers).
static FailureOr<Tensor> tensorOfType(Type type) {
  auto supported = [](Type t) {
    if (isa<FloatType, IndexType>(t))
      return true;
    auto it = dyn_cast<IntegerType>(t);
    return it && it.getWidth() <= 64;
  };
  if (auto ranked = dyn_cast<RankedTensorType>(type)) {
    if (!ranked.hasStaticShape() || !supported(ranked.getElementType()))
      return failure();
    return Tensor::zeros(ranked.getElementType(), ranked.getShape());
  }
  if (!supported(type))
    return failure();
  return Tensor::zeros(type, {});
}

FailureOr<std::vector<Tensor>> Interpreter::call(func::FuncOp fn, ArrayRef<Tensor> args) {
  if (fn.isExternal())
    return fn.emitError() << "cannot evaluate '" << fn.getSymName() << "': it has no body";
  FunctionType type = fn.getFunctionType();
  if (args.size() != type.getNumInputs())
    return fn.emitError() << "'" << fn.getSymName() << "' expects " << type.getNumInputs()
                          << " arguments, got " << args.size();
  for (auto [k, arg] : llvm::enumerate(args))
    if (!isWellFormed(arg) || !arg.matches(type.getInput(k)))
      return fn.emitError() << "argument " << k << " of '" << fn.getSymName() << "' expects "
                            << type.getInput(k) << ", got " << arg.typeString()
                            << (isWellFormed(arg) ? "" : " (malformed data)");
  Env env;
  Block &entry = fn.getBody().front();
  for (auto [k, arg] : llvm::enumerate(args))
    env[entry.getArgument(k)] = arg;
  std::vector<Tensor> results;
  if (failed(runBlock(entry, env, results)))
    return failure();
  if (results.size() != type.getNumResults())
    return fn.emitError("the function returns the wrong number of values");
  for (auto [k, r] : llvm::enumerate(results))
    if (!r.matches(type.getResult(k)))
      return fn.emitError() << "result " << k << " is " << r.typeString() << ", expected "
                            << type.getResult(k);
  return results;
}

LogicalResult Interpreter::runBlock(Block &block, Env &env, std::vector<Tensor> &yielded) {
  for (Operation &op : block) {
    if (op.hasTrait<OpTrait::IsTerminator>()) {
      StringRef name = op.getName().getStringRef();
      if (name != "func.return" && name != "scf.yield")
        return op.emitError() << "cannot evaluate terminator '" << name << "'";
      yielded.clear();
      for (Value v : op.getOperands()) {
        auto it = env.find(v);
        if (it == env.end())
          return op.emitError("operand has no value");
        yielded.push_back(it->second);
      }
      return success();
    }
    if (failed(runOp(&op, env)))
      return failure();
  }
  return emitError(block.getParent()->getLoc(), "block has no terminator");
}

LogicalResult Interpreter::runOp(Operation *op, Env &env) {
  // The operand pointers point into `env`; handlers that add to `env`
  // (regions) copy what they need first, because insertion may rehash.
  SmallVector<const Tensor *> in;
  for (Value v : op->getOperands()) {
    auto it = env.find(v);
    if (it == env.end())
      return op->emitError("operand has no value (unsupported control flow?)");
    in.push_back(&it->second);
  }
  SmallVector<Tensor> out;
  for (Type t : op->getResultTypes()) {
    FailureOr<Tensor> r = tensorOfType(t);
    if (failed(r))
      return op->emitError() << "cannot evaluate a result of type " << t;
    out.push_back(std::move(*r));
  }
  if (failed(dispatch(op, in, out, env)))
    return failure();
  for (auto [k, r] : llvm::enumerate(out)) {
    Type type = op->getResult(k).getType();
    if (!isWellFormed(r) || !r.matches(type))
      return op->emitError() << "evaluator produced " << r.typeString() << " for result " << k
                             << " of type " << type;
    finalize(r);
    env[op->getResult(k)] = std::move(r);
  }
  return success();
}

LogicalResult Interpreter::dispatch(Operation *op, Inputs in, Outputs out, Env &env) {
  if (const OpRegistry::Handler *handler = registry().lookup(op->getName().getStringRef()))
    return (*handler)(op, in, out, *this, env);
  return unsupportedOp(op);
}

LogicalResult unsupportedOp(Operation *op) {
  return op->emitError() << "the evaluator does not support the op '"
                         << op->getName().getStringRef() << "'";
}

FailureOr<std::vector<Tensor>> evaluate(func::FuncOp fn, ArrayRef<Tensor> args) {
  Interpreter interpreter;
  return interpreter.call(fn, args);
}

} // namespace nnc::eval
