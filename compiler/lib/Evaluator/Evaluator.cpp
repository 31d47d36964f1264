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
// machinery. Ops are recognised by name rather than by C++ class, so the
// evaluator does not depend on which op classes the dialect currently
// generates, and attributes are read by name for the same reason.
//
// Anything the evaluator cannot do, or input that makes an op meaningless
// (a label outside [0, C), an out-of-range nn.take index, inconsistent
// shapes in unverified IR), is reported with emitError at the op's location.
//
//===----------------------------------------------------------------------===//

#include "nnc/Evaluator/Evaluator.h"
#include "nnc/Runtime/Random.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <limits>

using namespace mlir;

namespace nnc::eval {

//===----------------------------------------------------------------------===//
// Tensor
//===----------------------------------------------------------------------===//

static int64_t product(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

/// Row-major strides of `shape`.
static SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = int64_t(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

/// Steps the multi-index `idx` through `shape` in row-major order; false
/// once it has passed the last element.
static bool nextIndex(MutableArrayRef<int64_t> idx, ArrayRef<int64_t> shape) {
  for (int64_t d = int64_t(idx.size()) - 1; d >= 0; --d) {
    if (++idx[d] < shape[d])
      return true;
    idx[d] = 0;
  }
  return false;
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

/// Whether the data vectors agree with the element type and the shape.
static bool isWellFormed(const Tensor &t) {
  if (!t.elementType)
    return false;
  for (int64_t d : t.shape)
    if (d < 0)
      return false;
  size_t n = size_t(t.numel());
  return t.isFloat() ? t.f.size() == n && t.i.empty() : t.i.size() == n && t.f.empty();
}

//===----------------------------------------------------------------------===//
// Scalars: rounding, wrapping, random numbers
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

static unsigned bitWidth(Type type) {
  if (auto it = dyn_cast<IntegerType>(type))
    return it.getWidth();
  return 64; // index
}

/// Wraps `v` to the width of the integer type `type`: i1 is 0 or 1,
/// unsigned types are zero-extended, the others sign-extended, as the
/// environment stores every integer in an int64.
static int64_t wrapInt(Type type, int64_t v) {
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

/// Float to integer of `width` bits: truncation toward zero, saturating at
/// the range of the type, NaN to 0 (defined for every input, unlike a C++
/// cast).
static int64_t floatToInt(double v, Type type) {
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

uint64_t splitMix64(uint64_t key, uint64_t stream, uint64_t counter) {
  return runtime::splitMix64(key, stream, counter);
}

double randomUniform(uint64_t key, uint64_t stream, uint64_t counter) {
  return runtime::randomUniform(key, stream, counter);
}

static double maxNaN(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return std::numeric_limits<double>::quiet_NaN();
  return a > b ? a : b;
}

static double minNaN(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return std::numeric_limits<double>::quiet_NaN();
  return a < b ? a : b;
}

/// The "first maximum" order shared by max pooling and its gradient: a NaN
/// beats any number (so NaN propagates), otherwise strictly greater wins.
static bool beats(double v, double best) {
  if (std::isnan(best))
    return false;
  return std::isnan(v) || v > best;
}

//===----------------------------------------------------------------------===//
// Attributes and checks
//===----------------------------------------------------------------------===//

namespace {

using Inputs = ArrayRef<const Tensor *>;
using Outputs = MutableArrayRef<Tensor>;

/// Reads the i64 array attribute `name`, with `size` entries when given.
FailureOr<SmallVector<int64_t>> i64Array(Operation *op, StringRef name, int64_t size = -1) {
  auto attr = op->getAttrOfType<DenseI64ArrayAttr>(name);
  if (!attr)
    return op->emitError() << "expects an i64 array attribute '" << name << "'";
  if (size >= 0 && attr.size() != size)
    return op->emitError() << "expects '" << name << "' to have " << size << " entries, found "
                           << attr.size();
  return SmallVector<int64_t>(attr.asArrayRef());
}

FailureOr<int64_t> i64Attr(Operation *op, StringRef name) {
  auto attr = op->getAttrOfType<IntegerAttr>(name);
  if (!attr)
    return op->emitError() << "expects an integer attribute '" << name << "'";
  return attr.getValue().getSExtValue();
}

FailureOr<double> f64Attr(Operation *op, StringRef name) {
  auto attr = op->getAttrOfType<FloatAttr>(name);
  if (!attr)
    return op->emitError() << "expects a float attribute '" << name << "'";
  return attr.getValueAsDouble();
}

bool unitAttr(Operation *op, StringRef name) { return static_cast<bool>(op->getAttr(name)); }

/// A valid axis of a tensor of rank `rank`.
FailureOr<int64_t> axisAttr(Operation *op, int64_t rank, StringRef name = "axis") {
  FailureOr<int64_t> axis = i64Attr(op, name);
  if (failed(axis))
    return failure();
  if (*axis < 0 || *axis >= rank)
    return op->emitError() << "'" << name << "' = " << *axis << " is out of range for rank "
                           << rank;
  return *axis;
}

LogicalResult arity(Operation *op, Inputs in, Outputs out, size_t numIn, size_t numOut) {
  if (in.size() != numIn || out.size() != numOut)
    return op->emitError() << "expects " << numIn << " operands and " << numOut
                           << " results, found " << in.size() << " and " << out.size();
  return success();
}

LogicalResult expectFloat(Operation *op, const Tensor &t, StringRef what) {
  if (!t.isFloat())
    return op->emitError() << "expects " << what << " to be a float tensor, found "
                           << t.typeString();
  return success();
}

LogicalResult expectInt(Operation *op, const Tensor &t, StringRef what) {
  if (t.isFloat())
    return op->emitError() << "expects " << what << " to be an integer tensor, found "
                           << t.typeString();
  return success();
}

LogicalResult expectShape(Operation *op, const Tensor &t, ArrayRef<int64_t> shape, StringRef what) {
  if (ArrayRef<int64_t>(t.shape) != shape) {
    auto diag = op->emitError() << "expects " << what << " of shape [";
    llvm::interleaveComma(shape, diag);
    return diag << "], found " << t.typeString();
  }
  return success();
}

LogicalResult sameKind(Operation *op, const Tensor &a, const Tensor &b) {
  if (a.elementType != b.elementType)
    return op->emitError() << "expects matching element types, found " << a.typeString() << " and "
                           << b.typeString();
  return success();
}

/// Copies one element between tensors of the same kind.
void copyElement(const Tensor &src, int64_t s, Tensor &dst, int64_t d) {
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
AxisSplit splitAt(ArrayRef<int64_t> shape, int64_t axis) {
  return {product(shape.take_front(axis)), shape[axis], product(shape.drop_front(axis + 1))};
}

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

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

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

//===----------------------------------------------------------------------===//
// Linear algebra, shapes and data movement
//===----------------------------------------------------------------------===//

LogicalResult matmulOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 2, 1)))
    return failure();
  const Tensor &a = *in[0], &b = *in[1];
  if (failed(expectFloat(op, a, "the lhs")) || failed(expectFloat(op, b, "the rhs")))
    return failure();
  if (a.shape.size() != 2 || b.shape.size() != 2 || out[0].shape.size() != 2)
    return op->emitError("expects 2-D operands and result");
  bool ta = unitAttr(op, "transpose_a"), tb = unitAttr(op, "transpose_b");
  int64_t m = ta ? a.shape[1] : a.shape[0], k = ta ? a.shape[0] : a.shape[1];
  int64_t k2 = tb ? b.shape[1] : b.shape[0], n = tb ? b.shape[0] : b.shape[1];
  if (k != k2 || out[0].shape[0] != m || out[0].shape[1] != n)
    return op->emitError() << "inconsistent matmul shapes " << a.typeString() << " x "
                           << b.typeString() << " -> " << out[0].typeString();
  int64_t lda = a.shape[1], ldb = b.shape[1];
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0;
      for (int64_t p = 0; p < k; ++p)
        sum +=
            (ta ? a.f[p * lda + i] : a.f[i * lda + p]) * (tb ? b.f[j * ldb + p] : b.f[p * ldb + j]);
      out[0].f[i * n + j] = sum;
    }
  return success();
}

LogicalResult broadcastOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 1, 1)) || failed(sameKind(op, *in[0], out[0])))
    return failure();
  const Tensor &x = *in[0];
  Tensor &r = out[0];
  FailureOr<SmallVector<int64_t>> dims = i64Array(op, "dims", int64_t(x.shape.size()));
  if (failed(dims))
    return failure();
  for (size_t i = 0; i < dims->size(); ++i) {
    int64_t d = (*dims)[i];
    if (d < 0 || d >= int64_t(r.shape.size()) || (i && d <= (*dims)[i - 1]) ||
        (x.shape[i] != 1 && x.shape[i] != r.shape[d]))
      return op->emitError() << "invalid broadcast of " << x.typeString() << " to "
                             << r.typeString();
  }
  SmallVector<int64_t> xStrides = stridesOf(x.shape);
  SmallVector<int64_t> idx(r.shape.size(), 0);
  for (int64_t k = 0, n = r.numel(); k < n; ++k, nextIndex(idx, r.shape)) {
    int64_t src = 0;
    for (size_t i = 0; i < dims->size(); ++i)
      src += (x.shape[i] == 1 ? 0 : idx[(*dims)[i]]) * xStrides[i];
    copyElement(x, src, r, k);
  }
  return success();
}

