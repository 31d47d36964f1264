//===- nnc.cpp - The nnc compiler driver ----------------------------------===//
//
// `nnc model.nn` reads a model file, checks it and prints the requested stage:
//   --emit=ast      the parsed syntax tree
//   --emit=nn       the nn dialect (the default when printing)
//   --emit=grad     the nn dialect with the gradient functions
//   --emit=linalg   the entry points lowered to linalg on tensors and fused
//   --emit=buffers  the entry points bufferized, with the memory plan
//   --emit=llvm     the trainer's optimized LLVM IR
//   --emit=obj      the trainer's object file
//   --emit=trainer  a standalone trainer: the object file linked with the runtime
//   --emit=onnx     the evaluation function as ONNX, with the --weights of a checkpoint
//   --emit=dot, dot-grad, dot-step  the graphs for Graphviz
// `nnc model.nn -o trainer` builds a trainer: without --emit, the output's name picks the
// stage (".mlir" or stdout: nn, ".ll": llvm, ".o": obj, ".onnx": onnx, anything else:
// trainer).
// Errors name file:line:col, show the line with a caret, and make the exit code 1.
//
//===----------------------------------------------------------------------===//

#include "NNCConfig.h"
#include "nnc/Dialect/NN/NNDialect.h"
#include "nnc/Export/Onnx.h"
#include "nnc/Frontend/Frontend.h"
#include "nnc/Frontend/MLIRGen.h"
#include "nnc/Pipeline/Aot.h"
#include "nnc/Runtime/Memory.h"
#include "nnc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/ToolUtilities.h"
#include "mlir/Transforms/ViewOpGraph.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/ToolOutputFile.h"

#include <cmath>
#include <optional>

using namespace nnc;
namespace cl = llvm::cl;

static cl::OptionCategory category("nnc options");

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.nn>"), cl::Required,
                                      cl::cat(category));

enum class Emit { AST, NN, Grad, Linalg, Buffers, LLVM, Obj, Trainer, Onnx, Dot, DotGrad, DotStep };
static cl::opt<Emit>
    emit("emit", cl::desc("The stage to write (default: by the output's name, see above)"),
         cl::init(Emit::NN),
         cl::values(clEnumValN(Emit::AST, "ast", "the parsed syntax tree"),
                    clEnumValN(Emit::NN, "nn", "the nn dialect"),
                    clEnumValN(Emit::Grad, "grad", "the nn dialect with the gradient functions"),
                    clEnumValN(Emit::Linalg, "linalg",
                               "the entry points in linalg on tensors, fused"),
                    clEnumValN(Emit::Buffers, "buffers",
                               "the entry points bufferized, with the memory plan"),
                    clEnumValN(Emit::LLVM, "llvm", "the trainer's optimized LLVM IR"),
                    clEnumValN(Emit::Obj, "obj", "the trainer's object file"),
                    clEnumValN(Emit::Trainer, "trainer",
                               "a standalone trainer (the object file linked with the runtime)"),
                    clEnumValN(Emit::Onnx, "onnx",
                               "the evaluation function as ONNX, with the --weights"),
                    clEnumValN(Emit::Dot, "dot",
                               "the forward graph (the nn dialect) in Graphviz's language"),
                    clEnumValN(Emit::DotGrad, "dot-grad",
                               "the forward and backward graph (--emit=grad) for Graphviz"),
                    clEnumValN(Emit::DotStep, "dot-step",
                               "the fused training step (--emit=linalg) for Graphviz")),
         cl::cat(category));

static cl::opt<std::string> outputFile("o", cl::desc("Write the output to <file> ('-' is stdout)"),
                                       cl::value_desc("file"), cl::init("-"), cl::cat(category));

static cl::opt<std::string> weights("weights",
                                    cl::desc("The checkpoint whose weights --emit=onnx exports"),
                                    cl::value_desc("file"), cl::init(""), cl::cat(category));

static cl::opt<int64_t> batch("batch",
                              cl::desc("Batch size (default: the train block's batch, else 1)"),
                              cl::init(0), cl::cat(category));

static cl::opt<std::string> modelName("model",
                                      cl::desc("The model to compile when a file has "
                                               "several and no train block"),
                                      cl::init(""), cl::cat(category));

static cl::opt<double> lrFlag("lr",
                              cl::desc("Learning rate compiled into a trainer (default: the "
                                       "optimizer's)"),
                              cl::init(0), cl::cat(category));

static cl::opt<std::string> mcpu("mcpu",
                                 cl::desc("The CPU a trainer is compiled for (default: this "
                                          "machine's)"),
                                 cl::value_desc("cpu"), cl::init(""), cl::cat(category));

