// SPDX-License-Identifier: Apache-2.0
// Diagnostic: one error or warning about one line of a configuration file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace l2tpgw::cp::config {

enum class Severity : uint8_t {
  Error,    // the file does not load
  Warning,  // the file loads; the line is ignored ("not supported by l2tpgw: ...") or suspicious
};

// Messages never hold a secret (a pre-shared key, a password): the parser quotes an argument
// only where it cannot be one.
struct Diagnostic {
  uint32_t line = 0;  // 1-based; 0: about the whole file
  Severity severity = Severity::Error;
  std::string message;
  bool operator==(const Diagnostic&) const = default;
};

// "FILE:LINE: message" for an error, "FILE:LINE: warning: message" for a warning; without
// ":LINE" for line 0.
std::string format_diagnostic(const Diagnostic& d, std::string_view file);

inline bool has_errors(const std::vector<Diagnostic>& ds) {
  for (const auto& d : ds)
    if (d.severity == Severity::Error) return true;
  return false;
}

}  // namespace l2tpgw::cp::config
