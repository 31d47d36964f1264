//===- AST.h - Syntax tree of the nnc model language ----------------------===//
//
// The parser's output: declarations (layer, model, train, import), statements and
// expressions, each with the SMLoc of its first character. The tree is untyped; Sema checks
// it and instantiates every layer call into a typed program (Program.h).
//
//===----------------------------------------------------------------------===//

#ifndef NNC_FRONTEND_AST_H
#define NNC_FRONTEND_AST_H

#include "nnc/Frontend/Lexer.h"

#include "llvm/Support/SMLoc.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class SourceMgr;
}

namespace nnc {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

enum class ExprKind {
  Int,      // intVal
  Float,    // floatVal
  Bool,     // intVal (0 or 1)
  String,   // str (unquoted)
  Name,     // str
  Unary,    // op, kids[0]
  Binary,   // op, kids[0], kids[1]
  Call,     // str (callee), args
  Index,    // kids[0] (base), kids[1..] (subscripts: expressions or Slice)
  Slice,    // kids[0..2]: start, stop, step, each may be null
  List,     // kids
  Ellipsis, // '...' in a shape pattern
};

struct CallArg {
  std::string name; // Empty for a positional argument.
  llvm::SMLoc nameLoc;
  ExprPtr value;
};

struct Expr {
  ExprKind kind;
  llvm::SMLoc loc;
  int64_t intVal = 0;
  double floatVal = 0;
  std::string str;
  Tok op = Tok::Eof;
  std::vector<ExprPtr> kids;
  std::vector<CallArg> args;
  /// The height of the tree below this node: the parser bounds it, so that no walk over an
  /// expression (Sema, printing, destruction) can exhaust the stack.
  unsigned height = 1;

  Expr(ExprKind kind, llvm::SMLoc loc) : kind(kind), loc(loc) {}
};

/// A type in a signature or a declaration: `f32[B, 784]`, `int`, `float`, `bool`,
/// or a tuple `(f32[B, H], f32[B, H])` for several results.
struct TypeExpr {
  enum Kind { Tensor, Int, Float, Bool, Tuple } kind = Tensor;
  llvm::SMLoc loc;
  std::string elem;           // f32, f64, i32, i64, u8, i1 (Tensor only)
  std::vector<ExprPtr> dims;  // Dimension expressions; ExprKind::Ellipsis matches the rest.
  std::vector<TypeExpr> elems; // Tuple members.
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;

enum class StmtKind {
  Assign, // targets = value, or name[subscripts] = value
  Param,  // param name: type = value
  State,  // state name: type = value
  Return, // return exprs
  For,    // for name in exprs[0] .. exprs[1] { body }
  If,     // if value { body } else { elseBody }
};

struct Target {
  std::string name;
  llvm::SMLoc loc;
  /// `name[subscripts] = value` (one step of a sequence): the Index expression, whose
  /// kids[0] is the name.
  ExprPtr index;
};

struct Stmt {
  StmtKind kind;
  llvm::SMLoc loc;
  std::vector<Target> targets;
  std::string name;
  llvm::SMLoc nameLoc;
  TypeExpr type;
  ExprPtr value;
  std::vector<ExprPtr> exprs;
  std::vector<StmtPtr> body, elseBody;

  Stmt(StmtKind kind, llvm::SMLoc loc) : kind(kind), loc(loc) {}
};

struct ParamDecl {
  std::string name;
  llvm::SMLoc loc;
  TypeExpr type;
  ExprPtr defaultValue;
};

/// A `layer` or a `model`: both are functions; a model is an entry point.
struct FuncDecl {
  bool isModel = false;
  std::string name;
  llvm::SMLoc loc;
  std::vector<ParamDecl> params;
  std::optional<TypeExpr> result;
  std::vector<StmtPtr> body;
};

struct TrainEntry {
  std::string key;
  llvm::SMLoc loc;
  ExprPtr value;
};

struct TrainDecl {
  std::string model;
  llvm::SMLoc loc, modelLoc;
  std::vector<TrainEntry> entries;
};

struct ImportDecl {
  std::string path;
  llvm::SMLoc loc;
};

/// One parsed file.
struct FileAST {
  std::string path;
  std::vector<ImportDecl> imports;
  std::vector<std::unique_ptr<FuncDecl>> funcs;
  std::vector<std::unique_ptr<TrainDecl>> trains;
};

/// Prints the tree as an indented outline with line:col positions (`nnc --emit=ast`).
void dumpAST(const FileAST &file, const llvm::SourceMgr &srcMgr, llvm::raw_ostream &os);
void printExpr(const Expr &e, llvm::raw_ostream &os);

} // namespace nnc

#endif // NNC_FRONTEND_AST_H
