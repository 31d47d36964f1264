//===- Checks.cpp - Attribute readers and operand checks ------------------===//
//
// The readers of op attributes and the checks of operands and results that
// every handler starts with. They turn input that makes an op meaningless
// (a missing attribute, a wrong arity, a float where an integer is due, a
// shape that does not fit) into an error at the op's location, so that the
// handlers can index their tensors without further checks.
//
//===----------------------------------------------------------------------===//

#include "EvaluatorInternal.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;

namespace nnc::eval {

FailureOr<SmallVector<int64_t>> i64Array(Operation *op, StringRef name, int64_t size) {
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

FailureOr<int64_t> axisAttr(Operation *op, int64_t rank, StringRef name) {
  FailureOr<int64_t> axis = i64Attr(op, name);
  if (failed(axis))
    return failure();
  if (*axis < 0 || *axis >= rank)
    return op->emitError() << "'" << name << "' = " << *axis << " is out of range for rank "
                           << rank;
  return *axis;
}

LogicalResult axisSplit(Operation *op, ArrayRef<int64_t> shape, AxisSplit &split) {
  FailureOr<int64_t> axis = axisAttr(op, int64_t(shape.size()));
  if (failed(axis))
    return failure();
  split = splitAt(shape, *axis);
  return success();
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

} // namespace nnc::eval
