//===- ElementwiseOps.cpp - Elementwise ops -------------------------------===//
//
// The elementwise ops of the nn dialect (arithmetic, math functions,
// comparison, selection, casts, dequantization) and the arith and math ops
// whose semantics are the same computation on scalars or tensors: arith.addf
// is nn.add, arith.select is nn.select, the arith conversions are nn.cast
// with arith.trunci's low-bit truncation. Each result element is computed in
// double from the operand elements at the same offset.
//
//===----------------------------------------------------------------------===//

#include "EvaluatorInternal.h"
#include "nnc/Dialect/NN/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;

namespace nnc::eval {

namespace {

LogicalResult binaryFloat(Operation *op, Inputs in, Outputs out,
                          llvm::function_ref<double(double, double)> fn) {
  if (failed(arity(op, in, out, 2, 1)))
    return failure();
  const Tensor &a = *in[0], &b = *in[1];
  if (failed(expectFloat(op, a, "the lhs")) || failed(expectFloat(op, b, "the rhs")) ||
      failed(expectShape(op, a, out[0].shape, "the lhs")) ||
      failed(expectShape(op, b, out[0].shape, "the rhs")))
    return failure();
  for (int64_t k = 0, n = out[0].numel(); k < n; ++k)
    out[0].f[k] = fn(a.f[k], b.f[k]);
  return success();
}

LogicalResult unaryFloat(Operation *op, Inputs in, Outputs out,
                         llvm::function_ref<double(double)> fn) {
  if (failed(arity(op, in, out, 1, 1)) || failed(expectFloat(op, *in[0], "the operand")) ||
      failed(expectShape(op, *in[0], out[0].shape, "the operand")))
    return failure();
  for (int64_t k = 0, n = out[0].numel(); k < n; ++k)
    out[0].f[k] = fn(in[0]->f[k]);
  return success();
}

LogicalResult cmpOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 2, 1)) || failed(sameKind(op, *in[0], *in[1])) ||
      failed(expectShape(op, *in[0], out[0].shape, "the lhs")) ||
      failed(expectShape(op, *in[1], out[0].shape, "the rhs")))
    return failure();
  auto pred = op->getAttrOfType<StringAttr>("predicate");
  if (!pred)
    return op->emitError("expects a string attribute 'predicate'");
  StringRef p = pred.getValue();
  auto compare = [&](auto a, auto b) -> int {
    if (p == "eq")
      return a == b;
    if (p == "ne")
      return a != b;
    if (p == "lt")
      return a < b;
    if (p == "le")
      return a <= b;
    if (p == "gt")
      return a > b;
    if (p == "ge")
      return a >= b;
    return -1;
  };
  const Tensor &a = *in[0], &b = *in[1];
  for (int64_t k = 0, n = out[0].numel(); k < n; ++k) {
    // Integers compare as int64 (exact for i64), floats as C++ doubles, which
    // is the spec's "a NaN compares unequal to everything".
    int r = a.isFloat() ? compare(a.f[k], b.f[k]) : compare(a.i[k], b.i[k]);
    if (r < 0)
      return op->emitError() << "unknown predicate '" << p << "'";
    out[0].i[k] = r;
  }
  return success();
}

/// nn.select and arith.select: elementwise, or a whole-value choice when the
/// condition is a scalar (arith.select on tensors allows both).
LogicalResult selectOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 3, 1)))
    return failure();
  const Tensor &c = *in[0], &a = *in[1], &b = *in[2];
  if (failed(expectInt(op, c, "the condition")) || failed(sameKind(op, a, out[0])) ||
      failed(sameKind(op, b, out[0])) || failed(expectShape(op, a, out[0].shape, "the values")) ||
      failed(expectShape(op, b, out[0].shape, "the values")))
    return failure();
  bool scalarCond = c.shape.empty() && !out[0].shape.empty();
  if (!scalarCond && failed(expectShape(op, c, out[0].shape, "the condition")))
    return failure();
  for (int64_t k = 0, n = out[0].numel(); k < n; ++k)
    copyElement(c.i[scalarCond ? 0 : k] ? a : b, k, out[0], k);
  return success();
}

/// nn.cast and the arith conversions: float -> int truncates toward zero
/// (saturating), anything -> i1 is `x != 0`, int -> int wraps (done by the
/// caller), int/i1 -> float converts (rounded by the caller). `truncBits`
/// makes int -> i1 take the low bit instead, as arith.trunci does.
LogicalResult castOp(Operation *op, Inputs in, Outputs out, bool truncBits = false) {
  if (failed(arity(op, in, out, 1, 1)) ||
      failed(expectShape(op, *in[0], out[0].shape, "the operand")))
    return failure();
  const Tensor &x = *in[0];
  Tensor &r = out[0];
  bool toI1 = !r.isFloat() && bitWidth(r.elementType) == 1;
  for (int64_t k = 0, n = r.numel(); k < n; ++k) {
    if (r.isFloat())
      r.f[k] = x.isFloat() ? x.f[k] : double(x.i[k]);
    else if (x.isFloat())
      r.i[k] = toI1 ? x.f[k] != 0 : floatToInt(x.f[k], r.elementType);
    else
      r.i[k] = toI1 && !truncBits ? x.i[k] != 0 : x.i[k];
  }
  return success();
}

