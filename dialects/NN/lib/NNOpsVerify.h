//===- NNOpsVerify.h - Helpers of the nn ops' verifiers ----------*- C++ -*-===//
//
// Private to the dialect's library: NNOps.cpp and NNShapeOps.cpp share them.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DIALECT_NN_NNOPSVERIFY_H
#define NNC_DIALECT_NN_NNOPSVERIFY_H

#include "nnc/Dialect/NN/NNOps.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace nnc::nn::verify {

using namespace mlir;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// Formats a shape or an attribute array as `[4, 16]` for diagnostics.
inline std::string str(ArrayRef<int64_t> values) {
  return "[" +
         llvm::join(llvm::map_range(
                        values, [](int64_t v) { return std::to_string(v); }),
                    ", ") +
         "]";
}

inline RankedTensorType tensorOf(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// The shared shape check: `result` must have `expected` as its shape.
inline LogicalResult
verifyResultShape(Operation *op, ArrayRef<int64_t> expected, Type result) {
  ArrayRef<int64_t> found = cast<RankedTensorType>(result).getShape();
  if (found == expected)
    return success();
  return op->emitOpError() << "expected result shape " << str(expected)
                           << " from the operand shapes, found " << str(found);
}

/// Element types of the listed values must all equal the first one's.
inline LogicalResult
verifySameElementType(Operation *op,
                      ArrayRef<std::pair<StringRef, Value>> values) {
  Type first = getElementTypeOrSelf(values.front().second.getType());
  for (auto [name, value] : values.drop_front()) {
    Type type = getElementTypeOrSelf(value.getType());
    if (type != first)
      return op->emitOpError()
             << "expected " << name << " element type " << first << " (as "
             << values.front().first << "), found " << type;
  }
  return success();
}

inline LogicalResult verifyAxis(Operation *op, int64_t axis, int64_t rank,
                                StringRef name = "axis") {
  if (axis >= 0 && axis < rank)
    return success();
  return op->emitOpError() << "expected " << name << " in [0, " << rank
                           << "), found " << axis;
}

inline LogicalResult verifyRank(Operation *op, StringRef name, Type type,
                                int64_t rank) {
  int64_t found = cast<RankedTensorType>(type).getRank();
  if (found == rank)
    return success();
  return op->emitOpError() << "expected " << name << " of rank " << rank
                           << ", found rank " << found;
}

inline LogicalResult verifyArraySize(Operation *op, StringRef name,
                                     ArrayRef<int64_t> values, size_t size,
                                     StringRef why) {
  if (values.size() == size)
    return success();
  return op->emitOpError() << "expected " << name << " of " << size
                           << " values (" << why << "), found " << str(values);
}

/// Every value of `values` must be at least `min`.
inline LogicalResult verifyMin(Operation *op, StringRef name,
                               ArrayRef<int64_t> values, int64_t min) {
  if (llvm::all_of(values, [&](int64_t v) { return v >= min; }))
    return success();
  return op->emitOpError() << "expected " << name
                           << (min == 0 ? " to be non-negative"
                                        : " to be positive")
                           << ", found " << str(values);
}

/// An attribute array of a slicing op, and the least value each of its values may take.
struct SliceArray {
  StringRef name;
  ArrayRef<int64_t> values;
  int64_t min;
};

/// Each of `arrays` must have `size` values (`why`), then each value must be at least its min.
inline LogicalResult verifySliceArrays(Operation *op, ArrayRef<SliceArray> arrays, size_t size,
                                       StringRef why) {
  for (const SliceArray &array : arrays)
    if (failed(verifyArraySize(op, array.name, array.values, size, why)))
      return failure();
  for (const SliceArray &array : arrays)
    if (failed(verifyMin(op, array.name, array.values, array.min)))
      return failure();
  return success();
}

/// The strided window of `sizes` from `offsets` (`what`: "slice" or "window") must stay within
/// each dimension of `shape`.
inline LogicalResult verifyWithin(Operation *op, StringRef what, ArrayRef<int64_t> shape,
                                  ArrayRef<int64_t> offsets, ArrayRef<int64_t> sizes,
                                  ArrayRef<int64_t> strides) {
  for (size_t i = 0; i < shape.size(); ++i) {
    // An empty slice selects nothing, but its offset must still be a
    // position in the dimension.
    int64_t end = sizes[i] == 0 ? offsets[i] : offsets[i] + (sizes[i] - 1) * strides[i] + 1;
    if (end > shape[i])
      return op->emitOpError() << "expected the " << what << " of dimension " << i
                               << " to stay within its size " << shape[i] << ", found it ending at "
                               << end;
  }
  return success();
}

/// `shape` without dimension `axis`.
inline SmallVector<int64_t> dropAxis(ArrayRef<int64_t> shape, int64_t axis) {
  SmallVector<int64_t> result(shape);
  result.erase(result.begin() + axis);
  return result;
}


} // namespace nnc::nn::verify

#endif // NNC_DIALECT_NN_NNOPSVERIFY_H
