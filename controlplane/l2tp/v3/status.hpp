// SPDX-License-Identifier: Apache-2.0
// `show status l2tp` for L2TPv3 tunnels, in the layout of seed 001 (an RTX830's output,
// line by line): "TUNNEL[1]:", "Version: L2TPv3", "Next Receive sequence(Nr) : 2",
// "Circuit Status local:UP peer:UP", "Received: 0 packet [0 octet]".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "controlplane/l2tp/v3/lcce.hpp"

namespace l2tpgw::cp::l2tp::v3 {

// One "TUNNEL[N]:" block, its sessions included.
std::string format_tunnel_status(const LcceTunnelStatus& t);

// The whole answer: the L2TP INFORMATION banner, the counts of control tables in use, then
// the tunnels (only `tunnel` when given; the counts stay those of every tunnel, as on the RTX).
std::string show_status_l2tpv3(const std::vector<LcceTunnelStatus>& tunnels,
                               std::optional<uint16_t> tunnel = std::nullopt);

}  // namespace l2tpgw::cp::l2tp::v3
