//===- NNToLinalgContraction.cpp - nn.matmul to linalg --------------------===//
//
// The lowering of the matrix product: one contraction `linalg.generic` in the loop order
// (m, k, n), a transposed left-hand side as another map, and a transposed right-hand side
// transposed into a buffer first, so that the register blocking
// (nn-vectorize-contractions) always finds an operand contiguous along the output's rows.
//
//===----------------------------------------------------------------------===//

#include "NNToLinalg.h"

#include "nnc/Dialect/NN/NNOps.h"

using namespace mlir;
using namespace nnc;
using namespace nnc::nn_to_linalg;
using utils::IteratorType;

/// C[m, n] += A[m, k] * B[k, n], a transposed A as another map, in the loop order (m, k, n):
/// the innermost loop runs along rows of B and C, which the register blocking reads as whole
/// vectors. A transposed B (the input gradient dY · Wᵀ) would leave no operand contiguous
/// along n, so it is transposed into a buffer first: K · N moves against M · N · K
/// multiply-adds.
static LogicalResult lowerMatmul(OpLowering &L) {
  auto mm = cast<nn::MatmulOp>(L.op);
  OpBuilder &b = L.b;
  Value lhs = mm.getLhs(), rhs = mm.getRhs();
  if (mm.getTransposeB()) {
    RankedTensorType bt = L.type(rhs);
    RankedTensorType t = bt.clone({bt.getDimSize(1), bt.getDimSize(0)});
    AffineMap swap = AffineMap::get(2, 0, {b.getAffineDimExpr(1), b.getAffineDimExpr(0)}, L.ctx());
    rhs = L.generic(t, {rhs}, {swap}, L.identity(2), L.parallel(2), L.empty(t), yieldInput);
  }
  AffineExpr m = b.getAffineDimExpr(0), k = b.getAffineDimExpr(1), n = b.getAffineDimExpr(2);
  AffineMap a = AffineMap::get(
      3, 0, mm.getTransposeA() ? ArrayRef<AffineExpr>{k, m} : ArrayRef<AffineExpr>{m, k}, L.ctx());
  AffineMap bm = AffineMap::get(3, 0, {k, n}, L.ctx());
  AffineMap c = AffineMap::get(3, 0, {m, n}, L.ctx());
  SmallVector<IteratorType> iters = {IteratorType::parallel, IteratorType::reduction,
                                     IteratorType::parallel};
  return L.ret(L.generic(L.resultType(), {lhs, rhs}, {a, bm}, c, iters, L.zeros(L.resultType()),
                         multiplyAdd));
}

void nnc::nn_to_linalg::addContractionLowerings(LoweringRegistry &registry) {
  registry.add<nn::MatmulOp>(lowerMatmul);
}
