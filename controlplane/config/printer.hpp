// SPDX-License-Identifier: Apache-2.0
// print_config: a Config as `show config` prints it, expanded (no templates), secrets masked.
//
// Layout follows the RTX: global commands (routes, interfaces, bridges), then the `pp select`
// sections (numbered, then anonymous), then the `tunnel select` sections with the tunnel's
// `ipsec sa policy` and its gateway's `ipsec ike ...` lines indented under `ipsec tunnel`, then
// `ipsec transport`, `l2tp service` and `dns server`. Only settings a line set are printed.
// Printing then loading gives back an equal Config (with mask_secrets off; masked secrets do
// not load, on purpose).
#pragma once

#include <string>

#include "controlplane/config/model.hpp"

namespace l2tpgw::cp::config {

struct PrintOptions {
  bool mask_secrets = true;  // pre-shared keys and passwords print as kSecretMask
};

std::string print_config(const Config& cfg, const PrintOptions& opts = {});

// A word as the lexer reads it back: quoted when it holds blanks, quotes, backslashes or is
// empty, or would read as a comment or a placeholder.
std::string quote_word(const std::string& s);

}  // namespace l2tpgw::cp::config
