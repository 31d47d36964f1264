//===- AST.cpp - Printing the syntax tree ---------------------------------===//
//
// `nnc --emit=ast` prints the parsed tree: expressions in source-like form, statements and
// declarations as an outline, each with its line:col, so that a user can see how a file was
// read before any checking.
//
//===----------------------------------------------------------------------===//

#include "nnc/Frontend/AST.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/SourceMgr.h"

using namespace nnc;

void nnc::printExpr(const Expr &e, llvm::raw_ostream &os) {
  auto kid = [&](unsigned i) {
    if (i < e.kids.size() && e.kids[i])
      printExpr(*e.kids[i], os);
  };
  switch (e.kind) {
  case ExprKind::Int:
    os << e.intVal;
    break;
  case ExprKind::Float:
    os << llvm::format("%g", e.floatVal);
    break;
  case ExprKind::Bool:
    os << (e.intVal ? "true" : "false");
    break;
  case ExprKind::String:
    os << '"' << e.str << '"';
    break;
  case ExprKind::Name:
    os << e.str;
    break;
  case ExprKind::Ellipsis:
    os << "...";
    break;
  case ExprKind::Unary:
    os << "(" << (e.op == Tok::KwNot ? "not " : "-");
    kid(0);
    os << ")";
    break;
  case ExprKind::Binary: {
    llvm::StringRef sp = tokSpelling(e.op);
    os << "(";
    kid(0);
    os << " " << sp.trim('\'') << " ";
    kid(1);
    os << ")";
    break;
  }
  case ExprKind::Call:
    os << e.str << "(";
    for (size_t i = 0; i < e.args.size(); ++i) {
      if (i)
        os << ", ";
      if (!e.args[i].name.empty())
        os << e.args[i].name << " = ";
      printExpr(*e.args[i].value, os);
    }
    os << ")";
    break;
  case ExprKind::Index:
    kid(0);
    os << "[";
    for (size_t i = 1; i < e.kids.size(); ++i) {
      if (i > 1)
        os << ", ";
      kid(i);
    }
    os << "]";
    break;
  case ExprKind::Slice:
    kid(0);
    os << ":";
    kid(1);
    if (e.kids.size() > 2 && e.kids[2]) {
      os << ":";
      kid(2);
    }
    break;
  case ExprKind::List:
    os << "[";
    for (size_t i = 0; i < e.kids.size(); ++i) {
      if (i)
        os << ", ";
      kid(i);
    }
    os << "]";
    break;
  }
}

namespace {
struct Dumper {
  const llvm::SourceMgr &srcMgr;
  llvm::raw_ostream &os;

  void at(llvm::SMLoc loc) {
    if (!loc.isValid()) return;
    auto lc = srcMgr.getLineAndColumn(loc);
    os << "  @" << lc.first << ":" << lc.second;
  }
  void indent(int n) { os.indent(2 * n); }

  void type(const TypeExpr &t) {
    switch (t.kind) {
    case TypeExpr::Int: os << "int"; return;
    case TypeExpr::Float: os << "float"; return;
    case TypeExpr::Bool: os << "bool"; return;
    case TypeExpr::Tuple:
      os << "(";
      for (size_t i = 0; i < t.elems.size(); ++i) {
        if (i) os << ", ";
        type(t.elems[i]);
      }
      os << ")";
      return;
    case TypeExpr::Tensor:
      os << t.elem << "[";
      for (size_t i = 0; i < t.dims.size(); ++i) {
        if (i) os << ", ";
        printExpr(*t.dims[i], os);
      }
      os << "]";
      return;
    }
  }

  void stmts(const std::vector<StmtPtr> &body, int depth) {
    for (const StmtPtr &s : body)
      stmt(*s, depth);
  }

  void stmt(const Stmt &s, int d) {
    indent(d);
    switch (s.kind) {
    case StmtKind::Assign:
      os << "assign ";
      for (size_t i = 0; i < s.targets.size(); ++i) {
        os << (i ? ", " : "");
        if (s.targets[i].index)
          printExpr(*s.targets[i].index, os);
        else
          os << s.targets[i].name;
      }
      os << " = ";
      printExpr(*s.value, os);
      break;
    case StmtKind::Param:
    case StmtKind::State:
      os << (s.kind == StmtKind::Param ? "param " : "state ") << s.name << ": ";
      type(s.type);
      os << " = ";
      printExpr(*s.value, os);
      break;
    case StmtKind::Return:
      os << "return ";
      for (size_t i = 0; i < s.exprs.size(); ++i) {
        if (i) os << ", ";
        printExpr(*s.exprs[i], os);
      }
      break;
    case StmtKind::For:
      os << "for " << s.name << " in ";
      printExpr(*s.exprs[0], os);
      os << " .. ";
      printExpr(*s.exprs[1], os);
      at(s.loc);
      os << "\n";
      stmts(s.body, d + 1);
      return;
    case StmtKind::If:
      os << "if ";
      printExpr(*s.value, os);
      at(s.loc);
      os << "\n";
      stmts(s.body, d + 1);
      if (!s.elseBody.empty()) {
        indent(d);
        os << "else\n";
        stmts(s.elseBody, d + 1);
      }
      return;
    }
    at(s.loc);
    os << "\n";
  }
};
} // namespace

void nnc::dumpAST(const FileAST &file, const llvm::SourceMgr &srcMgr, llvm::raw_ostream &os) {
  Dumper dp{srcMgr, os};
  os << "file \"" << file.path << "\"\n";
  for (const ImportDecl &imp : file.imports) {
    os << "  import \"" << imp.path << "\"";
    dp.at(imp.loc);
    os << "\n";
  }
  for (const auto &f : file.funcs) {
    os << "  " << (f->isModel ? "model " : "layer ") << f->name << "(";
    for (size_t i = 0; i < f->params.size(); ++i) {
      if (i) os << ", ";
      os << f->params[i].name << ": ";
      dp.type(f->params[i].type);
      if (f->params[i].defaultValue) {
        os << " = ";
        printExpr(*f->params[i].defaultValue, os);
      }
    }
    os << ")";
    if (f->result) {
      os << " -> ";
      dp.type(*f->result);
    }
    dp.at(f->loc);
    os << "\n";
    dp.stmts(f->body, 2);
  }
  for (const auto &t : file.trains) {
    os << "  train " << t->model;
    dp.at(t->loc);
    os << "\n";
    for (const TrainEntry &e : t->entries) {
      os << "    " << e.key << " = ";
      printExpr(*e.value, os);
      dp.at(e.loc);
      os << "\n";
    }
  }
}
