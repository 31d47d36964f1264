//===- NNToLinalgElementwise.cpp - Elementwise nn ops to linalg -----------===//
//
// The lowerings of the ops that compute each element from the elements at the same
// position: constants, the unary and binary arithmetic, comparisons, select, casts,
// nn.dequantize (whose scaling stays exact) and nn.random_uniform (a counter-based
// generator of the element's linear index). Each is one `linalg.generic` with identity maps
// around a scalar arith/math body.
//
//===----------------------------------------------------------------------===//

#include "NNToLinalg.h"

#include "nnc/Dialect/NN/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace nnc;
using namespace nnc::nn_to_linalg;

/// Builds the scalar body of a unary elementwise op.
static Value unaryBody(OpBuilder &b, Location loc, StringRef name, Value x) {
  Type t = x.getType();
  auto c = [&](double v) { return arith::ConstantOp::create(b, loc, b.getFloatAttr(t, v)); };
  if (name == nn::NegOp::getOperationName())
    return arith::NegFOp::create(b, loc, x);
  if (name == nn::ExpOp::getOperationName())
    return math::ExpOp::create(b, loc, x);
  if (name == nn::LogOp::getOperationName())
    return math::LogOp::create(b, loc, x);
  if (name == nn::TanhOp::getOperationName())
    return math::TanhOp::create(b, loc, x);
  if (name == nn::SqrtOp::getOperationName())
    return math::SqrtOp::create(b, loc, x);
  if (name ==
      nn::RsqrtOp::getOperationName()) { // There is no libm rsqrtf; 1/sqrt is what LLVM fuses best.
    Value one = c(1);
    Value root = math::SqrtOp::create(b, loc, x);
    return arith::DivFOp::create(b, loc, one, root);
  }
  if (name == nn::AbsOp::getOperationName())
    return math::AbsFOp::create(b, loc, x);
  if (name == nn::SquareOp::getOperationName())
    return arith::MulFOp::create(b, loc, x, x);
  if (name == nn::ReluOp::getOperationName())
    return arith::MaximumFOp::create(b, loc, x, c(0));
  if (name == nn::SigmoidOp::getOperationName()) {
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
    Value one = c(1);
    Value denominator = arith::AddFOp::create(b, loc, c(1), e);
    return arith::DivFOp::create(b, loc, one, denominator);
  }
  // nn.sign: -1, 0 or 1 (0 for 0 and NaN).
  Value pos = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, c(0));
  Value neg = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, c(0));
  Value one = c(1), minusOne = c(-1), zero = c(0);
  Value negOrZero = arith::SelectOp::create(b, loc, neg, minusOne, zero);
  return arith::SelectOp::create(b, loc, pos, one, negOrZero);
}

/// Builds the scalar body of a binary elementwise op.
static Value binaryBody(OpBuilder &b, Location loc, StringRef name, Value x, Value y) {
  if (name == nn::AddOp::getOperationName())
    return arith::AddFOp::create(b, loc, x, y);
  if (name == nn::SubOp::getOperationName())
    return arith::SubFOp::create(b, loc, x, y);
  if (name == nn::MulOp::getOperationName())
    return arith::MulFOp::create(b, loc, x, y);
  if (name == nn::DivOp::getOperationName())
    return arith::DivFOp::create(b, loc, x, y);
  if (name == nn::MaxOp::getOperationName())
    return arith::MaximumFOp::create(b, loc, x, y);
  if (name == nn::MinOp::getOperationName())
    return arith::MinimumFOp::create(b, loc, x, y);
  return math::PowFOp::create(b, loc, x, y);
}

static Value castScalar(OpBuilder &b, Location loc, Value x, Type to) {
  Type from = x.getType();
  if (from == to)
    return x;
  // arith takes signless integers: an unsigned one (bytes) is its bits, read as unsigned.
  if (from.isUnsignedInteger()) {
    Type bits = b.getIntegerType(from.getIntOrFloatBitWidth());
    Value i = UnrealizedConversionCastOp::create(b, loc, bits, x).getResult(0);
    Value r = isa<FloatType>(to) ? arith::UIToFPOp::create(b, loc, to, i).getResult()
              : to.getIntOrFloatBitWidth() > from.getIntOrFloatBitWidth()
                  ? arith::ExtUIOp::create(b, loc, to, i).getResult()
                  : i;
    return r;
  }
  bool fromF = isa<FloatType>(from), toF = isa<FloatType>(to);
  if (fromF && toF)
    return from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth()
               ? arith::ExtFOp::create(b, loc, to, x).getResult()
               : arith::TruncFOp::create(b, loc, to, x).getResult();
  if (!fromF && toF)
    return from.isInteger(1) || from.isUnsignedInteger()
               ? arith::UIToFPOp::create(b, loc, to, x).getResult()
               : arith::SIToFPOp::create(b, loc, to, x).getResult();
  if (fromF && !toF) {
    if (to.isInteger(1))
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, x,
                                   arith::ConstantOp::create(b, loc, b.getFloatAttr(from, 0)));
    return arith::FPToSIOp::create(b, loc, to, x);
  }
  unsigned fw = from.getIntOrFloatBitWidth(), tw = to.getIntOrFloatBitWidth();
  if (fw < tw)
    return from.isInteger(1) || from.isUnsignedInteger()
               ? arith::ExtUIOp::create(b, loc, to, x).getResult()
               : arith::ExtSIOp::create(b, loc, to, x).getResult();
  return arith::TruncIOp::create(b, loc, to, x);
}

