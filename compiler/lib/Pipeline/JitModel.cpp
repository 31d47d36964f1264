//===- JitModel.cpp - A model file compiled with the JIT -------------------===//

#include "nnc/Pipeline/JitModel.h"
#include "nnc/Frontend/Frontend.h"
#include "nnc/Frontend/MLIRGen.h"
#include "nnc/Pipeline/Aot.h"
#include "nnc/Runtime/Data.h"
#include "nnc/Runtime/Memory.h"

#include "mlir/IR/Verifier.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

#include <chrono>

namespace nnc {

/// A batch larger than the training data is an error after loading it; the training file's
/// header (IDX, .npy, the MNISTs) says it before compiling.
static bool batchFitsData(const runtime::ModelDescription &desc, const runtime::TrainerFlags &flags,
                          llvm::StringRef tool, llvm::raw_ostream &diag) {
  runtime::DataConfig data = runtime::dataConfigOf(desc.train, desc.baseDir);
  if (!flags.data.empty())
    data.path = flags.data;
  int64_t samples = runtime::trainingSamples(data);
  if (flags.limit > 0 && samples > flags.limit)
    samples = flags.limit;
  int64_t batch = 0;
  for (const runtime::SlotDesc &s : desc.trainStep.args)
    if (s.role == runtime::SlotDesc::Input && !s.shape.empty())
      batch = s.shape[0];
  if (samples < 0 || batch <= samples)
    return true;
  diag << tool << ": the training set has " << samples << " samples"
       << (flags.limit > 0 ? " (--limit)" : "") << ", fewer than one batch of " << batch
       << " (--batch, or the train block's batch)\n";
  return false;
}

mlir::FailureOr<JitModel> compileJit(const runtime::TrainerFlags &flags, llvm::StringRef tool,
                                     llvm::raw_ostream &diag) {
  auto t0 = std::chrono::steady_clock::now();
  JitModel m;
  mlir::DialectRegistry registry;
  registerPipelineDialects(registry);
  m.ctx = std::make_unique<mlir::MLIRContext>(registry);
  m.ctx->loadAllAvailableDialects();
  m.ctx->printOpOnDiagnostic(false);
  llvm::SourceMgr srcMgr;
  mlir::SourceMgrDiagnosticHandler handler(srcMgr, m.ctx.get(), diag);

  FrontendOptions fo;
  fo.batch = flags.batch;
  Frontend fe(srcMgr, m.ctx.get(), fo);
  if (mlir::failed(fe.load(flags.modelFile)))
    return mlir::failure();
  mlir::FailureOr<Program> prog = fe.check();
  if (mlir::failed(prog))
    return mlir::failure();
  if (!prog->hasTrain) {
    diag << tool << ": '" << flags.modelFile << "' has no train block: nothing to train\n";
    return mlir::failure();
  }
  m.module = mlirGen(*prog, fe, m.ctx.get());
  if (mlir::failed(mlir::verify(*m.module)))
    return mlir::failure();
  if (flags.lr > 0)
    setLearningRate(*m.module, flags.lr);
  // NNC_PROFILE_OPS=1 (with NNC_PERF=1 and perf) names each op in a profile.
  CompileOptions co = compileOptionsFromEnvironment();
  co.threads = flags.threads > 1 ? CompileOptions::Threads::Several
                                   : CompileOptions::Threads::One;
  mlir::FailureOr<runtime::ModelDescription> desc =
      lowerTrainer(*m.module, llvm::sys::path::parent_path(flags.modelFile), co);
  if (mlir::failed(desc))
    return mlir::failure();
  m.desc = std::move(*desc);
  // Every buffer's size is known now: refuse what the machine cannot hold before the JIT
  // allocates the code's static memory.
  if (runtime::Error e = runtime::checkMemory(runtime::memoryOf(m.desc), flags.memoryLimit)) {
    diag << tool << ": " << e.message();
    return mlir::failure();
  }
  if (!batchFitsData(m.desc, flags, tool, diag))
    return mlir::failure();
  auto engine = jitCompile(*m.module, co);
  if (mlir::failed(engine))
    return mlir::failure();
  m.engine = std::move(*engine);
  // ORC compiles lazily, on the first lookup: do it now, so that compile time is not
  // counted as training time.
  for (int i = 0; i < 2; ++i) {
    const std::string &fn = i == 0 ? m.desc.trainStep.function : m.desc.eval.function;
    auto sym = m.engine->lookupPacked(fn);
    if (!sym) {
      diag << tool << ": JIT compilation of '" << fn
           << "' failed: " << llvm::toString(sym.takeError()) << "\n";
      return mlir::failure();
    }
    (i == 0 ? m.step : m.eval) = *sym;
  }
  m.compileSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return m;
}

} // namespace nnc
