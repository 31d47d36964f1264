//===- Parser.h - Recursive-descent parser of the model language ----------===//
//
// Parses one buffer into a FileAST. Errors go to a callback with the SMLoc they are about;
// the parser then skips to the end of the statement and goes on, so that one run reports
// several independent errors. Nesting is bounded, so no input can exhaust the stack.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_FRONTEND_PARSER_H
#define NNC_FRONTEND_PARSER_H

#include "nnc/Frontend/AST.h"

#include "llvm/ADT/Twine.h"

#include <functional>

namespace nnc {

using ErrorFn = std::function<void(llvm::SMLoc, const llvm::Twine &)>;

/// Parses `buffer` (named `path` in the result). Returns the tree; `onError` has been called
/// once per error found.
std::unique_ptr<FileAST> parseFile(llvm::StringRef buffer, llvm::StringRef path,
                                   const ErrorFn &onError);

} // namespace nnc

#endif // NNC_FRONTEND_PARSER_H
