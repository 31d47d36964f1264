//===- Tensor.cpp - Values and scalar conversions -------------------------===//
//
// The runtime value of the evaluator, Tensor (declared in the public header),
// and the scalar arithmetic every op family relies on: row-major index
// helpers, rounding to a float type, wrapping to an integer width, and the
// saturating float-to-integer conversion. finalize applies the rounding and
// the wrapping to each result of an op, which is what makes f32 IR behave like
// f32 code op by op.
//
//===----------------------------------------------------------------------===//

#include "EvaluatorInternal.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace nnc::eval {

//===----------------------------------------------------------------------===//
// Tensor
//===----------------------------------------------------------------------===//

int64_t product(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = int64_t(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

Tensor Tensor::zeros(Type elementType, ArrayRef<int64_t> shape) {
  Tensor t;
  t.elementType = elementType;
  t.shape.assign(shape.begin(), shape.end());
  if (t.isFloat())
    t.f.assign(product(shape), 0.0);
  else
    t.i.assign(product(shape), 0);
  return t;
}

Tensor Tensor::floats(Type elementType, ArrayRef<int64_t> shape, ArrayRef<double> values) {
  Tensor t = zeros(elementType, shape);
  for (size_t k = 0; k < values.size() && k < t.f.size(); ++k)
    t.f[k] = roundTo(elementType, values[k]);
  return t;
}

Tensor Tensor::ints(Type elementType, ArrayRef<int64_t> shape, ArrayRef<int64_t> values) {
  Tensor t = zeros(elementType, shape);
  for (size_t k = 0; k < values.size() && k < t.i.size(); ++k)
    t.i[k] = values[k];
  return t;
}

Tensor Tensor::scalar(Type type, int64_t value) {
  Tensor t = zeros(type, {});
  if (t.isFloat())
    t.f[0] = double(value);
  else
    t.i[0] = value;
  return t;
}

int64_t Tensor::numel() const { return product(shape); }

int64_t Tensor::offset(ArrayRef<int64_t> index) const {
  int64_t off = 0;
  for (size_t d = 0; d < shape.size() && d < index.size(); ++d)
    off = off * shape[d] + index[d];
  return off;
}

double Tensor::at(ArrayRef<int64_t> index) const { return getDouble(offset(index)); }

std::string Tensor::typeString() const {
  std::string s;
  llvm::raw_string_ostream os(s);
  if (elementType)
    os << elementType;
  else
    os << "<null>";
  os << "[";
  llvm::interleaveComma(shape, os);
  os << "]";
  return s;
}

bool Tensor::matches(Type type) const {
  if (auto ranked = dyn_cast<RankedTensorType>(type))
    return ranked.hasStaticShape() && ranked.getElementType() == elementType &&
           ranked.getShape() == ArrayRef<int64_t>(shape);
  return shape.empty() && type == elementType;
}

bool isWellFormed(const Tensor &t) {
  if (!t.elementType)
    return false;
  for (int64_t d : t.shape)
    if (d < 0)
      return false;
  size_t n = size_t(t.numel());
  return t.isFloat() ? t.f.size() == n && t.i.empty() : t.i.size() == n && t.f.empty();
}

AxisSplit splitAt(ArrayRef<int64_t> shape, int64_t axis) {
  return {product(shape.take_front(axis)), shape[axis], product(shape.drop_front(axis + 1))};
}

//===----------------------------------------------------------------------===//
// Scalars: rounding, wrapping
//===----------------------------------------------------------------------===//

double roundTo(Type type, double value) {
  if (type.isF64() || !isa<FloatType>(type))
    return value;
  if (type.isF32())
    return double(float(value));
  // Narrower formats (f16, bf16...) round through APFloat; rare, so speed
  // does not matter.
  APFloat v(value);
  bool losesInfo = false;
  v.convert(cast<FloatType>(type).getFloatSemantics(), APFloat::rmNearestTiesToEven, &losesInfo);
  v.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &losesInfo);
  return v.convertToDouble();
}

unsigned bitWidth(Type type) {
  if (auto it = dyn_cast<IntegerType>(type))
    return it.getWidth();
  return 64; // index
}

int64_t wrapInt(Type type, int64_t v) {
  unsigned width = bitWidth(type);
  if (width >= 64)
    return v;
  uint64_t mask = (uint64_t(1) << width) - 1;
  uint64_t bits = uint64_t(v) & mask;
  if (width == 1 || type.isUnsignedInteger())
    return int64_t(bits);
  if (bits >> (width - 1))
    bits |= ~mask;
  return int64_t(bits);
}

int64_t floatToInt(double v, Type type) {
  if (std::isnan(v))
    return 0;
  unsigned width = bitWidth(type);
  if (width == 1)
    return v != 0;
  double hi = std::ldexp(1.0, int(width) - 1), lo = -hi;
  if (type.isUnsignedInteger()) {
    hi = std::ldexp(1.0, int(width));
    lo = 0;
  }
  if (v >= hi) {
    if (type.isUnsignedInteger())
      return int64_t(width >= 64 ? ~uint64_t(0) : (uint64_t(1) << width) - 1);
    return int64_t((uint64_t(1) << (width - 1)) - 1);
  }
  if (v <= lo)
    return int64_t(lo);
  return int64_t(v);
}

void finalize(Tensor &t) {
  if (t.isFloat()) {
    if (!t.elementType.isF64())
      for (double &v : t.f)
        v = roundTo(t.elementType, v);
    return;
  }
  if (bitWidth(t.elementType) < 64)
    for (int64_t &v : t.i)
      v = wrapInt(t.elementType, v);
}

} // namespace nnc::eval
