// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the responder's translation units (responder.cpp, main_mode.cpp,
// quick_mode.cpp, informational.cpp). Not part of the library's interface.
#pragma once

#include <string>

#include "controlplane/ike/crypto.hpp"
#include "controlplane/ike/ike_sa.hpp"

namespace l2tpgw::cp::ike {

std::string endpoint_str(const Endpoint& e);  // "203.0.113.5:500"
std::string addr_str(uint32_t a);             // "203.0.113.5"
// What duplicate detection compares: SHA-256 of the whole message.
Bytes message_digest(ByteView message);
uint32_t random_u32(const RandomFn& random);
Bytes be32_bytes(uint32_t v);
// RFC 3947 §3.1: which NAT-T a vendor ID names (None: not a NAT-T one), and its vendor ID.
NatT natt_of(ByteView vid);
ByteView vid_of(NatT v);
// RFC 2409 §5.5 KEYMAT and the SA parameters for one direction of `qm`'s pair: the SA we
// receive on is keyed with our SPI, the one we send on with the peer's. The keys point into
// `km`, which must outlive the add_sa call.
tables::SaParams esp_sa_params(const IkeSa& sa, const QuickMode& qm, tables::SaDirection dir,
                               SecretBytes& km);
// RFC 3947 §3.2: NAT-D of the destination (the peer as we address it), then of our own
// endpoint; with the policy's natt_force, an own one that cannot match (see PeerPolicy).
void add_nat_d(PayloadChain& chain, const IkeSa& sa);
// RFC 3947 §5.2: NAT-OAi then NAT-OAr (transport mode behind a NAT), as the sender knows them.
void add_nat_oa(PayloadChain& chain, uint32_t initiator_addr, uint32_t responder_addr);
// A Delete payload body naming `sa` (protocol ISAKMP, SPI = CKY-I | CKY-R).
Bytes delete_isakmp_payload(const IkeSa& sa);

}  // namespace l2tpgw::cp::ike
