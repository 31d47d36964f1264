//===- Lexer.cpp - Tokens of the nnc model language -----------------------===//
//
// A hand-written lexer over one SourceMgr buffer. It never fails hard: anything it cannot read
// becomes an Error token, so the parser reports it at the right place and goes on.
//
//===----------------------------------------------------------------------===//

#include "nnc/Frontend/Lexer.h"

#include "llvm/ADT/StringSwitch.h"

using namespace nnc;

llvm::StringRef nnc::tokSpelling(Tok kind) {
  switch (kind) {
  case Tok::Eof: return "end of file";
  case Tok::Error: return "invalid token";
  case Tok::Newline: return "end of line";
  case Tok::Ident: return "identifier";
  case Tok::Int: return "integer";
  case Tok::Float: return "number";
  case Tok::String: return "string";
  case Tok::KwModel: return "'model'";
  case Tok::KwLayer: return "'layer'";
  case Tok::KwTrain: return "'train'";
  case Tok::KwParam: return "'param'";
  case Tok::KwState: return "'state'";
  case Tok::KwReturn: return "'return'";
  case Tok::KwFor: return "'for'";
  case Tok::KwIn: return "'in'";
  case Tok::KwIf: return "'if'";
  case Tok::KwElse: return "'else'";
  case Tok::KwImport: return "'import'";
  case Tok::KwTrue: return "'true'";
  case Tok::KwFalse: return "'false'";
  case Tok::KwAnd: return "'and'";
  case Tok::KwOr: return "'or'";
  case Tok::KwNot: return "'not'";
  case Tok::LParen: return "'('";
  case Tok::RParen: return "')'";
  case Tok::LBracket: return "'['";
  case Tok::RBracket: return "']'";
  case Tok::LBrace: return "'{'";
  case Tok::RBrace: return "'}'";
  case Tok::Comma: return "','";
  case Tok::Colon: return "':'";
  case Tok::Semicolon: return "';'";
  case Tok::Assign: return "'='";
  case Tok::Arrow: return "'->'";
  case Tok::Plus: return "'+'";
  case Tok::Minus: return "'-'";
  case Tok::Star: return "'*'";
  case Tok::StarStar: return "'**'";
  case Tok::Slash: return "'/'";
  case Tok::At: return "'@'";
  case Tok::Dot: return "'.'";
  case Tok::DotDot: return "'..'";
  case Tok::Ellipsis: return "'...'";
  case Tok::Lt: return "'<'";
  case Tok::Le: return "'<='";
  case Tok::Gt: return "'>'";
  case Tok::Ge: return "'>='";
  case Tok::EqEq: return "'=='";
  case Tok::Ne: return "'!='";
  }
  return "token";
}

void Lexer::skipSpaceAndComments() {
  while (cur < buf.end()) {
    char c = *cur;
    if (c == ' ' || c == '\t' || c == '\r' || (c == '\n' && depth > 0)) {
      ++cur;
    } else if (c == '\\' && cur + 1 < buf.end() && cur[1] == '\n') {
      cur += 2; // An explicit line continuation.
    } else if (c == '#') {
      while (cur < buf.end() && *cur != '\n')
        ++cur;
    } else {
      return;
    }
  }
}

