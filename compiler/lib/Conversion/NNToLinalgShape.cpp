//===- NNToLinalgShape.cpp - nn shape and data movement ops to linalg -----===//
//
// The lowerings of the ops that move elements without arithmetic (but for an accumulating
// nn.put): nn.broadcast and nn.transpose (a copy `linalg.generic` whose input map drops,
// pins or permutes dimensions), nn.reshape (collapse and expand through one dimension),
// nn.slice, nn.insert_slice and nn.concat (static `tensor` slices), and nn.take / nn.put
// (a slice at a dynamic offset along one axis).
//
//===----------------------------------------------------------------------===//

#include "NNToLinalg.h"

#include "nnc/Dialect/NN/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace nnc;
using namespace nnc::nn_to_linalg;

/// A copy of `input` into the op's result type, `input` read through `exprs`.
static LogicalResult retCopy(OpLowering &L, Value input, ArrayRef<AffineExpr> exprs) {
  RankedTensorType out = L.resultType();
  int64_t rank = out.getRank();
  return L.ret(L.generic(out, {input}, {AffineMap::get(rank, 0, exprs, L.ctx())}, L.identity(rank),
                         L.parallel(rank), L.empty(out), yieldInput));
}

static LogicalResult lowerBroadcast(OpLowering &L) {
  auto bc = cast<nn::BroadcastOp>(L.op);
  RankedTensorType in = L.type(bc.getInput()), out = L.resultType();
  SmallVector<AffineExpr> exprs;
  for (auto [i, d] : llvm::enumerate(bc.getDims()))
    exprs.push_back(in.getDimSize(i) == 1 && out.getDimSize(d) != 1 ? L.b.getAffineConstantExpr(0)
                                                                    : L.b.getAffineDimExpr(d));
  return retCopy(L, bc.getInput(), exprs);
}

static LogicalResult lowerReshape(OpLowering &L) {
  return L.ret(L.reshape(L.op->getOperand(0), L.resultType()));
}

static LogicalResult lowerTranspose(OpLowering &L) {
  auto tr = cast<nn::TransposeOp>(L.op);
  SmallVector<AffineExpr> exprs(L.resultType().getRank());
  for (auto [i, p] : llvm::enumerate(tr.getPerm()))
    exprs[p] = L.b.getAffineDimExpr(i);
  return retCopy(L, tr.getInput(), exprs);
}

static LogicalResult lowerSlice(OpLowering &L) {
  return L.ret(
      tensor::ExtractSliceOp::create(L.b, L.loc, L.resultType(), cast<nn::SliceOp>(L.op).getInput(),
                                     L.indexAttrs(L.arr("offsets")), L.indexAttrs(L.arr("sizes")),
                                     L.indexAttrs(L.arr("strides"))));
}

static LogicalResult lowerInsertSlice(OpLowering &L) {
  auto is = cast<nn::InsertSliceOp>(L.op);
  return L.ret(L.insert(is.getSrc(), is.getDest(), L.arr("offsets"), L.arr("strides")));
}

/// nn.take reads, nn.put writes (or adds into) the slice at a dynamic index along `axis`.
static LogicalResult lowerTakePut(OpLowering &L) {
  OpBuilder &b = L.b;
  bool take = isa<nn::TakeOp>(L.op);
  Value big = L.op->getOperand(0);
  Value index = L.op->getOperand(take ? 1 : 2);
  RankedTensorType bt = L.type(big);
  int64_t axis = L.intAttr("axis");
  SmallVector<OpFoldResult> offsets(bt.getRank(), b.getIndexAttr(0)), sizes,
      strides(bt.getRank(), b.getIndexAttr(1));
  for (int64_t d = 0; d < bt.getRank(); ++d)
    sizes.push_back(b.getIndexAttr(d == axis ? 1 : bt.getDimSize(d)));
  offsets[axis] = index;
  if (take)
    return L.ret(
        tensor::ExtractSliceOp::create(b, L.loc, L.resultType(), big, offsets, sizes, strides));
  Value src = L.op->getOperand(1);
  if (L.op->hasAttr("accumulate")) {
    Value old = tensor::ExtractSliceOp::create(b, L.loc, L.type(src), big, offsets, sizes, strides);
    src = L.elementwise(L.type(src), {old, src}, [](OpBuilder &nb, Location nl, ValueRange a) {
      return arith::AddFOp::create(nb, nl, a[0], a[1]).getResult();
    });
  }
  return L.ret(tensor::InsertSliceOp::create(b, L.loc, src, big, offsets, sizes, strides));
}

/// An id as an index into `rows` rows, and whether it is one (out-of-range ids read row 0).
static std::pair<Value, Value> rowIndex(OpBuilder &b, Location loc, Value id, int64_t rows) {
  Value i = arith::IndexCastOp::create(b, loc, b.getIndexType(), id);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value n = arith::ConstantIndexOp::create(b, loc, rows);
  Value inRange = arith::AndIOp::create(
      b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, i, zero),
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, i, n));
  return {arith::SelectOp::create(b, loc, inRange, i, zero), inRange};
}

