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

namespace {
/// An `nn.*` attribute on an argument or a result of a function, with what its verifier reads.
struct SlotAttr {
  Operation *op;
  FunctionOpInterface func;
  StringRef kind; // "argument" or "result"
  unsigned index;
  Type type; // of the argument or result
  StringRef name;
  Attribute value;

  /// An error on the function, prefixed with the argument or result.
  InFlightDiagnostic emit() const { return op->emitOpError() << kind << " " << index << ": "; }
};
} // namespace

/// The attribute on argument `index` of `op` (result `index`, where `isResult`); failure,
/// diagnosed, where `op` is not a function.
static FailureOr<SlotAttr> getSlotAttr(Operation *op, bool isResult, unsigned index,
                                       NamedAttribute attribute) {
  StringRef kind = isResult ? "result" : "argument";
  StringRef name = attribute.getName().getValue();
  auto func = dyn_cast<FunctionOpInterface>(op);
  if (!func)
    return op->emitOpError() << "expected '" << name << "' on a function " << kind;
  Type type = isResult ? func.getResultTypes()[index] : func.getArgumentTypes()[index];
  return SlotAttr{op, func, kind, index, type, name, attribute.getValue()};
}

/// Checks an attribute that names what its argument or result belongs to: a non-empty string,
/// on a statically shaped float tensor.
static LogicalResult verifyOwnerName(const SlotAttr &slot) {
  auto str = dyn_cast<StringAttr>(slot.value);
  if (!str || str.getValue().empty())
    return slot.emit() << "expected '" << slot.name << "' to be a non-empty string, found "
                       << slot.value;
  if (!isStaticShaped(slot.type, /*requireFloat=*/true))
    return slot.emit() << "expected the '" << slot.name << "' " << slot.kind
                       << " to be a statically shaped float tensor, found " << slot.type;
  return success();
}

/// Checks the `nn.init` dictionary: `dist` names the distribution and exactly
/// its float parameters follow.
static LogicalResult verifyInit(const SlotAttr &slot) {
  auto dict = dyn_cast<DictionaryAttr>(slot.value);
  if (!dict)
    return slot.emit() << "expected 'nn.init' to be a dictionary, found " << slot.value;
  auto dist = dict.getAs<StringAttr>("dist");
  if (!dist)
    return slot.emit() << "expected 'nn.init' to have a string 'dist'";

  SmallVector<StringRef, 2> keys;
  if (dist.getValue() == "uniform")
    keys = {"low", "high"};
  else if (dist.getValue() == "normal")
    keys = {"mean", "std"};
  else if (dist.getValue() == "constant")
    keys = {"value"};
  else
    return slot.emit() << "expected 'nn.init' dist to be one of uniform, normal, "
                          "constant, found '"
                       << dist.getValue() << "'";

  SmallVector<double, 2> values;
  for (StringRef key : keys) {
    auto value = dict.getAs<FloatAttr>(key);
    if (!value)
      return slot.emit() << "expected 'nn.init' with dist '" << dist.getValue()
                         << "' to have a float '" << key << "'";
    values.push_back(value.getValueAsDouble());
  }
  for (NamedAttribute entry : dict)
    if (entry.getName() != "dist" && !llvm::is_contained(keys, entry.getName()))
      return slot.emit() << "unexpected key '" << entry.getName().getValue()
                         << "' in 'nn.init' with dist '" << dist.getValue() << "'";

  if (dist.getValue() == "uniform" && values[0] > values[1])
    return slot.emit() << "expected 'nn.init' uniform low <= high, found low = " << num(values[0])
                       << " and high = " << num(values[1]);
  if (dist.getValue() == "normal" && values[1] < 0)
    return slot.emit() << "expected 'nn.init' normal std >= 0, found " << num(values[1]);
  return success();
}

LogicalResult NNDialect::verifyRegionArgAttribute(Operation *op,
                                                  unsigned regionIndex,
                                                  unsigned argIndex,
                                                  NamedAttribute attribute) {
  FailureOr<SlotAttr> slot = getSlotAttr(op, /*isResult=*/false, argIndex, attribute);
  if (failed(slot))
    return failure();
  StringRef name = slot->name;

  if (name == kInputAttr || name == kLabelsAttr || name == kFrozenAttr ||
      name == kRngAttr) {
    // A model input carries its name in the source.
    if (name == kInputAttr ? !isa<StringAttr>(slot->value) : !isa<UnitAttr>(slot->value))
      return slot->emit() << "expected '" << name << "' to be "
                          << (name == kInputAttr ? "a string (the input's name)"
                                                 : "a unit attribute");
    if (name == kRngAttr) {
      if (!slot->type.isSignlessInteger(64))
        return slot->emit() << "expected the 'nn.rng' argument to be i64, found " << slot->type;
      return success();
    }
    if (!isStaticShaped(slot->type, /*requireFloat=*/false))
      return slot->emit() << "expected the '" << name
                          << "' argument to be a statically shaped tensor, found " << slot->type;
    if (name == kFrozenAttr && !slot->func.getArgAttr(argIndex, kParamAttr))
      return slot->emit() << "expected 'nn.frozen' on an 'nn.param' argument";
    return success();
  }

  // The step counter of a training step (1 for the first step), as an i64 scalar: a float
  // would stop advancing at 2^24.
  if (name == kStepAttr) {
    // A tensor, or the memref it becomes once bufferized.
    auto shaped = dyn_cast<ShapedType>(slot->type);
    if (!isa<UnitAttr>(slot->value) || !shaped || !shaped.hasRank() || shaped.getRank() != 0 ||
        !shaped.getElementType().isInteger(64))
      return slot->emit() << "expected 'nn.step' to be a unit attribute on a rank-0 i64 tensor";
    return success();
  }

  if (name == kParamAttr || name == kStateAttr || name == kOptStateAttr)
    return verifyOwnerName(*slot);

  if (name == kInitAttr) {
    if (!slot->func.getArgAttr(argIndex, kParamAttr) &&
        !slot->func.getArgAttr(argIndex, kStateAttr) &&
        !slot->func.getArgAttr(argIndex, kOptStateAttr))
      return slot->emit() << "expected 'nn.init' on an 'nn.param', 'nn.state' or "
                             "'nn.opt_state' argument";
    return verifyInit(*slot);
  }

  return slot->emit() << "unknown nn argument attribute '" << name << "'";
}

LogicalResult NNDialect::verifyRegionResultAttribute(Operation *op,
                                                     unsigned regionIndex,
                                                     unsigned resultIndex,
                                                     NamedAttribute attribute) {
  FailureOr<SlotAttr> slot = getSlotAttr(op, /*isResult=*/true, resultIndex, attribute);
  if (failed(slot))
    return failure();
  StringRef name = slot->name;

  if (name == kLossAttr) {
    if (!isa<UnitAttr>(slot->value))
      return slot->emit() << "expected 'nn.loss' to be a unit attribute";
    auto shaped = dyn_cast<ShapedType>(slot->type);
    if (!isStaticShaped(slot->type, /*requireFloat=*/true) || (shaped && shaped.getRank() != 0))
      return slot->emit() << "expected the 'nn.loss' result to be a rank-0 float "
                             "tensor, found "
                          << slot->type;
    return success();
  }

  // A state update, or the gradient of a parameter or of an input (the
  // autodiff pass): each names what it belongs to.
  if (name == kStateAttr || name == kGradAttr || name == kInputGradAttr || name == kParamAttr ||
      name == kOptStateAttr)
    return verifyOwnerName(*slot);

  return slot->emit() << "unknown nn result attribute '" << name << "'";
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
