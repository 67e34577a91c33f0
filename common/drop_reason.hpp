// SPDX-License-Identifier: Apache-2.0
// DropReason: every packet the dataplane drops is dropped for one of these named facts.
#pragma once

#include <cstdint>
#include <string_view>

namespace l2tpgw {

// Names are stable: tests, `show` commands and monitoring read them.
#define L2TPGW_DROP_REASONS(X)                                                   \
  X(None)                                                                        \
  X(EthRunt)              /* shorter than an Ethernet header */                  \
  X(EthUnknownType)       /* not IPv4 or ARP */                                  \
  X(Ipv4Malformed)        /* bad version/IHL/total length */                     \
  X(Ipv4BadChecksum)                                                             \
  X(Ipv4NotForUs)         /* WAN packet to another address */                    \
  X(Ipv4FragNoBuffer)     /* reassembly table full or fragment invalid */        \
  X(UdpMalformed)                                                                \
  X(UdpNoService)         /* WAN UDP/other protocol to us with no service */     \
  X(NatTKeepalive)        /* RFC 3948 §2.3 keepalive absorbed (not a loss) */    \
  X(EspRunt)              /* too short for header + IV + block + ICV */          \
  X(EspNoSa)              /* SPI is not one of ours (unknown or stale) */        \
  X(EspReplay)            /* RFC 4303 §3.4.3 */                                  \
  X(EspBadIcv)                                                                   \
  X(EspBadLength)         /* ciphertext not a multiple of the block size */      \
  X(EspBadPadding)                                                               \
  X(EspBadNextHeader)     /* transport mode payload that is not UDP */           \
  X(EspWrongPeer)         /* outer address not the SA's peer */                  \
  X(EspSeqExhausted)      /* outbound seq would wrap: rekey needed */            \
  X(EspNoOutboundSa)                                                             \
  X(EspEncryptFailed)     /* the crypto engine refused an outbound job */        \
  X(L2tpMalformed)                                                               \
  X(L2tpBadPort)          /* inner UDP not to the L2TP port */                   \
  X(L2tpNoSession)                                                               \
  X(L2tpWrongSa)          /* session not bound to the SA that carried it */      \
  X(L2tpv3NoSession)      /* L2TPv3 Session ID names no installed pseudowire */  \
  X(L2tpv3BadCookie)      /* cookie is not the one the session assigned */       \
  X(L2tpv3WrongPeer)      /* plain pseudowire data from another address */       \
  X(L2tpv3NotProtected)   /* pseudowire bound to IPsec, data not from its SA */  \
  X(BridgeFiltered)       /* destination MAC learned on the arrival port */      \
  X(BridgeNoPort)         /* a frame for the bridge with no bridge configured */ \
  X(PppMalformed)                                                                \
  X(Ipv4Spoofed)          /* inner source is not the session's address */        \
  X(Ipv4TtlExceeded)      /* TTL <= 1 when routed (ICMP time exceeded sent) */   \
  X(Ipv4NoRoute)                                                                 \
  X(Ipv4TooBig)           /* over the MTU with DF set (ICMP frag-needed sent) */ \
  X(Ipv4FragFailed)       /* over the MTU, DF clear, but cannot be fragmented */ \
  X(NoMbuf)               /* the mbuf pool had none for the fragments */         \
  X(Ipv4NoSession)        /* LAN packet for a pool address with no session */    \
  X(ArpUnresolved)        /* next hop not yet resolved (request sent) */         \
  X(ArpMalformed)                                                                \
  X(HandoffFull)          /* the owner worker's handoff ring was full */         \
  X(PuntFull)             /* the controlplane's punt ring was full */            \
  X(PuntNoControlplane)   /* punt with no controlplane attached */               \
  X(TxFull)               /* the port's TX queue did not take the packet */      \
  X(NoHeadroom)           /* mbuf lacks headroom/tailroom for encapsulation */   \
  X(InjectMalformed)      /* controlplane injected something unusable */

enum class DropReason : uint8_t {
#define X(n) n,
  L2TPGW_DROP_REASONS(X)
#undef X
  Count
};

inline constexpr size_t kDropReasonCount = static_cast<size_t>(DropReason::Count);

constexpr std::string_view to_string(DropReason r) {
  switch (r) {
#define X(n) \
  case DropReason::n: return #n;
    L2TPGW_DROP_REASONS(X)
#undef X
    case DropReason::Count: break;
  }
  return "?";
}

}  // namespace l2tpgw
