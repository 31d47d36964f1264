//===- Parser.cpp - Recursive-descent parser of the model language --------===//
//
// Grammar (newlines end statements, except inside ( ) and [ ]):
//
//   file   := { import | ('layer' | 'model') func | 'train' train }
//   import := 'import' STRING
//   func   := IDENT '(' [param {',' param}] ')' ['->' type] block
//   param  := IDENT ':' type ['=' expr]
//   type   := 'int' | 'float' | 'bool' | ELEM '[' [dim {',' dim}] ']' | '(' type {',' type} ')'
//   block  := '{' {stmt} '}'
//   stmt   := ('param' | 'state') IDENT ':' type '=' expr
//           | 'return' expr {',' expr}
//           | 'for' IDENT 'in' expr '..' expr block
//           | 'if' expr block ['else' (block | if-stmt)]
//           | IDENT {',' IDENT} '=' expr
//   train  := IDENT '{' {IDENT '=' expr} '}'
//   expr   := or; or := and {'or' and}; and := not {'and' not}; not := 'not' not | cmp
//   cmp    := add [('<'|'<='|'>'|'>='|'=='|'!=') add]
//   add    := mul {('+'|'-') mul}; mul := unary {('*'|'/'|'@') unary}
//   unary  := '-' unary | power; power := postfix ['**' unary]
//   postfix:= primary {'(' args ')' | '[' subscripts ']'}
//   primary:= INT | FLOAT | STRING | 'true' | 'false' | IDENT | '(' expr ')' | '[' [exprs] ']'
//
// Recovery: an error abandons the current statement (or declaration header) and resumes at
// the next line, so later errors are still found.
//
//===----------------------------------------------------------------------===//

#include "nnc/Frontend/Parser.h"

#include "llvm/ADT/StringExtras.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

using namespace nnc;
using llvm::SMLoc;

namespace {

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

  // Declarations.
  std::unique_ptr<FuncDecl> parseFunc(bool isModel);
  std::unique_ptr<TrainDecl> parseTrain();
  bool parseType(TypeExpr &t);
  bool parseBlock(std::vector<StmtPtr> &out);
  StmtPtr parseStmt();

  // Expressions.
  ExprPtr parseExpr();
  ExprPtr parseOr();
  ExprPtr parseAnd();
  ExprPtr parseNot();
  ExprPtr parseCmp();
  ExprPtr parseAdd();
  ExprPtr parseMul();
  ExprPtr parseUnary();
  ExprPtr parsePower();
  ExprPtr parsePostfix();
  ExprPtr parsePrimary();
  ExprPtr parseSubscript();
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

} // namespace

std::unique_ptr<FileAST> Parser::parse(llvm::StringRef path) {
  auto file = std::make_unique<FileAST>();
  file->path = path.str();
  for (;;) {
    skipNewlines();
    if (tok.is(Tok::Eof))
      break;
    if (tok.is(Tok::KwImport)) {
      SMLoc loc = tok.loc();
      advance();
      if (!tok.is(Tok::String)) {
        error(tok.loc(), "expected a quoted path after 'import', found " + describe(tok));
        recover();
        continue;
      }
      file->imports.push_back({tok.text.drop_front().drop_back().str(), loc});
      advance();
    } else if (tok.is(Tok::KwLayer) || tok.is(Tok::KwModel)) {
      bool isModel = tok.is(Tok::KwModel);
      if (auto f = parseFunc(isModel))
        file->funcs.push_back(std::move(f));
    } else if (tok.is(Tok::KwTrain)) {
      if (auto t = parseTrain())
        file->trains.push_back(std::move(t));
    } else {
      error(tok.loc(), "expected 'layer', 'model', 'train' or 'import' at the top level, found " +
                           describe(tok));
      // Skip the whole line, and a block that follows it.
      while (!tok.is(Tok::Eof) && !tok.is(Tok::Newline)) {
        if (tok.is(Tok::LBrace))
          skipBlock();
        else
          advance();
      }
      failed = false;
      continue;
    }
    if (!tok.is(Tok::Eof) && !tok.is(Tok::Newline) && !tok.is(Tok::Semicolon)) {
      error(tok.loc(), "expected end of line after the declaration, found " + describe(tok));
      recover();
    }
    failed = false;
  }
  return file;
}

