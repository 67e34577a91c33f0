// SPDX-License-Identifier: Apache-2.0
// What the dataplane takes from the configuration (`l2tpgw-dataplane --config FILE`): the
// router's interfaces mapped onto the appliance's two ports, so that the file the controlplane
// loads is also where the addresses come from.
//
//   lan1     the LAN port: `ip lan1 address`, `ip lan1 proxyarp`;
//   bridge1  with `bridge member bridge1 lan1 ...` the LAN port is bridged to the L2TPv3
//            pseudowires and the appliance's LAN address is `ip bridge1 address` (seed 001);
//   lan2     the WAN port, when it has a static `ip lan2 address` (seed 001's yamaha01);
//            otherwise (seed 000's PPPoE or DHCP uplinks) the dataplane's --wan-addr;
//   routes   `ip route default gateway ADDRESS` is the next hop on whichever port's subnet
//            holds ADDRESS; another route's gateway on the LAN subnet is the LAN next hop;
//   pools    every pp's `ip pp remote address pool` and fixed `ip pp remote address`, merged
//            into disjoint ranges: the dataplane finds a client's session by its address
//            through the pool index, so a fixed address needs an entry too. Adjacent ranges
//            are one; beyond kDataplanePoolRanges, the two closest are joined (an index entry
//            for an address no pp hands out costs 2 bytes and is never used).
//
// Thread context: plain values (the dataplane's start-up, the tests).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "controlplane/config/diagnostic.hpp"
#include "controlplane/config/model.hpp"

namespace l2tpgw::cp::config {

template <class T>
struct FromLine {
  T value{};
  uint32_t line = 0;  // the configuration line that says it
};

inline constexpr size_t kDataplanePoolRanges = 16;  // tables::kMaxPools

struct DataplaneSettings {
  std::optional<FromLine<Ipv4Prefix>> lan;    // lan1's (or bridge1's) address
  std::optional<FromLine<bool>> lan_proxy_arp;
  std::optional<FromLine<Ipv4Prefix>> wan;    // lan2's address
  std::optional<FromLine<Ipv4>> wan_gateway;
  std::optional<FromLine<Ipv4>> lan_gateway;
  std::vector<Ipv4Range> pools;               // disjoint, ascending
  std::optional<FromLine<bool>> bridge_lan;   // lan1 is a member of bridge1
  std::vector<std::string> errors;            // "LINE: message": what cannot be mapped
};

// After a reload: warnings for the pp address lines whose addresses the dataplane's pool index,
// sized at its start, does not cover (`ranges`: {first, last}, host order). Clients given
// those addresses could not be installed until the dataplane restarts with the file.
std::vector<Diagnostic> addresses_outside(const Config& cfg,
                                           const std::vector<std::pair<uint32_t, uint32_t>>& ranges);

// `wan_hint`: the WAN prefix the command line gives, when the file has no lan2 address (to
// place a default gateway on the WAN side).
DataplaneSettings dataplane_settings(const Config& cfg, std::optional<Ipv4Prefix> wan_hint = {});

}  // namespace l2tpgw::cp::config
