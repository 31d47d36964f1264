//===- ShapeOps.cpp - Shapes, indexing and data movement ------------------===//
//
// The ops that move elements without arithmetic (but for nn.put's
// accumulation): nn.broadcast, nn.reshape, nn.transpose, nn.slice and
// nn.insert_slice, nn.take and nn.put along an axis at a dynamic index,
// nn.gather and nn.scatter_add (rows of a table by integer ids), nn.concat, and the tensor ops that move values between scalars and
// tensors. The windows and indices of the nn ops are checked against their
// tensors first.
//
//===----------------------------------------------------------------------===//

#include "EvaluatorInternal.h"
#include "nnc/Dialect/NN/NNOps.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace nnc::eval {

namespace {

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
  AxisSplit s;
  if (failed(axisSplit(op, x.shape, s)))
    return failure();
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

/// nn.gather: out[n, d] = table[ids[n], d] (row 0 for an id outside the table).
LogicalResult gatherOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 2, 1)) || failed(sameKind(op, *in[0], out[0])))
    return failure();
  const Tensor &table = *in[0], &ids = *in[1];
  int64_t rows = table.shape[0], width = table.shape[1];
  if (out[0].numel() != ids.numel() * width)
    return op->emitError("result shape does not match the ids' shape and the row width");
  for (int64_t n = 0; n < ids.numel(); ++n) {
    int64_t row = ids.i[n] >= 0 && ids.i[n] < rows ? ids.i[n] : 0;
    for (int64_t d = 0; d < width; ++d)
      copyElement(table, row * width + d, out[0], n * width + d);
  }
  return success();
}

/// nn.scatter_add: the updates' rows added at their ids into zeros, in order.
LogicalResult scatterAddOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 2, 1)) || failed(sameKind(op, *in[0], out[0])))
    return failure();
  const Tensor &updates = *in[0], &ids = *in[1];
  Tensor &r = out[0];
  int64_t rows = r.shape[0], width = r.shape[1];
  if (updates.numel() != ids.numel() * width)
    return op->emitError("updates shape does not match the ids' shape and the row width");
  for (int64_t n = 0; n < ids.numel(); ++n)
    if (ids.i[n] >= 0 && ids.i[n] < rows)
      for (int64_t d = 0; d < width; ++d)
        r.f[ids.i[n] * width + d] += updates.f[n * width + d];
  return success();
}

LogicalResult putOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 3, 1)) || failed(sameKind(op, *in[0], out[0])) ||
      failed(sameKind(op, *in[1], out[0])) || failed(expectShape(op, *in[0], out[0].shape, "dest")))
    return failure();
  const Tensor &src = *in[1];
  Tensor &r = out[0];
  AxisSplit s;
  if (failed(axisSplit(op, r.shape, s)))
    return failure();
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

// Rank-0 tensors and scalars share one representation, so moving a value between them
// is a copy; a general tensor.extract reads one element.
LogicalResult fromElementsOp(Operation *op, Inputs in, Outputs out) {
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

LogicalResult extractOp(Operation *op, Inputs in, Outputs out) {
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

} // namespace

void registerShapeOps(OpRegistry &registry) {
  registry.add(nn::BroadcastOp::getOperationName(), broadcastOp);
  registry.add(nn::ReshapeOp::getOperationName(), reshapeOp);
  registry.add(nn::TransposeOp::getOperationName(), transposeOp);
  registry.add(nn::SliceOp::getOperationName(), withArg(sliceOp, /*insert=*/false));
  registry.add(nn::InsertSliceOp::getOperationName(), withArg(sliceOp, /*insert=*/true));
  registry.add(nn::TakeOp::getOperationName(), takeOp);
  registry.add(nn::PutOp::getOperationName(), putOp);
  registry.add(nn::GatherOp::getOperationName(), gatherOp);
  registry.add(nn::ScatterAddOp::getOperationName(), scatterAddOp);
  registry.add(nn::ConcatOp::getOperationName(), concatOp);
  registry.add(tensor::FromElementsOp::getOperationName(), fromElementsOp);
  registry.add(tensor::ExtractOp::getOperationName(), extractOp);
}

} // namespace nnc::eval