enum class Reduction { Sum, Mean, Max };

LogicalResult reduceOp(Operation *op, Inputs in, Outputs out, Reduction kind) {
  if (failed(arity(op, in, out, 1, 1)) || failed(expectFloat(op, *in[0], "the operand")))
    return failure();
  const Tensor &x = *in[0];
  FailureOr<SmallVector<int64_t>> axes = i64Array(op, "axes");
  if (failed(axes))
    return failure();
  SmallVector<int64_t> kept(x.shape.begin(), x.shape.end());
  SmallVector<bool> reduced(x.shape.size(), false);
  int64_t count = 1;
  for (int64_t a : *axes) {
    if (a < 0 || a >= int64_t(x.shape.size()) || reduced[a])
      return op->emitError() << "invalid reduction axis " << a;
    reduced[a] = true;
    count *= x.shape[a];
    kept[a] = 1;
  }
  // The result's row-major offsets are those of the keep_dims shape whether
  // or not the size-1 dimensions are dropped.
  if (out[0].numel() != product(kept))
    return op->emitError() << "result " << out[0].typeString() << " does not match the reduction";
  SmallVector<int64_t> keptStrides = stridesOf(kept);
  std::vector<double> &r = out[0].f;
  std::fill(r.begin(), r.end(),
            kind == Reduction::Max ? -std::numeric_limits<double>::infinity() : 0.0);
  SmallVector<int64_t> idx(x.shape.size(), 0);
  for (int64_t k = 0, n = x.numel(); k < n; ++k, nextIndex(idx, x.shape)) {
    int64_t dst = 0;
    for (size_t d = 0; d < idx.size(); ++d)
      if (!reduced[d])
        dst += idx[d] * keptStrides[d];
    r[dst] = kind == Reduction::Max ? maxNaN(r[dst], x.f[k]) : r[dst] + x.f[k];
  }
  if (kind == Reduction::Mean)
    for (double &v : r)
      v /= double(count);
  return success();
}

LogicalResult argmaxOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 1, 1)) || failed(expectFloat(op, *in[0], "the operand")))
    return failure();
  const Tensor &x = *in[0];
  FailureOr<int64_t> axis = axisAttr(op, int64_t(x.shape.size()));
  if (failed(axis))
    return failure();
  AxisSplit s = splitAt(x.shape, *axis);
  if (out[0].numel() != s.outer * s.inner)
    return op->emitError("result shape does not match the input without the axis");
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t r = 0; r < s.inner; ++r) {
      int64_t best = 0;
      for (int64_t j = 1; j < s.size; ++j)
        if (beats(x.f[(o * s.size + j) * s.inner + r], x.f[(o * s.size + best) * s.inner + r]))
          best = j;
      out[0].i[o * s.inner + r] = best;
    }
  return success();
}

LogicalResult reshapeOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 1, 1)) || failed(sameKind(op, *in[0], out[0])))
    return failure();
  if (in[0]->numel() != out[0].numel())
    return op->emitError() << "cannot reshape " << in[0]->typeString() << " to "
                           << out[0].typeString();
  out[0].f = in[0]->f;
  out[0].i = in[0]->i;
  return success();
}

LogicalResult transposeOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 1, 1)) || failed(sameKind(op, *in[0], out[0])))
    return failure();
  const Tensor &x = *in[0];
  Tensor &r = out[0];
  int64_t rank = int64_t(x.shape.size());
  FailureOr<SmallVector<int64_t>> perm = i64Array(op, "perm", rank);
  if (failed(perm))
    return failure();
  SmallVector<bool> seen(rank, false);
  for (int64_t j = 0; j < rank; ++j) {
    int64_t p = (*perm)[j];
    if (p < 0 || p >= rank || seen[p] || int64_t(r.shape.size()) != rank ||
        r.shape[j] != x.shape[p])
      return op->emitError("invalid transpose permutation");
    seen[p] = true;
  }
  SmallVector<int64_t> xStrides = stridesOf(x.shape);
  SmallVector<int64_t> idx(rank, 0);
  for (int64_t k = 0, n = r.numel(); k < n; ++k, nextIndex(idx, r.shape)) {
    int64_t src = 0;
    for (int64_t j = 0; j < rank; ++j)
      src += idx[j] * xStrides[(*perm)[j]];
    copyElement(x, src, r, k);
  }
  return success();
}

/// Checks a strided window of `sizes` at `offsets` lies inside `shape`.
LogicalResult checkWindow(Operation *op, ArrayRef<int64_t> shape, ArrayRef<int64_t> offsets,
                          ArrayRef<int64_t> sizes, ArrayRef<int64_t> strides) {
  for (size_t d = 0; d < shape.size(); ++d)
    if (offsets[d] < 0 || strides[d] < 1 || sizes[d] < 0 ||
        (sizes[d] > 0 && offsets[d] + (sizes[d] - 1) * strides[d] >= shape[d]))
      return op->emitError() << "window out of bounds in dimension " << d;
  return success();
}

