//===- Pipeline.cpp - From nn IR to a callable training step --------------===//
//
// The stages after MLIRGen, in order:
//   nn-autodiff, nn-optimizer          the training step, still in the nn dialect
//   inline, symbol-dce                 one function per entry point, nothing else
//   convert-nn-to-linalg, canonicalize, cse
//   nn-fuse-elementwise               fusion that computes nothing twice
//   nn-approximate-math               inline f32 tanh/exp/log (vectorizable)
//   loop-invariant-code-motion         e.g. a transposed weight out of the BPTT loop
//   nn-loop-carried-in-place          a loop's recurrent state stays in one buffer
//   one-shot-bufferize (function boundaries, identity layouts)
//   buffer-results-to-out-params       results become caller-provided buffers
//   buffer deallocation                temporaries are freed
//   nn-plan-memory                    ... at compile time: they live in static memory
//   nn-vectorize-contractions         register blocks for the host's vector width
//   linalg to loops                    nn-parallelize: OpenMP regions (trainers, --threads)
//   vector/math/scf/cf/arith/memref/func/omp to LLVM (bare pointers)
// Then the ExecutionEngine compiles the LLVM dialect at O3 for the host CPU.
//
// The textual pipelines are parsed with parsePassPipeline, so every stage can be run by
// hand with nnc-opt.
//
//===----------------------------------------------------------------------===//

#include "nnc/Pipeline/Pipeline.h"
#include "nnc/Conversion/Passes.h"
#include "nnc/Dialect/NN/NNDialect.h"
#include "nnc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/RegionUtils.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/Target/TargetMachine.h"

using namespace mlir;
using namespace nnc;

runtime::Json nnc::toJson(Attribute a) {
  using runtime::Json;
  if (auto b = dyn_cast_or_null<BoolAttr>(a))
    return Json::boolValue(b.getValue());
  if (auto i = dyn_cast_or_null<IntegerAttr>(a))
    return Json::integer(i.getValue().getSExtValue());
  if (auto f = dyn_cast_or_null<FloatAttr>(a))
    return Json::number(f.getValueAsDouble());
  if (auto s = dyn_cast_or_null<StringAttr>(a))
    return Json::string(s.str());
  if (auto list = dyn_cast_or_null<ArrayAttr>(a)) {
    Json j = Json::array();
    for (Attribute x : list)
      j.items.push_back(toJson(x));
    return j;
  }
  if (auto d = dyn_cast_or_null<DictionaryAttr>(a)) {
    Json j = Json::object();
    for (NamedAttribute n : d)
      j.add(n.getName().str(), toJson(n.getValue()));
    return j;
  }
  return Json();
}

void nnc::registerPipelineDialects(DialectRegistry &registry) {
  registry.insert<nn::NNDialect>();
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
}

static void registerPasses() {
  static bool done = [] {
    registerAllPasses();
    registerNNCPasses();
    registerNNCConversionPasses();
    return true;
  }();
  (void)done;
}

static LogicalResult runPipeline(ModuleOp module, StringRef pipeline) {
  registerPasses();
  PassManager pm = PassManager::on<ModuleOp>(module->getContext());
  std::string err;
  llvm::raw_string_ostream os(err);
  // The pipelines are written anchored on the module, as nnc-opt's --pass-pipeline takes
  // them; the pass manager is that anchor already.
  StringRef inner = pipeline;
  if (inner.consume_front("builtin.module(") && inner.consume_back(")")) {
  }
  if (failed(parsePassPipeline(inner, pm, os)))
    return module.emitError() << "internal error: bad pipeline: " << os.str();
  if (pm.size() == 0)
    return module.emitError() << "internal error: empty pipeline";
  return pm.run(module);
}

LogicalResult nnc::buildTrainingStep(ModuleOp module) {
  return runPipeline(module, "builtin.module(nn-autodiff, nn-optimizer)");
}

static std::string dtypeOf(Type t) {
  if (t.isF32()) return "f32";
  if (t.isF64()) return "f64";
  if (t.isInteger(1)) return "i1";
  if (t.isInteger(8)) return "u8";
  if (t.isInteger(32)) return "i32";
  return "i64";
}