/// nn.dequantize: float(x) * scale, the scale rounded to the result type first (the
/// product of two f32 values is exact in double, so rounding it once more is f32's product).
LogicalResult dequantizeOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 1, 1)) ||
      failed(expectShape(op, *in[0], out[0].shape, "the operand")))
    return failure();
  auto scaleAttr = op->getAttrOfType<FloatAttr>("scale");
  if (!scaleAttr || in[0]->isFloat() || !out[0].isFloat())
    return op->emitError("expects bytes, a float result and a float attribute 'scale'");
  double scale = roundTo(out[0].elementType, scaleAttr.getValueAsDouble());
  for (int64_t k = 0, n = out[0].numel(); k < n; ++k)
    out[0].f[k] = double(in[0]->i[k]) * scale;
  return success();
}

/// The handlers running binaryFloat and unaryFloat with `fn`, a lambda: as its
/// type is a template parameter, each handler gets a loop of its own that the
/// compiler optimizes around the function.
template <typename Fn> OpRegistry::SimpleHandler binary(Fn fn) {
  return [fn](Operation *op, Inputs in, Outputs out) { return binaryFloat(op, in, out, fn); };
}
template <typename Fn> OpRegistry::SimpleHandler unary(Fn fn) {
  return [fn](Operation *op, Inputs in, Outputs out) { return unaryFloat(op, in, out, fn); };
}

} // namespace

void registerElementwiseOps(OpRegistry &registry) {
  registry.add({nn::AddOp::getOperationName(), arith::AddFOp::getOperationName()},
               binary([](double a, double b) { return a + b; }));
  registry.add({nn::SubOp::getOperationName(), arith::SubFOp::getOperationName()},
               binary([](double a, double b) { return a - b; }));
  registry.add({nn::MulOp::getOperationName(), arith::MulFOp::getOperationName()},
               binary([](double a, double b) { return a * b; }));
  registry.add({nn::DivOp::getOperationName(), arith::DivFOp::getOperationName()},
               binary([](double a, double b) { return a / b; }));
  registry.add({nn::MaxOp::getOperationName(), arith::MaximumFOp::getOperationName()},
               binary([](double a, double b) { return maxNaN(a, b); }));
  registry.add({nn::MinOp::getOperationName(), arith::MinimumFOp::getOperationName()},
               binary([](double a, double b) { return minNaN(a, b); }));
  // math.powf, math.floor and math.cos are the scalar math of the learning-rate schedule
  // (nn-optimizer).
  registry.add({nn::PowOp::getOperationName(), math::PowFOp::getOperationName()},
               binary([](double a, double b) { return std::pow(a, b); }));
  registry.add({nn::NegOp::getOperationName(), arith::NegFOp::getOperationName()},
               unary([](double x) { return -x; }));
  registry.add(nn::ExpOp::getOperationName(), unary([](double x) { return std::exp(x); }));
  registry.add(nn::LogOp::getOperationName(), unary([](double x) { return std::log(x); }));
  registry.add(nn::TanhOp::getOperationName(), unary([](double x) { return std::tanh(x); }));
  registry.add(nn::SigmoidOp::getOperationName(),
               unary([](double x) { return 1.0 / (1.0 + std::exp(-x)); }));
  registry.add(nn::ReluOp::getOperationName(), unary([](double x) { return maxNaN(x, 0.0); }));
  registry.add(nn::SqrtOp::getOperationName(), unary([](double x) { return std::sqrt(x); }));
  registry.add(nn::RsqrtOp::getOperationName(), unary([](double x) { return 1.0 / std::sqrt(x); }));
  registry.add(nn::AbsOp::getOperationName(), unary([](double x) { return std::fabs(x); }));
  registry.add(nn::SquareOp::getOperationName(), unary([](double x) { return x * x; }));
  registry.add(nn::SignOp::getOperationName(), unary([](double x) {
                 return x > 0 ? 1.0 : x < 0 ? -1.0 : x;
               }));
  registry.add(math::FloorOp::getOperationName(), unary([](double x) { return std::floor(x); }));
  registry.add(math::CosOp::getOperationName(), unary([](double x) { return std::cos(x); }));

  registry.add(nn::CmpOp::getOperationName(), cmpOp);
  registry.add({nn::SelectOp::getOperationName(), arith::SelectOp::getOperationName()}, selectOp);
  registry.add(nn::CastOp::getOperationName(), withArg(castOp, /*truncBits=*/false));
  registry.add({arith::IndexCastOp::getOperationName(), arith::ExtSIOp::getOperationName(),
                arith::TruncIOp::getOperationName(), arith::SIToFPOp::getOperationName(),
                arith::FPToSIOp::getOperationName(), arith::ExtFOp::getOperationName(),
                arith::TruncFOp::getOperationName()},
               withArg(castOp, /*truncBits=*/true));
  registry.add(nn::DequantizeOp::getOperationName(), dequantizeOp);
}

} // namespace nnc::eval
