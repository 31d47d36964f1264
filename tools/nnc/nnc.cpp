//===- nnc.cpp - The nnc compiler driver ----------------------------------===//
//
// `nnc model.nn` reads a model file, checks it and prints the requested stage:
//   --emit=ast   the parsed syntax tree
//   --emit=nn    the nn dialect (the default for now: later stages build on it)
// Errors name file:line:col, show the line with a caret, and make the exit code 1.
//
//===----------------------------------------------------------------------===//

#include "nnc/Dialect/NN/NNDialect.h"
#include "nnc/Frontend/Frontend.h"
#include "nnc/Frontend/MLIRGen.h"
#include "nnc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/ToolUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace nnc;
namespace cl = llvm::cl;

static cl::OptionCategory category("nnc options");

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.nn>"), cl::Required,
                                      cl::cat(category));

enum class Emit { AST, NN, Grad };
static cl::opt<Emit> emit(
    "emit", cl::desc("The stage to print"), cl::init(Emit::NN),
    cl::values(clEnumValN(Emit::AST, "ast", "the parsed syntax tree"),
               clEnumValN(Emit::NN, "nn", "the nn dialect (default)"),
               clEnumValN(Emit::Grad, "grad", "the nn dialect with the gradient functions")),
    cl::cat(category));

static cl::opt<std::string> outputFile("o", cl::desc("Write the output to <file> ('-' is stdout)"),
                                       cl::value_desc("file"), cl::init("-"), cl::cat(category));

static cl::opt<int64_t> batch("batch",
                              cl::desc("Batch size (default: the train block's batch, else 1)"),
                              cl::init(0), cl::cat(category));

static cl::opt<std::string> modelName("model", cl::desc("The model to compile when a file has "
                                                        "several and no train block"),
                                      cl::init(""), cl::cat(category));

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

/// Compiles one buffer (a whole file, or one chunk of a split file) and prints the requested
/// stage to `os`. Returns failure when the input has errors or the verifier disagrees.
static mlir::LogicalResult processBuffer(std::unique_ptr<llvm::MemoryBuffer> buffer,
                                         llvm::raw_ostream &os) {
  mlir::MLIRContext ctx;
  ctx.loadDialect<nn::NNDialect, mlir::func::FuncDialect, mlir::arith::ArithDialect,
                  mlir::scf::SCFDialect>();
  ctx.printOpOnDiagnostic(false);

  llvm::SourceMgr srcMgr;
  srcMgr.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());

  std::unique_ptr<mlir::SourceMgrDiagnosticHandler> handler;
  mlir::SourceMgrDiagnosticVerifierHandler *verifier = nullptr;
  if (verifyDiagnostics) {
    auto v = std::make_unique<mlir::SourceMgrDiagnosticVerifierHandler>(srcMgr, &ctx);
    verifier = v.get();
    handler = std::move(v);
  } else {
    handler = std::make_unique<mlir::SourceMgrDiagnosticHandler>(srcMgr, &ctx);
  }

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
  if (emit == Emit::AST) {
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
  if (emit == Emit::Grad) {
    mlir::PassManager pm(&ctx);
    pm.addPass(createNNAutodiff());
    if (mlir::failed(pm.run(*module)))
      return finish(false);
  }
  if (!verifier)
    module->print(os);
  return finish(true);
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "nnc: compiles a model written in the nnc language\n\n"
                              "  nnc model.nn                 print the model in the nn dialect\n"
                              "  nnc model.nn --emit=ast      print the parsed syntax tree\n"
                              "  nnc model.nn --emit=grad     print it with the gradient functions\n");
  if (batch < 0) {
    llvm::errs() << "nnc: --batch must be positive, found " << batch << "\n";
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
          return processBuffer(
              llvm::MemoryBuffer::getMemBufferCopy(chunk->getBuffer(), inputFile), os);
        },
        out->os(), "# -----", "// -----");
  } else {
    result = processBuffer(
        llvm::MemoryBuffer::getMemBufferCopy((*buf)->getBuffer(), inputFile), out->os());
  }
  if (mlir::failed(result))
    return 1;
  out->keep();
  return 0;
}
