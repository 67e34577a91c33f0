// SPDX-License-Identifier: Apache-2.0
// Diagnostic: one error or warning about one line of a configuration file.
#include "controlplane/config/diagnostic.hpp"

namespace l2tpgw::cp::config {

std::string format_diagnostic(const Diagnostic& d, std::string_view file) {
  std::string out(file);
  if (d.line != 0) {
    out += ':';
    out += std::to_string(d.line);
  }
  out += ": ";
  if (d.severity == Severity::Warning) out += "warning: ";
  out += d.message;
  return out;
}

}  // namespace l2tpgw::cp::config