/// Reads an entry point's ABI from its nn.* attributes.
static EntryDesc signatureOf(func::FuncOp f) {
  EntryDesc sig;
  sig.function = f.getName().str();
  auto slotOf = [](Type type, DictionaryAttr attrs) {
    SlotDesc s;
    if (auto t = dyn_cast<RankedTensorType>(type)) {
      s.dtype = dtypeOf(t.getElementType());
      s.shape.assign(t.getShape().begin(), t.getShape().end());
    } else {
      s.dtype = dtypeOf(type); // The i64 rng key.
    }
    auto str = [&](StringRef name) {
      auto a = attrs ? attrs.getAs<StringAttr>(name) : StringAttr();
      return a ? a.str() : std::string();
    };
    auto has = [&](StringRef name) { return attrs && attrs.get(name); };
    if (has(nn::NNDialect::kInputAttr)) {
      s.role = SlotDesc::Input;
      s.name = str(nn::NNDialect::kInputAttr);
    } else if (has(nn::NNDialect::kLabelsAttr)) {
      s.role = SlotDesc::Labels;
    } else if (has(nn::NNDialect::kParamAttr)) {
      s.role = SlotDesc::Param;
      s.name = str(nn::NNDialect::kParamAttr);
    } else if (has(nn::NNDialect::kStateAttr)) {
      s.role = SlotDesc::State;
      s.name = str(nn::NNDialect::kStateAttr);
    } else if (has(nn::NNDialect::kOptStateAttr)) {
      s.role = SlotDesc::OptState;
      s.name = str(nn::NNDialect::kOptStateAttr);
    } else if (has(nn::NNDialect::kRngAttr)) {
      s.role = SlotDesc::Rng;
    } else if (has(nn::NNDialect::kStepAttr)) {
      s.role = SlotDesc::Step;
    } else if (has(nn::NNDialect::kLossAttr)) {
      s.role = SlotDesc::Loss;
    } else {
      s.role = SlotDesc::Output;
    }
    if (auto init =
            attrs ? attrs.getAs<DictionaryAttr>(nn::NNDialect::kInitAttr) : DictionaryAttr())
      s.init = toJson(init);
    s.frozen = has(nn::NNDialect::kFrozenAttr);
    return s;
  };
  for (unsigned i = 0; i < f.getNumArguments(); ++i)
    sig.args.push_back(slotOf(f.getArgumentTypes()[i], f.getArgAttrDict(i)));
  for (unsigned i = 0; i < f.getNumResults(); ++i)
    sig.results.push_back(slotOf(f.getResultTypes()[i], f.getResultAttrDict(i)));
  return sig;
}

CompileOptions nnc::compileOptionsFromEnvironment() {
  CompileOptions co;
  co.outlineOps = getenv("NNC_PROFILE_OPS") != nullptr;
  return co;
}

VectorTarget
nnc::vectorTargetForFeatures(llvm::function_ref<bool(llvm::StringRef)> hasFeature) {
  if (hasFeature("avx512f"))
    return {512, 32};
  if (hasFeature("avx"))
    return {256, 16};
  return {128, 16};
}

void nnc::tuneTargetFeatures(llvm::SubtargetFeatures &features) {
  features.AddFeature("prefer-no-gather");
  features.AddFeature("prefer-no-scatter");
  features.AddFeature("prefer-256-bit", /*IsEnabled=*/false);
}

VectorTarget nnc::hostVectorTarget() {
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  return vectorTargetForFeatures([&](llvm::StringRef f) { return features.lookup(f); });
}

