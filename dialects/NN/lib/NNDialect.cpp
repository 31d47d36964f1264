//===- NNDialect.cpp - The nn dialect -------------------------------------===//
//
// Registers the nn ops, materializes folded constants as nn.constant, and
// verifies the `nn.*` attributes of docs/dialect.md that the front end puts on
// functions, their arguments and their results. Those attributes are the
// contract between the front end, the optimizer pass and the runtime (which
// parameter is which, how to initialize it, where the loss is), so a typo or
// a wrong type is caught here rather than as a silently untrained weight.
//
//===----------------------------------------------------------------------===//

#include "nnc/Dialect/NN/NNDialect.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Transforms/InliningUtils.h"
#include "nnc/Dialect/NN/NNInterfaces.h"
#include "nnc/Dialect/NN/NNOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace nnc::nn;

#include "nnc/Dialect/NN/NNDialect.cpp.inc"

namespace {
/// Every nn op is pure and region-free, so it can be inlined anywhere: the training step
/// calls the gradient function, and the pipeline inlines it.
struct NNInlinerInterface : public DialectInlinerInterface {
  using DialectInlinerInterface::DialectInlinerInterface;
  bool isLegalToInline(Operation *, Region *, bool, IRMapping &) const final { return true; }
  bool isLegalToInline(Region *, Region *, bool, IRMapping &) const final { return true; }
};
} // namespace

void NNDialect::initialize() {
  addInterfaces<NNInlinerInterface>();
  addOperations<
#define GET_OP_LIST
#include "nnc/Dialect/NN/NNOps.cpp.inc"
      >();
  attachGradientRules(getContext());
}

Operation *NNDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                          Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  auto tensorType = dyn_cast<RankedTensorType>(type);
  if (!tensorType || !tensorType.hasStaticShape())
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}

//===----------------------------------------------------------------------===//
// Function attributes
//===----------------------------------------------------------------------===//

/// Whether `type` suits an argument or result that holds a tensor. The
/// attributes outlive the nn level: bufferization turns the tensors into
/// memrefs, and lowering to LLVM into types of other dialects, which are
/// accepted unchecked so that the IR still verifies after those passes.
static bool isStaticShaped(Type type, bool requireFloat) {
  if (!isa<BuiltinDialect>(type.getDialect()))
    return true;
  auto shaped = dyn_cast<ShapedType>(type);
  if (!shaped || !isa<TensorType, MemRefType>(shaped) || !shaped.hasRank() ||
      !shaped.hasStaticShape())
    return false;
  return !requireFloat || isa<FloatType>(shaped.getElementType());
}

/// Formats a number as `%g` does: diagnostics print doubles as `%e`.
static std::string num(double value) {
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format("%g", value);
  return text;
}

/// Checks the `nn.init` dictionary: `dist` names the distribution and exactly
/// its float parameters follow.
static LogicalResult verifyInit(Operation *op, unsigned argIndex,
                                Attribute attr) {
  auto emit = [&]() {
    return op->emitOpError() << "argument " << argIndex << ": ";
  };
  auto dict = dyn_cast<DictionaryAttr>(attr);
  if (!dict)
    return emit() << "expected 'nn.init' to be a dictionary, found " << attr;
  auto dist = dict.getAs<StringAttr>("dist");
  if (!dist)
    return emit() << "expected 'nn.init' to have a string 'dist'";

  SmallVector<StringRef, 2> keys;
  if (dist.getValue() == "uniform")
    keys = {"low", "high"};
  else if (dist.getValue() == "normal")
    keys = {"mean", "std"};
  else if (dist.getValue() == "constant")
    keys = {"value"};
  else
    return emit() << "expected 'nn.init' dist to be one of uniform, normal, "
                     "constant, found '"
                  << dist.getValue() << "'";

  SmallVector<double, 2> values;
  for (StringRef key : keys) {
    auto value = dict.getAs<FloatAttr>(key);
    if (!value)
      return emit() << "expected 'nn.init' with dist '" << dist.getValue()
                    << "' to have a float '" << key << "'";
    values.push_back(value.getValueAsDouble());
  }
  for (NamedAttribute entry : dict)
    if (entry.getName() != "dist" && !llvm::is_contained(keys, entry.getName()))
      return emit() << "unexpected key '" << entry.getName().getValue()
                    << "' in 'nn.init' with dist '" << dist.getValue() << "'";

  if (dist.getValue() == "uniform" && values[0] > values[1])
    return emit() << "expected 'nn.init' uniform low <= high, found low = "
                  << num(values[0]) << " and high = " << num(values[1]);
  if (dist.getValue() == "normal" && values[1] < 0)
    return emit() << "expected 'nn.init' normal std >= 0, found "
                  << num(values[1]);
  return success();
}

