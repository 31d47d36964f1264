//===- ArithOps.cpp - Constants and the integer arith ops -----------------===//
//
// The ops of the arith dialect with semantics of their own (those that are
// an nn op on scalars live in ElementwiseOps.cpp): the integer arithmetic,
// which wraps to the width of its type, cmpi and cmpf with all their predicates,
// zero extension, and the constants, arith.constant and nn.constant, read
// from their attributes.
//
//===----------------------------------------------------------------------===//

#include "EvaluatorInternal.h"
#include "nnc/Dialect/NN/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/ADT/APFloat.h"

using namespace mlir;

namespace nnc::eval {

namespace {

/// Fills `out` (already of the right type and shape) from an ElementsAttr.
LogicalResult loadElements(Operation *op, ElementsAttr attr, Tensor &out) {
  if (attr.getNumElements() != out.numel())
    return op->emitError() << "constant has " << attr.getNumElements() << " elements, expected "
                           << out.numel();
  int64_t n = out.numel();
  if (out.isFloat()) {
    auto it = attr.try_value_begin<APFloat>();
    if (!it)
      return op->emitError("cannot read the float elements of the constant");
    for (int64_t k = 0; k < n; ++k, ++*it) {
      APFloat v = **it;
      bool losesInfo = false;
      v.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &losesInfo);
      out.f[k] = v.convertToDouble();
    }
    return success();
  }
  auto it = attr.try_value_begin<APInt>();
  if (!it)
    return op->emitError("cannot read the integer elements of the constant");
  bool zext = bitWidth(out.elementType) == 1 || out.elementType.isUnsignedInteger();
  for (int64_t k = 0; k < n; ++k, ++*it) {
    APInt v = **it;
    out.i[k] = zext ? int64_t(v.getZExtValue()) : v.getSExtValue();
  }
  return success();
}

/// Integer binary op on scalars or tensors; `fn` returns failure for an
/// undefined case (division by zero). It gets the operands as stored
/// (sign-extended) and as unsigned values of the type's width.
using IntFn = llvm::function_ref<FailureOr<int64_t>(int64_t, int64_t, uint64_t, uint64_t)>;
LogicalResult binaryInt(Operation *op, Inputs in, Outputs out, IntFn fn) {
  if (failed(arity(op, in, out, 2, 1)) || failed(expectInt(op, *in[0], "the lhs")) ||
      failed(expectInt(op, *in[1], "the rhs")) ||
      failed(expectShape(op, *in[0], out[0].shape, "the lhs")) ||
      failed(expectShape(op, *in[1], out[0].shape, "the rhs")))
    return failure();
  unsigned width = bitWidth(in[0]->elementType);
  uint64_t mask = width >= 64 ? ~uint64_t(0) : (uint64_t(1) << width) - 1;
  for (int64_t k = 0, n = out[0].numel(); k < n; ++k) {
    int64_t a = in[0]->i[k], b = in[1]->i[k];
    FailureOr<int64_t> r = fn(a, b, uint64_t(a) & mask, uint64_t(b) & mask);
    if (failed(r))
      return op->emitError("integer division by zero");
    out[0].i[k] = *r;
  }
  return success();
}

LogicalResult arithConstantOp(Operation *op, Outputs out) {
  Attribute value = op->getAttr("value");
  if (auto elements = dyn_cast_or_null<ElementsAttr>(value))
    return loadElements(op, elements, out[0]);
  if (auto f = dyn_cast_or_null<FloatAttr>(value)) {
    out[0].f[0] = f.getValueAsDouble();
    return success();
  }
  if (auto i = dyn_cast_or_null<IntegerAttr>(value)) {
    bool zext = bitWidth(out[0].elementType) == 1 || out[0].elementType.isUnsignedInteger();
    out[0].i[0] = zext ? int64_t(i.getValue().getZExtValue()) : i.getValue().getSExtValue();
    return success();
  }
  return op->emitError("unsupported constant value");
}

LogicalResult nnConstantOp(Operation *op, Inputs in, Outputs out) {
  auto value = op->getAttrOfType<ElementsAttr>("value");
  if (!value || out.size() != 1)
    return op->emitError("expects an elements attribute 'value'");
  return loadElements(op, value, out[0]);
}

/// How two values compare, one bit each (and the unions that predicates test); a comparison
/// predicate holds for a set of them.
enum Outcome : unsigned {
  kLess = 1,
  kEqual = 2,
  kGreater = 4,
  kUnordered = 8,
  kLessEqual = kLess | kEqual,
  kGreaterEqual = kGreater | kEqual,
  kNotEqual = kLess | kGreater,
  kOrdered = kLess | kEqual | kGreater
};

/// How `a` compares to `b` (unordered: one of them is a NaN).
template <typename T> unsigned outcome(T a, T b) {
  return a < b ? kLess : a == b ? kEqual : a > b ? kGreater : kUnordered;
}

/// The outcomes each arith.cmpi predicate holds for, by the predicate's value.
constexpr unsigned kCmpIOutcomes[] = {
    // eq, ne, slt, sle, sgt, sge
    kEqual, kNotEqual, kLess, kLessEqual, kGreater, kGreaterEqual,
    // ult, ule, ugt, uge
    kLess, kLessEqual, kGreater, kGreaterEqual};
static_assert(std::size(kCmpIOutcomes) == arith::getMaxEnumValForCmpIPredicate() + 1);

/// The outcomes each arith.cmpf predicate holds for, by the predicate's value.
constexpr unsigned kCmpFOutcomes[] = {
    // false, oeq, ogt, oge, olt, ole, one, ord
    0, kEqual, kGreater, kGreaterEqual, kLess, kLessEqual, kNotEqual, kOrdered,
    // ueq, ugt, uge, ult, ule, une
    kUnordered | kEqual, kUnordered | kGreater, kUnordered | kGreaterEqual, kUnordered | kLess,
    kUnordered | kLessEqual, kUnordered | kNotEqual,
    // uno, true
    kUnordered, kUnordered | kOrdered};
static_assert(std::size(kCmpFOutcomes) == arith::getMaxEnumValForCmpFPredicate() + 1);

/// Whether the predicate of value `predicate`, whose outcomes `table` lists, holds for
/// `outcome` (never for a value past the table).
bool holds(ArrayRef<unsigned> table, uint64_t predicate, unsigned outcome) {
  return predicate < table.size() && (table[predicate] & outcome) != 0;
}

LogicalResult cmpiOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 2, 1)) || failed(expectInt(op, *in[0], "the lhs")) ||
      failed(expectShape(op, *in[0], out[0].shape, "the lhs")) ||
      failed(sameKind(op, *in[0], *in[1])) ||
      failed(expectShape(op, *in[1], out[0].shape, "the rhs")))
    return failure();
  using P = arith::CmpIPredicate;
  P p = cast<arith::CmpIOp>(op).getPredicate();
  bool isUnsigned = p == P::ult || p == P::ule || p == P::ugt || p == P::uge;
  unsigned width = bitWidth(in[0]->elementType);
  uint64_t mask = width >= 64 ? ~uint64_t(0) : (uint64_t(1) << width) - 1;
  for (int64_t k = 0, n = out[0].numel(); k < n; ++k) {
    int64_t a = in[0]->i[k], b = in[1]->i[k];
    unsigned o = isUnsigned ? outcome(uint64_t(a) & mask, uint64_t(b) & mask) : outcome(a, b);
    out[0].i[k] = holds(kCmpIOutcomes, uint64_t(p), o);
  }
  return success();
}

