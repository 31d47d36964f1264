//===- EvaluatorInternal.h - What the evaluator's files share ---*- C++ -*-===//
//
// The private header of the reference evaluator, included only by the files
// of compiler/lib/Evaluator. It declares what more than one of them needs:
// the index helpers over row-major shapes, the scalar conversions, the
// readers of attributes and the checks that turn bad input into diagnostics
// (Tensor.cpp, Checks.cpp), the interpreter that runs functions op by op
// (Evaluator.cpp, ControlFlowOps.cpp), and the registry that maps an
// operation name to the handler of that op.
//
// The registry follows XLA's MLIR interpreter, which registers its ops by
// name in one file per dialect: here one file per op family
// (ElementwiseOps.cpp, ShapeOps.cpp, ...) defines a register*Ops function
// that adds the handlers of its ops, and Evaluator.cpp builds the registry
// from all of them once. The functions are called explicitly rather than
// from static initializers, which a static library would drop at link time.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_LIB_EVALUATOR_EVALUATORINTERNAL_H
#define NNC_LIB_EVALUATOR_EVALUATORINTERNAL_H

#include "nnc/Evaluator/Evaluator.h"

#include "mlir/IR/Operation.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"

#include <cmath>
#include <functional>
#include <initializer_list>
#include <limits>

namespace mlir::scf {
class ForOp;
class IfOp;
} // namespace mlir::scf

namespace nnc::eval {

/// The operand values of an op, and its results (allocated, zero-filled,
/// from the result types before its handler runs).
using Inputs = llvm::ArrayRef<const Tensor *>;
using Outputs = llvm::MutableArrayRef<Tensor>;

//===----------------------------------------------------------------------===//
// Shapes and indices (Tensor.cpp)
//===----------------------------------------------------------------------===//

int64_t product(llvm::ArrayRef<int64_t> shape);

/// Row-major strides of `shape`.
llvm::SmallVector<int64_t> stridesOf(llvm::ArrayRef<int64_t> shape);

/// Steps the multi-index `idx` through `shape` in row-major order; false
/// once it has passed the last element.
inline bool nextIndex(llvm::MutableArrayRef<int64_t> idx, llvm::ArrayRef<int64_t> shape) {
  for (int64_t d = int64_t(idx.size()) - 1; d >= 0; --d) {
    if (++idx[d] < shape[d])
      return true;
    idx[d] = 0;
  }
  return false;
}

/// Whether the data vectors agree with the element type and the shape.
bool isWellFormed(const Tensor &t);

/// Copies one element between tensors of the same kind.
inline void copyElement(const Tensor &src, int64_t s, Tensor &dst, int64_t d) {
  if (dst.isFloat())
    dst.f[d] = src.f[s];
  else
    dst.i[d] = src.i[s];
}

/// Splits `shape` around `axis` into (outer, size, inner) so that element
/// (o, j, r) is at offset (o * size + j) * inner + r.
struct AxisSplit {
  int64_t outer, size, inner;
};
AxisSplit splitAt(llvm::ArrayRef<int64_t> shape, int64_t axis);

//===----------------------------------------------------------------------===//
// Scalars (Tensor.cpp)
//===----------------------------------------------------------------------===//

/// The width of an integer type; 64 for index.
unsigned bitWidth(mlir::Type type);

/// Wraps `v` to the width of the integer type `type`: i1 is 0 or 1,
/// unsigned types are zero-extended, the others sign-extended, as the
/// environment stores every integer in an int64.
int64_t wrapInt(mlir::Type type, int64_t v);

/// Float to integer of `width` bits: truncation toward zero, saturating at
/// the range of the type, NaN to 0 (defined for every input, unlike a C++
/// cast).
int64_t floatToInt(double v, mlir::Type type);

/// Rounds float results to their type and wraps integers to their width.
void finalize(Tensor &t);

inline double maxNaN(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return std::numeric_limits<double>::quiet_NaN();
  return a > b ? a : b;
}

inline double minNaN(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return std::numeric_limits<double>::quiet_NaN();
  return a < b ? a : b;
}

/// The "first maximum" order shared by max pooling and its gradient: a NaN
/// beats any number (so NaN propagates), otherwise strictly greater wins.
inline bool beats(double v, double best) {
  if (std::isnan(best))
    return false;
  return std::isnan(v) || v > best;
}

//===----------------------------------------------------------------------===//
// Attributes and checks (Checks.cpp)
//===----------------------------------------------------------------------===//

/// Reads the i64 array attribute `name`, with `size` entries when given.
mlir::FailureOr<llvm::SmallVector<int64_t>> i64Array(mlir::Operation *op, llvm::StringRef name,
                                                     int64_t size = -1);
mlir::FailureOr<int64_t> i64Attr(mlir::Operation *op, llvm::StringRef name);
mlir::FailureOr<double> f64Attr(mlir::Operation *op, llvm::StringRef name);
bool unitAttr(mlir::Operation *op, llvm::StringRef name);

/// A valid axis of a tensor of rank `rank`.
mlir::FailureOr<int64_t> axisAttr(mlir::Operation *op, int64_t rank, llvm::StringRef name = "axis");
/// Sets `split` to the split of `shape` around the axis attribute `axis` of
/// `op`, which must be valid for its rank.
mlir::LogicalResult axisSplit(mlir::Operation *op, llvm::ArrayRef<int64_t> shape, AxisSplit &split);

mlir::LogicalResult arity(mlir::Operation *op, Inputs in, Outputs out, size_t numIn, size_t numOut);
mlir::LogicalResult expectFloat(mlir::Operation *op, const Tensor &t, llvm::StringRef what);
mlir::LogicalResult expectInt(mlir::Operation *op, const Tensor &t, llvm::StringRef what);
mlir::LogicalResult expectShape(mlir::Operation *op, const Tensor &t, llvm::ArrayRef<int64_t> shape,
                                llvm::StringRef what);
mlir::LogicalResult sameKind(mlir::Operation *op, const Tensor &a, const Tensor &b);

//===----------------------------------------------------------------------===//
// The interpreter (Evaluator.cpp, ControlFlowOps.cpp)
//===----------------------------------------------------------------------===//

/// Maps the SSA values of a function (and of the regions it runs) to their
/// values.
using Env = llvm::DenseMap<mlir::Value, Tensor>;

/// Runs a function op by op: allocates the results of each op from their
/// types, calls its handler from the registry, and rounds or wraps what the
/// handler computed to the result types.
class Interpreter {
public:
  mlir::FailureOr<std::vector<Tensor>> call(mlir::func::FuncOp fn, llvm::ArrayRef<Tensor> args);
  mlir::LogicalResult runBlock(mlir::Block &block, Env &env, std::vector<Tensor> &yielded);