static cl::opt<std::string> mattr("mattr",
                                  cl::desc("CPU features of a trainer, as '+avx2,-avx512f' "
                                           "(default: the CPU's)"),
                                  cl::value_desc("features"), cl::init(""), cl::cat(category));

static cl::opt<bool> memory("memory",
                            cl::desc("Print the memory a training run needs (parameters, "
                                     "optimizer state, the step's temporaries, the data)"),
                            cl::init(false), cl::cat(category));

static cl::opt<bool> json("json", cl::desc("With --memory: one JSON line"), cl::init(false),
                          cl::cat(category));

static cl::opt<std::string>
    memoryLimit("memory-limit",
                cl::desc("Refuse a trainer that needs more memory (such as 8G; default: what "
                         "this machine has available)"),
                cl::value_desc("bytes"), cl::init(""), cl::cat(category));

static cl::opt<bool> useF64("f64", cl::desc("Instantiate f32 as f64 (for gradient checks)"),
                            cl::init(false), cl::cat(category));

static cl::opt<bool> noStdlib("no-stdlib", cl::desc("Do not load the standard library of layers"),
                              cl::init(false), cl::cat(category));

static cl::opt<bool> verifyDiagnostics(
    "verify-diagnostics",
    cl::desc("Check the diagnostics against expected-* lines in the input (for tests)"),
    cl::init(false), cl::cat(category));

static cl::opt<bool> splitInputFile(
    "split-input-file",
    cl::desc("Process each chunk between '# -----' lines as a separate file (for tests)"),
    cl::init(false), cl::cat(category));

/// The stage to write: --emit's, or else the output's name says.
static Emit stage() {
  if (emit.getNumOccurrences() || outputFile == "-")
    return emit;
  llvm::StringRef ext = llvm::sys::path::extension(outputFile);
  return ext == ".mlir" ? Emit::NN
         : ext == ".ll" ? Emit::LLVM
         : ext == ".o"  ? Emit::Obj
         : ext == ".onnx" ? Emit::Onnx
                        : Emit::Trainer;
}

/// The model file's folder, absolute: a trainer finds the data relative to it wherever it
/// runs.
static std::string modelDirectory() {
  llvm::SmallString<256> dir(llvm::sys::path::parent_path(inputFile));
  if (dir.empty())
    dir = ".";
  llvm::sys::fs::make_absolute(dir);
  llvm::sys::path::remove_dots(dir, /*remove_dot_dot=*/true);
  return std::string(dir);
}

/// --memory-limit in bytes (0: the machine's available memory); false when it is malformed.
static bool memoryLimitBytes(uint64_t &out) {
  out = 0;
  if (memoryLimit.empty())
    return true;
  if (runtime::parseByteCount(memoryLimit, out) && out > 0)
    return true;
  llvm::errs() << "nnc: --memory-limit: expected a positive number of bytes (such as 8G, 512M "
                  "or 1000000), found '"
               << memoryLimit << "'\n";
  return false;
}

/// A trainer that needs more memory than the limit is refused with the figures.
static mlir::LogicalResult checkTrainerMemory(const runtime::ModelDescription &model) {
  uint64_t limit;
  if (!memoryLimitBytes(limit))
    return mlir::failure();
  if (runtime::Error e = runtime::checkMemory(runtime::memoryOf(model), limit)) {
    llvm::errs() << "nnc: " << e.message();
    return mlir::failure();
  }
  return mlir::success();
}

/// --memory: what a training run of the model needs, the data sets included.
static mlir::LogicalResult printMemory(mlir::ModuleOp module, llvm::raw_ostream &os) {
  CompileOptions co = compileOptionsFromEnvironment();
  mlir::FailureOr<runtime::ModelDescription> model = lowerTrainer(module, modelDirectory(), co);
  if (mlir::failed(model))
    return mlir::failure();
  runtime::MemoryNeeds needs = runtime::memoryOf(*model);
  if (runtime::Error e = runtime::dataBytes(*model, "", needs.data)) {
    llvm::errs() << "nnc: " << e.message() << "\n";
    return mlir::failure();
  }
  int64_t batchSize = model->trainStep.args.empty() ? 0 : model->trainStep.args[0].shape[0];
  if (json) {
    os << llvm::formatv("{{\"model\": \"{0}\", \"batch\": {1}, \"parameters\": {2}, "
                        "\"optimizer_state\": {3}, \"temporaries\": {4}, \"constants\": {5}, "
                        "\"batch_buffers\": {6}, \"data\": {7}, \"total\": {8}, "
                        "\"available\": {9}}\n",
                        model->model, batchSize, needs.parameters, needs.optimizerState,
                        needs.temporaries, needs.constants, needs.batch, needs.data,
                        needs.total(), runtime::availableMemory());
    return mlir::success();
  }
  os << "memory of a training run of " << model->model << " (batch " << batchSize << "):\n"
     << runtime::describeMemory(needs);
  return mlir::success();
}

