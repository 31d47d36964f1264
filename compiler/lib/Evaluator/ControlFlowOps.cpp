//===- ControlFlowOps.cpp - scf.for, scf.if and func.call -----------------===//
//
// The ops with regions or a callee, which recurse into the interpreter:
// scf.for and scf.if run their blocks in the environment of the enclosing
// block, func.call evaluates the callee as a new function (its depth
// bounded). These are members of Interpreter, which they need; their
// handlers check the op's class, as an op of the same name from an
// unregistered dialect is not one of them.
//
//===----------------------------------------------------------------------===//

#include "EvaluatorInternal.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;

namespace nnc::eval {

LogicalResult Interpreter::forOp(scf::ForOp op, Inputs in, Outputs out, Env &env) {
  if (in.size() < 3 || in.size() - 3 != out.size())
    return op->emitError("unexpected operands");
  int64_t lb = in[0]->i[0], ub = in[1]->i[0], step = in[2]->i[0];
  if (step <= 0)
    return op->emitError() << "step must be positive, found " << step;
  std::vector<Tensor> iter;
  for (const Tensor *t : in.drop_front(3))
    iter.push_back(*t);
  bool isUnsigned = op.getUnsignedCmp();
  Block &body = *op.getBody();
  Type ivType = op.getInductionVar().getType();
  for (int64_t iv = lb; isUnsigned ? uint64_t(iv) < uint64_t(ub) : iv < ub;) {
    env[body.getArgument(0)] = Tensor::scalar(ivType, iv);
    for (size_t k = 0; k < iter.size(); ++k)
      env[body.getArgument(k + 1)] = std::move(iter[k]);
    if (failed(runBlock(body, env, iter)))
      return failure();
    if (iter.size() != out.size())
      return op->emitError("scf.yield yields the wrong number of values");
    int64_t next;
    if (__builtin_add_overflow(iv, step, &next))
      break;
    iv = next;
  }
  for (size_t k = 0; k < out.size(); ++k)
    out[k] = std::move(iter[k]);
  return success();
}

LogicalResult Interpreter::ifOp(scf::IfOp op, Inputs in, Outputs out, Env &env) {
  bool cond = in[0]->i[0] != 0;
  Region &region = cond ? op.getThenRegion() : op.getElseRegion();
  if (region.empty())
    return success();
  std::vector<Tensor> results;
  if (failed(runBlock(region.front(), env, results)))
    return failure();
  if (results.size() != out.size())
    return op->emitError("scf.yield yields the wrong number of values");
  for (size_t k = 0; k < out.size(); ++k)
    out[k] = std::move(results[k]);
  return success();
}

LogicalResult Interpreter::callOp(func::CallOp op, Inputs in, Outputs out) {
  auto callee = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(op, op.getCalleeAttr());
  if (!callee)
    return op->emitError() << "cannot find the function '" << op.getCallee() << "'";
  if (depth >= kMaxCallDepth)
    return op->emitError() << "call depth exceeds " << kMaxCallDepth;
  std::vector<Tensor> args;
  for (const Tensor *t : in)
    args.push_back(*t);
  ++depth;
  FailureOr<std::vector<Tensor>> results = call(callee, args);
  --depth;
  if (failed(results))
    return op->emitError() << "in the call to '" << op.getCallee() << "'";
  if (results->size() != out.size())
    return op->emitError("the callee returns the wrong number of values");
  for (size_t k = 0; k < out.size(); ++k)
    out[k] = std::move((*results)[k]);
  return success();
}

void registerControlFlowOps(OpRegistry &registry) {
  registry.addWithRegions(scf::ForOp::getOperationName(),
                          [](Operation *op, Inputs in, Outputs out, Interpreter &interp, Env &env) {
                            if (auto loop = dyn_cast<scf::ForOp>(op))
                              return interp.forOp(loop, in, out, env);
                            return unsupportedOp(op);
                          });
  registry.addWithRegions(scf::IfOp::getOperationName(),
                          [](Operation *op, Inputs in, Outputs out, Interpreter &interp, Env &env) {
                            if (auto branch = dyn_cast<scf::IfOp>(op))
                              return interp.ifOp(branch, in, out, env);
                            return unsupportedOp(op);
                          });
  registry.addWithRegions(func::CallOp::getOperationName(),
                          [](Operation *op, Inputs in, Outputs out, Interpreter &interp, Env &) {
                            if (auto call = dyn_cast<func::CallOp>(op))
                              return interp.callOp(call, in, out);
                            return unsupportedOp(op);
                          });
}

} // namespace nnc::eval