/// nn.slice (`insert` false: result = window of input) and nn.insert_slice
/// (`insert` true: result = dest with the window replaced by src).
LogicalResult sliceOp(Operation *op, Inputs in, Outputs out, bool insert) {
  if (failed(arity(op, in, out, insert ? 2 : 1, 1)) || failed(sameKind(op, *in[0], out[0])))
    return failure();
  const Tensor &big = insert ? out[0] : *in[0];
  const Tensor &small = insert ? *in[1] : out[0];
  if (insert && (failed(sameKind(op, *in[1], out[0])) ||
                 failed(expectShape(op, *in[0], out[0].shape, "dest"))))
    return failure();
  int64_t rank = int64_t(big.shape.size());
  if (int64_t(small.shape.size()) != rank)
    return op->emitError("expects the window and the tensor to have the same rank");
  FailureOr<SmallVector<int64_t>> offsets = i64Array(op, "offsets", rank);
  FailureOr<SmallVector<int64_t>> strides = i64Array(op, "strides", rank);
  if (failed(offsets) || failed(strides) ||
      failed(checkWindow(op, big.shape, *offsets, small.shape, *strides)))
    return failure();
  if (insert) {
    out[0].f = in[0]->f;
    out[0].i = in[0]->i;
  }
  SmallVector<int64_t> bigStrides = stridesOf(big.shape);
  SmallVector<int64_t> idx(rank, 0);
  for (int64_t k = 0, n = small.numel(); k < n; ++k, nextIndex(idx, small.shape)) {
    int64_t b = 0;
    for (int64_t d = 0; d < rank; ++d)
      b += ((*offsets)[d] + idx[d] * (*strides)[d]) * bigStrides[d];
    if (insert)
      copyElement(*in[1], k, out[0], b);
    else
      copyElement(*in[0], b, out[0], k);
  }
  return success();
}

/// The dynamic index operand of nn.take / nn.put, checked against the axis.
FailureOr<int64_t> slotIndex(Operation *op, const Tensor &index, int64_t size) {
  if (index.isFloat() || index.i.size() != 1)
    return op->emitError("expects a scalar index");
  int64_t i = index.i[0];
  if (i < 0 || i >= size)
    return op->emitError() << "index " << i << " is out of range [0, " << size << ")";
  return i;
}

LogicalResult takeOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 2, 1)) || failed(sameKind(op, *in[0], out[0])))
    return failure();
  const Tensor &x = *in[0];
  FailureOr<int64_t> axis = axisAttr(op, int64_t(x.shape.size()));
  if (failed(axis))
    return failure();
  AxisSplit s = splitAt(x.shape, *axis);
  FailureOr<int64_t> index = slotIndex(op, *in[1], s.size);
  if (failed(index))
    return failure();
  if (out[0].numel() != s.outer * s.inner)
    return op->emitError("result shape does not match the input without the axis");
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t r = 0; r < s.inner; ++r)
      copyElement(x, (o * s.size + *index) * s.inner + r, out[0], o * s.inner + r);
  return success();
}

LogicalResult putOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 3, 1)) || failed(sameKind(op, *in[0], out[0])) ||
      failed(sameKind(op, *in[1], out[0])) || failed(expectShape(op, *in[0], out[0].shape, "dest")))
    return failure();
  const Tensor &src = *in[1];
  Tensor &r = out[0];
  FailureOr<int64_t> axis = axisAttr(op, int64_t(r.shape.size()));
  if (failed(axis))
    return failure();
  AxisSplit s = splitAt(r.shape, *axis);
  FailureOr<int64_t> index = slotIndex(op, *in[2], s.size);
  if (failed(index))
    return failure();
  if (src.numel() != s.outer * s.inner)
    return op->emitError("src shape does not match dest without the axis");
  bool accumulate = unitAttr(op, "accumulate");
  r.f = in[0]->f;
  r.i = in[0]->i;
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t q = 0; q < s.inner; ++q) {
      int64_t d = (o * s.size + *index) * s.inner + q, k = o * s.inner + q;
      if (r.isFloat())
        r.f[d] = accumulate ? r.f[d] + src.f[k] : src.f[k];
      else
        r.i[d] = accumulate ? int64_t(uint64_t(r.i[d]) + uint64_t(src.i[k])) : src.i[k];
    }
  return success();
}

LogicalResult concatOp(Operation *op, Inputs in, Outputs out) {
  if (in.empty() || out.size() != 1)
    return op->emitError("expects at least one operand and one result");
  Tensor &r = out[0];
  FailureOr<int64_t> axis = axisAttr(op, int64_t(r.shape.size()));
  if (failed(axis))
    return failure();
  AxisSplit rs = splitAt(r.shape, *axis);
  int64_t total = 0;
  for (const Tensor *x : in) {
    if (failed(sameKind(op, *x, r)))
      return failure();
    if (x->shape.size() != r.shape.size())
      return op->emitError("concatenated tensors differ in rank");
    AxisSplit xs = splitAt(x->shape, *axis);
    if (xs.outer != rs.outer || xs.inner != rs.inner)
      return op->emitError("concatenated tensors disagree outside the axis");
    total += xs.size;
  }
  if (total != rs.size)
    return op->emitError("result size along the axis is not the sum of the operands'");
  for (int64_t o = 0; o < rs.outer; ++o) {
    int64_t pos = 0;
    for (const Tensor *x : in) {
      int64_t block = x->shape[*axis] * rs.inner;
      for (int64_t q = 0; q < block; ++q)
        copyElement(*x, o * block + q, r, (o * rs.size + pos) * rs.inner + q);
      pos += x->shape[*axis];
    }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Softmax and losses
//===----------------------------------------------------------------------===//

LogicalResult softmaxOp(Operation *op, Inputs in, Outputs out, bool log) {
  if (failed(arity(op, in, out, 1, 1)) || failed(expectFloat(op, *in[0], "the operand")) ||
      failed(expectShape(op, *in[0], out[0].shape, "the operand")))
    return failure();
  const Tensor &x = *in[0];
  FailureOr<int64_t> axis = axisAttr(op, int64_t(x.shape.size()));
  if (failed(axis))
    return failure();
  AxisSplit s = splitAt(x.shape, *axis);
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t q = 0; q < s.inner; ++q) {
      auto at = [&](int64_t j) { return (o * s.size + j) * s.inner + q; };
      double m = -std::numeric_limits<double>::infinity();
      for (int64_t j = 0; j < s.size; ++j)
        m = maxNaN(m, x.f[at(j)]);
      double sum = 0;
      for (int64_t j = 0; j < s.size; ++j)
        sum += std::exp(x.f[at(j)] - m);
      for (int64_t j = 0; j < s.size; ++j)
        out[0].f[at(j)] = log ? x.f[at(j)] - m - std::log(sum) : std::exp(x.f[at(j)] - m) / sum;
    }
  return success();
}

/// Checks logits [B, C] and labels [B] and returns C.
FailureOr<int64_t> checkLogitsLabels(Operation *op, const Tensor &logits, const Tensor &labels) {
  if (failed(expectFloat(op, logits, "the logits")) || failed(expectInt(op, labels, "the labels")))
    return failure();
  if (logits.shape.size() != 2 || labels.shape.size() != 1 || labels.shape[0] != logits.shape[0])
    return op->emitError() << "expects logits [B, C] and labels [B], found " << logits.typeString()
                           << " and " << labels.typeString();
  int64_t c = logits.shape[1];
  for (int64_t b = 0; b < labels.shape[0]; ++b)
    if (labels.i[b] < 0 || labels.i[b] >= c)
      return op->emitError() << "label " << labels.i[b] << " of batch element " << b
                             << " is out of range [0, " << c << ")";
  return c;
}

/// The stable log-sum-exp of `row[0, n)`.
double logSumExp(const double *row, int64_t n) {
  double m = -std::numeric_limits<double>::infinity();
  for (int64_t j = 0; j < n; ++j)
    m = maxNaN(m, row[j]);
  if (std::isinf(m))
    return m;
  double sum = 0;
  for (int64_t j = 0; j < n; ++j)
    sum += std::exp(row[j] - m);
  return m + std::log(sum);
}

LogicalResult crossEntropyOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 2, 1)))
    return failure();
  const Tensor &logits = *in[0], &labels = *in[1];
  FailureOr<int64_t> c = checkLogitsLabels(op, logits, labels);
  if (failed(c) || failed(expectShape(op, out[0], {}, "the result")))
    return failure();
  int64_t batch = logits.shape[0];
  double total = 0;
  for (int64_t b = 0; b < batch; ++b) {
    const double *row = logits.f.data() + b * *c;
    total += logSumExp(row, *c) - row[labels.i[b]];
  }
  out[0].f[0] = total / double(batch);
  return success();
}