std::unique_ptr<FuncDecl> Parser::parseFunc(bool isModel) {
  auto f = std::make_unique<FuncDecl>();
  f->isModel = isModel;
  f->loc = tok.loc();
  advance();
  auto giveUp = [&]() -> std::unique_ptr<FuncDecl> {
    // Skip the header up to the body and the body itself.
    while (!tok.is(Tok::Eof) && !tok.is(Tok::LBrace) && !tok.is(Tok::Newline))
      advance();
    if (tok.is(Tok::LBrace))
      skipBlock();
    failed = false;
    return nullptr;
  };
  if (!tok.is(Tok::Ident)) {
    error(tok.loc(), llvm::Twine("expected a name after '") + (isModel ? "model" : "layer") +
                         "', found " + describe(tok));
    return giveUp();
  }
  f->name = tok.text.str();
  f->loc = tok.loc();
  advance();
  if (!expect(Tok::LParen, "to open the parameter list"))
    return giveUp();
  if (!tok.is(Tok::RParen)) {
    do {
      ParamDecl p;
      if (!tok.is(Tok::Ident)) {
        error(tok.loc(), "expected a parameter name, found " + describe(tok));
        return giveUp();
      }
      p.name = tok.text.str();
      p.loc = tok.loc();
      advance();
      if (!expect(Tok::Colon, "and a type after the parameter name"))
        return giveUp();
      if (!parseType(p.type))
        return giveUp();
      if (consumeIf(Tok::Assign)) {
        p.defaultValue = parseExpr();
        if (!p.defaultValue)
          return giveUp();
      }
      f->params.push_back(std::move(p));
    } while (consumeIf(Tok::Comma));
  }
  if (!expect(Tok::RParen, "to close the parameter list"))
    return giveUp();
  if (consumeIf(Tok::Arrow)) {
    TypeExpr t;
    if (!parseType(t))
      return giveUp();
    f->result = std::move(t);
  }
  if (!tok.is(Tok::LBrace)) {
    error(tok.loc(), "expected '{' to open the body of '" + f->name + "', found " + describe(tok));
    return giveUp();
  }
  parseBlock(f->body);
  return f;
}

bool Parser::parseType(TypeExpr &t) {
  t.loc = tok.loc();
  if (tok.is(Tok::LParen)) {
    advance();
    t.kind = TypeExpr::Tuple;
    do {
      TypeExpr member;
      if (!parseType(member))
        return false;
      t.elems.push_back(std::move(member));
    } while (consumeIf(Tok::Comma));
    return expect(Tok::RParen, "to close the tuple type");
  }
  if (!tok.is(Tok::Ident)) {
    error(tok.loc(), "expected a type (such as f32[B, 10], int, float or bool), found " +
                         describe(tok));
    return false;
  }
  llvm::StringRef name = tok.text;
  advance();
  if (!tok.is(Tok::LBracket)) {
    if (name == "int")
      t.kind = TypeExpr::Int;
    else if (name == "float")
      t.kind = TypeExpr::Float;
    else if (name == "bool")
      t.kind = TypeExpr::Bool;
    else {
      error(t.loc, "unknown type '" + name +
                       "': expected int, float, bool or a tensor type such as f32[B, 10]");
      return false;
    }
    return true;
  }
  t.kind = TypeExpr::Tensor;
  t.elem = name.str();
  if (name == "bool")
    t.elem = "i1";
  if (!llvm::is_contained({"f32", "f64", "i32", "i64", "u8", "i1"}, t.elem)) {
    error(t.loc, "unknown element type '" + name + "': expected f32, f64, i32, i64, u8 or bool");
    return false;
  }
  advance(); // '['
  if (!tok.is(Tok::RBracket)) {
    do {
      if (tok.is(Tok::Ellipsis)) {
        t.dims.push_back(std::make_unique<Expr>(ExprKind::Ellipsis, tok.loc()));
        advance();
        continue;
      }
      ExprPtr d = parseAdd();
      if (!d)
        return false;
      t.dims.push_back(std::move(d));
    } while (consumeIf(Tok::Comma));
  }
  return expect(Tok::RBracket, "to close the shape");
}

