//===- NNOps.cpp - The ops of the nn dialect ------------------------------===//
//
// Verifiers (but the shape ops': NNShapeOps.cpp), folders and custom assembly pieces of the
// nn ops. The ODS type
// constraints already guarantee statically shaped ranked tensors, so the
// verifiers here check what ties the shapes together: each recomputes the
// result shape from the operands and attributes and compares, so that every
// pass can trust the shapes it reads without re-deriving them.
//
//===----------------------------------------------------------------------===//

#include "nnc/Dialect/NN/NNOps.h"
#include "NNOpsVerify.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <string>

using namespace mlir;
using namespace nnc::nn;
using namespace nnc::nn::verify;

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// CmpOp
//===----------------------------------------------------------------------===//

static constexpr StringLiteral kPredicates[] = {"eq", "ne", "lt",
                                                "le", "gt", "ge"};

/// The predicate prints as a bare keyword (`nn.cmp lt, ...`) rather than a
/// quoted string.
static ParseResult parsePredicate(OpAsmParser &parser, StringAttr &predicate) {
  std::string keyword;
  if (parser.parseKeywordOrString(&keyword))
    return failure();
  predicate = parser.getBuilder().getStringAttr(keyword);
  return success();
}

static void printPredicate(OpAsmPrinter &printer, Operation *,
                           StringAttr predicate) {
  printer.printKeywordOrString(predicate.getValue());
}

LogicalResult CmpOp::verify() {
  if (!llvm::is_contained(kPredicates, getPredicate()))
    return emitOpError() << "expected predicate to be one of eq, ne, lt, le, "
                            "gt, ge, found '"
                         << getPredicate() << "'";
  return success();
}

//===----------------------------------------------------------------------===//
// CastOp
//===----------------------------------------------------------------------===//

LogicalResult CastOp::verify() {
  return verifyResultShape(*this, tensorOf(getInput()).getShape(), getType());
}

//===----------------------------------------------------------------------===//
// DequantizeOp
//===----------------------------------------------------------------------===//

