// SPDX-License-Identifier: Apache-2.0
// Cross-checks of an expanded Config: references between sections, and shapes that cannot work.
//
// Errors (the file does not load): `ipsec tunnel P` without `ipsec sa policy P`; one policy
// used by two tunnels; `ipsec transport T P` when no tunnel uses policy P; a tunnel bound to two
// pps (or named twice); an Ethernet tunnel (l2tpv3, l2tpv3-raw) bound to a pp, or a PPP tunnel
// (l2tp, pptp) in a bridge; a tunnel both bound and bridged; overlapping address pools.
// Warnings (the file loads): what will not work as written but harms nothing else, such as a
// tunnel left at Yamaha's default encapsulation (IPsec tunnel mode, which l2tpgw lacks), an L2TP
// tunnel no pp binds, a gateway without a pre-shared key, or `l2tp service` off.
#pragma once

#include <vector>

#include "controlplane/config/diagnostic.hpp"
#include "controlplane/config/model.hpp"

namespace l2tpgw::cp::config {

void validate(const Config& cfg, std::vector<Diagnostic>& diags);

}  // namespace l2tpgw::cp::config
