// SPDX-License-Identifier: Apache-2.0
// Reliable delivery of L2TP control messages on one control connection (RFC 2661 §5.8 and
// Appendix A; RFC 3931 §4.2 keeps the same scheme for L2TPv3): Ns/Nr in 16-bit serial
// arithmetic, the peer's receive window, retransmission with exponential back-off up to a
// cap and a limit, in-order delivery with a bounded out-of-order buffer, duplicates
// acknowledged again, and an acknowledgement-only message (ZLB) when no message carries the Nr.
//
// The transport does not depend on the version: a Messages traits class names the decoded
// message, the builder (finish(ns, nr) encodes it, so that a retransmission carries the
// current Nr and, in L2TPv3, a digest computed over it) and the acknowledgement-only message.
// ReliableTransport is the L2TPv2 instance; L2TPv3 has its own (v3/message.hpp).
//
// Sans-I/O: the owner hands in decoded messages and the time, and takes out the datagrams
// to transmit and the deadline to wake it up at (arm a TimerSlot for next_deadline()).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "controlplane/l2tp/control_message.hpp"
#include "controlplane/loop/timer_queue.hpp"

namespace l2tpgw::cp::l2tp {

// a < b in 16-bit serial-number arithmetic (§5.8 refers to RFC 1982).
constexpr bool seq_lt(uint16_t a, uint16_t b) { return static_cast<int16_t>(a - b) < 0; }

struct ReliableConfig {
  uint16_t our_window = 16;          // what we announce in Receive Window Size (§4.4.3)
  uint16_t peer_window = 4;          // theirs; §5.8: 4 when the peer sent no RWS AVP
  Duration initial_timeout = std::chrono::seconds(1);
  Duration max_timeout = std::chrono::seconds(8);   // §5.8: the cap must be at least 8 s
  unsigned max_retransmits = 5;      // §5.8's recommended default
};

struct ReliableStats {
  uint64_t sent = 0, retransmitted = 0, zlb_sent = 0;
  uint64_t delivered = 0, duplicates = 0, out_of_order = 0, outside_window = 0;
};

// L2TPv2 (RFC 2661): acknowledgements are ZLBs addressed to the peer's tunnel id.
struct L2tpV2Messages {
  using Message = ControlMessage;
  using Builder = ControlBuilder;
  using PeerId = uint16_t;
  static Builder ack(PeerId tunnel_id) { return ControlBuilder::zlb(tunnel_id, 0); }
  static bool is_ack(const Message& m) { return m.zlb; }
  static uint16_t ns(const Message& m) { return m.hdr.ns; }
  static uint16_t nr(const Message& m) { return m.hdr.nr; }
};

template <class Messages>
class BasicReliableTransport {
 public:
  using Message = typename Messages::Message;
  using Builder = typename Messages::Builder;
  using PeerId = typename Messages::PeerId;

  explicit BasicReliableTransport(ReliableConfig cfg = {}) : cfg_(cfg) {}

  void set_peer_window(uint16_t w) { cfg_.peer_window = w ? w : 1; }
  // The peer's tunnel (control connection) id, written into the header of the
  // acknowledgements (0 until SCCRQ/SCCRP told us, §3.1).
  void set_peer_tunnel_id(PeerId id) { ack_ = Messages::ack(id); }
  // Replaces the acknowledgement-only message (L2TPv3 with authentication: an ACK carrying a
  // Message Digest instead of a ZLB, RFC 3931 §6.15).
  void set_ack(Builder b) { ack_ = std::move(b); }

  // Queues a message; it goes out now if the peer's window has room, else when acks come.
  void send(const Builder& b, TimePoint now);

  // Handles an arrived message: its Nr acknowledges ours; its Ns is checked against what we
  // expect. Returns the messages now deliverable in order (this one, then any buffered ones
  // it unblocked); an empty result for an acknowledgement, a duplicate or a message out of
  // order.
  std::vector<Message> receive(Message m, TimePoint now);

  // Call after the owner has handled what receive() delivered: if nothing sent since then
  // carried the acknowledgement, an acknowledgement-only message goes out (§5.8).
  void flush_ack();

  // Retransmits what timed out. Returns false once a message has been retransmitted
  // max_retransmits times without an acknowledgement: the control connection is dead.
  bool on_timer(TimePoint now);
  // The path to the peer was down until now (an IPsec SA pair it needs had not come up), so
  // nothing sent can have arrived: every unacknowledged message goes again now, with the
  // whole retransmission budget of a first transmission.
  void resend_all(TimePoint now);
  std::optional<TimePoint> next_deadline() const;

