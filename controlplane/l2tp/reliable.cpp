// SPDX-License-Identifier: Apache-2.0
#include "controlplane/l2tp/reliable.hpp"

#include <algorithm>
#include <utility>

namespace l2tpgw::cp::l2tp {

void ReliableTransport::send(const ControlBuilder& b, TimePoint now) {
  unacked_.push_back(Pending{b, ns_next_++});
  transmit_window(now);
}

void ReliableTransport::transmit(Pending& p, TimePoint now) {
  // Every transmission carries the current Nr (§5.8: a retransmission too), so it also
  // acknowledges what arrived meanwhile.
  output_.push_back(p.msg.finish(p.ns, nr_expected_));
  ack_owed_ = false;
  if (!p.transmitted) {
    p.transmitted = true;
    p.timeout = cfg_.initial_timeout;
    ++stats_.sent;
  } else {
    ++p.retransmits;
    ++stats_.retransmitted;
    p.timeout = std::min(p.timeout * 2, cfg_.max_timeout);
  }
  p.deadline = now + p.timeout;
}

void ReliableTransport::transmit_window(TimePoint now) {
  // §5.8: no more than the peer's window outstanding beyond the oldest unacknowledged.
  for (size_t i = 0; i < unacked_.size() && i < cfg_.peer_window; ++i) {
    if (!unacked_[i].transmitted) transmit(unacked_[i], now);
  }
}

void ReliableTransport::acknowledge(uint16_t nr) {
  // Nr acknowledges every message with Ns < Nr. An Nr beyond what we sent is ignored.
  if (seq_lt(ns_next_, nr)) return;
  while (!unacked_.empty() && seq_lt(unacked_.front().ns, nr)) unacked_.pop_front();
}

std::vector<ControlMessage> ReliableTransport::receive(ControlMessage m, TimePoint now) {
  std::vector<ControlMessage> out;
  acknowledge(m.hdr.nr);
  transmit_window(now);
  if (m.zlb) return out;  // a ZLB does not consume a sequence number (§5.8)
  const uint16_t ns = m.hdr.ns;
  if (seq_lt(ns, nr_expected_)) {
    // Already delivered: the peer missed our acknowledgement. Acknowledge again.
    ++stats_.duplicates;
    ack_owed_ = true;
    return out;
  }
  const uint16_t ahead = static_cast<uint16_t>(ns - nr_expected_);
  if (ahead >= cfg_.our_window) {
    ++stats_.outside_window;
    return out;
  }
  if (ahead != 0) {
    ++stats_.out_of_order;
    ooo_.try_emplace(ns, std::move(m));
    ack_owed_ = true;  // tells the peer where we are; it retransmits the gap
    return out;
  }
  out.push_back(std::move(m));
  ++nr_expected_;
  for (auto it = ooo_.find(nr_expected_); it != ooo_.end(); it = ooo_.find(nr_expected_)) {
    out.push_back(std::move(it->second));
    ooo_.erase(it);
    ++nr_expected_;
  }
  // What stays buffered is still ahead: only messages ahead of nr_expected_ were buffered,
  // and the loop stopped at the first gap.
  stats_.delivered += out.size();
  ack_owed_ = true;
  return out;
}

void ReliableTransport::flush_ack() {
  if (!ack_owed_) return;
  output_.push_back(ControlBuilder::zlb(peer_tunnel_id_, 0).finish(ns_next_, nr_expected_));
  ++stats_.zlb_sent;
  ack_owed_ = false;
}

bool ReliableTransport::on_timer(TimePoint now) {
  for (Pending& p : unacked_) {
    if (!p.transmitted || p.deadline > now) continue;
    if (p.retransmits >= cfg_.max_retransmits) return false;
    transmit(p, now);
  }
  return true;
}

std::optional<TimePoint> ReliableTransport::next_deadline() const {
  std::optional<TimePoint> d;
  for (const Pending& p : unacked_) {
    if (p.transmitted && (!d || p.deadline < *d)) d = p.deadline;
  }
  return d;
}

}  // namespace l2tpgw::cp::l2tp
