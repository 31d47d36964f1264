//===- Frontend.cpp - Loading, parsing and checking .nn files -------------===//
//
// Loads the main file and, depth first, every file it imports (relative to the importing
// file), detecting import cycles; then the standard library, which is compiled into the
// binary and shown in diagnostics as `<stdlib>/std.nn`. Each file is read once.
//
//===----------------------------------------------------------------------===//

#include "nnc/Frontend/Frontend.h"
#include "nnc/Frontend/Parser.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace nnc;

Frontend::Frontend(llvm::SourceMgr &srcMgr, mlir::MLIRContext *ctx, FrontendOptions opts)
    : srcMgr(srcMgr), ctx(ctx), opts(std::move(opts)) {}

Frontend::~Frontend() = default;

mlir::Location Frontend::loc(llvm::SMLoc l) const {
  if (!l.isValid())
    return mlir::UnknownLoc::get(ctx);
  unsigned id = srcMgr.FindBufferContainingLoc(l);
  if (!id)
    return mlir::UnknownLoc::get(ctx);
  auto lc = srcMgr.getLineAndColumn(l, id);
  return mlir::FileLineColLoc::get(
      ctx, srcMgr.getMemoryBuffer(id)->getBufferIdentifier(), lc.first, lc.second);
}

mlir::InFlightDiagnostic Frontend::error(llvm::SMLoc l, const llvm::Twine &msg) const {
  return mlir::emitError(loc(l), msg);
}

mlir::LogicalResult Frontend::load(llvm::StringRef path) {
  std::vector<std::pair<std::string, llvm::SMLoc>> stack;
  if (mlir::failed(loadFile(path, llvm::SMLoc(), stack)))
    return mlir::failure();
  if (!opts.noStdlib) {
    auto buf = llvm::MemoryBuffer::getMemBuffer(stdlibSource(), "<stdlib>/std.nn");
    llvm::StringRef text = buf->getBuffer();
    srcMgr.AddNewSourceBuffer(std::move(buf), llvm::SMLoc());
    stdFiles.push_back(parseFile(text, "<stdlib>/std.nn", [&](llvm::SMLoc l, const llvm::Twine &m) {
      error(l, m);
      parseFailed = true;
    }));
  }
  return mlir::failure(parseFailed);
}

mlir::LogicalResult Frontend::loadFile(llvm::StringRef path, llvm::SMLoc importLoc,
                                       std::vector<std::pair<std::string, llvm::SMLoc>> &stack) {
  llvm::SmallString<256> real;
  if (llvm::sys::fs::real_path(path, real))
    real = path;
  std::string key = real.str().str();
  auto onStack = llvm::find_if(stack, [&](const auto &e) { return e.first == key; });
  if (onStack != stack.end()) {
    auto diag = error(importLoc, "import cycle: '" + path + "' is already being imported");
    for (auto it = onStack; it != stack.end(); ++it)
      diag.attachNote(loc(it->second)) << "the cycle goes through this import";
    return mlir::failure();
  }
  if (llvm::is_contained(loaded, key))
    return mlir::success();

  // The main file may already be in the SourceMgr (the tool reads it first, so that a
  // diagnostic verifier sees its expectations).
  for (unsigned id = 1; id <= srcMgr.getNumBuffers() && !importLoc.isValid(); ++id) {
    if (srcMgr.getMemoryBuffer(id)->getBufferIdentifier() != path)
      continue;
    loaded.push_back(key);
    return parseLoaded(id, path, stack, key);
  }
  // A device or a FIFO (`import "/dev/zero"`) would be read forever: only regular files are
  // sources. Folders get their own message below.
  llvm::sys::fs::file_status status;
  if (!llvm::sys::fs::status(path, status) && !llvm::sys::fs::is_regular_file(status) &&
      !llvm::sys::fs::is_directory(status)) {
    (importLoc.isValid() ? error(importLoc, "cannot import '" + path + "': not a regular file")
                         : mlir::emitError(mlir::UnknownLoc::get(ctx),
                                           "cannot open '" + path + "': not a regular file"));
    return mlir::failure();
  }
  auto bufOr = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (std::error_code ec = bufOr.getError()) {
    if (importLoc.isValid())
      error(importLoc, "cannot import '" + path + "': " + ec.message());
    else
      mlir::emitError(mlir::UnknownLoc::get(ctx), "cannot open '" + path + "': " + ec.message());
    return mlir::failure();
  }
  if (llvm::sys::fs::is_directory(path)) {
    (importLoc.isValid() ? error(importLoc, "cannot import '" + path + "': it is a directory")
                         : mlir::emitError(mlir::UnknownLoc::get(ctx),
                                           "cannot open '" + path + "': it is a directory"));
    return mlir::failure();
  }
  llvm::StringRef text = (*bufOr)->getBuffer();
  if (text.find('\0') != llvm::StringRef::npos) {
    mlir::emitError(mlir::UnknownLoc::get(ctx),
                    "'" + path + "' is not a text file (it contains a NUL byte)");
    return mlir::failure();
  }
  unsigned id = srcMgr.AddNewSourceBuffer(std::move(*bufOr), importLoc);
  loaded.push_back(key);
  return parseLoaded(id, path, stack, key);
}

mlir::LogicalResult Frontend::parseLoaded(unsigned bufferId, llvm::StringRef path,
                                          std::vector<std::pair<std::string, llvm::SMLoc>> &stack,
                                          const std::string &key) {
  llvm::StringRef text = srcMgr.getMemoryBuffer(bufferId)->getBuffer();
  auto file = parseFile(text, path, [&](llvm::SMLoc l, const llvm::Twine &m) {
    error(l, m);
    parseFailed = true;
  });
  FileAST *f = file.get();
  userFiles.push_back(std::move(file));

  bool ok = true;
  for (const ImportDecl &imp : f->imports) {
    llvm::SmallString<256> target(imp.path);
    if (!llvm::sys::path::is_absolute(target)) {
      target = llvm::sys::path::parent_path(path);
      llvm::sys::path::append(target, imp.path);
    }
    stack.push_back({key, imp.loc});
    if (mlir::failed(loadFile(target, imp.loc, stack)))
      ok = false;
    stack.pop_back();
  }
  return mlir::success(ok);
}
