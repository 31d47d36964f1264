//===- FuzzFrontend.cpp - Fuzzing the .nn front end -------------------------===//
//
// The input is the text of a .nn file. It goes through everything `nnc model.nn` runs before
// printing: the lexer, the parser, Sema with the standard library, MLIRGen, and the MLIR
// verifier on the generated module. Invalid input must end in diagnostics; a module that Sema
// accepted but that does not verify is a front-end bug (Sema let through what MLIRGen cannot
// express), so the target stops there as on a crash.
//
// The input is added to the SourceMgr before loading, as nnc does, so the front end never reads
// it from disk; it is named as a file in an empty scratch folder, so relative imports resolve
// there and fail.
//
//===----------------------------------------------------------------------===//

#include "FuzzUtil.h"

#include "nnc/Dialect/NN/NNDialect.h"
#include "nnc/Frontend/Frontend.h"
#include "nnc/Frontend/MLIRGen.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace nnc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  // nnc refuses a file with a NUL byte before the front end sees it.
  if (text.contains('\0'))
    return 0;

  mlir::MLIRContext ctx(mlir::MLIRContext::Threading::DISABLED);
  ctx.loadDialect<nn::NNDialect, mlir::func::FuncDialect, mlir::arith::ArithDialect,
                  mlir::scf::SCFDialect>();
  ctx.printOpOnDiagnostic(false);
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic &d) {
    if (diagnostics.size() < 4096)
      diagnostics += d.str() + "\n";
    return mlir::success();
  });

  llvm::SourceMgr srcMgr;
  static const std::string path = nnc::fuzz::scratchPath("fuzz.nn");
  srcMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(text, path), llvm::SMLoc());
  Frontend fe(srcMgr, &ctx, FrontendOptions());
  if (mlir::failed(fe.load(path)))
    return 0;
  mlir::FailureOr<Program> prog = fe.check();
  if (mlir::failed(prog))
    return 0;
  mlir::OwningOpRef<mlir::ModuleOp> module = mlirGen(*prog, fe, &ctx);
  if (!module)
    nnc::fuzz::bug("mlirGen returned no module for a program Sema accepted");
  if (mlir::failed(mlir::verify(*module))) {
    std::string ir;
    llvm::raw_string_ostream os(ir);
    module->print(os);
    nnc::fuzz::bug("the generated nn IR does not verify:\n" + diagnostics + ir.substr(0, 8192));
  }
  return 0;
}