/// Moves each linalg op of the entry points into a noinline function of its own (see
/// CompileOptions::outlineOps).
static void outlineOps(ModuleOp module, ArrayRef<std::string> entries) {
  int counter = 0;
  for (auto f : llvm::to_vector(module.getOps<func::FuncOp>())) {
    if (!llvm::is_contained(entries, f.getName().str()))
      continue;
    SmallVector<linalg::LinalgOp> ops;
    f.walk([&](linalg::LinalgOp op) { ops.push_back(op); });
    for (linalg::LinalgOp op : ops) {
      llvm::SetVector<Value> captured;
      for (Value v : op->getOperands())
        captured.insert(v);
      getUsedValuesDefinedAbove(op->getRegions(), captured);
      // The bare-pointer convention passes no offset: a view with a dynamic one (a slice
      // inside a loop) cannot be an argument, so that op stays where it is.
      if (llvm::any_of(captured, [](Value v) {
            auto t = dyn_cast<MemRefType>(v.getType());
            SmallVector<int64_t> strides;
            int64_t offset;
            return t && (failed(t.getStridesAndOffset(strides, offset)) ||
                         ShapedType::isDynamic(offset) ||
                         llvm::any_of(strides, ShapedType::isDynamic));
          }))
        continue;
      std::string name;
      llvm::raw_string_ostream os(name);
      os << f.getName() << "_op" << counter++ << "_" << op->getName().stripDialect();
      if (op.getNumDpsInits() > 0)
        if (auto t = dyn_cast<MemRefType>(op.getDpsInitOperand(0)->get().getType()))
          for (int64_t d : t.getShape())
            os << "_" << d;
      OpBuilder b(module.getBodyRegion());
      b.setInsertionPointToEnd(module.getBody());
      auto type = b.getFunctionType(ValueRange(captured.getArrayRef()).getTypes(), {});
      auto outlined = func::FuncOp::create(b, op.getLoc(), name, type);
      outlined.setPrivate();
      outlined->setAttr("passthrough", b.getArrayAttr({b.getStringAttr("noinline")}));
      Block *body = outlined.addEntryBlock();
      IRMapping map;
      for (auto [v, arg] : llvm::zip(captured, body->getArguments()))
        map.map(v, arg);
      b.setInsertionPointToStart(body);
      b.clone(*op, map);
      func::ReturnOp::create(b, op.getLoc());
      b.setInsertionPoint(op);
      func::CallOp::create(b, op.getLoc(), outlined, captured.getArrayRef());
      op->erase();
    }
  }
}

FailureOr<CompiledModel> nnc::lowerToLLVM(ModuleOp module, const CompileOptions &opts) {
  auto modelName = module->getAttrOfType<StringAttr>(nn::NNDialect::kModelAttr);
  if (!modelName)
    return module.emitError("the module names no model ('nn.model')");
  std::string trainName = (modelName.getValue() + "_train_step").str();
  std::string evalName = modelName.getValue().str();
  SmallVector<std::string> entries = {evalName};
  if (module.lookupSymbol(trainName))
    entries.push_back(trainName);
  FailureOr<std::vector<EntryDesc>> sigs = lowerEntryPointsToLLVM(module, entries, opts);
  if (failed(sigs))
    return failure();
  CompiledModel model;
  model.eval = (*sigs)[0];
  if (sigs->size() > 1)
    model.trainStep = (*sigs)[1];
  // What the code will hold in static memory, known before anything is allocated.
  DataLayout layout(module);
  for (auto g : module.getOps<LLVM::GlobalOp>())
    (g.getConstant() ? model.constantBytes : model.temporaryBytes) +=
        layout.getTypeSize(g.getGlobalType());
  return model;
}

