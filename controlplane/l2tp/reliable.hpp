// SPDX-License-Identifier: Apache-2.0
// Reliable delivery of L2TPv2 control messages on one control connection (RFC 2661 §5.8 and
// Appendix A): Ns/Nr in 16-bit serial arithmetic, the peer's receive window, retransmission
// with exponential back-off up to a cap and a limit, in-order delivery with a bounded
// out-of-order buffer, duplicates acknowledged again, and ZLB acknowledgements when no
// message carries the Nr.
//
// Sans-I/O: the owner hands in decoded messages and the time, and takes out the datagrams
// to transmit and the deadline to wake it up at (arm a TimerSlot for next_deadline()).
#pragma once

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

class ReliableTransport {
 public:
  explicit ReliableTransport(ReliableConfig cfg = {}) : cfg_(cfg) {}

  void set_peer_window(uint16_t w) { cfg_.peer_window = w ? w : 1; }
  // The peer's tunnel id, written into the header of everything sent (0 until SCCRQ/SCCRP
  // told us, §3.1).
  void set_peer_tunnel_id(uint16_t id) { peer_tunnel_id_ = id; }

  // Queues a message; it goes out now if the peer's window has room, else when acks come.
  void send(const ControlBuilder& b, TimePoint now);

  // Handles an arrived message: its Nr acknowledges ours; its Ns is checked against what we
  // expect. Returns the messages now deliverable in order (this one, then any buffered ones
  // it unblocked); an empty result for a ZLB, a duplicate or a message out of order.
  std::vector<ControlMessage> receive(ControlMessage m, TimePoint now);

  // Call after the owner has handled what receive() delivered: if nothing sent since then
  // carried the acknowledgement, a ZLB goes out (§5.8).
  void flush_ack();

  // Retransmits what timed out. Returns false once a message has been retransmitted
  // max_retransmits times without an acknowledgement: the control connection is dead.
  bool on_timer(TimePoint now);
  std::optional<TimePoint> next_deadline() const;

  // Datagrams to transmit (UDP payloads), oldest first.
  std::vector<std::vector<uint8_t>> take_output() { return std::exchange(output_, {}); }

  bool all_acknowledged() const { return unacked_.empty(); }
  uint16_t next_ns() const { return ns_next_; }
  uint16_t expected_ns() const { return nr_expected_; }
  const ReliableStats& stats() const { return stats_; }

 private:
  struct Pending {
    ControlBuilder msg;
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
  uint16_t peer_tunnel_id_ = 0;
  uint16_t ns_next_ = 0;       // Ns of our next message
  uint16_t nr_expected_ = 0;   // Ns we expect next from the peer = our Nr
  bool ack_owed_ = false;      // delivered something not yet acknowledged
  std::deque<Pending> unacked_;                  // in Ns order
  std::map<uint16_t, ControlMessage> ooo_;       // out of order, by Ns; all ahead of nr_expected_
  std::vector<std::vector<uint8_t>> output_;
  ReliableStats stats_;
};

}  // namespace l2tpgw::cp::l2tp