LogicalResult crossEntropyGradOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 3, 1)))
    return failure();
  const Tensor &logits = *in[0], &labels = *in[1], &g = *in[2];
  FailureOr<int64_t> c = checkLogitsLabels(op, logits, labels);
  if (failed(c) || failed(expectFloat(op, g, "g")) || failed(expectShape(op, g, {}, "g")) ||
      failed(expectShape(op, out[0], logits.shape, "the result")))
    return failure();
  int64_t batch = logits.shape[0];
  for (int64_t b = 0; b < batch; ++b) {
    const double *row = logits.f.data() + b * *c;
    double lse = logSumExp(row, *c);
    for (int64_t j = 0; j < *c; ++j)
      out[0].f[b * *c + j] =
          (std::exp(row[j] - lse) - (j == labels.i[b] ? 1.0 : 0.0)) * g.f[0] / double(batch);
  }
  return success();
}

LogicalResult mseOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 2, 1)) || failed(expectFloat(op, *in[0], "pred")) ||
      failed(expectFloat(op, *in[1], "target")) ||
      failed(expectShape(op, *in[1], in[0]->shape, "target")) ||
      failed(expectShape(op, out[0], {}, "the result")))
    return failure();
  double sum = 0;
  int64_t n = in[0]->numel();
  for (int64_t k = 0; k < n; ++k) {
    double d = in[0]->f[k] - in[1]->f[k];
    sum += d * d;
  }
  out[0].f[0] = sum / double(n);
  return success();
}

//===----------------------------------------------------------------------===//
// Convolution and pooling
//===----------------------------------------------------------------------===//

/// The geometry shared by nn.conv2d and its two gradients, validated so that
/// no index computed from it leaves its tensor.
struct ConvGeom {
  int64_t n, c, h, w, o, cg, kh, kw, oh, ow, sh, sw, pt, pl, dh, dw, groups;
};

FailureOr<ConvGeom> convGeometry(Operation *op, ArrayRef<int64_t> x, ArrayRef<int64_t> f,
                                 ArrayRef<int64_t> y) {
  FailureOr<SmallVector<int64_t>> strides = i64Array(op, "strides", 2);
  FailureOr<SmallVector<int64_t>> padding = i64Array(op, "padding", 4);
  FailureOr<SmallVector<int64_t>> dilations = i64Array(op, "dilations", 2);
  FailureOr<int64_t> groups = i64Attr(op, "groups");
  if (failed(strides) || failed(padding) || failed(dilations) || failed(groups))
    return failure();
  if (x.size() != 4 || f.size() != 4 || y.size() != 4)
    return op->emitError("expects 4-D input, filter and output");
  ConvGeom g;
  g.n = x[0], g.c = x[1], g.h = x[2], g.w = x[3];
  g.o = f[0], g.cg = f[1], g.kh = f[2], g.kw = f[3];
  g.oh = y[2], g.ow = y[3];
  g.sh = (*strides)[0], g.sw = (*strides)[1];
  g.pt = (*padding)[0], g.pl = (*padding)[1];
  g.dh = (*dilations)[0], g.dw = (*dilations)[1];
  g.groups = *groups;
  int64_t pb = (*padding)[2], pr = (*padding)[3];
  auto outSize = [](int64_t in, int64_t p0, int64_t p1, int64_t k, int64_t d, int64_t s) {
    int64_t span = in + p0 + p1 - d * (k - 1) - 1;
    return span < 0 ? int64_t(-1) : span / s + 1;
  };
  if (g.sh < 1 || g.sw < 1 || g.dh < 1 || g.dw < 1 || g.pt < 0 || g.pl < 0 || pb < 0 || pr < 0 ||
      g.groups < 1 || g.c != g.cg * g.groups || g.o % g.groups != 0 || y[0] != g.n || y[1] != g.o ||
      g.oh != outSize(g.h, g.pt, pb, g.kh, g.dh, g.sh) ||
      g.ow != outSize(g.w, g.pl, pr, g.kw, g.dw, g.sw))
    return op->emitError("inconsistent convolution shapes or attributes");
  return g;
}

LogicalResult conv2dOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 2, 1)) || failed(expectFloat(op, *in[0], "the input")) ||
      failed(expectFloat(op, *in[1], "the filter")))
    return failure();
  const Tensor &x = *in[0], &w = *in[1];
  FailureOr<ConvGeom> g = convGeometry(op, x.shape, w.shape, out[0].shape);
  if (failed(g))
    return failure();
  int64_t opg = g->o / g->groups;
  for (int64_t n = 0; n < g->n; ++n)
    for (int64_t o = 0; o < g->o; ++o)
      for (int64_t oh = 0; oh < g->oh; ++oh)
        for (int64_t ow = 0; ow < g->ow; ++ow) {
          double sum = 0;
          for (int64_t ci = 0; ci < g->cg; ++ci)
            for (int64_t kh = 0; kh < g->kh; ++kh)
              for (int64_t kw = 0; kw < g->kw; ++kw) {
                int64_t h = oh * g->sh - g->pt + kh * g->dh;
                int64_t wi = ow * g->sw - g->pl + kw * g->dw;
                if (h < 0 || h >= g->h || wi < 0 || wi >= g->w)
                  continue;
                int64_t c = (o / opg) * g->cg + ci;
                sum += x.f[((n * g->c + c) * g->h + h) * g->w + wi] *
                       w.f[((o * g->cg + ci) * g->kh + kh) * g->kw + kw];
              }
          out[0].f[((n * g->o + o) * g->oh + oh) * g->ow + ow] = sum;
        }
  return success();
}

/// Input gradient (`filterGrad` false: in = grad, filter; out = dx) or
/// filter gradient (true: in = input, grad; out = dw). Both scatter along
/// the forward op's loop nest, which makes them correct by construction.
LogicalResult conv2dGradOp(Operation *op, Inputs in, Outputs out, bool filterGrad) {
  if (failed(arity(op, in, out, 2, 1)) || failed(expectFloat(op, *in[0], "the first operand")) ||
      failed(expectFloat(op, *in[1], "the second operand")))
    return failure();
  const Tensor &x = filterGrad ? *in[0] : out[0];
  const Tensor &w = filterGrad ? out[0] : *in[1];
  const Tensor &dy = filterGrad ? *in[1] : *in[0];
  FailureOr<ConvGeom> g = convGeometry(op, x.shape, w.shape, dy.shape);
  if (failed(g))
    return failure();
  int64_t opg = g->o / g->groups;
  for (int64_t n = 0; n < g->n; ++n)
    for (int64_t o = 0; o < g->o; ++o)
      for (int64_t oh = 0; oh < g->oh; ++oh)
        for (int64_t ow = 0; ow < g->ow; ++ow) {
          double gv = dy.f[((n * g->o + o) * g->oh + oh) * g->ow + ow];
          for (int64_t ci = 0; ci < g->cg; ++ci)
            for (int64_t kh = 0; kh < g->kh; ++kh)
              for (int64_t kw = 0; kw < g->kw; ++kw) {
                int64_t h = oh * g->sh - g->pt + kh * g->dh;
                int64_t wi = ow * g->sw - g->pl + kw * g->dw;
                if (h < 0 || h >= g->h || wi < 0 || wi >= g->w)
                  continue;
                int64_t c = (o / opg) * g->cg + ci;
                int64_t xk = ((n * g->c + c) * g->h + h) * g->w + wi;
                int64_t wk = ((o * g->cg + ci) * g->kh + kh) * g->kw + kw;
                if (filterGrad)
                  out[0].f[wk] += gv * x.f[xk];
                else
                  out[0].f[xk] += gv * w.f[wk];
              }
        }
  return success();
}