/// Builds the trainer of a checked module and writes its LLVM IR or object file to `os`.
/// --emit=onnx: the model with the --weights.
static mlir::LogicalResult emitOnnx(mlir::ModuleOp module, llvm::raw_ostream &os) {
  if (weights.empty())
    return mlir::emitError(module.getLoc())
           << "--emit=onnx exports a trained model: name its checkpoint with --weights";
  mlir::FailureOr<std::string> onnx = exportOnnxModel(module, weights);
  if (mlir::failed(onnx))
    return mlir::failure();
  os << *onnx;
  return mlir::success();
}

static mlir::LogicalResult emitTrainerStage(mlir::ModuleOp module, Emit e,
                                            llvm::raw_pwrite_stream &os) {
  if (lrFlag > 0)
    setLearningRate(module, lrFlag);
  std::string dir = modelDirectory();
  AotTarget target{mcpu, mattr};
  // The register blocking is sized for the target's vector registers.
  CompileOptions co = compileOptionsFromEnvironment();
  // A trainer takes --threads when it runs: its parallel loops are compiled for OpenMP.
  co.threads = CompileOptions::Threads::Any;
  mlir::FailureOr<VectorTarget> vectors = vectorTargetOf(module, target);
  if (mlir::failed(vectors))
    return mlir::failure();
  co.target = *vectors;
  mlir::FailureOr<runtime::ModelDescription> model = lowerTrainer(module, dir, co);
  if (mlir::failed(model))
    return mlir::failure();
  if (mlir::failed(checkTrainerMemory(*model)))
    return mlir::failure();
  return emitTrainer(module, *model, target,
                     e == Emit::LLVM ? AotOutput::LLVMIR : AotOutput::Object, os);
}

/// Compiles one buffer (a whole file, or one chunk of a split file) and prints the requested
/// stage to `os`; the LLVM IR and object file of a trainer go to `binaryOut` (not given for
/// split files). Returns failure when the input has errors or the verifier disagrees.
static mlir::LogicalResult processBuffer(std::unique_ptr<llvm::MemoryBuffer> buffer,
                                         llvm::raw_ostream &os,
                                         llvm::raw_pwrite_stream *binaryOut) {
  mlir::DialectRegistry registry;
  registerPipelineDialects(registry);
  mlir::MLIRContext ctx(registry);
  ctx.loadDialect<nn::NNDialect, mlir::func::FuncDialect, mlir::arith::ArithDialect,
                  mlir::scf::SCFDialect>();
  ctx.printOpOnDiagnostic(false);

  llvm::SourceMgr srcMgr;
  srcMgr.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());

  // Two slots, not a base-class pointer: the handlers' destructors are not virtual, so deleting
  // a verifier through a SourceMgrDiagnosticHandler pointer is undefined (ASan reported it).
  std::optional<mlir::SourceMgrDiagnosticVerifierHandler> verifierHandler;
  std::optional<mlir::SourceMgrDiagnosticHandler> handler;
  mlir::SourceMgrDiagnosticVerifierHandler *verifier = nullptr;
  if (verifyDiagnostics)
    verifier = &verifierHandler.emplace(srcMgr, &ctx);
  else
    handler.emplace(srcMgr, &ctx);

  FrontendOptions opts;
  opts.batch = batch;
  opts.model = modelName;
  opts.floatType = useF64 ? ElemType::F64 : ElemType::F32;
  opts.noStdlib = noStdlib;
  Frontend fe(srcMgr, &ctx, opts);

  auto finish = [&](bool ok) {
    if (verifier)
      return verifier->verify();
    return mlir::success(ok);
  };

  if (mlir::failed(fe.load(inputFile)))
    return finish(false);
  Emit e = stage();
  if (e == Emit::AST) {
    for (const auto &f : fe.files())
      dumpAST(*f, srcMgr, os);
    return finish(true);
  }
  mlir::FailureOr<Program> prog = fe.check();
  if (mlir::failed(prog))
    return finish(false);
  mlir::OwningOpRef<mlir::ModuleOp> module = mlirGen(*prog, fe, &ctx);
  if (mlir::failed(mlir::verify(*module))) {
    mlir::emitError(mlir::UnknownLoc::get(&ctx),
                    "internal error: the generated nn IR does not verify");
    return finish(false);
  }
  if (memory) {
    if (!prog->hasTrain) {
      mlir::emitError(mlir::UnknownLoc::get(&ctx))
          << "'" << inputFile << "' has no train block: --memory is that of a training run";
      return finish(false);
    }
    return finish(mlir::succeeded(printMemory(*module, os)));
  }
  if (e == Emit::LLVM || e == Emit::Obj || e == Emit::Trainer) {
    if (!prog->hasTrain) {
      mlir::emitError(mlir::UnknownLoc::get(&ctx))
          << "'" << inputFile << "' has no train block: a trainer needs one";
      return finish(false);
    }
    if (!binaryOut) {
      mlir::emitError(mlir::UnknownLoc::get(&ctx))
          << "a trainer is built from one whole file, not with --split-input-file";
      return finish(false);
    }
    return finish(mlir::succeeded(emitTrainerStage(*module, e, *binaryOut)));
  }
  if (e == Emit::Onnx)
    return finish(mlir::succeeded(emitOnnx(*module, os)));
  if (e == Emit::Linalg || e == Emit::Buffers || e == Emit::DotStep) {
    if (!prog->hasTrain) {
      mlir::emitError(mlir::UnknownLoc::get(&ctx))
          << "'" << inputFile
          << "' has no train block: --emit=linalg, --emit=buffers and --emit=dot-step show its "
             "training step";
      return finish(false);
    }
    CompileOptions co = compileOptionsFromEnvironment();
    co.stopAfter = e == Emit::Buffers ? CompileOptions::Stage::Buffers
                                      : CompileOptions::Stage::Linalg;
    // As a trainer compiles it (byte inputs included).
    if (mlir::failed(lowerTrainer(*module, modelDirectory(), co)))
      return finish(false);
  }
  if (e == Emit::Grad || e == Emit::DotGrad) {
    mlir::PassManager pm(&ctx);
    pm.addPass(createNNAutodiff());
    if (mlir::failed(pm.run(*module)))
      return finish(false);
  }
  if (e == Emit::Dot || e == Emit::DotGrad || e == Emit::DotStep) {
    // Upstream's op-graph printer: a node per op (its name, attributes and result types), an
    // edge per use, a cluster per function and region.
    mlir::PassManager pm(&ctx);
    pm.addPass(mlir::createPrintOpGraphPass(os));
    return finish(mlir::succeeded(pm.run(*module)));
  }
  if (!verifier)
    module->print(os);
  return finish(true);
}

