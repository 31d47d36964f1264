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
// This file parses the file, its declarations, types, blocks and statements; ParseExpr.cpp
// parses the expressions; ParserInternal.h declares the Parser class they share.
//

#include "ParserInternal.h"

#include "llvm/ADT/STLExtras.h"

using namespace nnc;
using namespace nnc::parser;

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
    skipDecl();
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
  if (tok.is(Tok::KwParam) || tok.is(Tok::KwState))
    return parseParamStmt();
  if (tok.is(Tok::KwReturn))
    return parseReturnStmt();
  if (tok.is(Tok::KwFor))
    return parseForStmt();
  if (tok.is(Tok::KwIf))
    return parseIfStmt();
  if (tok.is(Tok::Ident))
    return parseAssignStmt();
  error(tok.loc(), "expected a statement (an assignment, 'param', 'state', 'return', 'for' or "
                   "'if'), found " + describe(tok));
  return nullptr;
}

StmtPtr Parser::parseParamStmt() {
  SMLoc loc = tok.loc();
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

StmtPtr Parser::parseReturnStmt() {
  auto s = std::make_unique<Stmt>(StmtKind::Return, tok.loc());
  advance();
  do {
    ExprPtr e = parseExpr();
    if (!e)
      return nullptr;
    s->exprs.push_back(std::move(e));
  } while (consumeIf(Tok::Comma));
  return s;
}

StmtPtr Parser::parseForStmt() {
  auto s = std::make_unique<Stmt>(StmtKind::For, tok.loc());
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

StmtPtr Parser::parseIfStmt() {
  auto s = std::make_unique<Stmt>(StmtKind::If, tok.loc());
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

StmtPtr Parser::parseAssignStmt() {
  auto s = std::make_unique<Stmt>(StmtKind::Assign, tok.loc());
  do {
    if (!tok.is(Tok::Ident)) {
      error(tok.loc(), "expected a name to assign to, found " + describe(tok));
      return nullptr;
    }
    Target t{tok.text.str(), tok.loc(), nullptr};
    advance();
    if (tok.is(Tok::LBracket)) {
      auto name = std::make_unique<Expr>(ExprKind::Name, t.loc);
      name->str = t.name;
      t.index = parseIndex(std::move(name));
      if (!t.index)
        return nullptr;
    }
    s->targets.push_back(std::move(t));
  } while (consumeIf(Tok::Comma));
  if (s->targets.size() > 1)
    for (const Target &t : s->targets)
      if (t.index) {
        error(t.loc, "a subscripted assignment has one target: write '" + t.name +
                         "[...] = value' on its own line");
        return nullptr;
      }
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

std::unique_ptr<TrainDecl> Parser::parseTrain() {
  auto t = std::make_unique<TrainDecl>();
  t->loc = tok.loc();
  advance();
  if (!tok.is(Tok::Ident)) {
    error(tok.loc(), "expected the name of a model after 'train', found " + describe(tok));
    skipDecl();
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

std::unique_ptr<FileAST> nnc::parseFile(llvm::StringRef buffer, llvm::StringRef path,
                                        const ErrorFn &onError) {
  Parser p(buffer, onError);
  return p.parse(path);
}
