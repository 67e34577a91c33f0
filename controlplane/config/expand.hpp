// SPDX-License-Identifier: Apache-2.0
// Template expansion: `tunnel template` and `ipsec transport template`, as the RTX applies them.
//
// From Yamaha's L2TP/IPsec page (seed 000, "トンネルテンプレート"): the settings of the
// `tunnel select SOURCE` section are copied to every target tunnel, and in the copies these
// parameters are rewritten to the target tunnel's number N:
//   ipsec tunnel                     policy id                  -> N
//   ipsec sa policy                  policy id (and its gateway) -> N (N)
//   ipsec ike ... (every command)    security gateway id        -> N
//   ipsec auto refresh GATEWAY       security gateway id        -> N
//   tunnel enable                    tunnel number              -> N
// (The page's table lists only the policy id for `ipsec sa policy`; its worked example turns
// `ipsec sa policy 1 1` into `ipsec sa policy 2 2`, so the gateway id is rewritten too, as the
// gateway's own `ipsec ike ... N` lines are. l2tpgw follows the example.)
// Every other value is copied as written: `tunnel endpoint address`, `ipsec ike local address`,
// `ipsec ike pre-shared-key`, `ipsec ike remote name`, l2tp settings ... (so a template source
// that names its peer's address makes every copy name the same peer). A setting written in the
// target's own section (or for its own gateway N) wins over the copy; the seed's example sets
// `ipsec ike pre-shared-key 2 text himitsu2` under `tunnel select 2` that way.
//
// `ipsec transport template SOURCE TARGETS`: transport N becomes a copy of transport SOURCE
// with policy id N (seed: `ipsec transport 1 1 udp 1701 *` + `ipsec transport template 1 2
// 10-12` equals transports 2 2, 10 10, 11 11 and 12 12), unless the file defines transport N
// itself.
//
// Errors (a target that is its own source, a tunnel that two templates fill, a target that has
// a template of its own, a transport template whose source does not exist) are appended to
// `diags`.
#pragma once

#include <vector>

#include "controlplane/config/diagnostic.hpp"
#include "controlplane/config/parser.hpp"

namespace l2tpgw::cp::config {

// Applies the templates and `tunnel|pp enable|disable all`, then drops IKE gateways and
// interfaces that hold no setting (they mean the same as absent ones). Returns the expanded
// Config.
Config expand(ParsedConfig parsed, std::vector<Diagnostic>& diags);

}  // namespace l2tpgw::cp::config
