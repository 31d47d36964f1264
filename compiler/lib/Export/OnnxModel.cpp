//===- OnnxModel.cpp - A trained model's ONNX file --------------------------===//
//
// Finds the evaluation function and gives the exporter its weights from a checkpoint, by
// the names the trainer saves them under (runtime/Checkpoint.h).
//
//===----------------------------------------------------------------------===//

#include "nnc/Dialect/NN/NNDialect.h"
#include "nnc/Export/Onnx.h"
#include "nnc/Runtime/Checkpoint.h"

using namespace mlir;

namespace nnc {

namespace {

/// The evaluation function of the module's model.
func::FuncOp evalFunction(ModuleOp module) {
  auto model = module->getAttrOfType<StringAttr>(nn::NNDialect::kModelAttr);
  func::FuncOp found;
  module.walk([&](func::FuncOp f) {
    auto mode = f->getAttrOfType<StringAttr>(nn::NNDialect::kModeAttr);
    if (mode && mode.getValue() == "eval" && (!model || f.getSymName() == model.getValue()))
      found = f;
  });
  return found;
}

/// The train block's setting `key`, as a number (0 when absent).
double trainNumber(ModuleOp module, StringRef key) {
  auto train = module->getAttrOfType<DictionaryAttr>(nn::NNDialect::kTrainAttr);
  Attribute a = train ? train.get(key) : Attribute();
  if (auto f = dyn_cast_or_null<FloatAttr>(a))
    return f.getValueAsDouble();
  if (auto i = dyn_cast_or_null<IntegerAttr>(a))
    return double(i.getInt());
  return 0;
}


} // namespace

FailureOr<std::string> exportOnnxModel(ModuleOp module, const std::string &weightsPath) {
  func::FuncOp eval = evalFunction(module);
  if (!eval)
    return module.emitError() << "ONNX export: the module has no evaluation function";
  std::string from = "--weights '" + weightsPath + "': ";
  runtime::LoadedFile file;
  if (runtime::Error e = runtime::readTensors(weightsPath, "--weights: ", file))
    return module.emitError() << e.message();
  std::string of = file.metaValue("model");
  if (!of.empty() && of != eval.getSymName())
    return module.emitError() << from << "it is a checkpoint of model '" << of << "', not '"
                              << eval.getSymName() << "'";
  // The EMA of the weights when the run kept one, as --evaluate and --predict use it.
  bool ema = trainNumber(module, "ema") > 0 && llvm::any_of(file.tensors, [](auto &t) {
               return StringRef(t.name).starts_with("ema.");
             });
  OnnxOptions opts;
  opts.weight = [&](unsigned i) -> std::string {
    bool state = static_cast<bool>(eval.getArgAttr(i, nn::NNDialect::kStateAttr));
    auto nameAttr = eval.getArgAttrOfType<StringAttr>(
        i, state ? nn::NNDialect::kStateAttr : nn::NNDialect::kParamAttr);
    std::string name = (state ? "state." : "") + nameAttr.str();
    const runtime::LoadedTensor *t = nullptr;
    if (ema && !state && !eval.getArgAttr(i, nn::NNDialect::kFrozenAttr))
      t = file.find("ema." + nameAttr.str());
    if (!t)
      t = file.find(name);
    auto type = cast<RankedTensorType>(eval.getArgument(i).getType());
    if (!t) {
      module.emitError() << from << "it has no tensor '" << name << "'";
      return "";
    }
    if (t->dtype != runtime::DType::F32 || !type.getElementType().isF32() ||
        t->shape != std::vector<int64_t>(type.getShape().begin(), type.getShape().end())) {
      module.emitError() << from << "tensor '" << t->name << "' is "
                         << runtime::dtypeName(t->dtype) << " " << runtime::shapeString(t->shape)
                         << ", the model's '" << nameAttr.getValue() << "' is F32 "
                         << runtime::shapeString(type.getShape().vec());
      return "";
    }
    return std::string(t->bytes.begin(), t->bytes.end());
  };
  auto train = module->getAttrOfType<DictionaryAttr>(nn::NNDialect::kTrainAttr);
  auto loss = train ? train.getAs<StringAttr>("loss") : StringAttr();
  opts.probabilities = loss && loss.getValue() == "cross_entropy";
  opts.doc = "model " + eval.getSymName().str() + ", exported by nnc with the weights of " +
             weightsPath;
  return exportOnnx(eval, opts);
}

} // namespace nnc
