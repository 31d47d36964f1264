//===- Aot.cpp - Trainers: the model description and object files ---------===//
//
// The description of a compiled model for the runtime's trainer (the entry points'
// signatures with plain-data initializers, the train block as JSON), and the object file
// of an ahead-of-time trainer: the LLVM dialect translated to LLVM IR, the packed entry
// points and `nnc_aot_model` added, optimized with the JIT's pipeline for the target CPU.
// Both trainers take images stored as bytes into the step as bytes (nn-byte-inputs).
//
//===----------------------------------------------------------------------===//

#include "nnc/Pipeline/Aot.h"
#include "nnc/Transforms/Passes.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"

using namespace mlir;
using namespace nnc;
using runtime::Json;

void nnc::setLearningRate(ModuleOp module, double lr) {
  auto train = module->getAttrOfType<DictionaryAttr>(nn::NNDialect::kTrainAttr);
  if (!train)
    return;
  Builder b(module->getContext());
  NamedAttrList optimizer(train.getAs<DictionaryAttr>("optimizer"));
  optimizer.set("lr", b.getF64FloatAttr(lr));
  NamedAttrList block(train);
  block.set("optimizer", optimizer.getDictionary(module->getContext()));
  module->setAttr(nn::NNDialect::kTrainAttr, block.getDictionary(module->getContext()));
}

FailureOr<runtime::ModelDescription> nnc::lowerTrainer(ModuleOp module, StringRef baseDir,
                                                       const CompileOptions &opts) {
  auto train = module->getAttrOfType<DictionaryAttr>(nn::NNDialect::kTrainAttr);
  auto name = module->getAttrOfType<StringAttr>(nn::NNDialect::kModelAttr);
  if (!train || !name)
    return module.emitError("the module has no train block ('nn.train'): nothing to train");
  runtime::ModelDescription desc;
  desc.model = name.str();
  desc.baseDir = baseDir.str();
  desc.train = toJson(train);
  // Images stored as bytes go to the step as they are, scaled inside it; the decision is
  // the train block's data (JIT and AOT compile the same step), a mismatch at run time an
  // error of the trainer.
  // Token ids likewise go as the data hold them, bytes or floats, and are cast inside.
  bool bytes = runtime::featureDtype(runtime::dataConfigOf(desc.train, desc.baseDir)) == "u8";
  PassManager pm(module->getContext());
  if (bytes)
    pm.addPass(createNNByteInputs());
  pm.addPass(createNNTokenInputs(NNTokenInputsOptions{bytes}));
  if (failed(pm.run(module)))
    return failure();
  if (failed(buildTrainingStep(module)))
    return failure();
  FailureOr<CompiledModel> compiled = lowerToLLVM(module, opts);
  if (failed(compiled))
    return failure();
  desc.trainStep = compiled->trainStep;
  desc.eval = compiled->eval;
  desc.temporaryBytes = compiled->temporaryBytes;
  desc.constantBytes = compiled->constantBytes;
  return desc;
}

/// Defines `_mlir_<fn>(ptr %args)`, which loads each argument from `args[i]` and calls `fn`,
/// exactly as the ExecutionEngine wraps the JIT's functions (so both compile the same IR).
static llvm::Function *addPackedWrapper(llvm::Module &m, llvm::Function &fn) {
  llvm::LLVMContext &ctx = m.getContext();
  llvm::IRBuilder<> b(ctx);
  auto *type = llvm::FunctionType::get(b.getVoidTy(), b.getPtrTy(), /*isVarArg=*/false);
  auto *wrapper = llvm::cast<llvm::Function>(
      m.getOrInsertFunction(("_mlir_" + fn.getName()).str(), type).getCallee());
  b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "", wrapper));
  llvm::Value *argList = wrapper->arg_begin();
  llvm::SmallVector<llvm::Value *> args;
  for (auto [index, arg] : llvm::enumerate(fn.args())) {
    llvm::Value *slot = b.CreateGEP(b.getPtrTy(), argList, b.getInt64(index));
    llvm::Value *ptr = b.CreateLoad(b.getPtrTy(), slot);
    args.push_back(b.CreateLoad(arg.getType(), ptr));
  }
  llvm::Value *result = b.CreateCall(&fn, args);
  if (!result->getType()->isVoidTy()) {
    llvm::Value *slot = b.CreateGEP(b.getPtrTy(), argList, b.getInt64(args.size()));
    b.CreateStore(result, b.CreateLoad(b.getPtrTy(), slot));
  }
  b.CreateRetVoid();
  return wrapper;
}

