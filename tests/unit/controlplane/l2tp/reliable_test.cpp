// SPDX-License-Identifier: Apache-2.0
// RFC 2661 §5.8 reliable delivery: two ReliableTransports talking through a lossy,
// reordering "wire" driven by explicit times (no sleeps).
#include <gtest/gtest.h>

#include <vector>

#include "controlplane/l2tp/reliable.hpp"

namespace l2tpgw::cp::l2tp {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

ControlMessage decode(const std::vector<uint8_t>& b) {
  const DecodeResult r = decode_control(b, "");
  EXPECT_TRUE(r.msg) << to_string(r.error);
  return r.msg.value_or(ControlMessage{});
}

ControlBuilder hello(uint16_t tid) { return ControlBuilder(MessageType::HELLO, tid, 0); }

TEST(Reliable, SerialArithmetic) {
  EXPECT_TRUE(seq_lt(0, 1));
  EXPECT_TRUE(seq_lt(65535, 0));
  EXPECT_FALSE(seq_lt(0, 65535));
  EXPECT_FALSE(seq_lt(5, 5));
  EXPECT_TRUE(seq_lt(65000, 100));
}

TEST(Reliable, InOrderDeliveryAndZlbAck) {
  const TimePoint t0{};
  ReliableTransport a, b;
  a.send(hello(1), t0);
  auto out = a.take_output();
  ASSERT_EQ(out.size(), 1u);
  auto m = decode(out[0]);
  EXPECT_EQ(m.hdr.ns, 0);
  EXPECT_EQ(m.hdr.nr, 0);
  auto got = b.receive(m, t0);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(b.expected_ns(), 1);
  b.flush_ack();
  auto acks = b.take_output();
  ASSERT_EQ(acks.size(), 1u);
  auto zlb = decode(acks[0]);
  EXPECT_TRUE(zlb.zlb);
  EXPECT_EQ(zlb.hdr.nr, 1);
  EXPECT_FALSE(a.all_acknowledged());
  EXPECT_TRUE(a.receive(zlb, t0).empty());
  EXPECT_TRUE(a.all_acknowledged());
  EXPECT_FALSE(a.next_deadline());
}

TEST(Reliable, PiggybackedAckSendsNoZlb) {
  const TimePoint t0{};
  ReliableTransport a, b;
  a.send(hello(1), t0);
  b.receive(decode(a.take_output()[0]), t0);
  b.send(hello(2), t0);  // a reply carries Nr = 1
  b.flush_ack();
  auto out = b.take_output();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(decode(out[0]).zlb);
  EXPECT_EQ(decode(out[0]).hdr.nr, 1);
}

TEST(Reliable, RetransmitWithBackoffThenGiveUp) {
  TimePoint t{};
  ReliableTransport a(ReliableConfig{16, 4, seconds(1), seconds(8), 5});
  a.send(hello(1), t);
  ASSERT_EQ(a.take_output().size(), 1u);
  std::vector<Duration> gaps;
  TimePoint last = t;
  for (int i = 0; i < 5; ++i) {
    t = *a.next_deadline();
    gaps.push_back(t - last);
    last = t;
    ASSERT_TRUE(a.on_timer(t));
    auto out = a.take_output();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(decode(out[0]).hdr.ns, 0);  // the same Ns every time
  }
  // 1, 2, 4, 8, 8 seconds: doubling, capped at 8 (§5.8).
  EXPECT_EQ(gaps, (std::vector<Duration>{seconds(1), seconds(2), seconds(4), seconds(8), seconds(8)}));
  EXPECT_FALSE(a.on_timer(*a.next_deadline()));
  EXPECT_EQ(a.stats().retransmitted, 5u);
}

TEST(Reliable, DuplicateIsAcknowledgedAgainNotDelivered) {
  const TimePoint t0{};
  ReliableTransport a, b;
  a.send(hello(1), t0);
  const auto wire = a.take_output()[0];
  EXPECT_EQ(b.receive(decode(wire), t0).size(), 1u);
  b.flush_ack();
  b.take_output();  // this ZLB is "lost"
  EXPECT_TRUE(b.receive(decode(wire), t0).empty());
  b.flush_ack();
  auto again = b.take_output();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(decode(again[0]).hdr.nr, 1);
  EXPECT_EQ(b.stats().duplicates, 1u);
  EXPECT_EQ(b.stats().delivered, 1u);
}

TEST(Reliable, OutOfOrderIsBufferedAndDeliveredInOrder) {
  const TimePoint t0{};
  ReliableTransport a, b;
  for (int i = 0; i < 3; ++i) a.send(hello(1), t0);
  auto out = a.take_output();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(b.receive(decode(out[2]), t0).empty());
  EXPECT_TRUE(b.receive(decode(out[1]), t0).empty());
  auto got = b.receive(decode(out[0]), t0);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].hdr.ns, 0);
  EXPECT_EQ(got[1].hdr.ns, 1);
  EXPECT_EQ(got[2].hdr.ns, 2);
  EXPECT_EQ(b.expected_ns(), 3);
}

