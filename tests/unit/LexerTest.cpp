//===- LexerTest.cpp - Unit tests of the lexer and parser -----------------===//

#include "nnc/Frontend/Lexer.h"
#include "nnc/Frontend/Parser.h"

#include "gtest/gtest.h"

using namespace nnc;

static std::vector<Tok> kinds(llvm::StringRef text) {
  Lexer lex(text);
  std::vector<Tok> out;
  for (Token t = lex.next(); !t.is(Tok::Eof); t = lex.next())
    out.push_back(t.kind);
  return out;
}

TEST(Lexer, NumbersRangesAndEllipsis) {
  EXPECT_EQ(kinds("0..28"), (std::vector<Tok>{Tok::Int, Tok::DotDot, Tok::Int}));
  EXPECT_EQ(kinds("1e-3 2.5 .5 1."),
            (std::vector<Tok>{Tok::Float, Tok::Float, Tok::Float, Tok::Float}));
  EXPECT_EQ(kinds("f32[B, ...]"), (std::vector<Tok>{Tok::Ident, Tok::LBracket, Tok::Ident,
                                                    Tok::Comma, Tok::Ellipsis, Tok::RBracket}));
  EXPECT_EQ(kinds("a ** 2 -> b"),
            (std::vector<Tok>{Tok::Ident, Tok::StarStar, Tok::Int, Tok::Arrow, Tok::Ident}));
}

TEST(Lexer, NewlinesInsideBracketsAreSpace) {
  EXPECT_EQ(kinds("f(a,\n b)\nc"),
            (std::vector<Tok>{Tok::Ident, Tok::LParen, Tok::Ident, Tok::Comma, Tok::Ident,
                              Tok::RParen, Tok::Newline, Tok::Ident}));
  EXPECT_EQ(kinds("x # comment\ny"), (std::vector<Tok>{Tok::Ident, Tok::Newline, Tok::Ident}));
}

TEST(Lexer, ErrorsAreTokens) {
  Lexer lex("\"open");
  Token t = lex.next();
  EXPECT_TRUE(t.is(Tok::Error));
  EXPECT_EQ(lex.errorMessage(), "unterminated string");
  Lexer lex2("12abc");
  EXPECT_TRUE(lex2.next().is(Tok::Error));
  EXPECT_EQ(lex2.errorMessage(), "malformed number");
}

TEST(Parser, PrecedenceAndRecovery) {
  std::vector<std::string> errors;
  auto file = parseFile("layer f(x: f32[B, I]) -> f32[B, I] {\n"
                        "  y = -x ** 2 + x @ w * 3\n"
                        "  z = = 1\n"
                        "  return y\n"
                        "}\n",
                        "t.nn", [&](llvm::SMLoc, const llvm::Twine &m) { errors.push_back(m.str()); });
  ASSERT_EQ(file->funcs.size(), 1u);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("expected an expression"), std::string::npos);
  const FuncDecl &f = *file->funcs[0];
  ASSERT_EQ(f.body.size(), 2u); // The bad statement is dropped, the others kept.
  std::string s;
  llvm::raw_string_ostream os(s);
  printExpr(*f.body[0]->value, os);
  EXPECT_EQ(os.str(), "((-(x ** 2)) + ((x @ w) * 3))");
}

TEST(Parser, DeepNestingIsAnErrorNotACrash) {
  std::string text = "model m(x: f32[B, 1]) {\n  return " + std::string(100000, '(') + "x\n}\n";
  int n = 0;
  auto file = parseFile(text, "deep.nn", [&](llvm::SMLoc, const llvm::Twine &) { ++n; });
  EXPECT_GE(n, 1);
}
