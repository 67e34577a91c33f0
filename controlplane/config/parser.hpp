// SPDX-License-Identifier: Apache-2.0
// The command parser: lexed lines -> a typed Config, templates not yet applied.
//
// Each line is one command. Commands that l2tpgw implements set the model; commands for router
// functions the appliance does not have (PPPoE uplink, NetVolante DNS, NAT, IP filters, DHCP
// server, ...) give a "not supported by l2tpgw: ..." warning and are otherwise ignored; anything
// else is an error. `no COMMAND ...` resets what COMMAND sets to its default or removes it, as
// on the router.
//
// Context: `pp select N|anonymous` and `tunnel select N` choose the section the following
// section commands apply to; the later select of either kind replaces the earlier one, and
// `pp select none` / `tunnel select none` leave both. Global commands (ipsec ike, ipsec
// transport, ip route, ...) may appear anywhere, as on the router.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "controlplane/config/diagnostic.hpp"
#include "controlplane/config/lexer.hpp"
#include "controlplane/config/model.hpp"

namespace l2tpgw::cp::config {

// `tunnel template TARGETS...` in the `tunnel select SOURCE` section.
struct TunnelTemplate {
  uint16_t source = 0;
  std::vector<uint16_t> targets;  // ascending, without duplicates
  uint32_t line = 0;
};

// `ipsec transport template SOURCE TARGETS...`.
struct TransportTemplate {
  uint32_t source = 0;
  std::vector<uint32_t> targets;  // ascending, without duplicates
  uint32_t line = 0;
};

struct ParsedConfig {
  Config config;
  std::map<uint16_t, TunnelTemplate> tunnel_templates;        // by source tunnel
  std::map<uint32_t, TransportTemplate> transport_templates;  // by source transport
  Setting<bool> all_tunnels_enabled;  // `tunnel enable all` / `tunnel disable all`
  Setting<bool> all_pps_enabled;      // `pp enable all` / `pp disable all`
};

// Parses every line. Errors and warnings are appended to `diags` in line order; the caller
// must not use the result when an error was appended.
ParsedConfig parse_lines(const std::vector<LexedLine>& lines, std::vector<Diagnostic>& diags);

}  // namespace l2tpgw::cp::config