FailureOr<std::vector<EntryDesc>>
nnc::lowerEntryPointsToLLVM(ModuleOp module, ArrayRef<std::string> entries,
                            const CompileOptions &opts) {
  std::vector<EntryDesc> sigs;
  for (const std::string &name : entries) {
    auto f = module.lookupSymbol<func::FuncOp>(name);
    if (!f)
      return module.emitError() << "no function '@" << name << "' to compile";
    sigs.push_back(signatureOf(f));
  }
  // The nn.* attributes have served: the signatures are recorded above.
  for (auto f : module.getOps<func::FuncOp>()) {
    SmallVector<NamedAttribute> keep;
    for (NamedAttribute a : f->getAttrs())
      if (!a.getName().getValue().starts_with("nn."))
        keep.push_back(a);
    f->setAttrs(keep);
    f.removeArgAttrsAttr();
    f.removeResAttrsAttr();
  }
  module->removeAttr(nn::NNDialect::kTrainAttr);
  module->removeAttr(nn::NNDialect::kModelAttr);
  // Only the entry points stay visible; the rest is inlined and dropped.
  for (auto f : module.getOps<func::FuncOp>())
    if (!llvm::is_contained(entries, f.getName().str()))
      f.setPrivate();
  if (failed(runPipeline(
          module,
          "builtin.module(inline, symbol-dce, func.func(convert-nn-to-linalg), canonicalize, cse,"
          "func.func(nn-fuse-elementwise, nn-approximate-math, loop-invariant-code-motion),"
          "canonicalize, func.func(nn-loop-carried-in-place))")))
    return failure();
  if (opts.stopAfter == CompileOptions::Stage::Linalg)
    return sigs;
  if (failed(runPipeline(
          module,
          "builtin.module(one-shot-bufferize{bufferize-function-boundaries "
          "allow-return-allocs-from-loops "
          "function-boundary-type-conversion=identity-layout-map},"
          "buffer-results-to-out-params{hoist-static-allocs=true modify-public-functions=true},"
          "func.func(ownership-based-buffer-deallocation), canonicalize,"
          "buffer-deallocation-simplification, convert-bufferization-to-memref, inline, symbol-dce,"
          "nn-plan-memory, canonicalize)")))
    return failure();
  // The ABI promises that no two buffers of an entry point overlap (the trainer's arenas are
  // distinct): telling LLVM lets it keep accumulators in registers across loops.
  for (auto f : module.getOps<func::FuncOp>()) {
    if (!llvm::is_contained(entries, f.getName().str()))
      continue;
    for (unsigned i = 0; i < f.getNumArguments(); ++i)
      if (isa<MemRefType>(f.getArgumentTypes()[i]))
        f.setArgAttr(i, "llvm.noalias", UnitAttr::get(module->getContext()));
  }
  // Copies between strided buffers would call memrefCopy from MLIR's runner library; as
  // linalg copies they become loops like everything else, and the trainer needs no library.
  module.walk([](memref::CopyOp copy) {
    OpBuilder b(copy);
    linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(), copy.getTarget());
    copy.erase();
  });
  if (opts.outlineOps)
    outlineOps(module, entries);
  if (opts.stopAfter == CompileOptions::Stage::Buffers)
    return sigs;
  VectorTarget target = opts.target ? *opts.target : hostVectorTarget();
  // For several threads, the outermost loops with enough work become OpenMP parallel
  // regions (nn-parallelize); the rest of the code is the same.
  std::string loops = "convert-linalg-to-loops)";
  if (opts.threads != CompileOptions::Threads::One)
    loops = llvm::formatv("convert-linalg-to-parallel-loops), "
                          "nn-parallelize{{one-thread-fallback={0}}",
                          opts.threads == CompileOptions::Threads::Any)
                .str();
  StringRef openMPToLLVM =
      opts.threads != CompileOptions::Threads::One ? "convert-openmp-to-llvm," : "";
  if (failed(runPipeline(
          module,
          llvm::formatv("builtin.module(func.func(nn-vectorize-contractions{{vector-bits={0} "
                        "registers={1}}, {2}, canonicalize, cse,"
                        "convert-vector-to-scf{{full-unroll=true}, convert-math-to-llvm,"
                        "convert-math-to-libm, expand-strided-metadata, lower-affine,"
                        "convert-scf-to-cf, convert-vector-to-llvm, finalize-memref-to-llvm,"
                        "convert-arith-to-llvm, convert-index-to-llvm,"
                        "convert-func-to-llvm{{use-bare-ptr-memref-call-conv=1}, {3}"
                        "convert-cf-to-llvm, convert-ub-to-llvm, reconcile-unrealized-casts)",
                        target.vectorBits, target.registers, loops, openMPToLLVM)
              .str())))
    return failure();
  return sigs;
}

FailureOr<std::unique_ptr<ExecutionEngine>> nnc::jitCompile(ModuleOp module,
                                                            const CompileOptions &opts) {
  static bool init = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    return true;
  }();
  (void)init;
  // The optimizer needs the host's vector width (AVX-512 here); without a target machine
  // LLVM's vectorizers assume none and the code runs several times slower.
  static std::unique_ptr<llvm::TargetMachine> host = [] {
    auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
    if (!builder) {
      llvm::consumeError(builder.takeError());
      return std::unique_ptr<llvm::TargetMachine>();
    }
    builder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
    tuneTargetFeatures(builder->getFeatures());
    auto tm = builder->createTargetMachine();
    if (!tm) {
      llvm::consumeError(tm.takeError());
      return std::unique_ptr<llvm::TargetMachine>();
    }
    return std::move(*tm);
  }();
  ExecutionEngineOptions eo;
  // `NNC_PERF=1 perf record -k 1 ...; perf inject --jit` names the JIT's functions.
  eo.enablePerfNotificationListener = getenv("NNC_PERF") != nullptr;
  // `transformer` is a function_ref: the std::function it refers to must outlive create()
  // (a temporary here was a stack-use-after-scope under ASan).
  std::function<llvm::Error(llvm::Module *)> transformer =
      makeOptimizingTransformer(opts.optLevel, /*sizeLevel=*/0, host.get());
  eo.transformer = transformer;
  eo.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  auto engine = ExecutionEngine::create(module, eo);
  if (!engine) {
    std::string msg = llvm::toString(engine.takeError());
    return module.emitError() << "JIT compilation failed: " << msg;
  }
  return std::move(*engine);
}
