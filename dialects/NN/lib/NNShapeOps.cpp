//===- NNShapeOps.cpp - Verifiers of the nn shape and indexing ops ---------===//
//
// nn.reshape, nn.transpose, nn.slice, nn.take, nn.put, nn.gather, nn.scatter_add and
// nn.concat.
//
//===----------------------------------------------------------------------===//

#include "NNOpsVerify.h"

using namespace mlir;
using namespace nnc::nn;
using namespace nnc::nn::verify;

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  if (failed(verifySameElementType(
          *this, {{"operand", getInput()}, {"result", getResult()}})))
    return failure();
  int64_t in = tensorOf(getInput()).getNumElements();
  int64_t out = getType().getNumElements();
  if (in != out)
    return emitOpError() << "expected a result of " << in
                         << " elements (as the operand), found " << out;
  return success();
}

LogicalResult TransposeOp::verify() {
  if (failed(verifySameElementType(
          *this, {{"operand", getInput()}, {"result", getResult()}})))
    return failure();
  ArrayRef<int64_t> in = tensorOf(getInput()).getShape();
  ArrayRef<int64_t> perm = getPerm();
  if (failed(verifyArraySize(*this, "perm", perm, in.size(),
                             "one per operand dimension")))
    return failure();
  SmallVector<int64_t> sorted(perm);
  llvm::sort(sorted);
  for (auto [i, p] : llvm::enumerate(sorted))
    if (p != static_cast<int64_t>(i))
      return emitOpError() << "expected perm to be a permutation of [0, "
                           << in.size() << "), found " << str(perm);
  SmallVector<int64_t> expected;
  for (int64_t p : perm)
    expected.push_back(in[p]);
  return verifyResultShape(*this, expected, getType());
}

LogicalResult SliceOp::verify() {
  if (failed(verifySameElementType(
          *this, {{"operand", getInput()}, {"result", getResult()}})))
    return failure();
  ArrayRef<int64_t> in = tensorOf(getInput()).getShape();
  ArrayRef<int64_t> offsets = getOffsets(), sizes = getSizes(),
                    strides = getStrides();
  if (failed(verifySliceArrays(
          *this, {{"offsets", offsets, 0}, {"sizes", sizes, 0}, {"strides", strides, 1}}, in.size(),
          "one per operand dimension")) ||
      failed(verifyWithin(*this, "slice", in, offsets, sizes, strides)))
    return failure();
  return verifyResultShape(*this, sizes, getType());
}

LogicalResult TakeOp::verify() {
  int64_t axis = getAxisAttr().getInt();
  if (failed(verifySameElementType(
          *this, {{"operand", getInput()}, {"result", getResult()}})))
    return failure();
  ArrayRef<int64_t> in = tensorOf(getInput()).getShape();
  if (failed(verifyAxis(*this, axis, in.size())))
    return failure();
  return verifyResultShape(*this, dropAxis(in, axis), getType());
}

LogicalResult PutOp::verify() {
  int64_t axis = getAxisAttr().getInt();
  if (failed(verifySameElementType(*this,
                                   {{"dest", getDest()}, {"src", getSrc()}})))
    return failure();
  ArrayRef<int64_t> dest = tensorOf(getDest()).getShape();
  if (failed(verifyAxis(*this, axis, dest.size())))
    return failure();
  SmallVector<int64_t> expected = dropAxis(dest, axis);
  ArrayRef<int64_t> src = tensorOf(getSrc()).getShape();
  if (src != ArrayRef<int64_t>(expected))
    return emitOpError() << "expected src shape " << str(expected)
                         << " (dest without axis " << axis << "), found "
                         << str(src);
  return success();
}

/// `ids`' shape with `d` appended: the shape of a gather's result (and a scatter's updates).
static SmallVector<int64_t> rowsShape(Value ids, int64_t d) {
  SmallVector<int64_t> shape(tensorOf(ids).getShape());
  shape.push_back(d);
  return shape;
}

LogicalResult GatherOp::verify() {
  RankedTensorType table = tensorOf(getTable());
  if (table.getRank() != 2)
    return emitOpError() << "expected a 2-D table [V, D], found " << str(table.getShape());
  if (failed(verifySameElementType(*this, {{"table", getTable()}, {"result", getResult()}})))
    return failure();
  return verifyResultShape(*this, rowsShape(getIds(), table.getDimSize(1)), getType());
}

LogicalResult ScatterAddOp::verify() {
  RankedTensorType result = getType();
  if (result.getRank() != 2)
    return emitOpError() << "expected a 2-D result [V, D], found " << str(result.getShape());
  if (failed(verifySameElementType(*this,
                                   {{"updates", getUpdates()}, {"result", getResult()}})))
    return failure();
  SmallVector<int64_t> expected = rowsShape(getIds(), result.getDimSize(1));
  ArrayRef<int64_t> updates = tensorOf(getUpdates()).getShape();
  if (updates != ArrayRef<int64_t>(expected))
    return emitOpError() << "expected updates of shape " << str(expected)
                         << " (the ids' shape and the row width), found " << str(updates);
  return success();
}

LogicalResult ConcatOp::verify() {
  int64_t axis = getAxisAttr().getInt();
  if (getInputs().empty())
    return emitOpError() << "expected at least one input";
  RankedTensorType first = tensorOf(getInputs().front());
  int64_t rank = first.getRank();
  if (failed(verifyAxis(*this, axis, rank)))
    return failure();
  SmallVector<int64_t> expected(first.getShape());
  expected[axis] = 0;
  for (auto [i, input] : llvm::enumerate(getInputs())) {
    RankedTensorType type = tensorOf(input);
    if (type.getElementType() != first.getElementType())
      return emitOpError() << "expected input " << i << " element type "
                           << first.getElementType() << " (as input 0), found "
                           << type.getElementType();
    if (type.getRank() != rank)
      return emitOpError() << "expected input " << i << " of rank " << rank
                           << " (as input 0), found rank " << type.getRank();
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis && type.getDimSize(d) != first.getDimSize(d))
        return emitOpError()
               << "expected input " << i << " shape " << str(type.getShape())
               << " to match input 0's shape " << str(first.getShape())
               << " in all dimensions but axis " << axis;
    expected[axis] += type.getDimSize(axis);
  }
  if (failed(verifySameElementType(
          *this, {{"input 0", getInputs().front()}, {"result", getResult()}})))
    return failure();
  return verifyResultShape(*this, expected, getType());
}