/// SplitMix64 of (key, stream, counter), as docs/dialect.md defines nn.random_uniform,
/// then 24 bits as a float in [0, 1).
static Value randomBits(OpBuilder &b, Location loc, Value key, int64_t stream, Value linear,
                        Type ft) {
  Type i64 = b.getI64Type();
  auto c = [&](uint64_t v) { return arith::ConstantOp::create(b, loc, b.getIntegerAttr(i64, v)); };
  Value linear64 = arith::IndexCastOp::create(b, loc, i64, linear);
  Value counter = arith::AddIOp::create(b, loc, linear64, c((uint64_t(stream) << 32) + 1));
  Value z = arith::AddIOp::create(b, loc, key,
                                  arith::MulIOp::create(b, loc, counter, c(0x9E3779B97F4A7C15ull)));
  auto mix = [&](Value v, int64_t shift, uint64_t mul) {
    Value s = arith::ShRUIOp::create(b, loc, v, c(shift));
    Value mixed = arith::XOrIOp::create(b, loc, v, s);
    return arith::MulIOp::create(b, loc, mixed, c(mul)).getResult();
  };
  z = mix(z, 30, 0xBF58476D1CE4E5B9ull);
  z = mix(z, 27, 0x94D049BB133111EBull);
  z = arith::XOrIOp::create(b, loc, z, arith::ShRUIOp::create(b, loc, z, c(31)));
  Value top = arith::ShRUIOp::create(b, loc, z, c(40));
  Value f = arith::UIToFPOp::create(b, loc, ft, top);
  return arith::MulFOp::create(
      b, loc, f, arith::ConstantOp::create(b, loc, b.getFloatAttr(ft, 1.0 / 16777216.0)));
}

static LogicalResult lowerConstant(OpLowering &L) {
  auto c = cast<nn::ConstantOp>(L.op);
  return L.ret(arith::ConstantOp::create(L.b, L.loc, cast<TypedAttr>(c.getValue())));
}

/// One elementwise generic over the op's operands, with the scalar `body`.
static LogicalResult lowerElementwise(OpLowering &L, BodyFn body) {
  return L.ret(L.elementwise(L.resultType(), L.op->getOperands(), body));
}

static LogicalResult lowerArithmetic(OpLowering &L) {
  StringRef name = L.op->getName().getStringRef();
  bool binary = L.op->getNumOperands() == 2;
  return lowerElementwise(L, [&](OpBuilder &nb, Location nl, ValueRange a) {
    return binary ? binaryBody(nb, nl, name, a[0], a[1]) : unaryBody(nb, nl, name, a[0]);
  });
}

static LogicalResult lowerCmp(OpLowering &L) {
  auto cmp = cast<nn::CmpOp>(L.op);
  StringRef p = cmp.getPredicate();
  bool isF = isa<FloatType>(L.elem(cmp.getLhs()));
  return lowerElementwise(L, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
    if (isF) {
      auto pred = llvm::StringSwitch<arith::CmpFPredicate>(p)
                      .Case("eq", arith::CmpFPredicate::OEQ)
                      .Case("ne", arith::CmpFPredicate::UNE)
                      .Case("lt", arith::CmpFPredicate::OLT)
                      .Case("le", arith::CmpFPredicate::OLE)
                      .Case("gt", arith::CmpFPredicate::OGT)
                      .Default(arith::CmpFPredicate::OGE);
      return arith::CmpFOp::create(nb, nl, pred, a[0], a[1]);
    }
    auto pred = llvm::StringSwitch<arith::CmpIPredicate>(p)
                    .Case("eq", arith::CmpIPredicate::eq)
                    .Case("ne", arith::CmpIPredicate::ne)
                    .Case("lt", arith::CmpIPredicate::slt)
                    .Case("le", arith::CmpIPredicate::sle)
                    .Case("gt", arith::CmpIPredicate::sgt)
                    .Default(arith::CmpIPredicate::sge);
    return arith::CmpIOp::create(nb, nl, pred, a[0], a[1]);
  });
}