bool Parser::parseBlock(std::vector<StmtPtr> &out) {
  SMLoc open = tok.loc();
  if (!expect(Tok::LBrace, "to open a block"))
    return false;
  DepthGuard guard(*this, open);
  if (!guard.ok) {
    // Too deep: skip the rest of this block wholesale.
    int d = 1;
    while (d > 0 && !tok.is(Tok::Eof)) {
      if (tok.is(Tok::LBrace)) ++d;
      if (tok.is(Tok::RBrace)) --d;
      advance();
    }
    return false;
  }
  for (;;) {
    skipNewlines();
    if (tok.is(Tok::RBrace)) {
      advance();
      return true;
    }
    if (tok.is(Tok::Eof)) {
      failed = false;
      error(tok.loc(), "expected '}' to close the block opened here before the end of file");
      return false;
    }
    StmtPtr s = parseStmt();
    if (s && !failed && !tok.is(Tok::Newline) && !tok.is(Tok::Semicolon) &&
        !tok.is(Tok::RBrace) && !tok.is(Tok::Eof))
      error(tok.loc(), "expected end of line after the statement, found " + describe(tok));
    if (failed) {
      recover();
      continue;
    }
    if (s)
      out.push_back(std::move(s));
  }
}

StmtPtr Parser::parseStmt() {
  SMLoc loc = tok.loc();
  if (tok.is(Tok::KwParam) || tok.is(Tok::KwState)) {
    auto s = std::make_unique<Stmt>(tok.is(Tok::KwParam) ? StmtKind::Param : StmtKind::State, loc);
    advance();
    if (!tok.is(Tok::Ident)) {
      error(tok.loc(), "expected a name after '" +
                           llvm::Twine(s->kind == StmtKind::Param ? "param" : "state") +
                           "', found " + describe(tok));
      return nullptr;
    }
    s->name = tok.text.str();
    s->nameLoc = tok.loc();
    advance();
    if (!expect(Tok::Colon, "and a type after the name"))
      return nullptr;
    if (!parseType(s->type))
      return nullptr;
    if (!tok.is(Tok::Assign)) {
      error(tok.loc(), "expected '=' and an initializer (such as zeros or uniform(-0.1, 0.1)), "
                       "found " + describe(tok));
      return nullptr;
    }
    advance();
    s->value = parseExpr();
    return s->value ? std::move(s) : nullptr;
  }
  if (tok.is(Tok::KwReturn)) {
    auto s = std::make_unique<Stmt>(StmtKind::Return, loc);
    advance();
    do {
      ExprPtr e = parseExpr();
      if (!e)
        return nullptr;
      s->exprs.push_back(std::move(e));
    } while (consumeIf(Tok::Comma));
    return s;
  }
  if (tok.is(Tok::KwFor)) {
    auto s = std::make_unique<Stmt>(StmtKind::For, loc);
    advance();
    if (!tok.is(Tok::Ident)) {
      error(tok.loc(), "expected a loop variable after 'for', found " + describe(tok));
      return nullptr;
    }
    s->name = tok.text.str();
    s->nameLoc = tok.loc();
    advance();
    if (!expect(Tok::KwIn, "after the loop variable"))
      return nullptr;
    ExprPtr lo = parseExpr();
    if (!lo)
      return nullptr;
    if (!expect(Tok::DotDot, "in the loop range 'start .. end'"))
      return nullptr;
    ExprPtr hi = parseExpr();
    if (!hi)
      return nullptr;
    s->exprs.push_back(std::move(lo));
    s->exprs.push_back(std::move(hi));
    if (!tok.is(Tok::LBrace)) {
      error(tok.loc(), "expected '{' to open the loop body, found " + describe(tok));
      return nullptr;
    }
    if (!parseBlock(s->body))
      return nullptr;
    return s;
  }
  if (tok.is(Tok::KwIf)) {
    auto s = std::make_unique<Stmt>(StmtKind::If, loc);
    advance();
    s->value = parseExpr();
    if (!s->value)
      return nullptr;
    if (!tok.is(Tok::LBrace)) {
      error(tok.loc(), "expected '{' after the condition, found " + describe(tok));
      return nullptr;
    }
    if (!parseBlock(s->body))
      return nullptr;
    // 'else' may follow on the same line as the closing brace.
    if (tok.is(Tok::KwElse)) {
      advance();
      if (tok.is(Tok::KwIf)) {
        StmtPtr nested = parseStmt();
        if (!nested)
          return nullptr;
        s->elseBody.push_back(std::move(nested));
      } else if (!parseBlock(s->elseBody)) {
        return nullptr;
      }
    }
    return s;
  }
  if (tok.is(Tok::Ident)) {
    auto s = std::make_unique<Stmt>(StmtKind::Assign, loc);
    do {
      if (!tok.is(Tok::Ident)) {
        error(tok.loc(), "expected a name to assign to, found " + describe(tok));
        return nullptr;
      }
      s->targets.push_back({tok.text.str(), tok.loc()});
      advance();
    } while (consumeIf(Tok::Comma));
    if (!tok.is(Tok::Assign)) {
      error(tok.loc(), "expected '=' after '" + s->targets.back().name +
                           "' (a statement is an assignment, 'param', 'state', 'return', "
                           "'for' or 'if'), found " + describe(tok));
      return nullptr;
    }
    advance();
    s->value = parseExpr();
    return s->value ? std::move(s) : nullptr;
  }
  error(tok.loc(), "expected a statement (an assignment, 'param', 'state', 'return', 'for' or "
                   "'if'), found " + describe(tok));
  return nullptr;
}

