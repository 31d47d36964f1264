//===- Lexer.h - Tokens of the nnc model language -------------------------===//
//
// The lexer turns a buffer of a llvm::SourceMgr into tokens. Newlines end statements, except
// inside parentheses and brackets, where an expression may span lines (as in Python). Every
// token keeps its SMLoc so that diagnostics can point at it with a caret.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_FRONTEND_LEXER_H
#define NNC_FRONTEND_LEXER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"

namespace nnc {

enum class Tok {
  Eof,
  Error,
  Newline,
  Ident,
  Int,
  Float,
  String,
  // Keywords.
  KwModel,
  KwLayer,
  KwTrain,
  KwParam,
  KwState,
  KwReturn,
  KwFor,
  KwIn,
  KwIf,
  KwElse,
  KwImport,
  KwTrue,
  KwFalse,
  KwAnd,
  KwOr,
  KwNot,
  // Punctuation.
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Comma,
  Colon,
  Semicolon,
  Assign,
  Arrow,
  Plus,
  Minus,
  Star,
  StarStar,
  Slash,
  At,
  Dot,
  DotDot,
  Ellipsis,
  Lt,
  Le,
  Gt,
  Ge,
  EqEq,
  Ne,
};

/// A short human-readable spelling of a token kind, for "expected X, found Y" messages.
llvm::StringRef tokSpelling(Tok kind);

struct Token {
  Tok kind = Tok::Eof;
  llvm::StringRef text; // Points into the source buffer (quotes included for strings).
  llvm::SMLoc loc() const { return llvm::SMLoc::getFromPointer(text.data()); }
  bool is(Tok k) const { return kind == k; }
};

class Lexer {
public:
  explicit Lexer(llvm::StringRef buffer) : buf(buffer), cur(buffer.begin()) {}

  /// Returns the next token. Errors (a stray character, an unterminated string) come back as
  /// Tok::Error tokens whose text covers the offending characters; errorMessage() says why.
  Token next();
  llvm::StringRef errorMessage() const { return error; }

private:
  Token make(Tok kind, const char *start) {
    return Token{kind, llvm::StringRef(start, cur - start)};
  }
  Token lexNumber(const char *start);
  Token lexString(const char *start);
  Token lexIdent(const char *start);
  void skipSpaceAndComments();

  llvm::StringRef buf;
  const char *cur;
  int depth = 0; // Open ( and [: newlines inside them are not statement ends.
  std::string error;
};

} // namespace nnc

#endif // NNC_FRONTEND_LEXER_H
