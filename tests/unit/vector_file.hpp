// SPDX-License-Identifier: Apache-2.0
// Test helper: reads tests/vectors/*.txt ("name = value" records, blank-line separated).
#pragma once

#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace l2tpgw::test {

using Record = std::map<std::string, std::string>;

// Path of a vector file, relative to tests/vectors (L2TPGW_VECTOR_DIR is set by meson).
inline std::string vector_path(const std::string& rel) {
  return std::string(L2TPGW_VECTOR_DIR) + "/" + rel;
}

// Lines starting with '#' are comments; a record ends at a blank line.
inline std::vector<Record> load_vectors(const std::string& rel) {
  std::ifstream in(vector_path(rel));
  EXPECT_TRUE(in.good()) << "cannot open " << vector_path(rel);
  std::vector<Record> out;
  Record cur;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '#') continue;
    if (line.empty()) {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
      continue;
    }
    const auto eq = line.find(" = ");
    if (eq == std::string::npos) continue;
    cur[line.substr(0, eq)] = line.substr(eq + 3);
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

inline std::vector<uint8_t> from_hex(const std::string& s) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < s.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoul(s.substr(i, 2), nullptr, 16)));
  }
  return out;
}

inline std::string to_hex(const uint8_t* p, size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += d[p[i] >> 4];
    s += d[p[i] & 15];
  }
  return s;
}

}  // namespace l2tpgw::test
