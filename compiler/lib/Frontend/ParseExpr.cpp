//===- ParseExpr.cpp - Expressions of the model language ------------------===//
//
// Recursive descent over the expression rules of the grammar at the top of Parser.cpp, one
// function per precedence level, from `or` down to the primaries. Every level that can nest
// (parentheses, unary operators, '**', calls and subscripts) counts its depth, and every node
// its height, so that no expression can exhaust the stack of the parser or of a later walk.
//
//===----------------------------------------------------------------------===//

#include "ParserInternal.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

using namespace nnc;
using namespace nnc::parser;

ExprPtr Parser::parseExpr() {
  DepthGuard guard(*this, tok.loc());
  if (!guard.ok)
    return nullptr;
  return parseOr();
}

ExprPtr Parser::parseOr() { return parseLeftAssoc({Tok::KwOr}, &Parser::parseAnd); }

ExprPtr Parser::parseAnd() { return parseLeftAssoc({Tok::KwAnd}, &Parser::parseNot); }

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

ExprPtr Parser::parseAdd() { return parseLeftAssoc({Tok::Plus, Tok::Minus}, &Parser::parseMul); }

ExprPtr Parser::parseMul() {
  return parseLeftAssoc({Tok::Star, Tok::Slash, Tok::At}, &Parser::parseUnary);
}

/// `operand {op operand}` for the operators `ops`, grouped to the left.
ExprPtr Parser::parseLeftAssoc(std::initializer_list<Tok> ops, ExprPtr (Parser::*operand)()) {
  ExprPtr l = (this->*operand)();
  while (l && llvm::is_contained(ops, tok.kind)) {
    Tok op = tok.kind;
    SMLoc loc = tok.loc();
    advance();
    ExprPtr r = (this->*operand)();
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
      e = parseIndex(std::move(e));
    } else if (tok.is(Tok::LParen)) {
      error(tok.loc(), "only names can be called");
      return nullptr;
    } else {
      break;
    }
  }
  return e;
}

ExprPtr Parser::parseIndex(ExprPtr base) {
  auto idx = std::make_unique<Expr>(ExprKind::Index, tok.loc());
  advance();
  idx->kids.push_back(std::move(base));
  do {
    ExprPtr sub = parseSubscript();
    if (!sub)
      return nullptr;
    idx->kids.push_back(std::move(sub));
  } while (consumeIf(Tok::Comma));
  if (!expect(Tok::RBracket, "to close the subscript"))
    return nullptr;
  return bounded(std::move(idx));
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
  case Tok::Int:
  case Tok::Float:
    return parseNumber();
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
  case Tok::Ident:
    return parseName();
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

/// An integer or floating-point literal; `_` may separate digits.
ExprPtr Parser::parseNumber() {
  SMLoc loc = tok.loc();
  if (tok.is(Tok::Int)) {
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

/// A name, or a call `name(args)` with positional and keyword arguments.
ExprPtr Parser::parseName() {
  SMLoc loc = tok.loc();
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
