//===- LoopCarriedInPlace.cpp - A loop's recurrent state in one buffer ----===//
//
// `nn-loop-carried-in-place` (tensors, before bufferization): the value a loop yields for a
// tensor iter_arg is written into that iter_arg, by the producing op itself when it is a
// linalg op that only writes an empty init and nothing reads the iter_arg after it, or by a
// copy at the end of the iteration otherwise. One-shot bufferization then keeps the state
// in one buffer instead of a fresh one per iteration freed through ownership checks at run
// time. See Passes.td.
//
//===----------------------------------------------------------------------===//

#include "nnc/Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace nnc {
#define GEN_PASS_DEF_LOOPCARRIEDINPLACE
#include "nnc/Transforms/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

/// Whether `op` can write its result into `bbArg` instead of its init: it is a linalg op
/// that only writes that init (an empty tensor), and nothing reads `bbArg` after it.
bool canWriteInto(linalg::LinalgOp op, OpOperand *init, BlockArgument bbArg) {
  if (!init->get().getDefiningOp<tensor::EmptyOp>() || op.payloadUsesValueFromOperand(init))
    return false;
  Block *body = bbArg.getOwner();
  for (Operation *user : bbArg.getUsers()) {
    Operation *at = body->findAncestorOpInBlock(*user);
    if (!at || (at != op && !at->isBeforeInBlock(op)))
      return false;
  }
  return true;
}

/// A reshaped init (a view of another tensor: the adjoint of a sequence that a dense layer
/// read as [B * T, H]) is copied into a tensor of its own first. Carried in place through
/// the view, the state would share the other tensor's buffer, which ownership-based
/// deallocation frees only after a check at run time: an allocation per step.
void copyReshapedInits(scf::ForOp loop) {
  for (OpOperand &init : loop.getInitArgsMutable()) {
    Value v = init.get();
    if (!v.getDefiningOp<tensor::ExpandShapeOp>() && !v.getDefiningOp<tensor::CollapseShapeOp>())
      continue;
    OpBuilder b(loop);
    auto type = cast<RankedTensorType>(v.getType());
    Value empty = tensor::EmptyOp::create(b, loop.getLoc(), type.getShape(), type.getElementType());
    init.set(linalg::CopyOp::create(b, loop.getLoc(), v, empty).getResult(0));
  }
}

struct LoopCarriedInPlacePass : nnc::impl::LoopCarriedInPlaceBase<LoopCarriedInPlacePass> {
  void runOnOperation() override {
    getOperation().walk([](scf::ForOp loop) {
      copyReshapedInits(loop);
      auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
      for (auto [i, bbArg] : llvm::enumerate(loop.getRegionIterArgs())) {
        if (!isa<RankedTensorType>(bbArg.getType()))
          continue;
        OpOperand &yielded = yield->getOpOperand(i);
        Value v = yielded.get();
        if (v == bbArg)
          continue;
        auto producer = v.getDefiningOp<linalg::LinalgOp>();
        if (producer && producer->getBlock() == loop.getBody()) {
          OpOperand *init = producer.getDpsInitOperand(cast<OpResult>(v).getResultNumber());
          if (canWriteInto(producer, init, bbArg)) {
            init->set(bbArg);
            continue;
          }
        }
        OpBuilder b(yield);
        auto copy = bufferization::MaterializeInDestinationOp::create(b, loop.getLoc(), v, bbArg);
        yielded.set(copy.getResult());
      }
    });
  }
};

} // namespace
