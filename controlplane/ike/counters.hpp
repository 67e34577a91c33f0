// SPDX-License-Identifier: Apache-2.0
// IKE counters: every message the responder sends or refuses, every protocol failure and every
// SA that comes and goes has a named counter (STYLE.md rule 8). Tests assert on them; `show`
// prints them by name.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "controlplane/ike/wire.hpp"

namespace l2tpgw::cp::ike {

#define L2TPGW_IKE_COUNTERS(X)                                                                  \
  X(MessagesIn)           /* datagrams handed to the responder */                              \
  X(MessagesOut)          /* datagrams it sent (replies, retransmissions, informationals) */   \
  X(Malformed)            /* did not decode (wire_errors says why) or broke a payload rule */  \
  X(UnsupportedExchange)  /* Base, Authentication Only, New Group, unknown exchange types */   \
  X(AggressiveRefused)    /* RFC 2409 §5 Aggressive Mode: refused with NO-PROPOSAL-CHOSEN */   \
  X(InvalidCookie)        /* no IKE SA has these cookies (RFC 2408 §5.2 INVALID-COOKIE) */     \
  X(PeerMismatch)         /* an unauthenticated message from another address than the SA's */ \
  X(NoPolicy)             /* no gateway for this peer address and no `remote address any` */   \
  X(NoPsk)                /* the peer's gateway has no pre-shared key */                       \
  X(NoProposalChosen)     /* nothing offered is acceptable (phase 1 or 2) */                   \
  X(BadKeyExchange)       /* KE of the wrong length or outside the group */                    \
  X(AuthFailed)           /* HASH_I mismatch or undecryptable MM5: wrong pre-shared key */     \
  X(HashMismatch)         /* Quick Mode / Informational HASH did not verify */                 \
  X(DecryptFailed)        /* an encrypted body that is not whole cipher blocks */              \
  X(InvalidId)            /* Quick Mode IDs that do not name the peer and UDP/1701 */          \
  X(IdsNatHidden)         /* a named peer's IDs name addresses a NAT hid (no NAT-T) */         \
  X(UnexpectedMessage)    /* a message the exchange's state does not wait for */               \
  X(RateLimited)          /* a new Main Mode over its source's admission rate */               \
  X(HalfOpenFull)         /* a new Main Mode refused: the half-open table is full */           \
  X(HalfOpenEvicted)      /* an MM1-only half-open SA dropped to admit a newer one */          \
  X(HalfOpenTimeout)      /* a half-open SA that never completed */                            \
  X(TooManySas)           /* a new Main Mode refused: max_ike_sas */                           \
  X(QuickModeLimit)       /* a new Quick Mode refused: max concurrent on this ISAKMP SA */     \
  X(ChildLimit)           /* a Quick Mode refused: max IPsec SAs for this peering */           \
  X(Retransmits)          /* our last reply resent because the peer's message came again */   \
  X(TimerRetransmits)     /* MM4 / QM2 resent because the next message did not come */        \
  X(RetransmitLimit)      /* an exchange dropped after its last retransmission */             \
  X(DuplicateIgnored)     /* a duplicate with nothing (more) to resend */                      \
  X(SpiAllocFailed)       /* Installer::alloc_spi refused */                                   \
  X(InstallFailed)        /* Installer::add_sa refused (both directions rolled back) */        \
  X(NatTNegotiated)       /* RFC 3947 or draft NAT-T vendor ID agreed */                       \
  X(NatDetected)          /* NAT-D hashes showed a NAT (RFC 3947 §3.2) */                      \
  X(NatPeerMoved)         /* a NAT-T peer's mapping changed; the peering follows it */         \
  X(NatKeepaliveSent)     /* RFC 3948 §4 NAT-keepalive sent: we are behind a NAT */            \
  X(Phase1Established)                                                                         \
  X(Phase2Established)                                                                         \
  X(Phase1Deleted)        /* by the peer's Delete, INITIAL-CONTACT or ours */                  \
  X(Phase2Deleted)                                                                             \
  X(Phase1Expired)        /* lifetime reached */                                               \
  X(Phase1ExpiredKilobytes) /* of which by their lifetime in kilobytes (RFC 2407 §4.5) */      \
  X(Phase2Expired)                                                                             \
  X(Phase2ExpiredKilobytes) /* of which by their lifetime in kilobytes (RFC 2407 §4.5) */      \
  X(DeleteReceived)       /* Delete payloads authenticated and acted on */                     \
  X(InitialContact)       /* INITIAL-CONTACT (RFC 2407 §4.6.3.3) dropped a peer's old SAs */   \
  X(PeerDeleted)          /* a peering deleted for the protocol above (L2TP keepalive) */      \
  X(DpdRequest)           /* R-U-THERE received (RFC 3706 §5.2) */                             \
  X(DpdAck)               /* R-U-THERE-ACK sent */                                             \
  X(DpdSent)              /* R-U-THERE sent to an idle peer (RFC 3706 §5.3) */                 \
  X(DpdPeerDead)          /* a peer that answered none: its ISAKMP and IPsec SAs removed */    \
  X(UnauthenticatedInfo)  /* a plain Informational: logged, never acted on */                 \
  X(InfoNotify)           /* an authenticated notification we only log */                   \
  X(InitiatorStarted)     /* Main Modes we started (MM1 sent) */                               \
  X(InitialContactSent)   /* MM5 with INITIAL-CONTACT: nothing held with the peer before */    \
  X(QuickModeStarted)     /* first Quick Modes we started (QM1 sent) */                        \
  X(ProposalNotOffered)   /* MM2/QM2 chose a transform we did not offer (RFC 2408 §4.2) */    \
  X(Phase1Rekeys)         /* successor ISAKMP SAs we started at the soft lifetime */           \
  X(Phase2Rekeys)         /* Quick Modes we started to replace an IPsec SA pair */          \
  X(Phase2SoftKilobytes)  /* of which started by the kilobyte lifetime (query_sa octets) */  \
  X(Phase2SoftPackets)    /* of which started by the dataplane: sequence numbers running out */

enum class IkeCounter : uint8_t {
#define X(n) n,
  L2TPGW_IKE_COUNTERS(X)
#undef X
  Count
};
inline constexpr size_t kIkeCounterCount = static_cast<size_t>(IkeCounter::Count);

constexpr std::string_view to_string(IkeCounter c) {
  switch (c) {
#define X(n) \
  case IkeCounter::n: return #n;
    L2TPGW_IKE_COUNTERS(X)
#undef X
    case IkeCounter::Count: break;
  }
  return "?";
}

inline constexpr size_t kWireErrorCount = static_cast<size_t>(WireError::BadNatOa) + 1;

struct IkeCounters {
  std::array<uint64_t, kIkeCounterCount> value{};
  std::array<uint64_t, kWireErrorCount> wire_errors{};  // Malformed, by decoder error
  uint64_t operator[](IkeCounter c) const { return value[static_cast<size_t>(c)]; }
  uint64_t& operator[](IkeCounter c) { return value[static_cast<size_t>(c)]; }
  uint64_t operator[](WireError e) const { return wire_errors[static_cast<size_t>(e)]; }
};

}  // namespace l2tpgw::cp::ike