/// nn.gather: one generic over the result; each element reads its row of the table.
static LogicalResult lowerGather(OpLowering &L) {
  auto op = cast<nn::GatherOp>(L.op);
  RankedTensorType out = L.resultType();
  int64_t rank = out.getRank(), rows = L.type(op.getTable()).getDimSize(0);
  Value table = op.getTable();
  SmallVector<AffineExpr> idsDims;
  for (int64_t d = 0; d + 1 < rank; ++d)
    idsDims.push_back(L.b.getAffineDimExpr(d));
  AffineMap idsMap = AffineMap::get(rank, 0, idsDims, L.ctx());
  return L.ret(L.generic(out, {op.getIds()}, {idsMap}, L.identity(rank), L.parallel(rank),
                         L.empty(out), [&](OpBuilder &b, Location loc, ValueRange a) {
                           Value row = rowIndex(b, loc, a[0], rows).first;
                           Value col = linalg::IndexOp::create(b, loc, rank - 1);
                           return tensor::ExtractOp::create(b, loc, table, ValueRange{row, col})
                               .getResult();
                         }));
}

/// nn.scatter_add: a loop over the positions in order, adding each update row into the row
/// of its id (in place), so that the sums are the same on any number of threads.
static LogicalResult lowerScatterAdd(OpLowering &L) {
  auto op = cast<nn::ScatterAddOp>(L.op);
  OpBuilder &b = L.b;
  RankedTensorType out = L.resultType();
  int64_t rows = out.getDimSize(0), width = out.getDimSize(1);
  int64_t n = L.type(op.getIds()).getNumElements();
  Value ids = L.reshape(op.getIds(), RankedTensorType::get({n}, L.elem(op.getIds())));
  Value updates = L.reshape(op.getUpdates(), RankedTensorType::get({n, width}, out.getElementType()));
  auto rowType = RankedTensorType::get({1, width}, out.getElementType());
  Value lb = arith::ConstantIndexOp::create(b, L.loc, 0);
  Value ub = arith::ConstantIndexOp::create(b, L.loc, n);
  Value one = arith::ConstantIndexOp::create(b, L.loc, 1);
  auto loop = scf::ForOp::create(
      b, L.loc, lb, ub, one, ValueRange{L.zeros(out)},
      [&](OpBuilder &nb, Location loc, Value pos, ValueRange acc) {
        Value id = tensor::ExtractOp::create(nb, loc, ids, ValueRange{pos});
        auto [row, inRange] = rowIndex(nb, loc, id, rows);
        SmallVector<OpFoldResult> sizes = {nb.getIndexAttr(1), nb.getIndexAttr(width)};
        SmallVector<OpFoldResult> strides = {nb.getIndexAttr(1), nb.getIndexAttr(1)};
        SmallVector<OpFoldResult> at = {row, nb.getIndexAttr(0)}, from = {pos, nb.getIndexAttr(0)};
        Value old = tensor::ExtractSliceOp::create(nb, loc, rowType, acc[0], at, sizes, strides);
        Value upd = tensor::ExtractSliceOp::create(nb, loc, rowType, updates, from, sizes, strides);
        Lowering inner{nb, loc};
        Value sum = inner.elementwise(rowType, {old, upd}, [&](OpBuilder &eb, Location el,
                                                               ValueRange a) {
          Value zero = arith::ConstantOp::create(eb, el, eb.getFloatAttr(a[1].getType(), 0.0));
          Value u = arith::SelectOp::create(eb, el, inRange, a[1], zero);
          return arith::AddFOp::create(eb, el, a[0], u).getResult();
        });
        Value next = tensor::InsertSliceOp::create(nb, loc, sum, acc[0], at, sizes, strides);
        scf::YieldOp::create(nb, loc, next);
      });
  return L.ret(loop.getResult(0));
}

static LogicalResult lowerConcat(OpLowering &L) {
  int64_t axis = L.intAttr("axis");
  int64_t rank = L.resultType().getRank();
  Value acc = L.empty(L.resultType());
  int64_t offset = 0;
  for (Value in : cast<nn::ConcatOp>(L.op).getInputs()) {
    SmallVector<int64_t> offsets(rank, 0), strides(rank, 1);
    offsets[axis] = offset;
    acc = L.insert(in, acc, offsets, strides);
    offset += L.type(in).getDimSize(axis);
  }
  return L.ret(acc);
}

void nnc::nn_to_linalg::addShapeLowerings(LoweringRegistry &registry) {
  registry.add<nn::BroadcastOp>(lowerBroadcast);
  registry.add<nn::ReshapeOp>(lowerReshape);
  registry.add<nn::TransposeOp>(lowerTranspose);
  registry.add<nn::SliceOp>(lowerSlice);
  registry.add<nn::InsertSliceOp>(lowerInsertSlice);
  registry.add<nn::TakeOp, nn::PutOp>(lowerTakePut);
  registry.add<nn::ConcatOp>(lowerConcat);
  registry.add<nn::GatherOp>(lowerGather);
  registry.add<nn::ScatterAddOp>(lowerScatterAdd);
}
