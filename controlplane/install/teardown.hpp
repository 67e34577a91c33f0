// SPDX-License-Identifier: Apache-2.0
// Teardown: removing an L2TP session or tunnel and what only it kept alive, through the
// Installer (the operator's `disconnect`, and later the L2TP machine's CDN/StopCCN).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "controlplane/install/installer.hpp"

namespace l2tpgw::cp {

struct TeardownResult {
  // What was removed, in removal order: sessions, then their tunnel, then the peering's SAs.
  std::vector<std::pair<uint16_t, uint16_t>> sessions;  // (tunnel id, session id)
  std::vector<uint16_t> tunnels;
  std::vector<uint32_t> sas;
  std::string error;  // nothing was removed when set
  bool ok() const { return error.empty(); }
};

// Removes session `session_id`; its tunnel once no session is left in it; and the SAs of the
// tunnel's IPsec peering once no tunnel of that peering is left (an L2TP/IPsec client's SAs
// exist for its tunnel). Downstream lookups stop first: the session goes before its tunnel,
// the tunnel before the SA it sends with.
TeardownResult disconnect_session(Installer& inst, uint16_t session_id);

// Removes tunnel `tunnel_id` with all its sessions, then its peering's SAs as above.
TeardownResult disconnect_tunnel(Installer& inst, uint16_t tunnel_id);

}  // namespace l2tpgw::cp