/// Links the trainer's object file with the runtime into the executable `output`, with the
/// C++ compiler found when nnc was configured (NNC_CXX overrides it) and the runtime
/// libraries next to nnc (build/lib/ for build/bin/nnc; NNC_RUNTIME_DIR overrides it).
static mlir::LogicalResult linkTrainer(llvm::StringRef object, llvm::StringRef output,
                                       const char *argv0) {
  auto fail = [](const llvm::Twine &msg) {
    llvm::errs() << "nnc: " << msg << "\n";
    return mlir::failure();
  };
  llvm::SmallString<256> libDir;
  if (const char *dir = std::getenv("NNC_RUNTIME_DIR")) {
    libDir = dir;
  } else {
    std::string exe =
        llvm::sys::fs::getMainExecutable(argv0, reinterpret_cast<void *>(&linkTrainer));
    libDir = llvm::sys::path::parent_path(llvm::sys::path::parent_path(exe));
    llvm::sys::path::append(libDir, "lib");
  }
  std::vector<std::string> args;
  const char *cxxEnv = std::getenv("NNC_CXX");
  args.push_back(cxxEnv ? cxxEnv : NNC_CXX_COMPILER);
  args.push_back(object.str());
  for (const char *lib : {"libnnc_aot_main.a", "libnnc_runtime.a", "libnnc_threads.a"}) {
    llvm::SmallString<256> path(libDir);
    llvm::sys::path::append(path, lib);
    if (!llvm::sys::fs::exists(path))
      return fail("the runtime library '" + path +
                  "' is missing (build the nnc_runtime and nnc_aot_main targets, or set "
                  "NNC_RUNTIME_DIR)");
    args.push_back(std::string(path));
  }
  args.push_back(NNC_ZLIB_LIBRARY);
  llvm::SmallVector<llvm::StringRef> extra;
  llvm::StringRef(NNC_TRAINER_LINK_FLAGS).split(extra, ' ', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef flag : extra)
    args.push_back(flag.str());
  args.push_back("-o");
  args.push_back(output.str());
  llvm::ErrorOr<std::string> cxx = llvm::sys::findProgramByName(args[0]);
  if (!cxx)
    return fail("cannot find the C++ compiler '" + args[0] + "' that links trainers (set NNC_CXX)");
  llvm::SmallVector<llvm::StringRef> argRefs(args.begin(), args.end());
  std::string msg;
  int rc = llvm::sys::ExecuteAndWait(*cxx, argRefs, std::nullopt, {}, 0, 0, &msg);
  if (rc != 0)
    return fail("linking the trainer failed (" +
                (rc < 0 ? msg : "the linker exited with " + std::to_string(rc)) +
                "): " + llvm::join(args, " "));
  return mlir::success();
}