  // The ops that recurse into the interpreter (ControlFlowOps.cpp).
  mlir::LogicalResult forOp(mlir::scf::ForOp op, Inputs in, Outputs out, Env &env);
  mlir::LogicalResult ifOp(mlir::scf::IfOp op, Inputs in, Outputs out, Env &env);
  mlir::LogicalResult callOp(mlir::func::CallOp op, Inputs in, Outputs out);

private:
  mlir::LogicalResult runOp(mlir::Operation *op, Env &env);
  mlir::LogicalResult dispatch(mlir::Operation *op, Inputs in, Outputs out, Env &env);

  /// Bounds func.call recursion so that a recursive module fails cleanly
  /// instead of overflowing the stack.
  static constexpr unsigned kMaxCallDepth = 128;
  unsigned depth = 0;
};

/// The error for an op that no handler runs.
mlir::LogicalResult unsupportedOp(mlir::Operation *op);

//===----------------------------------------------------------------------===//
// The registry of op handlers
//===----------------------------------------------------------------------===//

/// The handlers of the evaluator by operation name ("nn.add", "scf.for").
class OpRegistry {
public:
  /// Runs `op` on `in`, filling `out`; on bad input emits an error at the op
  /// and fails. The interpreter and the environment of the enclosing block
  /// are for ops with regions or callees.
  using Handler = std::function<mlir::LogicalResult(mlir::Operation *op, Inputs in, Outputs out,
                                                    Interpreter &interp, Env &env)>;
  /// The handler of an op that needs neither (all but control flow).
  using SimpleHandler =
      std::function<mlir::LogicalResult(mlir::Operation *op, Inputs in, Outputs out)>;

  /// Registers the handler of the op `name`; each name is registered once.
  void add(llvm::StringRef name, SimpleHandler handler);
  /// Registers one handler under several names (an nn op and the arith op
  /// of the same semantics, say).
  void add(std::initializer_list<llvm::StringRef> names, const SimpleHandler &handler);
  void addWithRegions(llvm::StringRef name, Handler handler);

  /// The handler of `name`, or null if the evaluator does not support it.
  const Handler *lookup(llvm::StringRef name) const;

private:
  llvm::StringMap<Handler> handlers;
};

/// The handler calling `fn(op, in, out, arg)`: for ops that share one
/// function and differ in its last argument (the kind of pooling, say).
template <typename Arg>
OpRegistry::SimpleHandler
withArg(mlir::LogicalResult (*fn)(mlir::Operation *, Inputs, Outputs, Arg), Arg arg) {
  return [fn, arg](mlir::Operation *op, Inputs in, Outputs out) { return fn(op, in, out, arg); };
}

// One per op family, each in the file of its name.
void registerElementwiseOps(OpRegistry &registry);
void registerArithOps(OpRegistry &registry);
void registerContractionOps(OpRegistry &registry);
void registerPoolingOps(OpRegistry &registry);
void registerReductionOps(OpRegistry &registry);
void registerLossOps(OpRegistry &registry);
void registerShapeOps(OpRegistry &registry);
void registerBatchNormOps(OpRegistry &registry);
void registerRandomOps(OpRegistry &registry);
void registerControlFlowOps(OpRegistry &registry);

} // namespace nnc::eval

#endif // NNC_LIB_EVALUATOR_EVALUATORINTERNAL_H