/// The target machine of a trainer: the JIT's own host detection (so that both compile for
/// the same CPU and features), position-independent, with --mcpu/--mattr applied.
static FailureOr<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(ModuleOp module, const AotTarget &target) {
  static bool init = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    return true;
  }();
  (void)init;
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return module.emitError() << "cannot describe the host CPU: "
                              << llvm::toString(builder.takeError());
  builder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  builder->setRelocationModel(llvm::Reloc::PIC_);
  if (!target.cpu.empty()) {
    builder->setCPU(target.cpu);
    builder->setFeatures(target.features);
  } else if (!target.features.empty()) {
    builder->setFeatures(target.features);
  }
  tuneTargetFeatures(builder->getFeatures());
  auto tm = builder->createTargetMachine();
  if (!tm)
    return module.emitError() << "cannot create the target machine: "
                              << llvm::toString(tm.takeError());
  if (!target.cpu.empty() && !(*tm)->getMCSubtargetInfo()->isCPUStringValid(target.cpu))
    return module.emitError() << "--mcpu: '" << target.cpu << "' is not a CPU of "
                              << (*tm)->getTargetTriple().str() << " (llc -mcpu=help lists them)";
  // LLVM only warns of a feature it does not know, and ignores it.
  llvm::ArrayRef<llvm::SubtargetFeatureKV> known =
      (*tm)->getMCSubtargetInfo()->getAllProcessorFeatures();
  for (llvm::StringRef f : llvm::split(target.features, ',')) {
    llvm::StringRef name = f.trim().ltrim("+-");
    if (!name.empty() && llvm::none_of(known, [&](const llvm::SubtargetFeatureKV &kv) {
          return name == kv.Key;
        }))
      return module.emitError() << "--mattr: '" << f.trim() << "' is not a feature of "
                                << (*tm)->getTargetTriple().str()
                                << " (llc -mattr=help lists them)";
  }
  return std::move(*tm);
}

FailureOr<VectorTarget> nnc::vectorTargetOf(ModuleOp module, const AotTarget &target) {
  if (target.cpu.empty() && target.features.empty())
    return hostVectorTarget();
  FailureOr<std::unique_ptr<llvm::TargetMachine>> tm = createTargetMachine(module, target);
  if (failed(tm))
    return failure();
  const llvm::MCSubtargetInfo *sti = (*tm)->getMCSubtargetInfo();
  return vectorTargetForFeatures(
      [&](llvm::StringRef f) { return sti->checkFeatures(("+" + f).str()); });
}

LogicalResult nnc::emitTrainer(ModuleOp module, const runtime::ModelDescription &model,
                               const AotTarget &target, AotOutput kind,
                               llvm::raw_pwrite_stream &os) {
  FailureOr<std::unique_ptr<llvm::TargetMachine>> tm = createTargetMachine(module, target);
  if (failed(tm))
    return failure();

  llvm::LLVMContext ctx;
  std::unique_ptr<llvm::Module> m = translateModuleToLLVMIR(module, ctx, "nnc");
  if (!m)
    return module.emitError("cannot translate the module to LLVM IR");
  ExecutionEngine::setupTargetTripleAndDataLayout(m.get(), tm->get());

  llvm::Function *entries[2];
  const runtime::EntryDesc *descs[2] = {&model.trainStep, &model.eval};
  for (int i = 0; i < 2; ++i) {
    llvm::Function *fn = m->getFunction(descs[i]->function);
    if (!fn || fn->isDeclaration())
      return module.emitError() << "internal error: no entry point '" << descs[i]->function
                                << "' in the LLVM module";
    entries[i] = addPackedWrapper(*m, *fn);
  }
  std::string text = runtime::writeModelDescription(model);
  auto *bytes = llvm::ConstantDataArray::getString(ctx, text, /*AddNull=*/true);
  auto *descGlobal =
      new llvm::GlobalVariable(*m, bytes->getType(), /*isConstant=*/true,
                               llvm::GlobalValue::PrivateLinkage, bytes, "nnc_model_description");
  llvm::IRBuilder<> b(ctx);
  auto *recordType =
      llvm::StructType::get(ctx, {b.getPtrTy(), b.getInt64Ty(), b.getPtrTy(), b.getPtrTy()});
  auto *record = llvm::ConstantStruct::get(
      recordType, {descGlobal, b.getInt64(text.size()), entries[0], entries[1]});
  new llvm::GlobalVariable(*m, recordType, /*isConstant=*/true, llvm::GlobalValue::ExternalLinkage,
                           record, "nnc_aot_model");

  auto optimize = makeOptimizingTransformer(/*optLevel=*/3, /*sizeLevel=*/0, tm->get());
  if (llvm::Error err = optimize(m.get()))
    return module.emitError() << "optimizing the LLVM IR failed: "
                              << llvm::toString(std::move(err));
  if (kind == AotOutput::LLVMIR) {
    m->print(os, nullptr);
    return success();
  }
  llvm::legacy::PassManager codegen;
  if ((*tm)->addPassesToEmitFile(codegen, os, nullptr, llvm::CodeGenFileType::ObjectFile))
    return module.emitError("the target cannot write object files");
  codegen.run(*m);
  return success();
}