Token Lexer::next() {
  skipSpaceAndComments();
  const char *start = cur;
  if (cur >= buf.end())
    return Token{Tok::Eof, llvm::StringRef(buf.end(), 0)};
  char c = *cur++;
  auto twoChar = [&](char second, Tok yes, Tok no) {
    if (cur < buf.end() && *cur == second) {
      ++cur;
      return make(yes, start);
    }
    return make(no, start);
  };
  switch (c) {
  case '\n':
    return make(Tok::Newline, start);
  case '(':
    ++depth;
    return make(Tok::LParen, start);
  case '[':
    ++depth;
    return make(Tok::LBracket, start);
  case ')':
    depth = depth > 0 ? depth - 1 : 0;
    return make(Tok::RParen, start);
  case ']':
    depth = depth > 0 ? depth - 1 : 0;
    return make(Tok::RBracket, start);
  case '{':
    return make(Tok::LBrace, start);
  case '}':
    return make(Tok::RBrace, start);
  case ',':
    return make(Tok::Comma, start);
  case ':':
    return make(Tok::Colon, start);
  case ';':
    return make(Tok::Semicolon, start);
  case '+':
    return make(Tok::Plus, start);
  case '@':
    return make(Tok::At, start);
  case '/':
    return make(Tok::Slash, start);
  case '-':
    return twoChar('>', Tok::Arrow, Tok::Minus);
  case '*':
    return twoChar('*', Tok::StarStar, Tok::Star);
  case '=':
    return twoChar('=', Tok::EqEq, Tok::Assign);
  case '<':
    return twoChar('=', Tok::Le, Tok::Lt);
  case '>':
    return twoChar('=', Tok::Ge, Tok::Gt);
  case '!':
    if (cur < buf.end() && *cur == '=') {
      ++cur;
      return make(Tok::Ne, start);
    }
    error = "unexpected character '!' (write 'not' for negation, '!=' for inequality)";
    return make(Tok::Error, start);
  case '.':
    if (cur < buf.end() && isdigit(static_cast<unsigned char>(*cur)))
      return lexNumber(start);
    if (cur < buf.end() && *cur == '.') {
      ++cur;
      if (cur < buf.end() && *cur == '.') {
        ++cur;
        return make(Tok::Ellipsis, start);
      }
      return make(Tok::DotDot, start);
    }
    return make(Tok::Dot, start);
  case '"':
    return lexString(start);
  default:
    break;
  }
  if (isdigit(static_cast<unsigned char>(c)))
    return lexNumber(start);
  if (isalpha(static_cast<unsigned char>(c)) || c == '_')
    return lexIdent(start);
  if (static_cast<unsigned char>(c) >= 0x80) {
    // Consume the whole UTF-8 sequence so the caret covers one character.
    while (cur < buf.end() && (static_cast<unsigned char>(*cur) & 0xC0) == 0x80)
      ++cur;
    error = "unexpected non-ASCII character";
  } else if (isprint(static_cast<unsigned char>(c))) {
    error = std::string("unexpected character '") + c + "'";
  } else {
    error = "unexpected control character";
  }
  return make(Tok::Error, start);
}

Token Lexer::lexNumber(const char *start) {
  bool isFloat = *start == '.';
  auto digits = [&] {
    while (cur < buf.end() && (isdigit(static_cast<unsigned char>(*cur)) || *cur == '_'))
      ++cur;
  };
  digits();
  // A '.' followed by a digit continues the number; '..' is a range and stays a token.
  if (!isFloat && cur + 1 < buf.end() && *cur == '.' && isdigit(static_cast<unsigned char>(cur[1]))) {
    isFloat = true;
    ++cur;
    digits();
  } else if (!isFloat && cur < buf.end() && *cur == '.' &&
             (cur + 1 >= buf.end() || cur[1] != '.')) {
    isFloat = true; // "1." is a float.
    ++cur;
  }
  if (cur < buf.end() && (*cur == 'e' || *cur == 'E')) {
    const char *save = cur++;
    if (cur < buf.end() && (*cur == '+' || *cur == '-'))
      ++cur;
    if (cur < buf.end() && isdigit(static_cast<unsigned char>(*cur))) {
      isFloat = true;
      digits();
    } else {
      cur = save;
    }
  }
  if (cur < buf.end() && (isalpha(static_cast<unsigned char>(*cur)) || *cur == '_')) {
    while (cur < buf.end() && (isalnum(static_cast<unsigned char>(*cur)) || *cur == '_'))
      ++cur;
    error = "malformed number";
    return make(Tok::Error, start);
  }
  return make(isFloat ? Tok::Float : Tok::Int, start);
}

Token Lexer::lexString(const char *start) {
  while (cur < buf.end() && *cur != '"' && *cur != '\n')
    ++cur;
  if (cur >= buf.end() || *cur != '"') {
    error = "unterminated string";
    return make(Tok::Error, start);
  }
  ++cur;
  return make(Tok::String, start);
}

Token Lexer::lexIdent(const char *start) {
  while (cur < buf.end() && (isalnum(static_cast<unsigned char>(*cur)) || *cur == '_'))
    ++cur;
  llvm::StringRef text(start, cur - start);
  Tok kind = llvm::StringSwitch<Tok>(text)
                 .Case("model", Tok::KwModel)
                 .Case("layer", Tok::KwLayer)
                 .Case("train", Tok::KwTrain)
                 .Case("param", Tok::KwParam)
                 .Case("state", Tok::KwState)
                 .Case("return", Tok::KwReturn)
                 .Case("for", Tok::KwFor)
                 .Case("in", Tok::KwIn)
                 .Case("if", Tok::KwIf)
                 .Case("else", Tok::KwElse)
                 .Case("import", Tok::KwImport)
                 .Case("true", Tok::KwTrue)
                 .Case("false", Tok::KwFalse)
                 .Case("and", Tok::KwAnd)
                 .Case("or", Tok::KwOr)
                 .Case("not", Tok::KwNot)
                 .Default(Tok::Ident);
  return make(kind, start);
}