std::unique_ptr<TrainDecl> Parser::parseTrain() {
  auto t = std::make_unique<TrainDecl>();
  t->loc = tok.loc();
  advance();
  if (!tok.is(Tok::Ident)) {
    error(tok.loc(), "expected the name of a model after 'train', found " + describe(tok));
    while (!tok.is(Tok::Eof) && !tok.is(Tok::LBrace) && !tok.is(Tok::Newline))
      advance();
    if (tok.is(Tok::LBrace))
      skipBlock();
    failed = false;
    return nullptr;
  }
  t->model = tok.text.str();
  t->modelLoc = tok.loc();
  advance();
  if (!expect(Tok::LBrace, "to open the train block"))
    return nullptr;
  for (;;) {
    skipNewlines();
    if (tok.is(Tok::RBrace)) {
      advance();
      return t;
    }
    if (tok.is(Tok::Eof)) {
      failed = false;
      error(tok.loc(), "expected '}' to close the train block before the end of file");
      return t;
    }
    if (!tok.is(Tok::Ident)) {
      error(tok.loc(), "expected a setting such as 'optimizer = adam(lr = 1e-3)', found " +
                           describe(tok));
      recover();
      continue;
    }
    TrainEntry e;
    e.key = tok.text.str();
    e.loc = tok.loc();
    advance();
    if (!expect(Tok::Assign, "after the setting name")) {
      recover();
      continue;
    }
    e.value = parseExpr();
    if (e.value && !tok.is(Tok::Newline) && !tok.is(Tok::Semicolon) && !tok.is(Tok::RBrace))
      error(tok.loc(), "expected end of line after the setting, found " + describe(tok));
    if (failed || !e.value) {
      recover();
      continue;
    }
    t->entries.push_back(std::move(e));
  }
}

ExprPtr Parser::parseExpr() {
  DepthGuard guard(*this, tok.loc());
  if (!guard.ok)
    return nullptr;
  return parseOr();
}

ExprPtr Parser::parseOr() {
  ExprPtr l = parseAnd();
  while (l && tok.is(Tok::KwOr)) {
    SMLoc loc = tok.loc();
    advance();
    ExprPtr r = parseAnd();
    if (!r)
      return nullptr;
    l = binary(Tok::KwOr, std::move(l), std::move(r), loc);
  }
  return l;
}

ExprPtr Parser::parseAnd() {
  ExprPtr l = parseNot();
  while (l && tok.is(Tok::KwAnd)) {
    SMLoc loc = tok.loc();
    advance();
    ExprPtr r = parseNot();
    if (!r)
      return nullptr;
    l = binary(Tok::KwAnd, std::move(l), std::move(r), loc);
  }
  return l;
}

ExprPtr Parser::parseNot() {
  if (tok.is(Tok::KwNot)) {
    DepthGuard guard(*this, tok.loc());
    if (!guard.ok)
      return nullptr;
    auto e = std::make_unique<Expr>(ExprKind::Unary, tok.loc());
    e->op = Tok::KwNot;
    advance();
    ExprPtr x = parseNot();
    if (!x)
      return nullptr;
    e->kids.push_back(std::move(x));
    return bounded(std::move(e));
  }
  return parseCmp();
}

