// SPDX-License-Identifier: Apache-2.0
// From the Yamaha RTX configuration to the IKE responder's policies: one PeerPolicy per
// `ipsec ike ... G` security gateway that has a pre-shared key, found by its
// `ipsec ike remote address G ADDRESS`, or the first `... G any` gateway for every other peer.
//
// Gateways with a concrete remote address that an enabled `tunnel encapsulation l2tpv3` tunnel
// uses, or with `ipsec auto refresh` on, also become Connections: this side initiates to them
// with the gateway's `ipsec ike encryption|hash|group` and its `ipsec sa policy` algorithms.
//
// As on an RTX acting as the responder for remote-access clients, every supported algorithm
// a client proposes is accepted (unless `negotiate-strictly`): `ipsec ike encryption/hash/
// group` choose what we offer as the initiator.
//
// Thread context: pure function.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "controlplane/config/model.hpp"
#include "controlplane/ike/policy.hpp"

namespace l2tpgw::cp::ike {

// `notes` receives one line per gateway that cannot be used (no key, a host name for a remote
// address, IKEv2) and for `any` gateways after the first; no line quotes a key.
ResponderConfig responder_config(const config::Config& c, std::vector<std::string>* notes);

// `ipsec transport T P` by the security gateway G its `ipsec sa policy P G` names (the lowest
// T when several do): the tra[T] of `show ipsec sa`.
std::map<uint32_t, uint32_t> transports_by_gateway(const config::Config& c);

}  // namespace l2tpgw::cp::ike
