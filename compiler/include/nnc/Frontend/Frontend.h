//===- Frontend.h - From .nn files to a checked, typed program ------------===//
//
// The front end's entry point: it loads the main file, its imports and the standard library
// into one llvm::SourceMgr, parses them, and runs Sema, reporting every error through MLIR's
// diagnostic engine at FileLineColLoc locations (so the usual handlers print the line with a
// caret, and --verify-diagnostics works on .nn files).
//
//===----------------------------------------------------------------------===//

#ifndef NNC_FRONTEND_FRONTEND_H
#define NNC_FRONTEND_FRONTEND_H

#include "nnc/Frontend/AST.h"
#include "nnc/Frontend/Program.h"

#include "mlir/IR/Location.h"
#include "mlir/Support/LLVM.h"
#include "llvm/Support/SourceMgr.h"

namespace mlir {
class MLIRContext;
}

namespace nnc {

struct FrontendOptions {
  /// The batch size; 0 takes the train block's `batch`, or 1 without one.
  int64_t batch = 0;
  /// What `f32` in source means: F64 instantiates the model in double precision (the
  /// reference evaluator and gradient checks use it).
  ElemType floatType = ElemType::F32;
  /// The model to compile; empty picks the train block's model or the only model.
  std::string model;
  /// Leave out the implicit standard library (for testing the language alone).
  bool noStdlib = false;
};

class Frontend {
public:
  Frontend(llvm::SourceMgr &srcMgr, mlir::MLIRContext *ctx, FrontendOptions opts = {});
  ~Frontend();

  /// Reads and parses `path`, everything it imports, and the standard library.
  mlir::LogicalResult load(llvm::StringRef path);
  /// The parsed user files, the main file first.
  llvm::ArrayRef<std::unique_ptr<FileAST>> files() const { return userFiles; }
  /// Checks the loaded files and instantiates the chosen model.
  mlir::FailureOr<Program> check();

  mlir::Location loc(llvm::SMLoc loc) const;
  mlir::InFlightDiagnostic error(llvm::SMLoc loc, const llvm::Twine &msg) const;

private:
  mlir::LogicalResult loadFile(llvm::StringRef path, llvm::SMLoc importLoc,
                               std::vector<std::pair<std::string, llvm::SMLoc>> &stack);
  mlir::LogicalResult parseLoaded(unsigned bufferId, llvm::StringRef path,
                                  std::vector<std::pair<std::string, llvm::SMLoc>> &stack, const std::string &key);

  llvm::SourceMgr &srcMgr;
  mlir::MLIRContext *ctx;
  FrontendOptions opts;
  std::vector<std::unique_ptr<FileAST>> userFiles;
  std::vector<std::unique_ptr<FileAST>> stdFiles;
  std::vector<std::string> loaded; // Canonical paths already read.
  bool parseFailed = false;
};

/// The standard library's source, compiled into the binary.
llvm::StringRef stdlibSource();

} // namespace nnc

#endif // NNC_FRONTEND_FRONTEND_H