LogicalResult cmpfOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 2, 1)) || failed(expectFloat(op, *in[0], "the lhs")) ||
      failed(expectShape(op, *in[0], out[0].shape, "the lhs")) ||
      failed(sameKind(op, *in[0], *in[1])) ||
      failed(expectShape(op, *in[1], out[0].shape, "the rhs")))
    return failure();
  uint64_t p = uint64_t(cast<arith::CmpFOp>(op).getPredicate());
  for (int64_t k = 0, n = out[0].numel(); k < n; ++k)
    out[0].i[k] = holds(kCmpFOutcomes, p, outcome(in[0]->f[k], in[1]->f[k]));
  return success();
}

/// The handler running binaryInt with `fn`, a lambda (a template parameter, so
/// that each handler gets a loop of its own).
template <typename Fn> OpRegistry::SimpleHandler integer(Fn fn) {
  return [fn](Operation *op, Inputs in, Outputs out) { return binaryInt(op, in, out, fn); };
}

/// Signed division rounded down (arith.floordivsi) or, where `up`, up (arith.ceildivsi);
/// failure for a division by zero. INT64_MIN / -1 wraps.
FailureOr<int64_t> roundedDiv(int64_t a, int64_t b, bool up) {
  if (b == 0)
    return failure();
  if (b == -1)
    return int64_t(0 - uint64_t(a));
  int64_t q = a / b;
  // `q` truncates towards zero, which rounds a negative quotient up and a positive one down:
  // an inexact one steps once where that is the wrong way.
  if (a % b == 0 || ((a < 0) == (b < 0)) != up)
    return q;
  return up ? q + 1 : q - 1;
}

