// SPDX-License-Identifier: Apache-2.0
// load_config: text of an RTX configuration -> an expanded, validated Config, or the reasons not.
#include "controlplane/config/loader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "controlplane/config/expand.hpp"
#include "controlplane/config/lexer.hpp"
#include "controlplane/config/parser.hpp"
#include "controlplane/config/validate.hpp"

namespace l2tpgw::cp::config {

LoadResult load_config(std::string_view text) {
  LoadResult r;
  auto& d = r.diagnostics;
  ParsedConfig parsed = parse_lines(lex(text), d);
  if (!has_errors(d)) {
    Config cfg = expand(std::move(parsed), d);
    if (!has_errors(d)) {
      validate(cfg, d);
      if (!has_errors(d)) r.config = std::move(cfg);
    }
  }
  std::stable_sort(d.begin(), d.end(), [](const Diagnostic& a, const Diagnostic& b) { return a.line < b.line; });
  return r;
}

LoadResult load_config_file(const std::string& path) {
  auto fail = [](std::string msg) {
    LoadResult r;
    r.diagnostics.push_back({0, Severity::Error, std::move(msg)});
    return r;
  };
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return fail(std::string("cannot open: ") + std::strerror(errno));
  std::string text;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    text.append(buf, n);
    if (text.size() > kMaxConfigFileBytes) {
      std::fclose(f);
      return fail("larger than " + std::to_string(kMaxConfigFileBytes >> 20) + " MiB");
    }
  }
  const bool read_error = std::ferror(f);
  const int err = errno;
  std::fclose(f);
  if (read_error) return fail(std::string("cannot read: ") + std::strerror(err));
  return load_config(text);
}

}  // namespace l2tpgw::cp::config