static LogicalResult lowerSelect(OpLowering &L) {
  return lowerElementwise(L, [](OpBuilder &nb, Location nl, ValueRange a) {
    return arith::SelectOp::create(nb, nl, a[0], a[1], a[2]).getResult();
  });
}

static LogicalResult lowerCast(OpLowering &L) {
  Type to = L.resultType().getElementType();
  return lowerElementwise(
      L, [&](OpBuilder &nb, Location nl, ValueRange a) { return castScalar(nb, nl, a[0], to); });
}

/// One loop over all elements (an image batch's innermost dimension, 28, is too short a
/// loop for LLVM to vectorize well). arith converts signless integers: the unsigned byte
/// is reinterpreted (both are i8 in LLVM, where the cast disappears), then converted as
/// unsigned and scaled.
static LogicalResult lowerDequantize(OpLowering &L) {
  auto dq = cast<nn::DequantizeOp>(L.op);
  RankedTensorType type = L.resultType();
  auto ft = cast<FloatType>(type.getElementType());
  double scale = dq.getScale().convertToDouble();
  SmallVector<ReassociationIndices> all;
  if (type.getRank() > 1)
    all.push_back(llvm::to_vector(llvm::seq<int64_t>(0, type.getRank())));
  Value x = dq.getInput();
  if (!all.empty())
    x = tensor::CollapseShapeOp::create(L.b, L.loc, x, all);
  Value flat =
      L.elementwise(RankedTensorType::get({type.getNumElements()}, ft), x,
                    [&](OpBuilder &nb, Location nl, ValueRange a) {
                      Type bits = nb.getIntegerType(a[0].getType().getIntOrFloatBitWidth());
                      Value i = UnrealizedConversionCastOp::create(nb, nl, bits, a[0]).getResult(0);
                      Value f = arith::UIToFPOp::create(nb, nl, ft, i);
                      Value s = arith::ConstantOp::create(nb, nl, nb.getFloatAttr(ft, scale));
                      return arith::MulFOp::create(nb, nl, f, s).getResult();
                    });
  flat.getDefiningOp()->walk([&](arith::MulFOp m) { L.exactOps.insert(m); });
  if (all.empty())
    return L.ret(flat);
  return L.ret(tensor::ExpandShapeOp::create(L.b, L.loc, type, flat, all));
}

static LogicalResult lowerRandomUniform(OpLowering &L) {
  RankedTensorType t = L.resultType();
  int64_t rank = t.getRank(), stream = L.intAttr("stream");
  Value key = cast<nn::RandomUniformOp>(L.op).getKey();
  return L.ret(
      L.generic(t, {}, {}, L.identity(rank), L.parallel(rank), L.empty(t),
                [&](OpBuilder &nb, Location nl, ValueRange) {
                  // The row-major linear index of the element.
                  Value lin = arith::ConstantIndexOp::create(nb, nl, 0);
                  for (int64_t dd = 0; dd < rank; ++dd) {
                    lin = arith::MulIOp::create(
                        nb, nl, lin, arith::ConstantIndexOp::create(nb, nl, t.getDimSize(dd)));
                    lin = arith::AddIOp::create(nb, nl, lin, linalg::IndexOp::create(nb, nl, dd));
                  }
                  return randomBits(nb, nl, key, stream, lin, t.getElementType());
                }));
}

void nnc::nn_to_linalg::addElementwiseLowerings(LoweringRegistry &registry) {
  registry.add<nn::ConstantOp>(lowerConstant);
  registry.add<nn::AddOp, nn::SubOp, nn::MulOp, nn::DivOp, nn::MaxOp, nn::MinOp, nn::PowOp>(
      lowerArithmetic);
  registry.add<nn::NegOp, nn::ExpOp, nn::LogOp, nn::TanhOp, nn::SigmoidOp, nn::ReluOp, nn::SqrtOp,
               nn::RsqrtOp, nn::AbsOp, nn::SquareOp, nn::SignOp>(lowerArithmetic);
  registry.add<nn::CmpOp>(lowerCmp);
  registry.add<nn::SelectOp>(lowerSelect);
  registry.add<nn::CastOp>(lowerCast);
  registry.add<nn::DequantizeOp>(lowerDequantize);
  registry.add<nn::RandomUniformOp>(lowerRandomUniform);
}