/// The integer arith ops (on index, integers, and tensors of them).
/// Arithmetic wraps (computed on uint64, then wrapped to the width by the
/// caller).
void registerIntegerOps(OpRegistry &registry) {
  using R = FailureOr<int64_t>;
  registry.add(arith::AddIOp::getOperationName(),
               integer([](int64_t a, int64_t b, uint64_t, uint64_t) -> R {
                 return int64_t(uint64_t(a) + uint64_t(b));
               }));
  registry.add(arith::SubIOp::getOperationName(),
               integer([](int64_t a, int64_t b, uint64_t, uint64_t) -> R {
                 return int64_t(uint64_t(a) - uint64_t(b));
               }));
  registry.add(arith::MulIOp::getOperationName(),
               integer([](int64_t a, int64_t b, uint64_t, uint64_t) -> R {
                 return int64_t(uint64_t(a) * uint64_t(b));
               }));
  registry.add(arith::DivSIOp::getOperationName(),
               integer([](int64_t a, int64_t b, uint64_t, uint64_t) -> R {
                 if (b == 0)
                   return failure();
                 return b == -1 ? int64_t(0 - uint64_t(a)) : a / b; // INT64_MIN / -1 wraps
               }));
  registry.add(arith::RemSIOp::getOperationName(),
               integer([](int64_t a, int64_t b, uint64_t, uint64_t) -> R {
                 if (b == 0)
                   return failure();
                 return b == -1 ? 0 : a % b;
               }));
  registry.add(arith::FloorDivSIOp::getOperationName(),
               integer([](int64_t a, int64_t b, uint64_t, uint64_t) -> R {
                 return roundedDiv(a, b, /*up=*/false);
               }));
  registry.add(arith::CeilDivSIOp::getOperationName(),
               integer([](int64_t a, int64_t b, uint64_t, uint64_t) -> R {
                 return roundedDiv(a, b, /*up=*/true);
               }));
  registry.add(arith::DivUIOp::getOperationName(),
               integer([](int64_t, int64_t, uint64_t a, uint64_t b) -> R {
                 if (b == 0)
                   return failure();
                 return int64_t(a / b);
               }));
  registry.add(arith::RemUIOp::getOperationName(),
               integer([](int64_t, int64_t, uint64_t a, uint64_t b) -> R {
                 if (b == 0)
                   return failure();
                 return int64_t(a % b);
               }));
  registry.add(
      arith::MaxSIOp::getOperationName(),
      integer([](int64_t a, int64_t b, uint64_t, uint64_t) -> R { return std::max(a, b); }));
  registry.add(
      arith::MinSIOp::getOperationName(),
      integer([](int64_t a, int64_t b, uint64_t, uint64_t) -> R { return std::min(a, b); }));
  registry.add(arith::MaxUIOp::getOperationName(),
               integer([](int64_t, int64_t, uint64_t a, uint64_t b) -> R {
                 return int64_t(std::max(a, b));
               }));
  registry.add(arith::MinUIOp::getOperationName(),
               integer([](int64_t, int64_t, uint64_t a, uint64_t b) -> R {
                 return int64_t(std::min(a, b));
               }));
  registry.add(arith::AndIOp::getOperationName(),
               integer([](int64_t a, int64_t b, uint64_t, uint64_t) -> R { return a & b; }));
  registry.add(arith::OrIOp::getOperationName(),
               integer([](int64_t a, int64_t b, uint64_t, uint64_t) -> R { return a | b; }));
  registry.add(arith::XOrIOp::getOperationName(),
               integer([](int64_t a, int64_t b, uint64_t, uint64_t) -> R { return a ^ b; }));
}

/// arith.extui / arith.index_castui: the operand's bits as unsigned.
LogicalResult zeroExtendOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 1, 1)) || failed(expectInt(op, *in[0], "the operand")) ||
      failed(expectShape(op, *in[0], out[0].shape, "the operand")))
    return failure();
  unsigned width = bitWidth(in[0]->elementType);
  uint64_t mask = width >= 64 ? ~uint64_t(0) : (uint64_t(1) << width) - 1;
  for (int64_t k = 0, n = out[0].numel(); k < n; ++k)
    out[0].i[k] = int64_t(uint64_t(in[0]->i[k]) & mask);
  return success();
}

} // namespace

void registerArithOps(OpRegistry &registry) {
  registry.add(nn::ConstantOp::getOperationName(), nnConstantOp);
  registry.add(arith::ConstantOp::getOperationName(),
               [](Operation *op, Inputs in, Outputs out) -> LogicalResult {
                 return out.size() == 1 ? arithConstantOp(op, out)
                                        : op->emitError("expects one result");
               });
  registerIntegerOps(registry);
  registry.add(arith::CmpIOp::getOperationName(), cmpiOp);
  registry.add(arith::CmpFOp::getOperationName(), cmpfOp);
  registry.add({arith::IndexCastUIOp::getOperationName(), arith::ExtUIOp::getOperationName()},
               zeroExtendOp);
}

} // namespace nnc::eval