static bool isCmp(Tok k) {
  return k == Tok::Lt || k == Tok::Le || k == Tok::Gt || k == Tok::Ge || k == Tok::EqEq ||
         k == Tok::Ne;
}

ExprPtr Parser::parseCmp() {
  ExprPtr l = parseAdd();
  if (l && isCmp(tok.kind)) {
    Tok op = tok.kind;
    SMLoc loc = tok.loc();
    advance();
    ExprPtr r = parseAdd();
    if (!r)
      return nullptr;
    l = binary(op, std::move(l), std::move(r), loc);
    if (isCmp(tok.kind)) {
      error(tok.loc(), "comparisons do not chain: add parentheses or use 'and'");
      return nullptr;
    }
  }
  return l;
}

ExprPtr Parser::parseAdd() {
  ExprPtr l = parseMul();
  while (l && (tok.is(Tok::Plus) || tok.is(Tok::Minus))) {
    Tok op = tok.kind;
    SMLoc loc = tok.loc();
    advance();
    ExprPtr r = parseMul();
    if (!r)
      return nullptr;
    l = binary(op, std::move(l), std::move(r), loc);
  }
  return l;
}

ExprPtr Parser::parseMul() {
  ExprPtr l = parseUnary();
  while (l && (tok.is(Tok::Star) || tok.is(Tok::Slash) || tok.is(Tok::At))) {
    Tok op = tok.kind;
    SMLoc loc = tok.loc();
    advance();
    ExprPtr r = parseUnary();
    if (!r)
      return nullptr;
    l = binary(op, std::move(l), std::move(r), loc);
  }
  return l;
}

ExprPtr Parser::parseUnary() {
  if (tok.is(Tok::Minus)) {
    DepthGuard guard(*this, tok.loc());
    if (!guard.ok)
      return nullptr;
    SMLoc loc = tok.loc();
    advance();
    ExprPtr x = parseUnary();
    if (!x)
      return nullptr;
    // Fold the sign into a literal so that `-1` is a number, not an operation.
    if (x->kind == ExprKind::Int) {
      x->intVal = -x->intVal;
      x->loc = loc;
      return x;
    }
    if (x->kind == ExprKind::Float) {
      x->floatVal = -x->floatVal;
      x->loc = loc;
      return x;
    }
    auto e = std::make_unique<Expr>(ExprKind::Unary, loc);
    e->op = Tok::Minus;
    e->kids.push_back(std::move(x));
    return bounded(std::move(e));
  }
  return parsePower();
}

ExprPtr Parser::parsePower() {
  ExprPtr base = parsePostfix();
  if (base && tok.is(Tok::StarStar)) {
    SMLoc loc = tok.loc();
    DepthGuard guard(*this, loc); // '**' is right-associative: it recurses.
    if (!guard.ok)
      return nullptr;
    advance();
    ExprPtr exp = parseUnary();
    if (!exp)
      return nullptr;
    return binary(Tok::StarStar, std::move(base), std::move(exp), loc);
  }
  return base;
}

ExprPtr Parser::parsePostfix() {
  ExprPtr e = parsePrimary();
  while (e) {
    if (tok.is(Tok::LBracket)) {
      auto idx = std::make_unique<Expr>(ExprKind::Index, tok.loc());
      advance();
      idx->kids.push_back(std::move(e));
      do {
        ExprPtr sub = parseSubscript();
        if (!sub)
          return nullptr;
        idx->kids.push_back(std::move(sub));
      } while (consumeIf(Tok::Comma));
      if (!expect(Tok::RBracket, "to close the subscript"))
        return nullptr;
      e = bounded(std::move(idx));
    } else if (tok.is(Tok::LParen)) {
      error(tok.loc(), "only names can be called");
      return nullptr;
    } else {
      break;
    }
  }
  return e;
}

ExprPtr Parser::parseSubscript() {
  SMLoc loc = tok.loc();
  ExprPtr start;
  if (!tok.is(Tok::Colon)) {
    start = parseExpr();
    if (!start)
      return nullptr;
    if (!tok.is(Tok::Colon))
      return start;
  }
  auto s = std::make_unique<Expr>(ExprKind::Slice, loc);
  advance(); // ':'
  ExprPtr stop, step;
  if (!tok.is(Tok::Comma) && !tok.is(Tok::RBracket) && !tok.is(Tok::Colon)) {
    stop = parseExpr();
    if (!stop)
      return nullptr;
  }
  if (consumeIf(Tok::Colon) && !tok.is(Tok::Comma) && !tok.is(Tok::RBracket)) {
    step = parseExpr();
    if (!step)
      return nullptr;
  }
  s->kids.push_back(std::move(start));
  s->kids.push_back(std::move(stop));
  s->kids.push_back(std::move(step));
  return bounded(std::move(s));
}