struct PoolGeom {
  int64_t n, c, h, w, oh, ow, kh, kw, sh, sw, pt, pl;
};

/// Validates the pooling geometry between `x` [N,C,H,W] and `y` [N,C,OH,OW].
FailureOr<PoolGeom> poolGeometry(Operation *op, ArrayRef<int64_t> x, ArrayRef<int64_t> y) {
  FailureOr<SmallVector<int64_t>> kernel = i64Array(op, "kernel", 2);
  FailureOr<SmallVector<int64_t>> strides = i64Array(op, "strides", 2);
  FailureOr<SmallVector<int64_t>> padding = i64Array(op, "padding", 4);
  if (failed(kernel) || failed(strides) || failed(padding))
    return failure();
  if (x.size() != 4 || y.size() != 4)
    return op->emitError("expects 4-D input and output");
  PoolGeom g;
  g.n = x[0], g.c = x[1], g.h = x[2], g.w = x[3], g.oh = y[2], g.ow = y[3];
  g.kh = (*kernel)[0], g.kw = (*kernel)[1];
  g.sh = (*strides)[0], g.sw = (*strides)[1];
  g.pt = (*padding)[0], g.pl = (*padding)[1];
  int64_t pb = (*padding)[2], pr = (*padding)[3];
  auto outSize = [](int64_t in, int64_t p0, int64_t p1, int64_t k, int64_t s) {
    int64_t span = in + p0 + p1 - k;
    return span < 0 ? int64_t(-1) : span / s + 1;
  };
  if (g.kh < 1 || g.kw < 1 || g.sh < 1 || g.sw < 1 || g.pt < 0 || g.pl < 0 || pb < 0 || pr < 0 ||
      y[0] != g.n || y[1] != g.c || g.oh != outSize(g.h, g.pt, pb, g.kh, g.sh) ||
      g.ow != outSize(g.w, g.pl, pr, g.kw, g.sw))
    return op->emitError("inconsistent pooling shapes or attributes");
  return g;
}

/// Calls `fn(inputOffset)` for each in-bounds input position of window
/// (n, c, oh, ow), in row-major order.
template <typename Fn>
void forWindow(const PoolGeom &g, int64_t n, int64_t c, int64_t oh, int64_t ow, Fn fn) {
  for (int64_t kh = 0; kh < g.kh; ++kh)
    for (int64_t kw = 0; kw < g.kw; ++kw) {
      int64_t h = oh * g.sh - g.pt + kh, w = ow * g.sw - g.pl + kw;
      if (h >= 0 && h < g.h && w >= 0 && w < g.w)
        fn(((n * g.c + c) * g.h + h) * g.w + w);
    }
}

enum class PoolKind { Max, Avg, MaxGrad, AvgGrad };

LogicalResult poolOp(Operation *op, Inputs in, Outputs out, PoolKind kind) {
  bool isGrad = kind == PoolKind::MaxGrad || kind == PoolKind::AvgGrad;
  size_t numIn = kind == PoolKind::MaxGrad ? 2 : 1;
  if (failed(arity(op, in, out, numIn, 1)))
    return failure();
  for (const Tensor *t : in)
    if (failed(expectFloat(op, *t, "the operands")))
      return failure();
  // Forward: x = in[0], y = out. MaxGrad: x = in[0], dy = in[1], dx = out.
  // AvgGrad: dy = in[0], dx = out (its shape is the input's).
  ArrayRef<int64_t> xShape = kind == PoolKind::AvgGrad ? out[0].shape : in[0]->shape;
  ArrayRef<int64_t> yShape = !isGrad ? out[0].shape : in[numIn - 1]->shape;
  FailureOr<PoolGeom> g = poolGeometry(op, xShape, yShape);
  if (failed(g) ||
      (kind == PoolKind::MaxGrad && failed(expectShape(op, out[0], in[0]->shape, "the result"))))
    return failure();
  double area = double(g->kh * g->kw);
  std::vector<double> &r = out[0].f;
  for (int64_t n = 0; n < g->n; ++n)
    for (int64_t c = 0; c < g->c; ++c)
      for (int64_t oh = 0; oh < g->oh; ++oh)
        for (int64_t ow = 0; ow < g->ow; ++ow) {
          int64_t y = ((n * g->c + c) * g->oh + oh) * g->ow + ow;
          switch (kind) {
          case PoolKind::Max:
          case PoolKind::MaxGrad: {
            int64_t best = -1;
            forWindow(*g, n, c, oh, ow, [&](int64_t k) {
              if (best < 0 || beats(in[0]->f[k], in[0]->f[best]))
                best = k;
            });
            if (kind == PoolKind::Max)
              r[y] = best < 0 ? -std::numeric_limits<double>::infinity() : in[0]->f[best];
            else if (best >= 0)
              r[best] += in[1]->f[y];
            break;
          }
          case PoolKind::Avg: {
            double sum = 0;
            forWindow(*g, n, c, oh, ow, [&](int64_t k) { sum += in[0]->f[k]; });
            r[y] = sum / area;
            break;
          }
          case PoolKind::AvgGrad:
            forWindow(*g, n, c, oh, ow, [&](int64_t k) { r[k] += in[0]->f[y] / area; });
            break;
          }
        }
  return success();
}

//===----------------------------------------------------------------------===//
// Batch normalization and random numbers
//===----------------------------------------------------------------------===//

/// Checks that each per-channel operand is 1-D of the channel count and
/// returns the split of the input around the channel axis.
FailureOr<AxisSplit> channelSplit(Operation *op, const Tensor &x, ArrayRef<const Tensor *> vecs) {
  if (failed(expectFloat(op, x, "the input")))
    return failure();
  FailureOr<int64_t> axis = axisAttr(op, int64_t(x.shape.size()));
  if (failed(axis))
    return failure();
  AxisSplit s = splitAt(x.shape, *axis);
  for (const Tensor *v : vecs)
    if (failed(expectFloat(op, *v, "per-channel operands")) ||
        failed(expectShape(op, *v, {s.size}, "per-channel operands and results")))
      return failure();
  return s;
}

/// Calls `fn(offset, channel)` for every element of a tensor split by `s`.
template <typename Fn> void forChannels(const AxisSplit &s, Fn fn) {
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t c = 0; c < s.size; ++c)
      for (int64_t q = 0; q < s.inner; ++q)
        fn((o * s.size + c) * s.inner + q, c);
}

LogicalResult batchNormTrainOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 3, 3)))
    return failure();
  const Tensor &x = *in[0], &gamma = *in[1], &beta = *in[2];
  FailureOr<AxisSplit> s = channelSplit(op, x, {&gamma, &beta, &out[1], &out[2]});
  FailureOr<double> eps = f64Attr(op, "epsilon");
  if (failed(s) || failed(eps) || failed(expectShape(op, out[0], x.shape, "the output")))
    return failure();
  double count = double(s->outer * s->inner);
  std::vector<double> mean(s->size, 0.0), var(s->size, 0.0);
  forChannels(*s, [&](int64_t k, int64_t c) { mean[c] += x.f[k]; });
  for (double &m : mean)
    m /= count;
  forChannels(*s, [&](int64_t k, int64_t c) { var[c] += (x.f[k] - mean[c]) * (x.f[k] - mean[c]); });
  for (double &v : var)
    v /= count;
  forChannels(*s, [&](int64_t k, int64_t c) {
    out[0].f[k] = (x.f[k] - mean[c]) / std::sqrt(var[c] + *eps) * gamma.f[c] + beta.f[c];
  });
  out[1].f = mean;
  out[2].f = var;
  return success();
}

