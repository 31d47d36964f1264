//===- ByteInputs.cpp - Model inputs as bytes, scaled inside the step -----===//
//
// `nn-byte-inputs` makes every model function (`nn.mode`) take its f32 `nn.input`
// arguments as bytes: the argument becomes `ui8` of the same shape and the function's first
// op is `nn.dequantize` by 1/255, which computes float(x) * (1.0f / 255.0f) exactly as the
// trainer did on the host before. Image data sets store bytes (Fashion-MNIST, IDX and .npy
// files of u8): the trainer hands each batch to the step as the data set holds it (a
// quarter of the bytes, no float copy of the batch), and the training is bit for bit the
// same. The drivers run the pass when the train block's data hold bytes
// (runtime::featureDtype); nn-autodiff and nn-optimizer carry the byte input into the
// training step, whose ABI then names the input `u8`.
//
//===----------------------------------------------------------------------===//

#include "nnc/Dialect/NN/NNOps.h"
#include "nnc/Transforms/Passes.h"

namespace nnc {
#define GEN_PASS_DEF_NNBYTEINPUTS
#define GEN_PASS_DEF_NNTOKENINPUTS
#include "nnc/Transforms/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using namespace nnc;

namespace {

/// Gives each `nn.input` argument of the model functions that `convert` takes a new type:
/// `convert(b, arg, type)` returns the stored type (null to keep the argument) and builds, at
/// the function's start, the op that turns the argument back into `type`.
void retypeInputs(ModuleOp module,
                  llvm::function_ref<Value(OpBuilder &, BlockArgument, RankedTensorType)> convert) {
  for (auto fn : module.getOps<func::FuncOp>()) {
    if (!fn->hasAttr(nn::NNDialect::kModeAttr) || fn.isExternal())
      continue;
    Block &entry = fn.getBody().front();
    OpBuilder b = OpBuilder::atBlockBegin(&entry);
    for (BlockArgument arg : entry.getArguments()) {
      auto type = dyn_cast<RankedTensorType>(arg.getType());
      if (!fn.getArgAttr(arg.getArgNumber(), nn::NNDialect::kInputAttr) || !type)
        continue;
      if (Value converted = convert(b, arg, type))
        arg.replaceAllUsesExcept(converted, converted.getDefiningOp());
    }
    fn.setFunctionType(
        b.getFunctionType(entry.getArgumentTypes(), fn.getFunctionType().getResults()));
  }
}

struct ByteInputsPass : public nnc::impl::NNByteInputsBase<ByteInputsPass> {
  void runOnOperation() override {
    auto toBytes = [](OpBuilder &b, BlockArgument arg, RankedTensorType type) -> Value {
      if (!type.getElementType().isF32())
        return Value();
      arg.setType(type.clone(b.getIntegerType(8, /*isSigned=*/false)));
      return nn::DequantizeOp::create(b, arg.getLoc(), type, arg, b.getF64FloatAttr(1.0 / 255.0))
          .getResult();
    };
    retypeInputs(getOperation(), toBytes);
  }
};

/// Integer inputs (token ids) as the data hold them, cast inside the step.
struct TokenInputsPass : public nnc::impl::NNTokenInputsBase<TokenInputsPass> {
  using NNTokenInputsBase::NNTokenInputsBase;

  void runOnOperation() override {
    auto toStored = [&](OpBuilder &b, BlockArgument arg, RankedTensorType type) -> Value {
      Type elem = type.getElementType();
      if (!elem.isSignlessInteger() || elem.isInteger(1))
        return Value();
      Type stored = bytes ? Type(b.getIntegerType(8, /*isSigned=*/false)) : b.getF32Type();
      arg.setType(type.clone(stored));
      return nn::CastOp::create(b, arg.getLoc(), type, arg).getResult();
    };
    retypeInputs(getOperation(), toStored);
  }
};

} // namespace