ExprPtr Parser::parsePrimary() {
  SMLoc loc = tok.loc();
  switch (tok.kind) {
  case Tok::Int: {
    auto e = std::make_unique<Expr>(ExprKind::Int, loc);
    std::string digits = tok.text.str();
    llvm::erase(digits, '_');
    errno = 0;
    char *end = nullptr;
    unsigned long long v = std::strtoull(digits.c_str(), &end, 10);
    if (errno == ERANGE || v > static_cast<unsigned long long>(INT64_MAX)) {
      error(loc, "integer '" + tok.text + "' is too large");
      return nullptr;
    }
    e->intVal = static_cast<int64_t>(v);
    advance();
    return e;
  }
  case Tok::Float: {
    auto e = std::make_unique<Expr>(ExprKind::Float, loc);
    std::string digits = tok.text.str();
    llvm::erase(digits, '_');
    e->floatVal = std::strtod(digits.c_str(), nullptr);
    if (!std::isfinite(e->floatVal)) {
      error(loc, "number '" + tok.text + "' is out of range");
      return nullptr;
    }
    advance();
    return e;
  }
  case Tok::String: {
    auto e = std::make_unique<Expr>(ExprKind::String, loc);
    e->str = tok.text.drop_front().drop_back().str();
    advance();
    return e;
  }
  case Tok::KwTrue:
  case Tok::KwFalse: {
    auto e = std::make_unique<Expr>(ExprKind::Bool, loc);
    e->intVal = tok.is(Tok::KwTrue);
    advance();
    return e;
  }
  case Tok::Ident: {
    std::string name = tok.text.str();
    advance();
    if (!tok.is(Tok::LParen)) {
      auto e = std::make_unique<Expr>(ExprKind::Name, loc);
      e->str = std::move(name);
      return e;
    }
    auto e = std::make_unique<Expr>(ExprKind::Call, loc);
    e->str = std::move(name);
    advance(); // '('
    if (!tok.is(Tok::RParen)) {
      do {
        CallArg a;
        // `name = value` is a keyword argument; look one token ahead without a lexer rewind
        // by parsing an expression and reinterpreting a bare name followed by '='.
        a.value = parseExpr();
        if (!a.value)
          return nullptr;
        if (tok.is(Tok::Assign)) {
          if (a.value->kind != ExprKind::Name) {
            error(tok.loc(), "a keyword argument needs a plain name before '='");
            return nullptr;
          }
          a.name = a.value->str;
          a.nameLoc = a.value->loc;
          advance();
          a.value = parseExpr();
          if (!a.value)
            return nullptr;
        }
        e->args.push_back(std::move(a));
      } while (consumeIf(Tok::Comma) && !tok.is(Tok::RParen));
    }
    if (!expect(Tok::RParen, "to close the argument list"))
      return nullptr;
    return bounded(std::move(e));
  }
  case Tok::LParen: {
    advance();
    ExprPtr e = parseExpr();
    if (!e)
      return nullptr;
    if (!expect(Tok::RParen, "to close the parenthesis"))
      return nullptr;
    return e;
  }
  case Tok::LBracket: {
    auto e = std::make_unique<Expr>(ExprKind::List, loc);
    advance();
    if (!tok.is(Tok::RBracket)) {
      do {
        if (tok.is(Tok::RBracket))
          break; // Trailing comma.
        ExprPtr x = parseExpr();
        if (!x)
          return nullptr;
        e->kids.push_back(std::move(x));
      } while (consumeIf(Tok::Comma));
    }
    if (!expect(Tok::RBracket, "to close the list"))
      return nullptr;
    return bounded(std::move(e));
  }
  default:
    error(loc, "expected an expression, found " + describe(tok));
    return nullptr;
  }
}

std::unique_ptr<FileAST> nnc::parseFile(llvm::StringRef buffer, llvm::StringRef path,
                                        const ErrorFn &onError) {
  Parser p(buffer, onError);
  return p.parse(path);
}