LogicalResult DequantizeOp::verify() {
  double scale = getScale().convertToDouble();
  if (!std::isfinite(scale) || scale <= 0)
    return emitOpError() << "expected a positive finite scale, found " << scale;
  return verifyResultShape(*this, tensorOf(getInput()).getShape(), getType());
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::verify() {
  if (failed(verifyRank(*this, "lhs", getLhs().getType(), 2)) ||
      failed(verifyRank(*this, "rhs", getRhs().getType(), 2)) ||
      failed(verifyRank(*this, "result", getType(), 2)) ||
      failed(verifySameElementType(
          *this,
          {{"lhs", getLhs()}, {"rhs", getRhs()}, {"result", getResult()}})))
    return failure();
  ArrayRef<int64_t> a = tensorOf(getLhs()).getShape();
  ArrayRef<int64_t> b = tensorOf(getRhs()).getShape();
  int64_t m = getTransposeA() ? a[1] : a[0];
  int64_t ka = getTransposeA() ? a[0] : a[1];
  int64_t kb = getTransposeB() ? b[1] : b[0];
  int64_t n = getTransposeB() ? b[0] : b[1];
  if (ka != kb)
    return emitOpError() << "expected the contracted dimensions to agree, "
                            "found "
                         << ka << " (lhs) and " << kb << " (rhs)";
  return verifyResultShape(*this, {m, n}, getType());
}

//===----------------------------------------------------------------------===//
// BroadcastOp
//===----------------------------------------------------------------------===//

LogicalResult BroadcastOp::verify() {
  if (failed(verifySameElementType(
          *this, {{"operand", getInput()}, {"result", getResult()}})))
    return failure();
  ArrayRef<int64_t> in = tensorOf(getInput()).getShape();
  ArrayRef<int64_t> out = getType().getShape();
  ArrayRef<int64_t> dims = getDims();
  if (failed(verifyArraySize(*this, "dims", dims, in.size(),
                             "one per operand dimension")))
    return failure();
  for (auto [i, dim] : llvm::enumerate(dims)) {
    if (failed(verifyAxis(*this, dim, out.size(), "dims")))
      return failure();
    if (i > 0 && dim <= dims[i - 1])
      return emitOpError() << "expected dims to be strictly increasing, found "
                           << str(dims);
    if (in[i] != 1 && in[i] != out[dim])
      return emitOpError() << "expected operand dimension " << i
                           << " to have size 1 or " << out[dim]
                           << " (result dimension " << dim << "), found "
                           << in[i];
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

static LogicalResult verifyReduce(Operation *op, Value input, Value result,
                                  ArrayRef<int64_t> axes, bool keepDims) {
  if (failed(
          verifySameElementType(op, {{"operand", input}, {"result", result}})))
    return failure();
  ArrayRef<int64_t> in = tensorOf(input).getShape();
  for (auto [i, axis] : llvm::enumerate(axes)) {
    if (failed(verifyAxis(op, axis, in.size(), "axes")))
      return failure();
    if (i > 0 && axis <= axes[i - 1])
      return op->emitOpError()
             << "expected axes to be sorted and unique, found " << str(axes);
  }
  SmallVector<int64_t> expected;
  for (auto [i, size] : llvm::enumerate(in)) {
    if (!llvm::is_contained(axes, static_cast<int64_t>(i)))
      expected.push_back(size);
    else if (keepDims)
      expected.push_back(1);
  }
  return verifyResultShape(op, expected, result.getType());
}

LogicalResult ReduceSumOp::verify() {
  return verifyReduce(*this, getInput(), getResult(), getAxes(), getKeepDims());
}
LogicalResult ReduceMeanOp::verify() {
  return verifyReduce(*this, getInput(), getResult(), getAxes(), getKeepDims());
}
LogicalResult ReduceMaxOp::verify() {
  return verifyReduce(*this, getInput(), getResult(), getAxes(), getKeepDims());
}

LogicalResult ArgmaxOp::verify() {
  int64_t axis = getAxisAttr().getInt();
  ArrayRef<int64_t> in = tensorOf(getInput()).getShape();
  if (failed(verifyAxis(*this, axis, in.size())))
    return failure();
  return verifyResultShape(*this, dropAxis(in, axis), getType());
}

//===----------------------------------------------------------------------===//
// Softmax and losses
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxOp::verify() {
  int64_t axis = getAxisAttr().getInt();
  return verifyAxis(*this, axis, getType().getRank());
}

LogicalResult LogSoftmaxOp::verify() {
  int64_t axis = getAxisAttr().getInt();
  return verifyAxis(*this, axis, getType().getRank());
}

/// Losses yield a rank-0 tensor of the element type of their float operand.
static LogicalResult verifyScalarLoss(Operation *op, Value operand,
                                      StringRef name, Type result) {
  auto expected =
      RankedTensorType::get({}, getElementTypeOrSelf(operand.getType()));
  if (result != expected)
    return op->emitOpError()
           << "expected result type " << expected << " (rank 0, the " << name
           << " element type), found " << result;
  return success();
}

/// Cross-entropy and its gradient: one label per row of the (2-D) logits.
static LogicalResult verifyLabelCount(Operation *op, Value logits, Value labels) {
  int64_t batch = tensorOf(logits).getDimSize(0);
  int64_t count = tensorOf(labels).getDimSize(0);
  if (batch != count)
    return op->emitOpError() << "expected " << batch << " labels (the logits batch size), found "
                             << count;
  return success();
}

LogicalResult CrossEntropyOp::verify() {
  if (failed(verifyRank(*this, "logits", getLogits().getType(), 2)) ||
      failed(verifyRank(*this, "labels", getLabels().getType(), 1)) ||
      failed(verifyLabelCount(*this, getLogits(), getLabels())))
    return failure();
  return verifyScalarLoss(*this, getLogits(), "logits", getType());
}

LogicalResult MseOp::verify() {
  return verifyScalarLoss(*this, getPred(), "pred", getType());
}

//===----------------------------------------------------------------------===//
// Convolution and pooling
//===----------------------------------------------------------------------===//

/// The output size of a sliding window over `size` input elements: the
/// formula shared by convolution and pooling (and PyTorch). Emits an error and
/// returns -1 when the window does not fit even once.
static int64_t windowOutputSize(Operation *op, StringRef dimName, int64_t size,
                                int64_t padBefore, int64_t padAfter,
                                int64_t window, int64_t stride,
                                int64_t dilation) {
  int64_t padded = size + padBefore + padAfter;
  int64_t span = dilation * (window - 1) + 1;
  if (padded < span) {
    op->emitOpError() << "expected the padded input " << dimName << " "
                      << padded << " to be at least the (dilated) window "
                      << dimName << " " << span;
    return -1;
  }
  return (padded - span) / stride + 1;
}

/// The convolution rules, shared by nn.conv2d and its gradient ops: `input`,
/// `filter` and `result` are the forward op's, whichever of them is computed.
static LogicalResult verifyConv(Operation *op, Value input, Value filter,
                                Value result, ArrayRef<int64_t> s,
                                ArrayRef<int64_t> p, ArrayRef<int64_t> d,
                                int64_t groups) {
  if (failed(verifyRank(op, "input", input.getType(), 4)) ||
      failed(verifyRank(op, "filter", filter.getType(), 4)) ||
      failed(verifyRank(op, "output", result.getType(), 4)) ||
      failed(verifySameElementType(
          op, {{"input", input}, {"filter", filter}, {"output", result}})) ||
      failed(verifyArraySize(op, "strides", s, 2, "[h, w]")) ||
      failed(verifyArraySize(op, "padding", p, 4,
                             "[top, left, bottom, right]")) ||
      failed(verifyArraySize(op, "dilations", d, 2, "[h, w]")) ||
      failed(verifyMin(op, "strides", s, 1)) ||
      failed(verifyMin(op, "padding", p, 0)) ||
      failed(verifyMin(op, "dilations", d, 1)))
    return failure();
  if (groups < 1)
    return op->emitOpError() << "expected groups to be positive, found "
                             << groups;

  ArrayRef<int64_t> x = tensorOf(input).getShape();
  ArrayRef<int64_t> w = tensorOf(filter).getShape();
  if (x[1] % groups != 0)
    return op->emitOpError() << "expected groups " << groups
                             << " to divide the input channels " << x[1];
  if (w[0] % groups != 0)
    return op->emitOpError() << "expected groups " << groups
                             << " to divide the output channels " << w[0];
  if (w[1] != x[1] / groups)
    return op->emitOpError() << "expected filter dimension 1 to be "
                             << x[1] / groups
                             << " (input channels / groups), found " << w[1];

  int64_t oh = windowOutputSize(op, "height", x[2], p[0], p[2], w[2], s[0], d[0]);
  if (oh < 0)
    return failure();
  int64_t ow = windowOutputSize(op, "width", x[3], p[1], p[3], w[3], s[1], d[1]);
  if (ow < 0)
    return failure();
  ArrayRef<int64_t> found = tensorOf(result).getShape();
  SmallVector<int64_t> expected = {x[0], w[0], oh, ow};
  if (found != ArrayRef<int64_t>(expected))
    return op->emitOpError() << "expected convolution output shape "
                             << str(expected) << " from the input and filter "
                                                 "shapes, found "
                             << str(found);
  return success();
}

LogicalResult Conv2dOp::verify() {
  return verifyConv(*this, getInput(), getFilter(), getResult(), getStrides(),
                    getPadding(), getDilations(), getGroupsAttr().getInt());
}

LogicalResult Conv2dGradInputOp::verify() {
  return verifyConv(*this, getResult(), getFilter(), getGrad(), getStrides(),
                    getPadding(), getDilations(), getGroupsAttr().getInt());
}

LogicalResult Conv2dGradFilterOp::verify() {
  return verifyConv(*this, getInput(), getResult(), getGrad(), getStrides(),
                    getPadding(), getDilations(), getGroupsAttr().getInt());
}

static LogicalResult verifyPool(Operation *op, Value input, Value result,
                                ArrayRef<int64_t> kernel,
                                ArrayRef<int64_t> strides,
                                ArrayRef<int64_t> padding) {
  if (failed(verifyRank(op, "input", input.getType(), 4)) ||
      failed(
          verifySameElementType(op, {{"input", input}, {"result", result}})) ||
      failed(verifyArraySize(op, "kernel", kernel, 2, "[h, w]")) ||
      failed(verifyArraySize(op, "strides", strides, 2, "[h, w]")) ||
      failed(verifyArraySize(op, "padding", padding, 4,
                             "[top, left, bottom, right]")) ||
      failed(verifyMin(op, "kernel", kernel, 1)) ||
      failed(verifyMin(op, "strides", strides, 1)) ||
      failed(verifyMin(op, "padding", padding, 0)))
    return failure();
  // PyTorch's rule; it also keeps every max-pool window from being all
  // padding.
  for (int i = 0; i < 4; ++i)
    if (padding[i] > kernel[i % 2] / 2)
      return op->emitOpError()
             << "expected padding at most half the kernel, found padding "
             << str(padding) << " for kernel " << str(kernel);
  ArrayRef<int64_t> x = tensorOf(input).getShape();
  int64_t oh = windowOutputSize(op, "height", x[2], padding[0], padding[2],
                                kernel[0], strides[0], 1);
  if (oh < 0)
    return failure();
  int64_t ow = windowOutputSize(op, "width", x[3], padding[1], padding[3],
                                kernel[1], strides[1], 1);
  if (ow < 0)
    return failure();
  return verifyResultShape(op, {x[0], x[1], oh, ow}, result.getType());
}

/// A pooling op or its gradient, whose window is that of the pooling of `input` into `result`.
template <typename PoolOp> static LogicalResult verifyPool(PoolOp op, Value input, Value result) {
  return verifyPool(op, input, result, op.getKernel(), op.getStrides(), op.getPadding());
}

LogicalResult MaxPool2dOp::verify() { return verifyPool(*this, getInput(), getResult()); }

LogicalResult AvgPool2dOp::verify() { return verifyPool(*this, getInput(), getResult()); }

LogicalResult MaxPool2dGradOp::verify() { return verifyPool(*this, getInput(), getGrad()); }

LogicalResult AvgPool2dGradOp::verify() { return verifyPool(*this, getResult(), getGrad()); }

//===----------------------------------------------------------------------===//
// Batch normalization
//===----------------------------------------------------------------------===//

/// `stats` (gamma, beta, mean, var: one type, enforced by ODS) must be 1-D of
/// the size of `axis` of `input`, with its element type.
static LogicalResult verifyBatchNorm(Operation *op, Value input, Value stats,
                                     StringRef statsName, double epsilon,
                                     int64_t axis) {
  if (!(epsilon > 0)) {
    // Diagnostics print doubles as `%e`; `%g` reads better.
    std::string text;
    llvm::raw_string_ostream(text) << llvm::format("%g", epsilon);
    return op->emitOpError()
           << "expected epsilon to be positive, found " << text;
  }
  RankedTensorType x = tensorOf(input);
  if (failed(verifyAxis(op, axis, x.getRank())) ||
      failed(verifySameElementType(op, {{"input", input}, {statsName, stats}})))
    return failure();
  ArrayRef<int64_t> shape = tensorOf(stats).getShape();
  int64_t channels = x.getDimSize(axis);
  if (shape.size() != 1 || shape[0] != channels)
    return op->emitOpError()
           << "expected " << statsName << " shape [" << channels
           << "] (input dimension " << axis << "), found " << str(shape);
  return success();
}

LogicalResult BatchNormTrainOp::verify() {
  int64_t axis = getAxisAttr().getInt();
  return verifyBatchNorm(*this, getInput(), getGamma(), "gamma",
                         getEpsilon().convertToDouble(), axis);
}

LogicalResult BatchNormInferOp::verify() {
  int64_t axis = getAxisAttr().getInt();
  return verifyBatchNorm(*this, getInput(), getMean(), "mean",
                         getEpsilon().convertToDouble(), axis);
}

LogicalResult BatchNormGradOp::verify() {
  int64_t axis = getAxisAttr().getInt();
  return verifyBatchNorm(*this, getInput(), getGamma(), "gamma",
                         getEpsilon().convertToDouble(), axis);
}

//===----------------------------------------------------------------------===//
// Other gradient ops
//===----------------------------------------------------------------------===//

LogicalResult InsertSliceOp::verify() {
  if (failed(verifySameElementType(*this,
                                   {{"dest", getDest()}, {"src", getSrc()}})))
    return failure();
  ArrayRef<int64_t> dest = tensorOf(getDest()).getShape();
  ArrayRef<int64_t> src = tensorOf(getSrc()).getShape();
  ArrayRef<int64_t> offsets = getOffsets(), strides = getStrides();
  if (src.size() != dest.size())
    return emitOpError() << "expected src of rank " << dest.size()
                         << " (the rank of dest), found rank " << src.size();
  if (failed(verifySliceArrays(*this, {{"offsets", offsets, 0}, {"strides", strides, 1}},
                               dest.size(), "one per dimension")))
    return failure();
  return verifyWithin(*this, "window", dest, offsets, src, strides);
}

LogicalResult CrossEntropyGradOp::verify() {
  if (failed(verifyRank(*this, "logits", getLogits().getType(), 2)) ||
      failed(verifyRank(*this, "labels", getLabels().getType(), 1)) ||
      failed(verifyRank(*this, "grad", getGrad().getType(), 0)) ||
      failed(verifySameElementType(*this,
                                   {{"logits", getLogits()}, {"grad", getGrad()}})))
    return failure();
  return verifyLabelCount(*this, getLogits(), getLabels());
}

//===----------------------------------------------------------------------===//
// RandomUniformOp
//===----------------------------------------------------------------------===//

LogicalResult RandomUniformOp::verify() {
  int64_t stream = getStreamAttr().getInt();
  if (stream < 0)
    return emitOpError() << "expected a non-negative stream, found " << stream;
  return success();
}

#define GET_OP_CLASSES
#include "nnc/Dialect/NN/NNOps.cpp.inc"
