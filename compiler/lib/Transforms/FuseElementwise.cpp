//===- FuseElementwise.cpp - Elementwise fusion without recomputation -----===//
//
// `nn-fuse-elementwise`: MLIR's elementwise fusion of linalg.generic on tensors, with a
// control that refuses every fusion which would evaluate the producer more than once per
// element (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "nnc/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace nnc {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "nnc/Transforms/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

/// A single-use producer read by its consumer once per element.
bool fusesWithoutRecomputation(OpOperand *fused) {
  Operation *producer = fused->get().getDefiningOp();
  if (!producer || !producer->hasOneUse())
    return false;
  auto consumer = dyn_cast<linalg::LinalgOp>(fused->getOwner());
  if (!consumer)
    return true;
  return consumer.getMatchingIndexingMap(fused).isPermutation();
}

bool hasReduction(Operation *op) {
  auto linalgOp = dyn_cast_or_null<linalg::LinalgOp>(op);
  return linalgOp && linalgOp.getNumReductionLoops() > 0;
}

/// Whether an elementwise producer of `use` could fuse into its owner.
bool readsOncePerElement(OpOperand &use) {
  auto consumer = dyn_cast<linalg::LinalgOp>(use.getOwner());
  return consumer && consumer.getMatchingIndexingMap(&use).isPermutation();
}

/// Reshapes move into elementwise ops only: a contraction keeps the flat dimensions that
/// the register blocking vectorizes (the 784 pixels of an image, not 28 × 28). And only
/// where the elementwise op can then fuse with the one on the reshape's other side: moved
/// in, a reshape splits the op's loops (784 pixels into 28 rows of 28, too short a loop for
/// LLVM to vectorize well; the scaling of an image batch ran 8x slower so).
bool foldsReshape(OpOperand *fused) {
  if (hasReduction(fused->getOwner()) || hasReduction(fused->get().getDefiningOp()) ||
      !fusesWithoutRecomputation(fused))
    return false;
  Operation *owner = fused->getOwner();
  if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(owner)) // The op's result.
    return llvm::any_of(owner->getResult(0).getUses(), readsOncePerElement);
  Operation *reshape = fused->get().getDefiningOp(); // The op's operand.
  if (!reshape || reshape->getNumOperands() == 0)
    return false;
  Operation *producer = reshape->getOperand(0).getDefiningOp();
  return isa_and_nonnull<linalg::LinalgOp>(producer) && !hasReduction(producer);
}

struct FuseElementwisePass : nnc::impl::FuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    linalg::populateElementwiseOpsFusionPatterns(patterns, fusesWithoutRecomputation);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, foldsReshape);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, ctx);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, ctx);
    ctx->getLoadedDialect<linalg::LinalgDialect>()->getCanonicalizationPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