  // Datagrams to transmit (UDP payloads), oldest first.
  std::vector<std::vector<uint8_t>> take_output() { return std::exchange(output_, {}); }

  bool all_acknowledged() const { return unacked_.empty(); }
  uint16_t next_ns() const { return ns_next_; }
  uint16_t expected_ns() const { return nr_expected_; }
  const ReliableStats& stats() const { return stats_; }

 private:
  struct Pending {
    Builder msg;
    uint16_t ns;
    bool transmitted = false;
    unsigned retransmits = 0;
    TimePoint deadline{};
    Duration timeout{};
  };
  void transmit(Pending& p, TimePoint now);
  void transmit_window(TimePoint now);
  void acknowledge(uint16_t nr);

  ReliableConfig cfg_;
  Builder ack_ = Messages::ack(PeerId{});
  uint16_t ns_next_ = 0;       // Ns of our next message
  uint16_t nr_expected_ = 0;   // Ns we expect next from the peer = our Nr
  bool ack_owed_ = false;      // delivered something not yet acknowledged
  std::deque<Pending> unacked_;                  // in Ns order
  std::map<uint16_t, Message> ooo_;              // out of order, by Ns; all ahead of nr_expected_
  std::vector<std::vector<uint8_t>> output_;
  ReliableStats stats_;
};

using ReliableTransport = BasicReliableTransport<L2tpV2Messages>;

// ---- implementation ----

template <class M>
void BasicReliableTransport<M>::send(const Builder& b, TimePoint now) {
  unacked_.push_back(Pending{b, ns_next_++});
  transmit_window(now);
}

template <class M>
void BasicReliableTransport<M>::transmit(Pending& p, TimePoint now) {
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

template <class M>
void BasicReliableTransport<M>::transmit_window(TimePoint now) {
  // §5.8: no more than the peer's window outstanding beyond the oldest unacknowledged.
  for (size_t i = 0; i < unacked_.size() && i < cfg_.peer_window; ++i) {
    if (!unacked_[i].transmitted) transmit(unacked_[i], now);
  }
}

template <class M>
void BasicReliableTransport<M>::acknowledge(uint16_t nr) {
  // Nr acknowledges every message with Ns < Nr. An Nr beyond what we sent is ignored.
  if (seq_lt(ns_next_, nr)) return;
  while (!unacked_.empty() && seq_lt(unacked_.front().ns, nr)) unacked_.pop_front();
}

template <class M>
auto BasicReliableTransport<M>::receive(Message m, TimePoint now) -> std::vector<Message> {
  std::vector<Message> out;
  acknowledge(M::nr(m));
  transmit_window(now);
  if (M::is_ack(m)) return out;  // an acknowledgement does not consume a sequence number (§5.8)
  const uint16_t ns = M::ns(m);
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

template <class M>
void BasicReliableTransport<M>::flush_ack() {
  if (!ack_owed_) return;
  output_.push_back(ack_.finish(ns_next_, nr_expected_));
  ++stats_.zlb_sent;
  ack_owed_ = false;
}

template <class M>
bool BasicReliableTransport<M>::on_timer(TimePoint now) {
  for (Pending& p : unacked_) {
    if (!p.transmitted || p.deadline > now) continue;
    if (p.retransmits >= cfg_.max_retransmits) return false;
    transmit(p, now);
  }
  return true;
}

template <class M>
void BasicReliableTransport<M>::resend_all(TimePoint now) {
  for (Pending& p : unacked_) {
    if (!p.transmitted) continue;
    output_.push_back(p.msg.finish(p.ns, nr_expected_));
    ack_owed_ = false;
    p.retransmits = 0;
    p.timeout = cfg_.initial_timeout;
    p.deadline = now + p.timeout;
    ++stats_.retransmitted;
  }
}

template <class M>
std::optional<TimePoint> BasicReliableTransport<M>::next_deadline() const {
  std::optional<TimePoint> d;
  for (const Pending& p : unacked_) {
    if (p.transmitted && (!d || p.deadline < *d)) d = p.deadline;
  }
  return d;
}

extern template class BasicReliableTransport<L2tpV2Messages>;

}  // namespace l2tpgw::cp::l2tp
