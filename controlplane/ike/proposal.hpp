// SPDX-License-Identifier: Apache-2.0
// Proposal semantics: what a phase-1 transform (RFC 2409 App. A) or an ESP transform (RFC 2407
// §4.4.4, §4.5; RFC 3947 §5.1; RFC 4106 §8) asks for, and the responder's choice among an
// initiator's proposals (RFC 2408 §4.2: the first acceptable one in the initiator's order).
//
// Thread context: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/crypto/esp_alg.hpp"
#include "controlplane/ike/crypto.hpp"
#include "controlplane/ike/wire.hpp"

namespace l2tpgw::cp::ike {

struct PeerPolicy;  // policy.hpp

// RFC 2409 §4.5 / RFC 2407 §4.5: a lifetime not given is 28800 seconds.
inline constexpr uint32_t kDefaultLifetime = 28800;

// ---- Phase 1 ----
struct Phase1Suite {
  CipherSuite cipher;
  HashAlg hash = HashAlg::Sha1;
  DhGroup group = DhGroup::Modp1024;
  uint32_t life_seconds = kDefaultLifetime;
  uint32_t life_kilobytes = 0;  // 0: none
  bool operator==(const Phase1Suite&) const = default;
};
std::string describe(const Phase1Suite& s);  // "AES-CBC-256/SHA1/MODP1024"

// A phase-1 transform as a suite, or nullopt when it asks for anything we do not implement
// (another authentication method than pre-shared key, a private group, an unknown attribute).
std::optional<Phase1Suite> decode_phase1_transform(const Transform& t);
bool phase1_allowed(const Phase1Suite& s, const PeerPolicy& p);

// ---- Phase 2 (ESP) ----
// Encapsulation Mode values (wire.hpp kEncap*): transport, or UDP-encapsulated transport
// behind NAT (RFC 3947 value 4, or 61444 from the drafts).
struct EspSuite {
  EspCipher cipher = EspCipher::AesCbc128;
  EspAuth auth = EspAuth::HmacSha1_96;
  uint16_t encapsulation = kEncapTransport;
  std::optional<DhGroup> pfs_group;
  uint32_t life_seconds = kDefaultLifetime;
  uint32_t life_kilobytes = 0;
  bool operator==(const EspSuite&) const = default;
  bool udp_encapsulated() const {
    return encapsulation == kEncapUdpTransport || encapsulation == kEncapUdpTransportDraft;
  }
};
std::string describe(const EspSuite& s);  // "aes256-cbc/sha-hmac transport"

std::optional<EspSuite> decode_esp_transform(const Transform& t);
// The suite is acceptable under `p`, with UDP encapsulation exactly when `nat` (a NAT was
// detected, RFC 3947 §5) and never a tunnel mode (L2TP/IPsec is transport, RFC 3193 §2).
bool esp_allowed(const EspSuite& s, const PeerPolicy& p, bool nat);

// The choice: which proposal and transform of the initiator's SA payload.
struct Choice {
  size_t proposal = 0;   // index in SaPayload::proposals
  size_t transform = 0;  // index in that proposal's transforms
};

// RFC 2409 §5: Main Mode offers exactly one ISAKMP proposal; take its first acceptable
// transform.
std::optional<std::pair<Choice, Phase1Suite>> choose_phase1(const SaPayload& sa,
                                                            const PeerPolicy& p);
// RFC 2408 §4.2: proposals with the same number form one AND-ed proposal; only single-protocol
// ESP proposals (4-byte SPI) are acceptable. Takes the first acceptable transform of the
// first acceptable proposal.
std::optional<std::pair<Choice, EspSuite>> choose_esp(const SaPayload& sa, const PeerPolicy& p,
                                                      bool nat);

// The responder's SA payload: the chosen proposal with only the chosen transform, its
// attributes echoed as received (RFC 2408 §4.2), and `spi` in place of the initiator's
// (phase 2: our inbound SPI; phase 1: keep the initiator's, normally empty).
SaPayload reply_sa(const SaPayload& offer, const Choice& c, std::optional<Bytes> spi);

// ---- The initiator's side: offers and checking the responder's choice ----
// RFC 2409 App. A: the phase-1 transform that asks for `s` with a pre-shared key (Key Length
// only for AES, RFC 3602 §5.3; the lifetime in seconds, and in kilobytes when set).
Transform encode_phase1_transform(const Phase1Suite& s, uint8_t number);
// RFC 2407 §4.5: the ESP transform that asks for `s` (KEY_IKE-style Transform-Id, attributes).
Transform encode_esp_transform(const EspSuite& s, uint8_t number);
// RFC 2408 §4.2: the responder's SA payload holds exactly one proposal with exactly one
// transform, and that transform is one we offered (the algorithms, the group and the mode).
// The suite as chosen, with the shorter of its lifetime and ours, or nullopt.
std::optional<Phase1Suite> check_phase1_choice(const SaPayload& reply,
                                               const std::vector<Phase1Suite>& offered);
std::optional<EspSuite> check_esp_choice(const SaPayload& reply,
                                         const std::vector<EspSuite>& offered);

}  // namespace l2tpgw::cp::ike