LogicalResult NNDialect::verifyRegionArgAttribute(Operation *op,
                                                  unsigned regionIndex,
                                                  unsigned argIndex,
                                                  NamedAttribute attribute) {
  auto func = dyn_cast<FunctionOpInterface>(op);
  if (!func)
    return op->emitOpError() << "expected '" << attribute.getName().getValue()
                             << "' on a function argument";
  Type type = func.getArgumentTypes()[argIndex];
  StringRef name = attribute.getName().getValue();
  Attribute value = attribute.getValue();
  auto emit = [&]() {
    return op->emitOpError() << "argument " << argIndex << ": ";
  };

  if (name == kInputAttr || name == kLabelsAttr || name == kFrozenAttr ||
      name == kRngAttr) {
    // A model input carries its name in the source.
    if (name == kInputAttr ? !isa<StringAttr>(value) : !isa<UnitAttr>(value))
      return emit() << "expected '" << name << "' to be "
                    << (name == kInputAttr ? "a string (the input's name)"
                                           : "a unit attribute");
    if (name == kRngAttr) {
      if (!type.isSignlessInteger(64))
        return emit() << "expected the 'nn.rng' argument to be i64, found "
                      << type;
      return success();
    }
    if (!isStaticShaped(type, /*requireFloat=*/false))
      return emit() << "expected the '" << name
                    << "' argument to be a statically shaped tensor, found "
                    << type;
    if (name == kFrozenAttr && !func.getArgAttr(argIndex, kParamAttr))
      return emit() << "expected 'nn.frozen' on an 'nn.param' argument";
    return success();
  }

  // The step counter of a training step (1 for the first step), as an i64 scalar: a float
  // would stop advancing at 2^24.
  if (name == kStepAttr) {
    // A tensor, or the memref it becomes once bufferized.
    auto shaped = dyn_cast<ShapedType>(type);
    if (!isa<UnitAttr>(value) || !shaped || !shaped.hasRank() || shaped.getRank() != 0 ||
        !shaped.getElementType().isInteger(64))
      return emit() << "expected 'nn.step' to be a unit attribute on a rank-0 i64 tensor";
    return success();
  }

  if (name == kParamAttr || name == kStateAttr || name == kOptStateAttr) {
    auto str = dyn_cast<StringAttr>(value);
    if (!str || str.getValue().empty())
      return emit() << "expected '" << name
                    << "' to be a non-empty string, found " << value;
    if (!isStaticShaped(type, /*requireFloat=*/true))
      return emit() << "expected the '" << name
                    << "' argument to be a statically shaped float tensor, "
                       "found "
                    << type;
    return success();
  }

  if (name == kInitAttr) {
    if (!func.getArgAttr(argIndex, kParamAttr) &&
        !func.getArgAttr(argIndex, kStateAttr) &&
        !func.getArgAttr(argIndex, kOptStateAttr))
      return emit() << "expected 'nn.init' on an 'nn.param', 'nn.state' or "
                       "'nn.opt_state' argument";
    return verifyInit(op, argIndex, value);
  }

  return emit() << "unknown nn argument attribute '" << name << "'";
}

LogicalResult NNDialect::verifyRegionResultAttribute(Operation *op,
                                                     unsigned regionIndex,
                                                     unsigned resultIndex,
                                                     NamedAttribute attribute) {
  auto func = dyn_cast<FunctionOpInterface>(op);
  if (!func)
    return op->emitOpError() << "expected '" << attribute.getName().getValue()
                             << "' on a function result";
  Type type = func.getResultTypes()[resultIndex];
  StringRef name = attribute.getName().getValue();
  Attribute value = attribute.getValue();
  auto emit = [&]() {
    return op->emitOpError() << "result " << resultIndex << ": ";
  };

  if (name == kLossAttr) {
    if (!isa<UnitAttr>(value))
      return emit() << "expected 'nn.loss' to be a unit attribute";
    auto shaped = dyn_cast<ShapedType>(type);
    if (!isStaticShaped(type, /*requireFloat=*/true) ||
        (shaped && shaped.getRank() != 0))
      return emit() << "expected the 'nn.loss' result to be a rank-0 float "
                       "tensor, found "
                    << type;
    return success();
  }

  // A state update, or the gradient of a parameter or of an input (the
  // autodiff pass): each names what it belongs to.
  if (name == kStateAttr || name == kGradAttr || name == kInputGradAttr ||
      name == kParamAttr || name == kOptStateAttr) {
    auto str = dyn_cast<StringAttr>(value);
    if (!str || str.getValue().empty())
      return emit() << "expected '" << name
                    << "' to be a non-empty string, found " << value;
    if (!isStaticShaped(type, /*requireFloat=*/true))
      return emit() << "expected the '" << name
                    << "' result to be a statically shaped float tensor, found "
                    << type;
    return success();
  }

  return emit() << "unknown nn result attribute '" << name << "'";
}

LogicalResult NNDialect::verifyOperationAttribute(Operation *op,
                                                  NamedAttribute attribute) {
  StringRef name = attribute.getName().getValue();
  // The front end names the model and records the checked train block on the module; the
  // optimizer and runtime passes read them.
  if (name == kModelAttr || name == kTrainAttr) {
    if (!isa<ModuleOp>(op))
      return op->emitOpError() << "expected '" << name << "' on a module";
    if (name == kModelAttr && !isa<StringAttr>(attribute.getValue()))
      return op->emitOpError() << "expected 'nn.model' to be a string";
    if (name == kTrainAttr && !isa<DictionaryAttr>(attribute.getValue()))
      return op->emitOpError() << "expected 'nn.train' to be a dictionary";
    return success();
  }
  if (name != kModeAttr)
    return op->emitOpError() << "unknown nn attribute '" << name << "'";
  if (!isa<FunctionOpInterface>(op))
    return op->emitOpError() << "expected 'nn.mode' on a function";
  auto mode = dyn_cast<StringAttr>(attribute.getValue());
  if (!mode || (mode.getValue() != "train" && mode.getValue() != "eval"))
    return op->emitOpError()
           << "expected 'nn.mode' to be \"train\" or \"eval\", found "
           << attribute.getValue();
  return success();
}
