// SPDX-License-Identifier: Apache-2.0
// Informational exchanges on an established ISAKMP SA (RFC 2409 §5.7, RFC 2408 §3.14, §3.15):
//
//        HDR*, HASH(1), N/D  -->        HASH(1) = prf(SKEYID_a, M-ID | N/D)
//
// Delete of ISAKMP or ESP SAs, INITIAL-CONTACT (RFC 2407 §4.6.3.3) and Dead Peer Detection
// (RFC 3706 §5.2: R-U-THERE answered with R-U-THERE-ACK carrying the same sequence number, in
// an Informational exchange of its own). A plain (unencrypted) Informational authenticates
// nothing and is only counted.
#include <algorithm>

#include "controlplane/ike/message.hpp"
#include "controlplane/ike/responder.hpp"
#include "controlplane/ike/responder_internal.hpp"
#include "controlplane/log/log.hpp"

namespace l2tpgw::cp::ike {
namespace {

uint32_t be32(ByteView b) {
  return uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
}

}  // namespace

void IkeResponder::informational(IkeSa& sa, const Endpoint& local, const Endpoint& peer,
                                 const IsakmpHeader& h, ByteView message, TimePoint now) {
  if (!(h.flags & kFlagEncryption)) {
    ++counters_[IkeCounter::UnauthenticatedInfo];
    return;
  }
  if (sa.state != MainModeState::Auth || h.message_id == 0) {
    ++counters_[IkeCounter::UnexpectedMessage];
    return;
  }
  const HashAlg hash_alg = sa.suite.hash;
  const Bytes iv =
      phase2_iv(hash_alg, sa.p1_last_block, h.message_id, sa.suite.cipher.block_length());
  Bytes plain;
  auto chain = open_hashed(sa, iv, h, message, plain, nullptr, [&](ByteView rest) {
    return info_hash(hash_alg, view(sa.keys.skeyid_a), h.message_id, rest);
  });
  if (!chain) return;
  authenticated(sa, local, peer, now);

  std::vector<uint64_t> delete_sas;  // removed after the loop: `sa` may be one of them
  for (size_t i = 1; i < chain->size(); ++i) {
    const PayloadView& p = (*chain)[i];
    if (p.type == PayloadType::Notification) {
      auto n = decode_notification(p.body);
      if (!n) {
        count_malformed(n.error());
        continue;
      }
      switch (static_cast<NotifyType>(n->type)) {
        case NotifyType::RUThere: {
          // RFC 3706 §5.2: SPI = the ISAKMP cookies, data = a 32-bit sequence number.
          if (n->data.size() != 4) {
            ++counters_[IkeCounter::Malformed];
            break;
          }
          ++counters_[IkeCounter::DpdRequest];
          Notification ack;
          ack.protocol = static_cast<uint8_t>(ProtocolId::Isakmp);
          ack.type = static_cast<uint16_t>(NotifyType::RUThereAck);
          ack.spi.assign(sa.cky_i.begin(), sa.cky_i.end());
          ack.spi.insert(ack.spi.end(), sa.cky_r.begin(), sa.cky_r.end());
          ack.data = n->data;
          PayloadChain c;
          c.add(PayloadType::Notification, encode_notification(ack));
          send_info(sa, c);
          ++counters_[IkeCounter::DpdAck];
          break;
        }
        case NotifyType::InitialContact: initial_contact(sa, now); break;
        case NotifyType::RUThereAck: break;  // liveness already noted (authenticated())
        default:
          ++counters_[IkeCounter::InfoNotify];
          logf(LogLevel::Info, "[IKE] ISAKMP SA[%llu]: notification %u from %s",
               static_cast<unsigned long long>(sa.serial), n->type, endpoint_str(peer).c_str());
          break;
      }
      continue;
    }
    if (p.type != PayloadType::Delete) continue;
    auto d = decode_delete(p.body);
    if (!d) {
      count_malformed(d.error());
      continue;
    }
    if (d->protocol == static_cast<uint8_t>(ProtocolId::Isakmp) && d->spi_size == kIsakmpSpiSize) {
      for (const Bytes& spi : d->spis) {
        Cookie ci{}, cr{};
        std::copy(spi.begin(), spi.begin() + 8, ci.begin());
        std::copy(spi.begin() + 8, spi.end(), cr.begin());
        IkeSa* t = find_sa(ci, cr);
        // Only the peer's own ISAKMP SAs (the same address and identity) can be deleted.
        if (t && t->peer.addr == sa.peer.addr && (t == &sa || t->peer_id == sa.peer_id)) {
          ++counters_[IkeCounter::DeleteReceived];
          delete_sas.push_back(t->serial);
        }
      }
    } else if (d->protocol == static_cast<uint8_t>(ProtocolId::IpsecEsp) &&
               d->spi_size == kEspSpiSize) {
      // The SPI the peer deletes is its own (our outbound); accept our inbound SPI too. Only
      // SAs of this peering.
      for (const Bytes& spi : d->spis) {
        const uint32_t v = be32(spi);
        std::optional<uint64_t> found;
        auto range = children_by_peer_.equal_range(sa.peer_index);
        for (auto it = range.first; it != range.second; ++it) {
          const ChildSa& c = children_.at(it->second);
          if (c.spi_out == v || c.spi_in == v) {
            found = it->second;
            break;
          }
        }
        if (found) {
          ++counters_[IkeCounter::DeleteReceived];
          remove_child(*found, now, false, "deleted by the peer");
        }
      }
    } else {
      ++counters_[IkeCounter::InfoNotify];
    }
  }
  for (uint64_t s : delete_sas) {
    IkeSa* t = sa_by_serial(s);
    if (!t) continue;
    ++counters_[IkeCounter::Phase1Deleted];
    remove_sa(*t, now, "deleted by the peer");
  }
}

// RFC 3706 §5.3: "proof of liveliness" is any authenticated IKE message or, here, inbound ESP
// the dataplane counted for the peering; only an idle peer is asked R-U-THERE.
void IkeResponder::arm_dpd(IkeSa& sa, TimePoint now) {
  const uint64_t serial = sa.serial;
  arm(sa.dpd_timer, now + sa.policy->dpd_interval, [this, serial] { dpd_check(serial); });
}

void IkeResponder::dpd_check(uint64_t serial) {
  IkeSa* sa = sa_by_serial(serial);
  if (!sa || sa->state != MainModeState::Auth) return;
  sa->dpd_timer = {};
  uint64_t packets = 0;
  auto range = children_by_peer_.equal_range(sa->peer_index);
  for (auto it = range.first; it != range.second; ++it) {
    if (auto u = installer_.query_sa(children_.at(it->second).slot_in)) packets += u->packets;
  }
  const bool heard = sa->heard != sa->dpd_heard || packets != sa->dpd_esp_packets;
  sa->dpd_heard = sa->heard;
  sa->dpd_esp_packets = packets;
  if (heard) {
    sa->dpd_outstanding = 0;
    arm_dpd(*sa, now_);
    return;
  }
  if (sa->dpd_outstanding >= sa->policy->dpd_tries) {
    ++counters_[IkeCounter::DpdPeerDead];
    logf(LogLevel::Notice, "[IKE] ISAKMP SA[%llu]: %s answered none of %d R-U-THERE: peer dead",
         static_cast<unsigned long long>(serial), endpoint_str(sa->peer).c_str(),
         sa->dpd_outstanding);
    std::vector<uint64_t> children;
    for (auto it = range.first; it != range.second; ++it) children.push_back(it->second);
    for (uint64_t c : children) remove_child(c, now_, false, "dead peer");
    ++counters_[IkeCounter::Phase1Deleted];
    remove_sa(*sa, now_, "dead peer");
    return;
  }
  Notification n;
  n.protocol = static_cast<uint8_t>(ProtocolId::Isakmp);
  n.type = static_cast<uint16_t>(NotifyType::RUThere);
  n.spi.assign(sa->cky_i.begin(), sa->cky_i.end());
  n.spi.insert(n.spi.end(), sa->cky_r.begin(), sa->cky_r.end());
  n.data = be32_bytes(++sa->dpd_seq);
  PayloadChain c;
  c.add(PayloadType::Notification, encode_notification(n));
  send_info(*sa, c);
  ++sa->dpd_outstanding;
  ++counters_[IkeCounter::DpdSent];
  arm_dpd(*sa, now_);
}

// RFC 3948 §4: behind a NAT, the host keeps the NAT's mapping of its UDP-encapsulated ESP
// with NAT-keepalives, only in intervals in which nothing else went to the peer (here: the
// pair's outbound SA counted no packet). One sender per peer: a pair replaced by a rekey, or
// with a newer UDP-encapsulated pair to the same peer, leaves it to that one.
void IkeResponder::arm_nat_keepalive(ChildSa& c, TimePoint now) {
  if (!c.natt || !c.nat_local || c.keepalive_interval <= std::chrono::seconds::zero()) return;
  const uint64_t serial = c.serial;
  arm(c.keepalive_timer, now + c.keepalive_interval, [this, serial] { nat_keepalive(serial); });
}

void IkeResponder::nat_keepalive(uint64_t serial) {
  auto it = children_.find(serial);
  if (it == children_.end()) return;
  ChildSa& c = it->second;
  c.keepalive_timer = {};
  // One sender per peer: the peering's newest pair to that endpoint.
  const auto range = children_by_peer_.equal_range(c.peer_index);
  const bool newer = std::any_of(range.first, range.second, [&](const auto& o) {
    const ChildSa& other = children_.at(o.second);
    return o.second > serial && other.natt && other.peer == c.peer;
  });
  const auto usage = installer_.query_sa(c.slot_out);
  const uint64_t packets = usage ? usage->packets : 0;
  if (!newer && !c.replaced_by && packets == c.keepalive_out_packets) {
    // RFC 3948 §2.3: one octet 0xFF, from our NAT-T port to the peer's.
    ++counters_[IkeCounter::NatKeepaliveSent];
    outbox_.push_back(Datagram{c.local, c.peer, Bytes{0xFF}, true});
  }
  c.keepalive_out_packets = packets;
  arm_nat_keepalive(c, now_);
}

}  // namespace l2tpgw::cp::ike
