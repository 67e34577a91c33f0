// SPDX-License-Identifier: Apache-2.0
// Helpers for the configuration tests: fixtures, and diagnostics as (line, message) pairs.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controlplane/config/loader.hpp"

namespace l2tpgw::cp::config::test {

inline std::string fixture_dir() { return std::string(L2TPGW_VECTOR_DIR) + "/config"; }
inline std::string fixture_path(std::string_view name) { return fixture_dir() + "/" + std::string(name); }

inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

inline LoadResult load_fixture(std::string_view name) { return load_config_file(fixture_path(name)); }

using Lines = std::vector<std::pair<uint32_t, std::string>>;

inline Lines of_severity(const LoadResult& r, Severity s) {
  Lines out;
  for (const Diagnostic& d : r.diagnostics)
    if (d.severity == s) out.emplace_back(d.line, d.message);
  return out;
}
inline Lines errors(const LoadResult& r) { return of_severity(r, Severity::Error); }
inline Lines warnings(const LoadResult& r) { return of_severity(r, Severity::Warning); }

inline std::vector<uint32_t> lines_of(const Lines& ls) {
  std::vector<uint32_t> out;
  for (const auto& [line, msg] : ls) out.push_back(line);
  return out;
}

// Loads text that must load, or fails the test with its diagnostics.
inline Config must_load(std::string_view text) {
  LoadResult r = load_config(text);
  if (!r.ok()) {
    std::string all;
    for (const Diagnostic& d : r.diagnostics) all += format_diagnostic(d, "<text>") + "\n";
    ADD_FAILURE() << "did not load:\n" << all;
    return Config{};
  }
  return *r.config;
}

// The one error of text that must not load.
inline std::pair<uint32_t, std::string> the_error(std::string_view text) {
  const LoadResult r = load_config(text);
  EXPECT_FALSE(r.ok());
  const Lines e = errors(r);
  EXPECT_EQ(e.size(), 1u) << (e.empty() ? "" : e[0].second);
  return e.empty() ? std::pair<uint32_t, std::string>{0, ""} : e[0];
}

}  // namespace l2tpgw::cp::config::test