/// `nnc model.nn -o trainer`: the object file, in a temporary file, linked into `outputFile`.
static int buildTrainer(llvm::StringRef source, const char *argv0) {
  if (outputFile == "-") {
    llvm::errs() << "nnc: a trainer is an executable: name it with -o\n";
    return 1;
  }
  llvm::SmallString<128> object;
  int fd;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile("nnc-trainer", "o", fd, object)) {
    llvm::errs() << "nnc: cannot create a temporary object file: " << ec.message() << "\n";
    return 1;
  }
  llvm::FileRemover remover(object);
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    if (mlir::failed(
            processBuffer(llvm::MemoryBuffer::getMemBufferCopy(source, inputFile), os, &os)))
      return 1;
    os.close();
    if (os.has_error()) {
      llvm::errs() << "nnc: cannot write " << object << ": " << os.error().message() << "\n";
      os.clear_error();
      return 1;
    }
  }
  return mlir::failed(linkTrainer(object, outputFile, argv0)) ? 1 : 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "nnc: compiles a model written in the nnc language\n\n"
      "  nnc model.nn                 print the model in the nn dialect\n"
      "  nnc model.nn --emit=ast      print the parsed syntax tree\n"
      "  nnc model.nn --emit=grad     print it with the gradient functions\n"
      "  nnc model.nn --emit=linalg   print the training step in linalg, fused\n"
      "  nnc model.nn --emit=buffers  print it bufferized, with the memory plan\n"
      "  nnc model.nn -o step.ll      write the trainer's LLVM IR\n"
      "  nnc model.nn -o trainer      build a standalone trainer (the same "
      "flags as nnc-train)\n"
      "  nnc model.nn --weights w.safetensors -o model.onnx\n"
      "                               export the trained model to ONNX\n");
  if (batch < 0) {
    llvm::errs() << "nnc: --batch must be positive, found " << batch << "\n";
    return 1;
  }
  // 0 is the option's "not given"; a negative or non-finite rate was silently ignored.
  if (!(lrFlag >= 0) || !std::isfinite(lrFlag)) {
    llvm::errs() << "nnc: --lr must be a positive number, found " << lrFlag << "\n";
    return 1;
  }
  if (llvm::sys::fs::is_directory(inputFile)) {
    llvm::errs() << "nnc: cannot read '" << inputFile << "': it is a directory\n";
    return 1;
  }
  auto buf = llvm::MemoryBuffer::getFileOrSTDIN(inputFile, /*IsText=*/true);
  if (std::error_code ec = buf.getError()) {
    llvm::errs() << "nnc: cannot open '" << inputFile << "': " << ec.message() << "\n";
    return 1;
  }
  if (!weights.empty() && stage() != Emit::Onnx) {
    llvm::errs() << "nnc: --weights names the checkpoint that --emit=onnx exports; it does "
                    "nothing for this stage\n";
    return 1;
  }
  if (stage() == Emit::Trainer && !splitInputFile && !verifyDiagnostics)
    return buildTrainer((*buf)->getBuffer(), argv[0]);
  std::string err;
  auto out = mlir::openOutputFile(outputFile, &err);
  if (!out) {
    llvm::errs() << "nnc: " << err << "\n";
    return 1;
  }
  mlir::LogicalResult result = mlir::success();
  if (splitInputFile) {
    // Each chunk keeps the file's name, so that relative imports and diagnostics refer to it.
    result = mlir::splitAndProcessBuffer(
        std::move(*buf),
        [&](std::unique_ptr<llvm::MemoryBuffer> chunk, llvm::raw_ostream &os) {
          return processBuffer(llvm::MemoryBuffer::getMemBufferCopy(chunk->getBuffer(), inputFile),
                               os, nullptr);
        },
        out->os(), "# -----", "// -----");
  } else {
    result = processBuffer(llvm::MemoryBuffer::getMemBufferCopy((*buf)->getBuffer(), inputFile),
                           out->os(), &out->os());
  }
  if (mlir::failed(result))
    return 1;
  out->keep();
  return 0;
}
