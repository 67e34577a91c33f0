// SPDX-License-Identifier: Apache-2.0
// The line lexer of the RTX command language: one command per line, words split by blanks.
#include "controlplane/config/lexer.hpp"

#include "controlplane/config/defaults.hpp"

namespace l2tpgw::cp::config {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// Bytes >= 0x80 are UTF-8 (comments, names); only ASCII control characters are refused.
bool is_control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && c != '\t') || u == 0x7f;
}

}  // namespace

LexedLine lex_line(std::string_view line, uint32_t number) {
  LexedLine out;
  out.number = number;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.size() > defaults::kMaxLineLength) {
    out.error = "line longer than " + std::to_string(defaults::kMaxLineLength) + " characters";
    return out;
  }
  for (size_t i = 0; i < line.size(); ++i) {
    if (is_control(line[i])) {
      out.error = "control character at column " + std::to_string(i + 1);
      return out;
    }
  }
  size_t i = 0;
  while (i < line.size() && is_blank(line[i])) ++i;
  if (i == line.size() || line[i] == '#') return out;

  std::vector<Token> tokens;
  while (i < line.size()) {
    Token t;
    while (i < line.size() && !is_blank(line[i])) {
      const char c = line[i];
      if (c == '"' || c == '\'') {
        const size_t open = i++;
        t.quoted = true;
        while (i < line.size() && line[i] != c) {
          if (c == '"' && line[i] == '\\' && i + 1 < line.size()) ++i;
          t.text += line[i++];
        }
        if (i == line.size()) {
          out.error = std::string("unterminated ") + (c == '"' ? "double" : "single") +
                      " quote opened at column " + std::to_string(open + 1);
          return out;
        }
        ++i;  // the closing quote
      } else if (c == '\\') {
        if (i + 1 == line.size()) {
          out.error = "backslash at the end of the line";
          return out;
        }
        t.quoted = true;
        t.text += line[i + 1];
        i += 2;
      } else {
        t.text += c;
        ++i;
      }
    }
    tokens.push_back(std::move(t));
    while (i < line.size() && is_blank(line[i])) ++i;
  }
  out.tokens = std::move(tokens);
  return out;
}

std::vector<LexedLine> lex(std::string_view text) {
  static constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (text.substr(0, kBom.size()) == kBom) text.remove_prefix(kBom.size());
  std::vector<LexedLine> lines;
  uint32_t number = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    lines.push_back(lex_line(line, ++number));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

bool is_placeholder(const Token& t) {
  return !t.quoted && t.text.size() >= 2 && t.text.front() == '(' && t.text.back() == ')';
}

}  // namespace l2tpgw::cp::config
