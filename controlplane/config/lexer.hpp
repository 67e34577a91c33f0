// SPDX-License-Identifier: Apache-2.0
// The line lexer of the RTX command language: one command per line, words split by blanks.
//
// Rules (Yamaha RTX command reference §1.5, "コマンドの入力文字数とエスケープシーケンス",
// as l2tpgw reads it):
//  - a line is at most 4095 characters; "\r\n" ends a line as "\n" does; a UTF-8 byte-order
//    mark at the start of the file is skipped;
//  - leading blanks (spaces, tabs) are indentation, as `show config` prints the commands of a
//    `pp select` or `tunnel select` section; indentation carries no meaning;
//  - a line whose first non-blank character is '#' is a comment; a '#' later in a line is an
//    ordinary character, so that a password or key may contain one;
//  - words are separated by blanks; inside a word, "..." and '...' quote (blanks included),
//    and outside single quotes a backslash takes the next character literally;
//  - control characters are refused.
// Errors never quote the line: it may hold a secret.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace l2tpgw::cp::config {

struct Token {
  std::string text;
  bool quoted = false;  // a part was quoted or escaped: never taken for a placeholder
  bool operator==(const Token&) const = default;
};

struct LexedLine {
  uint32_t number = 0;  // 1-based
  std::vector<Token> tokens;  // empty for a blank line or a comment
  std::string error;          // set when the line could not be split; tokens is then empty
};

// Splits one line (without its line terminator).
LexedLine lex_line(std::string_view line, uint32_t number);

// Splits a whole file into lines and lexes each.
std::vector<LexedLine> lex(std::string_view text);

// True for an unquoted word written "(...)": the seeds' placeholders such as "(暗号アルゴリズム)"
// that a reader must replace with a value.
bool is_placeholder(const Token& t);

}  // namespace l2tpgw::cp::config