TEST(Reliable, OutsideOurWindowIsDropped) {
  const TimePoint t0{};
  ReliableTransport b(ReliableConfig{4, 4});
  ControlMessage m = decode(hello(1).finish(4, 0));  // expected 0, window 4: 4 is outside
  EXPECT_TRUE(b.receive(m, t0).empty());
  EXPECT_EQ(b.stats().outside_window, 1u);
}

TEST(Reliable, PeerWindowLimitsWhatIsOutstanding) {
  const TimePoint t0{};
  ReliableTransport a(ReliableConfig{16, 2});
  for (int i = 0; i < 5; ++i) a.send(hello(1), t0);
  EXPECT_EQ(a.take_output().size(), 2u);  // Ns 0, 1
  // The peer acknowledges Ns 0: one more may go.
  a.receive(decode(ControlBuilder::zlb(1, 0).finish(0, 1)), t0);
  auto out = a.take_output();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(decode(out[0]).hdr.ns, 2);
  // An acknowledgement of something never sent is ignored.
  a.receive(decode(ControlBuilder::zlb(1, 0).finish(0, 40)), t0);
  EXPECT_FALSE(a.all_acknowledged());
}

TEST(Reliable, SequenceNumbersWrap) {
  const TimePoint t0{};
  ReliableTransport a, b;
  // Run 70,000 messages through, one at a time, acknowledging each.
  for (int i = 0; i < 70000; ++i) {
    a.send(hello(1), t0);
    auto got = b.receive(decode(a.take_output()[0]), t0);
    ASSERT_EQ(got.size(), 1u) << i;
    b.flush_ack();
    a.receive(decode(b.take_output()[0]), t0);
    ASSERT_TRUE(a.all_acknowledged()) << i;
  }
  EXPECT_EQ(b.expected_ns(), static_cast<uint16_t>(70000));
}

TEST(Reliable, LossyReorderingWireDeliversEverythingOnce) {
  // a sends 200 messages over a wire that loses a quarter of the datagrams (either way, a
  // fixed pseudo-random pattern) and swaps pairs; b delivers each exactly once and in
  // order; retransmission timers drive recovery.
  TimePoint t{};
  ReliableTransport a(ReliableConfig{16, 8, milliseconds(100), milliseconds(800), 50}), b;
  int sent = 0, counter = 0;
  uint32_t lcg = 12345;
  auto lost = [&] {
    ++counter;
    lcg = lcg * 1103515245u + 12345u;
    return (lcg >> 16) % 4 == 0;
  };
  std::vector<uint16_t> delivered;
  while (delivered.size() < 200) {
    if (sent < 200 && a.all_acknowledged()) {
      for (int i = 0; i < 8 && sent < 200; ++i, ++sent) a.send(hello(1), t);
    }
    auto wire = a.take_output();
    if (wire.size() >= 2) std::swap(wire[0], wire[1]);
    for (auto& d : wire) {
      if (lost()) continue;
      for (auto& m : b.receive(decode(d), t)) delivered.push_back(m.hdr.ns);
    }
    b.flush_ack();
    for (auto& d : b.take_output()) {
      if (lost()) continue;
      a.receive(decode(d), t);
    }
    if (auto d = a.next_deadline()) {
      t = *d;
      ASSERT_TRUE(a.on_timer(t));
    }
    ASSERT_LT(counter, 100000);
  }
  for (size_t i = 0; i < delivered.size(); ++i) ASSERT_EQ(delivered[i], i);
}

}  // namespace
}  // namespace l2tpgw::cp::l2tp
