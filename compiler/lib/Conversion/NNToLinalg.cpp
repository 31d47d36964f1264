//===- NNToLinalg.cpp - Lowering the nn dialect to linalg on tensors ------===//
//
// `convert-nn-to-linalg` replaces every nn op by linalg, tensor, arith and math ops on
// tensors, in destination-passing style, so that the upstream pipeline (fusion, tiling,
// vectorization, one-shot bufferization) takes over.
//
// Most ops become one `linalg.generic` whose indexing maps say how it reads its operands:
// elementwise ops are identity maps, broadcasts drop or pin dimensions, reductions have
// reduction iterators and an initialized output, a matmul is a contraction in the loop
// order (m, k, n) (a transposed left-hand side is another map; a transposed right-hand side
// is transposed into a buffer first). Every contraction has an operand contiguous along the
// output's innermost dimension, which the register blocking (nn-vectorize-contractions)
// reads as vectors. Convolutions without groups and their gradients are matrix products
// over an im2col buffer of the padded input, along the pixels; a grouped convolution is one
// contraction whose channel is an affine `floordiv` of the output channel. Pooling runs the
// window loops outside the output row.
//
// Where the gradient of a strided window op scatters (the input gradients of convolutions
// and pooling), each kernel offset's part is added into its strided slice of the padded
// input gradient in place (a strided `tensor.extract_slice`, an add into it, a strided
// `tensor.insert_slice`); the input gradient of a grouped convolution instead dilates the
// output gradient into a zero tensor with a strided `tensor.insert_slice` and correlates
// it with the flipped filter. Every map stays affine. These strided reads and writes (and
// im2col's) are what LLVM would vectorize with gathers and scatters, which ran slower than
// scalar code; the JIT's and the trainers' target machines ask for `prefer-no-gather` and
// `prefer-no-scatter` (nnc::tuneTargetFeatures; docs/design.md, "No gathers").
//
// Shapes are static throughout; nothing here allocates on the heap once bufferized into
// planned buffers.
//
// The lowerings live in one file per op family (NNToLinalg{Elementwise,Contraction,
// Convolution,Pooling,Reduction,Normalization,Shape}.cpp), each adding its ops to the
// registry (NNToLinalg.h) that this pass dispatches through, one op at a time in the order
// of the walk.
//
//===----------------------------------------------------------------------===//

#include "NNToLinalg.h"

#include "nnc/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

namespace nnc {
#define GEN_PASS_DEF_CONVERTNNTOLINALG
#include "nnc/Conversion/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using namespace nnc;
using namespace nnc::nn_to_linalg;

namespace {

/// Float arithmetic may be reassociated and contracted into FMAs: that lets LLVM vectorize
/// reductions (the filter gradient, softmax sums) and fuse multiply-adds. Results differ
/// from a sequential evaluation only by float reassociation. The ops of `exact` (the scaling
/// of nn.dequantize, which must give the host's bits) keep strict semantics.
void allowReassociation(Operation *root, const DenseSet<Operation *> &exact) {
  auto flags = arith::FastMathFlags::reassoc | arith::FastMathFlags::contract;
  root->walk([&](Operation *op) {
    if (exact.contains(op))
      return;
    if (auto fm = dyn_cast<arith::ArithFastMathInterface>(op))
      op->setAttr(fm.getFastMathAttrName(), arith::FastMathFlagsAttr::get(op->getContext(), flags));
  });
}

struct NNToLinalgPass : public nnc::impl::ConvertNNToLinalgBase<NNToLinalgPass> {
  void runOnOperation() override {
    LoweringRegistry registry;
    addElementwiseLowerings(registry);
    addContractionLowerings(registry);
    addConvolutionLowerings(registry);
    addPoolingLowerings(registry);
    addReductionLowerings(registry);
    addNormalizationLowerings(registry);
    addShapeLowerings(registry);

    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if (op->getDialect() && op->getDialect()->getNamespace() == "nn")
        ops.push_back(op);
    });
    OpBuilder b(&getContext());
    DenseSet<Operation *> exact;
    for (Operation *op : ops) {
      b.setInsertionPoint(op);
      SmallVector<Value> results;
      LowerFn lower = registry.lookup(op);
      if (!lower) {
        op->emitError() << "no lowering to linalg for '" << op->getName().getStringRef() << "'";
        return signalPassFailure();
      }
      OpLowering L(b, op, results, exact);
      if (failed(lower(L)))
        return signalPassFailure();
      op->replaceAllUsesWith(results);
      op->erase();
    }
    allowReassociation(getOperation(), exact);
  }
};

} // namespace
