// SPDX-License-Identifier: Apache-2.0
// load_config: text of an RTX configuration -> an expanded, validated Config, or the reasons not.
//
// This is the boundary the daemon and `--check-config` use: no exceptions cross it. The steps
// are lex -> parse -> expand templates -> validate; a later step runs only when the earlier
// ones found no error, so that one mistake is reported once rather than again as every
// reference to what it broke.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/config/diagnostic.hpp"
#include "controlplane/config/model.hpp"

namespace l2tpgw::cp::config {

struct LoadResult {
  std::optional<Config> config;          // set when the file loads, i.e. no diagnostic is an error
  std::vector<Diagnostic> diagnostics;   // errors and warnings, in line order
  bool ok() const { return config.has_value(); }
};

// A configuration file is at most this large; a bigger one is refused before it is read.
inline constexpr uint64_t kMaxConfigFileBytes = 16u << 20;

LoadResult load_config(std::string_view text);

// Reads `path` and loads it. An unreadable file is one error on line 0.
LoadResult load_config_file(const std::string& path);

}  // namespace l2tpgw::cp::config
