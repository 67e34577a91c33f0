// SPDX-License-Identifier: Apache-2.0
// `l2tpgw-controlplane --check-config FILE`: validate a configuration without touching anything
// running (as `nginx -t` does).
#include "controlplane/config/check_config.hpp"

#include "controlplane/config/loader.hpp"
#include "controlplane/config/printer.hpp"

namespace l2tpgw::cp::config {

int check_config_main(const std::string& path, std::ostream& out, std::ostream& err) {
  const LoadResult r = load_config_file(path);
  for (const Diagnostic& d : r.diagnostics) err << format_diagnostic(d, path) << '\n';
  if (!r.ok()) return 1;
  out << print_config(*r.config);
  return 0;
}

}  // namespace l2tpgw::cp::config