LogicalResult batchNormInferOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 5, 1)))
    return failure();
  const Tensor &x = *in[0], &mean = *in[1], &var = *in[2], &gamma = *in[3], &beta = *in[4];
  FailureOr<AxisSplit> s = channelSplit(op, x, {&mean, &var, &gamma, &beta});
  FailureOr<double> eps = f64Attr(op, "epsilon");
  if (failed(s) || failed(eps) || failed(expectShape(op, out[0], x.shape, "the output")))
    return failure();
  forChannels(*s, [&](int64_t k, int64_t c) {
    out[0].f[k] = (x.f[k] - mean.f[c]) / std::sqrt(var.f[c] + *eps) * gamma.f[c] + beta.f[c];
  });
  return success();
}

LogicalResult batchNormGradOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 5, 3)))
    return failure();
  const Tensor &x = *in[0], &gamma = *in[1], &mean = *in[2], &var = *in[3], &dy = *in[4];
  FailureOr<AxisSplit> s = channelSplit(op, x, {&gamma, &mean, &var, &out[1], &out[2]});
  FailureOr<double> eps = f64Attr(op, "epsilon");
  if (failed(s) || failed(eps) || failed(expectFloat(op, dy, "grad")) ||
      failed(expectShape(op, dy, x.shape, "grad")) ||
      failed(expectShape(op, out[0], x.shape, "dx")))
    return failure();
  double count = double(s->outer * s->inner);
  std::vector<double> rstd(s->size), dgamma(s->size, 0.0), dbeta(s->size, 0.0);
  for (int64_t c = 0; c < s->size; ++c)
    rstd[c] = 1.0 / std::sqrt(var.f[c] + *eps);
  auto xhat = [&](int64_t k, int64_t c) { return (x.f[k] - mean.f[c]) * rstd[c]; };
  forChannels(*s, [&](int64_t k, int64_t c) {
    dbeta[c] += dy.f[k];
    dgamma[c] += dy.f[k] * xhat(k, c);
  });
  forChannels(*s, [&](int64_t k, int64_t c) {
    out[0].f[k] =
        gamma.f[c] * rstd[c] / count * (count * dy.f[k] - dbeta[c] - xhat(k, c) * dgamma[c]);
  });
  out[1].f = dgamma;
  out[2].f = dbeta;
  return success();
}

LogicalResult randomUniformOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 1, 1)) || failed(expectInt(op, *in[0], "the key")) ||
      failed(expectShape(op, *in[0], {}, "the key")) ||
      failed(expectFloat(op, out[0], "the result")))
    return failure();
  FailureOr<int64_t> stream = i64Attr(op, "stream");
  if (failed(stream))
    return failure();
  uint64_t key = uint64_t(in[0]->i[0]);
  for (int64_t k = 0, n = out[0].numel(); k < n; ++k)
    out[0].f[k] = randomUniform(key, uint64_t(*stream), uint64_t(k));
  return success();
}

//===----------------------------------------------------------------------===//
// arith
//===----------------------------------------------------------------------===//

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

LogicalResult cmpiOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 2, 1)) || failed(expectInt(op, *in[0], "the lhs")) ||
      failed(expectShape(op, *in[0], out[0].shape, "the lhs")) ||
      failed(sameKind(op, *in[0], *in[1])) ||
      failed(expectShape(op, *in[1], out[0].shape, "the rhs")))
    return failure();
  using P = arith::CmpIPredicate;
  P p = cast<arith::CmpIOp>(op).getPredicate();
  unsigned width = bitWidth(in[0]->elementType);
  uint64_t mask = width >= 64 ? ~uint64_t(0) : (uint64_t(1) << width) - 1;
  for (int64_t k = 0, n = out[0].numel(); k < n; ++k) {
    int64_t a = in[0]->i[k], b = in[1]->i[k];
    uint64_t ua = uint64_t(a) & mask, ub = uint64_t(b) & mask;
    bool r = false;
    switch (p) {
    case P::eq:
      r = a == b;
      break;
    case P::ne:
      r = a != b;
      break;
    case P::slt:
      r = a < b;
      break;
    case P::sle:
      r = a <= b;
      break;
    case P::sgt:
      r = a > b;
      break;
    case P::sge:
      r = a >= b;
      break;
    case P::ult:
      r = ua < ub;
      break;
    case P::ule:
      r = ua <= ub;
      break;
    case P::ugt:
      r = ua > ub;
      break;
    case P::uge:
      r = ua >= ub;
      break;
    }
    out[0].i[k] = r;
  }
  return success();
}

LogicalResult cmpfOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 2, 1)) || failed(expectFloat(op, *in[0], "the lhs")) ||
      failed(expectShape(op, *in[0], out[0].shape, "the lhs")) ||
      failed(sameKind(op, *in[0], *in[1])) ||
      failed(expectShape(op, *in[1], out[0].shape, "the rhs")))
    return failure();
  using P = arith::CmpFPredicate;
  P p = cast<arith::CmpFOp>(op).getPredicate();
  for (int64_t k = 0, n = out[0].numel(); k < n; ++k) {
    double a = in[0]->f[k], b = in[1]->f[k];
    bool unordered = std::isnan(a) || std::isnan(b);
    bool r = false;
    switch (p) {
    case P::AlwaysFalse:
      r = false;
      break;
    case P::OEQ:
      r = !unordered && a == b;
      break;
    case P::OGT:
      r = !unordered && a > b;
      break;
    case P::OGE:
      r = !unordered && a >= b;
      break;
    case P::OLT:
      r = !unordered && a < b;
      break;
    case P::OLE:
      r = !unordered && a <= b;
      break;
    case P::ONE:
      r = !unordered && a != b;
      break;
    case P::ORD:
      r = !unordered;
      break;
    case P::UEQ:
      r = unordered || a == b;
      break;
    case P::UGT:
      r = unordered || a > b;
      break;
    case P::UGE:
      r = unordered || a >= b;
      break;
    case P::ULT:
      r = unordered || a < b;
      break;
    case P::ULE:
      r = unordered || a <= b;
      break;
    case P::UNE:
      r = unordered || a != b;
      break;
    case P::UNO:
      r = unordered;
      break;
    case P::AlwaysTrue:
      r = true;
      break;
    }
    out[0].i[k] = r;
  }
  return success();
}

