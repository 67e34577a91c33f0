// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/config/lexer: blanks, comments, indentation, quoting, refusals.
#include "controlplane/config/lexer.hpp"

#include <gtest/gtest.h>

namespace l2tpgw::cp::config {
namespace {

std::vector<std::string> words(std::string_view line) {
  const LexedLine l = lex_line(line, 1);
  EXPECT_EQ(l.error, "") << line;
  std::vector<std::string> out;
  for (const Token& t : l.tokens) out.push_back(t.text);
  return out;
}

using W = std::vector<std::string>;

TEST(Lexer, BlankLinesCommentsAndIndentationCarryNoWords) {
  EXPECT_EQ(words(""), W{});
  EXPECT_EQ(words("   \t "), W{});
  EXPECT_EQ(words("# 【L2TP設定】"), W{});
  EXPECT_EQ(words("   # indented comment"), W{});
  EXPECT_EQ(words(" tunnel  encapsulation\tl2tp "), (W{"tunnel", "encapsulation", "l2tp"}));
  EXPECT_EQ(words("  ipsec sa policy 101 1 esp aes-cbc sha-hmac").size(), 8u);
}

TEST(Lexer, HashAfterTheFirstWordIsAnOrdinaryCharacter) {
  // A password or key may hold '#', even at its start.
  EXPECT_EQ(words("pp auth username u pa#ss"), (W{"pp", "auth", "username", "u", "pa#ss"}));
  EXPECT_EQ(words("ipsec ike pre-shared-key 1 text #key"), (W{"ipsec", "ike", "pre-shared-key", "1", "text", "#key"}));
}

TEST(Lexer, QuotesAndEscapes) {
  EXPECT_EQ(words("a \"b c\" d"), (W{"a", "b c", "d"}));
  EXPECT_EQ(words("'x y'"), (W{"x y"}));
  EXPECT_EQ(words("\"a\\\"b\\\\c\""), (W{"a\"b\\c"}));   // "a\"b\\c" -> a"b\c
  EXPECT_EQ(words("'a\\b'"), (W{"a\\b"}));                 // no escapes in single quotes
  EXPECT_EQ(words("ab\"c d\"e"), (W{"abc de"}));           // quoted parts join their word
  EXPECT_EQ(words("a\\ b"), (W{"a b"}));                   // an escaped blank
  EXPECT_EQ(words("\"\""), (W{""}));                       // an empty word
  const LexedLine l = lex_line("x \"y\" z\\", 1);
  EXPECT_NE(l.error, "");
}

TEST(Lexer, QuotedWordsAreMarked) {
  const LexedLine l = lex_line("a \"b\" c\\d", 1);
  ASSERT_EQ(l.tokens.size(), 3u);
  EXPECT_FALSE(l.tokens[0].quoted);
  EXPECT_TRUE(l.tokens[1].quoted);
  EXPECT_TRUE(l.tokens[2].quoted);
}

TEST(Lexer, RefusalsDoNotQuoteTheLine) {
  const LexedLine open = lex_line("ipsec ike pre-shared-key 1 text \"himitsu", 1);
  EXPECT_EQ(open.error, "unterminated double quote opened at column 33");
  EXPECT_TRUE(open.tokens.empty());
  EXPECT_EQ(lex_line("pp auth username u 'himitsu", 1).error, "unterminated single quote opened at column 20");
  EXPECT_EQ(lex_line("l2tp tunnel auth on himitsu\\", 1).error, "backslash at the end of the line");
  EXPECT_EQ(lex_line(std::string("a\x01") + "himitsu", 1).error, "control character at column 2");
  EXPECT_EQ(lex_line(std::string("a\0b", 3), 1).error, "control character at column 2");
  EXPECT_EQ(lex_line("a\x7f", 1).error, "control character at column 2");
}

TEST(Lexer, LineLengthLimitIs4095) {
  EXPECT_EQ(lex_line(std::string(4095, 'a'), 1).error, "");
  EXPECT_EQ(lex_line(std::string(4096, 'a'), 1).error, "line longer than 4095 characters");
}

TEST(Lexer, FileSplitsOnNewlinesWithCrlfAndBom) {
  const auto lines = lex("\xEF\xBB\xBFpp select 1\r\n\r\n # c\r\ntunnel select 2");
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].number, 1u);
  EXPECT_EQ(lines[0].tokens.size(), 3u);
  EXPECT_EQ(lines[0].tokens[0].text, "pp");
  EXPECT_TRUE(lines[1].tokens.empty());
  EXPECT_TRUE(lines[2].tokens.empty());
  EXPECT_EQ(lines[3].number, 4u);
  EXPECT_EQ(lines[3].tokens[2].text, "2");
  EXPECT_EQ(lex("a\n").size(), 1u);
  EXPECT_EQ(lex("").size(), 0u);
  // A CR inside a line is a control character.
  EXPECT_NE(lex("a\rb\n")[0].error, "");
}

TEST(Lexer, PlaceholdersAreUnquotedParenthesizedWords) {
  EXPECT_TRUE(is_placeholder(Token{"(暗号アルゴリズム)", false}));
  EXPECT_TRUE(is_placeholder(Token{"(x)", false}));
  EXPECT_FALSE(is_placeholder(Token{"(x)", true}));
  EXPECT_FALSE(is_placeholder(Token{"(x", false}));
  EXPECT_FALSE(is_placeholder(Token{"x)", false}));
  EXPECT_FALSE(is_placeholder(Token{"(", false}));
  EXPECT_FALSE(is_placeholder(Token{"*", false}));
}

}  // namespace
}  // namespace l2tpgw::cp::config
