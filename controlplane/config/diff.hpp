// SPDX-License-Identifier: Apache-2.0
// diff_configs: what a reload changes, per tunnel, per pp and globally, so that the daemon
// applies only that and leaves alone the sessions a change does not touch.
//
// A tunnel's view includes what it uses through references: its `ipsec sa policy`, that
// policy's security gateway (`ipsec ike ...`) and the `ipsec transport` lines that name the
// policy. So a changed pre-shared key shows up on every tunnel whose policy uses that gateway.
// Policies, gateways and transports that no tunnel uses (in either config) are reported as
// global changes. Field names are command names; values, and secrets above all, never appear.
// Pure function: no state, no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "controlplane/config/model.hpp"

namespace l2tpgw::cp::config {

enum class ChangeKind : uint8_t { Added, Removed, Modified };

struct TunnelChange {
  uint16_t id = 0;
  ChangeKind kind = ChangeKind::Modified;
  std::vector<std::string> fields;  // Modified: the commands whose effect changed, e.g. "ipsec ike pre-shared-key"
  bool operator==(const TunnelChange&) const = default;
};

struct PpChange {
  uint16_t id = 0;  // kPpAnonymous for `pp select anonymous`
  ChangeKind kind = ChangeKind::Modified;
  std::vector<std::string> fields;          // Modified: e.g. "pp bind", "ip pp remote address"
  std::vector<std::string> users_added;     // `pp auth username` names
  std::vector<std::string> users_removed;
  std::vector<std::string> users_modified;  // password or fixed address changed
  bool operator==(const PpChange&) const = default;
};

struct ConfigDiff {
  std::vector<std::string> global;    // e.g. "l2tp service", "ip lan1", "ip route 10.0.0.0/8"
  std::vector<PpChange> pps;          // ascending id
  std::vector<TunnelChange> tunnels;  // ascending id
  bool empty() const { return global.empty() && pps.empty() && tunnels.empty(); }
  bool operator==(const ConfigDiff&) const = default;
};

ConfigDiff diff_configs(const Config& before, const Config& after);

// One line per change ("tunnel 2: modified: ipsec ike pre-shared-key"), for the reload log.
std::string describe(const ConfigDiff& d);

}  // namespace l2tpgw::cp::config