/// The integer arith ops (on index, integers, and tensors of them); sets
/// `handled` when `name` is one of them. Arithmetic wraps (computed on
/// uint64, then wrapped to the width by the caller).
LogicalResult intOp(Operation *op, StringRef name, Inputs in, Outputs out, bool &handled) {
  using R = FailureOr<int64_t>;
  IntFn fn =
      llvm::StringSwitch<IntFn>(name)
          .Case("arith.addi",
                [](int64_t a, int64_t b, uint64_t, uint64_t) -> R {
                  return int64_t(uint64_t(a) + uint64_t(b));
                })
          .Case("arith.subi",
                [](int64_t a, int64_t b, uint64_t, uint64_t) -> R {
                  return int64_t(uint64_t(a) - uint64_t(b));
                })
          .Case("arith.muli",
                [](int64_t a, int64_t b, uint64_t, uint64_t) -> R {
                  return int64_t(uint64_t(a) * uint64_t(b));
                })
          .Case("arith.divsi",
                [](int64_t a, int64_t b, uint64_t, uint64_t) -> R {
                  if (b == 0)
                    return failure();
                  return b == -1 ? int64_t(0 - uint64_t(a)) : a / b; // INT64_MIN / -1 wraps
                })
          .Case("arith.remsi",
                [](int64_t a, int64_t b, uint64_t, uint64_t) -> R {
                  if (b == 0)
                    return failure();
                  return b == -1 ? 0 : a % b;
                })
          .Case("arith.floordivsi",
                [](int64_t a, int64_t b, uint64_t, uint64_t) -> R {
                  if (b == 0)
                    return failure();
                  if (b == -1)
                    return int64_t(0 - uint64_t(a));
                  int64_t q = a / b;
                  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
                })
          .Case("arith.ceildivsi",
                [](int64_t a, int64_t b, uint64_t, uint64_t) -> R {
                  if (b == 0)
                    return failure();
                  if (b == -1)
                    return int64_t(0 - uint64_t(a));
                  int64_t q = a / b;
                  return (a % b != 0 && ((a < 0) == (b < 0))) ? q + 1 : q;
                })
          .Case("arith.divui",
                [](int64_t, int64_t, uint64_t a, uint64_t b) -> R {
                  if (b == 0)
                    return failure();
                  return int64_t(a / b);
                })
          .Case("arith.remui",
                [](int64_t, int64_t, uint64_t a, uint64_t b) -> R {
                  if (b == 0)
                    return failure();
                  return int64_t(a % b);
                })
          .Case("arith.maxsi",
                [](int64_t a, int64_t b, uint64_t, uint64_t) -> R { return std::max(a, b); })
          .Case("arith.minsi",
                [](int64_t a, int64_t b, uint64_t, uint64_t) -> R { return std::min(a, b); })
          .Case(
              "arith.maxui",
              [](int64_t, int64_t, uint64_t a, uint64_t b) -> R { return int64_t(std::max(a, b)); })
          .Case(
              "arith.minui",
              [](int64_t, int64_t, uint64_t a, uint64_t b) -> R { return int64_t(std::min(a, b)); })
          .Case("arith.andi", [](int64_t a, int64_t b, uint64_t, uint64_t) -> R { return a & b; })
          .Case("arith.ori", [](int64_t a, int64_t b, uint64_t, uint64_t) -> R { return a | b; })
          .Case("arith.xori", [](int64_t a, int64_t b, uint64_t, uint64_t) -> R { return a ^ b; })
          .Default(nullptr);
  handled = static_cast<bool>(fn);
  if (!handled)
    return success();
  return binaryInt(op, in, out, fn);
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

//===----------------------------------------------------------------------===//
// The interpreter
//===----------------------------------------------------------------------===//

/// Allocates the zero tensor of an MLIR type, or fails for types the
/// evaluator does not model (dynamic shapes, memrefs, wide integers).
FailureOr<Tensor> tensorOfType(Type type) {
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

/// Rounds float results to their type and wraps integers to their width.
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

class Interpreter {
public:
  FailureOr<std::vector<Tensor>> call(func::FuncOp fn, ArrayRef<Tensor> args);

private:
  using Env = llvm::DenseMap<Value, Tensor>;

  LogicalResult runBlock(Block &block, Env &env, std::vector<Tensor> &yielded);
  LogicalResult runOp(Operation *op, Env &env);
  LogicalResult dispatch(Operation *op, Inputs in, Outputs out, Env &env);
  LogicalResult forOp(scf::ForOp op, Inputs in, Outputs out, Env &env);
  LogicalResult ifOp(scf::IfOp op, Inputs in, Outputs out, Env &env);
  LogicalResult callOp(func::CallOp op, Inputs in, Outputs out);

  /// Bounds func.call recursion so that a recursive module fails cleanly
  /// instead of overflowing the stack.
  static constexpr unsigned kMaxCallDepth = 128;
  unsigned depth = 0;
};

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

LogicalResult Interpreter::dispatch(Operation *op, Inputs in, Outputs out, Env &env) {
  StringRef name = op->getName().getStringRef();

  // nn: elementwise.
  if (name == "nn.add")
    return binaryFloat(op, in, out, [](double a, double b) { return a + b; });
  if (name == "nn.sub")
    return binaryFloat(op, in, out, [](double a, double b) { return a - b; });
  if (name == "nn.mul")
    return binaryFloat(op, in, out, [](double a, double b) { return a * b; });
  if (name == "nn.div")
    return binaryFloat(op, in, out, [](double a, double b) { return a / b; });
  if (name == "nn.max")
    return binaryFloat(op, in, out, maxNaN);
  if (name == "nn.min")
    return binaryFloat(op, in, out, minNaN);
  if (name == "nn.pow")
    return binaryFloat(op, in, out, [](double a, double b) { return std::pow(a, b); });
  if (name == "nn.neg")
    return unaryFloat(op, in, out, [](double x) { return -x; });
  if (name == "nn.exp")
    return unaryFloat(op, in, out, [](double x) { return std::exp(x); });
  if (name == "nn.log")
    return unaryFloat(op, in, out, [](double x) { return std::log(x); });
  if (name == "nn.tanh")
    return unaryFloat(op, in, out, [](double x) { return std::tanh(x); });
  if (name == "nn.sigmoid")
    return unaryFloat(op, in, out, [](double x) { return 1.0 / (1.0 + std::exp(-x)); });
  if (name == "nn.relu")
    return unaryFloat(op, in, out, [](double x) { return maxNaN(x, 0.0); });
  if (name == "nn.sqrt")
    return unaryFloat(op, in, out, [](double x) { return std::sqrt(x); });
  if (name == "nn.rsqrt")
    return unaryFloat(op, in, out, [](double x) { return 1.0 / std::sqrt(x); });
  if (name == "nn.abs")
    return unaryFloat(op, in, out, [](double x) { return std::fabs(x); });
  if (name == "nn.square")
    return unaryFloat(op, in, out, [](double x) { return x * x; });
  if (name == "nn.sign")
    return unaryFloat(op, in, out, [](double x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : x; });
  if (name == "nn.cmp")
    return cmpOp(op, in, out);
  if (name == "nn.select")
    return selectOp(op, in, out);
  if (name == "nn.cast")
    return castOp(op, in, out);
  if (name == "nn.dequantize")
    return dequantizeOp(op, in, out);

  // nn: everything else.
  if (name == "nn.constant") {
    auto value = op->getAttrOfType<ElementsAttr>("value");
    if (!value || out.size() != 1)
      return op->emitError("expects an elements attribute 'value'");
    return loadElements(op, value, out[0]);
  }
  if (name == "nn.matmul")
    return matmulOp(op, in, out);
  if (name == "nn.broadcast")
    return broadcastOp(op, in, out);
  if (name == "nn.reduce_sum")
    return reduceOp(op, in, out, Reduction::Sum);
  if (name == "nn.reduce_mean")
    return reduceOp(op, in, out, Reduction::Mean);
  if (name == "nn.reduce_max")
    return reduceOp(op, in, out, Reduction::Max);
  if (name == "nn.argmax")
    return argmaxOp(op, in, out);
  if (name == "nn.reshape")
    return reshapeOp(op, in, out);
  if (name == "nn.transpose")
    return transposeOp(op, in, out);
  if (name == "nn.slice")
    return sliceOp(op, in, out, /*insert=*/false);
  if (name == "nn.insert_slice")
    return sliceOp(op, in, out, /*insert=*/true);
  if (name == "nn.take")
    return takeOp(op, in, out);
  if (name == "nn.put")
    return putOp(op, in, out);
  if (name == "nn.concat")
    return concatOp(op, in, out);
  if (name == "nn.softmax")
    return softmaxOp(op, in, out, /*log=*/false);
  if (name == "nn.log_softmax")
    return softmaxOp(op, in, out, /*log=*/true);
  if (name == "nn.cross_entropy")
    return crossEntropyOp(op, in, out);
  if (name == "nn.cross_entropy_grad")
    return crossEntropyGradOp(op, in, out);
  if (name == "nn.mse")
    return mseOp(op, in, out);
  if (name == "nn.conv2d")
    return conv2dOp(op, in, out);
  if (name == "nn.conv2d_grad_input")
    return conv2dGradOp(op, in, out, /*filterGrad=*/false);
  if (name == "nn.conv2d_grad_filter")
    return conv2dGradOp(op, in, out, /*filterGrad=*/true);
  if (name == "nn.max_pool2d")
    return poolOp(op, in, out, PoolKind::Max);
  if (name == "nn.avg_pool2d")
    return poolOp(op, in, out, PoolKind::Avg);
  if (name == "nn.max_pool2d_grad")
    return poolOp(op, in, out, PoolKind::MaxGrad);
  if (name == "nn.avg_pool2d_grad")
    return poolOp(op, in, out, PoolKind::AvgGrad);
  if (name == "nn.batch_norm_train")
    return batchNormTrainOp(op, in, out);
  if (name == "nn.batch_norm_infer")
    return batchNormInferOp(op, in, out);
  if (name == "nn.batch_norm_grad")
    return batchNormGradOp(op, in, out);
  if (name == "nn.random_uniform")
    return randomUniformOp(op, in, out);

  // arith, on scalars or tensors.
  if (name == "arith.constant")
    return out.size() == 1 ? arithConstantOp(op, out) : op->emitError("expects one result");
  bool handled = false;
  LogicalResult intResult = intOp(op, name, in, out, handled);
  if (handled)
    return intResult;
  if (name == "arith.cmpi")
    return cmpiOp(op, in, out);
  if (name == "arith.addf")
    return binaryFloat(op, in, out, [](double a, double b) { return a + b; });
  if (name == "arith.subf")
    return binaryFloat(op, in, out, [](double a, double b) { return a - b; });
  if (name == "arith.mulf")
    return binaryFloat(op, in, out, [](double a, double b) { return a * b; });
  if (name == "arith.divf")
    return binaryFloat(op, in, out, [](double a, double b) { return a / b; });
  if (name == "arith.maximumf")
    return binaryFloat(op, in, out, maxNaN);
  if (name == "arith.minimumf")
    return binaryFloat(op, in, out, minNaN);
  if (name == "arith.negf")
    return unaryFloat(op, in, out, [](double x) { return -x; });
  // The scalar math of the learning-rate schedule (nn-optimizer).
  if (name == "math.powf")
    return binaryFloat(op, in, out, [](double a, double b) { return std::pow(a, b); });
  if (name == "math.floor")
    return unaryFloat(op, in, out, [](double x) { return std::floor(x); });
  if (name == "math.cos")
    return unaryFloat(op, in, out, [](double x) { return std::cos(x); });
  // Rank-0 tensors and scalars share one representation, so moving a value between them
  // is a copy; a general tensor.extract reads one element.
  if (name == "tensor.from_elements") {
    if (out.size() != 1 || in.size() != size_t(out[0].numel()))
      return op->emitError("expects one operand per element");
    for (size_t k = 0; k < in.size(); ++k) {
      if (out[0].isFloat())
        out[0].f[k] = in[k]->f[0];
      else
        out[0].i[k] = in[k]->i[0];
    }
    return success();
  }
  if (name == "tensor.extract") {
    if (out.size() != 1 || in.empty())
      return op->emitError("expects a tensor and its indices");
    SmallVector<int64_t> index;
    for (size_t k = 1; k < in.size(); ++k)
      index.push_back(in[k]->i[0]);
    int64_t off = in[0]->offset(index);
    if (out[0].isFloat())
      out[0].f[0] = in[0]->f[off];
    else
      out[0].i[0] = in[0]->i[off];
    return success();
  }
  if (name == "arith.cmpf")
    return cmpfOp(op, in, out);
  if (name == "arith.select")
    return selectOp(op, in, out);
  if (name == "arith.index_castui" || name == "arith.extui")
    return zeroExtendOp(op, in, out);
  if (name == "arith.index_cast" || name == "arith.extsi" || name == "arith.trunci" ||
      name == "arith.sitofp" || name == "arith.fptosi" || name == "arith.extf" ||
      name == "arith.truncf")
    return castOp(op, in, out, /*truncBits=*/true);

  // Control flow.
  if (auto loop = dyn_cast<scf::ForOp>(op))
    return forOp(loop, in, out, env);
  if (auto branch = dyn_cast<scf::IfOp>(op))
    return ifOp(branch, in, out, env);
  if (auto call = dyn_cast<func::CallOp>(op))
    return callOp(call, in, out);

  return op->emitError() << "the evaluator does not support the op '" << name << "'";
}

} // namespace

FailureOr<std::vector<Tensor>> evaluate(func::FuncOp fn, ArrayRef<Tensor> args) {
  Interpreter interpreter;
  return interpreter.call(fn, args);
}

//===----------------------------------------------------------------------===//
// Parameter initialization
//===----------------------------------------------------------------------===//

FailureOr<Tensor> initTensor(RankedTensorType type, DictionaryAttr init, uint64_t seed,
                             uint64_t index, std::string *error) {
  auto fail = [&](const Twine &reason) -> FailureOr<Tensor> {
    if (error)
      *error = reason.str();
    return failure();
  };
  if (!type || !type.hasStaticShape() || !isa<FloatType>(type.getElementType()))
    return fail("only static float tensors can be initialized");
  if (!init)
    return fail("missing nn.init dictionary");
  auto number = [&](StringRef key) -> std::optional<double> {
    Attribute a = init.get(key);
    if (auto f = dyn_cast_or_null<FloatAttr>(a))
      return f.getValueAsDouble();
    if (auto i = dyn_cast_or_null<IntegerAttr>(a))
      return double(i.getValue().getSExtValue());
    return std::nullopt;
  };
  auto dist = init.getAs<StringAttr>("dist");
  if (!dist)
    return fail("nn.init has no string 'dist'");
  Tensor t = Tensor::zeros(type.getElementType(), type.getShape());
  int64_t n = t.numel();
  if (dist.getValue() == "uniform") {
    std::optional<double> low = number("low"), high = number("high");
    if (!low || !high)
      return fail("uniform init needs numbers 'low' and 'high'");
    for (int64_t j = 0; j < n; ++j)
      t.f[j] = runtime::initValue(runtime::InitDist::Uniform, *low, *high, seed, index, j);
  } else if (dist.getValue() == "normal") {
    std::optional<double> mean = number("mean"), stddev = number("std");
    if (!mean || !stddev)
      return fail("normal init needs numbers 'mean' and 'std'");
    for (int64_t j = 0; j < n; ++j)
      t.f[j] = runtime::initValue(runtime::InitDist::Normal, *mean, *stddev, seed, index, j);
  } else if (dist.getValue() == "constant") {
    std::optional<double> value = number("value");
    if (!value)
      return fail("constant init needs a number 'value'");
    std::fill(t.f.begin(), t.f.end(), *value);
  } else {
    return fail("unknown init distribution '" + dist.getValue() + "'");
  }
  finalize(t);
  return t;
}

} // namespace nnc::eval
