//===- ParserInternal.h - What the parser's files share ---------*- C++ -*-===//
//
// The private header of the parser, included only by Parser.cpp (declarations and
// statements; the grammar is at its top) and ParseExpr.cpp (expressions). It declares the
// Parser class with its token stream, its error recovery and the bounds on nesting.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_LIB_FRONTEND_PARSERINTERNAL_H
#define NNC_LIB_FRONTEND_PARSERINTERNAL_H

#include "nnc/Frontend/Parser.h"

#include <initializer_list>

namespace nnc::parser {

using llvm::SMLoc;

constexpr int kMaxDepth = 200;
constexpr unsigned kMaxHeight = 1000;

class Parser {
public:
  Parser(llvm::StringRef buffer, const ErrorFn &onError) : lex(buffer), onError(onError) {
    advance();
  }

  std::unique_ptr<FileAST> parse(llvm::StringRef path);

private:
  // Token stream.
  void advance() {
    tok = lex.next();
    if (tok.is(Tok::Error)) {
      error(tok.loc(), lex.errorMessage());
      // Skip the bad token; the parse continues as if it were not there.
      tok = lex.next();
      while (tok.is(Tok::Error)) {
        error(tok.loc(), lex.errorMessage());
        tok = lex.next();
      }
    }
  }
  bool consumeIf(Tok k) {
    if (!tok.is(k))
      return false;
    advance();
    return true;
  }
  bool expect(Tok k, llvm::StringRef context) {
    if (consumeIf(k))
      return true;
    error(tok.loc(), llvm::Twine("expected ") + tokSpelling(k) + " " + context + ", found " +
                         describe(tok));
    return false;
  }
  std::string describe(const Token &t) {
    if (t.is(Tok::Ident) || t.is(Tok::Int) || t.is(Tok::Float))
      return (llvm::Twine(tokSpelling(t.kind)) + " '" + t.text + "'").str();
    return tokSpelling(t.kind).str();
  }
  void error(SMLoc loc, const llvm::Twine &msg) {
    if (!failed)
      onError(loc, msg);
    failed = true;
  }
  void skipNewlines() {
    while (tok.is(Tok::Newline) || tok.is(Tok::Semicolon))
      advance();
  }
  /// After an error: drop tokens up to the end of the line (not consuming a '}' that closes
  /// the enclosing block) and clear the error state.
  void recover() {
    while (!tok.is(Tok::Eof) && !tok.is(Tok::Newline) && !tok.is(Tok::RBrace)) {
      if (tok.is(Tok::LBrace)) {
        skipBlock();
        continue;
      }
      advance();
    }
    failed = false;
  }
  void skipBlock() {
    int depth = 0;
    do {
      if (tok.is(Tok::LBrace))
        ++depth;
      else if (tok.is(Tok::RBrace))
        --depth;
      advance();
    } while (depth > 0 && !tok.is(Tok::Eof));
  }

  /// After an error in a declaration's header: skip the rest of the header, and the body.
  void skipDecl() {
    while (!tok.is(Tok::Eof) && !tok.is(Tok::LBrace) && !tok.is(Tok::Newline))
      advance();
    if (tok.is(Tok::LBrace))
      skipBlock();
    failed = false;
  }

  // Declarations and statements (Parser.cpp).
  std::unique_ptr<FuncDecl> parseFunc(bool isModel);
  std::unique_ptr<TrainDecl> parseTrain();
  bool parseType(TypeExpr &t);
  bool parseBlock(std::vector<StmtPtr> &out);
  StmtPtr parseStmt();
  StmtPtr parseParamStmt();
  StmtPtr parseReturnStmt();
  StmtPtr parseForStmt();
  StmtPtr parseIfStmt();
  StmtPtr parseAssignStmt();

  // Expressions (ParseExpr.cpp).
  ExprPtr parseExpr();
  ExprPtr parseOr();
  ExprPtr parseAnd();
  ExprPtr parseNot();
  ExprPtr parseCmp();
  ExprPtr parseAdd();
  ExprPtr parseMul();
  ExprPtr parseLeftAssoc(std::initializer_list<Tok> ops, ExprPtr (Parser::*operand)());
  ExprPtr parseUnary();
  ExprPtr parsePower();
  ExprPtr parsePostfix();
  ExprPtr parsePrimary();
  ExprPtr parseNumber();
  ExprPtr parseName();
  ExprPtr parseSubscript();
  /// `[subscripts]` after `base`, at the '['.
  ExprPtr parseIndex(ExprPtr base);
  ExprPtr binary(Tok op, ExprPtr l, ExprPtr r, SMLoc loc) {
    auto e = std::make_unique<Expr>(ExprKind::Binary, loc);
    e->op = op;
    e->kids.push_back(std::move(l));
    e->kids.push_back(std::move(r));
    return bounded(std::move(e));
  }
  /// Sets the node's height from its children; an expression taller than kMaxHeight (a chain
  /// of thousands of operators) is an error.
  ExprPtr bounded(ExprPtr e) {
    unsigned h = 0;
    for (const ExprPtr &k : e->kids)
      if (k)
        h = std::max(h, k->height);
    for (const CallArg &a : e->args)
      h = std::max(h, a.value->height);
    e->height = h + 1;
    if (e->height > kMaxHeight) {
      error(e->loc, "expression too deep (more than 1000 nested operations)");
      return nullptr;
    }
    return e;
  }

  struct DepthGuard {
    Parser &p;
    bool ok;
    DepthGuard(Parser &p, SMLoc loc) : p(p), ok(++p.depth <= kMaxDepth) {
      if (!ok)
        p.error(loc, "nesting too deep (more than 200 levels)");
    }
    ~DepthGuard() { --p.depth; }
  };

  Lexer lex;
  Token tok;
  const ErrorFn &onError;
  bool failed = false;
  int depth = 0;
};

} // namespace nnc::parser

#endif // NNC_LIB_FRONTEND_PARSERINTERNAL_H
