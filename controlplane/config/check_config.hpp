// SPDX-License-Identifier: Apache-2.0
// `l2tpgw-controlplane --check-config FILE`: validate a configuration without touching anything
// running (as `nginx -t` does).
#pragma once

#include <ostream>
#include <string>

namespace l2tpgw::cp::config {

// Loads `path`. When it loads: the expanded configuration, secrets masked, goes to `out`, any
// warnings ("FILE:LINE: warning: not supported by l2tpgw: ...") go to `err`, and the result is
// 0. When it does not: every error and warning goes to `err` as "FILE:LINE: message" and the
// result is 1. Touches nothing but the file it reads.
int check_config_main(const std::string& path, std::ostream& out, std::ostream& err);

}  // namespace l2tpgw::cp::config
