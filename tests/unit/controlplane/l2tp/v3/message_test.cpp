// SPDX-License-Identifier: Apache-2.0
// RFC 3931 control messages: the header and AVP codec against messages encoded by an
// independent implementation (Python's struct, hmac and hashlib), the §4.3 digests, and the
// negative table (truncation at every byte, AVP lengths 0..5 and past the end, bad headers).
#include <gtest/gtest.h>

#include "controlplane/l2tp/v3/message.hpp"

namespace l2tpgw::cp::l2tp::v3 {
namespace {

using std::chrono::seconds;

// shared_key = HMAC-MD5("test1234", 0x02) (Python: hmac.new(b"test1234", b"\x02", "md5")).
constexpr std::array<uint8_t, 16> kSharedKey = {0x92, 0x99, 0xd0, 0x8e, 0xd9, 0x4d, 0x21, 0xfd,
                                                0x53, 0x62, 0xb7, 0xfa, 0xc5, 0x47, 0x3b, 0x19};

std::vector<uint8_t> nonce(uint8_t first) {
  std::vector<uint8_t> n(16);
  for (size_t i = 0; i < n.size(); ++i) n[i] = static_cast<uint8_t>(first + i);
  return n;
}

// SCCRQ, CCID 0, Ns 0, Nr 0: Message Type, Message Digest (HMAC-MD5 over the message alone),
// Host Name "RTX830", Router ID 192.168.100.1, Assigned Control Connection ID 51998,
// Pseudowire Capabilities List {5}, Nonce 00..0f. Encoded and digested in Python.
const std::vector<uint8_t> kSccrq = {
    0xc8, 0x03, 0x00, 0x69, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x08, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x17, 0x00, 0x00, 0x00, 0x3b, 0x00, 0x22, 0x07, 0x24,
    0x72, 0xc7, 0xc5, 0x10, 0x6d, 0xdc, 0xac, 0xbf, 0x66, 0xef, 0x8b, 0xf8, 0xe2, 0x80, 0x0c,
    0x00, 0x00, 0x00, 0x07, 0x52, 0x54, 0x58, 0x38, 0x33, 0x30, 0x80, 0x0a, 0x00, 0x00, 0x00,
    0x3c, 0xc0, 0xa8, 0x64, 0x01, 0x80, 0x0a, 0x00, 0x00, 0x00, 0x3d, 0x00, 0x00, 0xcb, 0x1e,
    0x80, 0x08, 0x00, 0x00, 0x00, 0x3e, 0x00, 0x05, 0x80, 0x16, 0x00, 0x00, 0x00, 0x49, 0x00,
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};

// The SCCRP answering it, CCID 51998, Ns 0, Nr 1, HMAC-SHA-1 over nonce 64..73 (the
// sender's), nonce 00..0f (the receiver's) and the message; Router ID 192.168.100.2,
// Assigned Control Connection ID 27105.
const std::vector<uint8_t> kSccrp = {
    0xc8, 0x03, 0x00, 0x6d, 0x00, 0x00, 0xcb, 0x1e, 0x00, 0x00, 0x00, 0x01, 0x80, 0x08, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x1b, 0x00, 0x00, 0x00, 0x3b, 0x01, 0x0a, 0xf0, 0x31,
    0x0b, 0x2d, 0x3e, 0x3e, 0xea, 0xda, 0xcf, 0x03, 0x22, 0x03, 0x06, 0x02, 0xbd, 0xaa, 0x3c,
    0xd7, 0x3c, 0x80, 0x0c, 0x00, 0x00, 0x00, 0x07, 0x52, 0x54, 0x58, 0x38, 0x33, 0x30, 0x80,
    0x0a, 0x00, 0x00, 0x00, 0x3c, 0xc0, 0xa8, 0x64, 0x02, 0x80, 0x0a, 0x00, 0x00, 0x00, 0x3d,
    0x00, 0x00, 0x69, 0xe1, 0x80, 0x08, 0x00, 0x00, 0x00, 0x3e, 0x00, 0x05, 0x80, 0x16, 0x00,
    0x00, 0x00, 0x49, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
    0x70, 0x71, 0x72, 0x73};

TEST(L2tpV3Message, SharedKeyIsHmacMd5OfTheOctetTwo) {
  EXPECT_EQ(derive_shared_key("test1234"), kSharedKey);
  EXPECT_NE(derive_shared_key("test1235"), kSharedKey);
}

TEST(L2tpV3Message, SccrqEncodesAsPythonDoes) {
  ControlBuilder b(MessageType::SCCRQ, 0);
  b.text(AvpType::HostName, "RTX830")
      .u32(AvpType::RouterId, 0xC0A86401)
      .u32(AvpType::AssignedControlConnectionId, 51998)
      .u16(AvpType::PseudowireCapabilitiesList, kPwTypeEthernet)
      .bytes(AvpType::ControlMessageAuthenticationNonce, nonce(0));
  b.authenticate(MessageAuth{DigestType::HmacMd5, kSharedKey, {}, {}});
  EXPECT_EQ(b.finish(0, 0), kSccrq);
}

TEST(L2tpV3Message, SccrpEncodesAsPythonDoesWithSha1AndNonces) {
  ControlBuilder b(MessageType::SCCRP, 51998);
  b.text(AvpType::HostName, "RTX830")
      .u32(AvpType::RouterId, 0xC0A86402)
      .u32(AvpType::AssignedControlConnectionId, 27105)
      .u16(AvpType::PseudowireCapabilitiesList, kPwTypeEthernet)
      .bytes(AvpType::ControlMessageAuthenticationNonce, nonce(100));
  b.authenticate(MessageAuth{DigestType::HmacSha1, kSharedKey, nonce(100), nonce(0)});
  EXPECT_EQ(b.finish(0, 1), kSccrp);
}

TEST(L2tpV3Message, DecodesTheSccrq) {
  const DecodeResult r = decode_control(kSccrq);
  ASSERT_TRUE(r.msg) << to_string(r.error);
  const ControlMessage& m = *r.msg;
  EXPECT_EQ(m.type, MessageType::SCCRQ);
  EXPECT_FALSE(m.zlb);
  EXPECT_EQ(m.hdr.ccid, 0u);
  EXPECT_EQ(m.length, kSccrq.size());
  EXPECT_EQ(m.digest_at, 26u);  // 12 header + 8 Message Type + 6 AVP header
  EXPECT_EQ(m.find(AvpType::HostName)->text(), "RTX830");
  EXPECT_EQ(m.u32(AvpType::RouterId), 0xC0A86401u);
  EXPECT_EQ(m.u32(AvpType::AssignedControlConnectionId), 51998u);
  EXPECT_EQ(m.find(AvpType::PseudowireCapabilitiesList)->value, (std::vector<uint8_t>{0, 5}));
  EXPECT_FALSE(m.find(AvpType::MessageDigest)->mandatory);
  EXPECT_EQ(m.unknown_mandatory(), nullptr);
  EXPECT_TRUE(is_l2tpv3_control(kSccrq));
}

TEST(L2tpV3Message, DigestsVerify) {
  const ControlMessage rq = *decode_control(kSccrq).msg;
  EXPECT_TRUE(verify_digest(kSccrq, rq, MessageAuth{DigestType::HmacMd5, kSharedKey, {}, {}}));
  // The receiver of the SCCRP hashes the sender's nonce first.
  const ControlMessage rp = *decode_control(kSccrp).msg;
  EXPECT_TRUE(verify_digest(kSccrp, rp, MessageAuth{DigestType::HmacMd5, kSharedKey, nonce(100), nonce(0)}));
  EXPECT_FALSE(verify_digest(kSccrp, rp, MessageAuth{DigestType::HmacMd5, kSharedKey, nonce(0), nonce(100)}));
  // Another password.
  EXPECT_FALSE(verify_digest(kSccrq, rq, MessageAuth{DigestType::HmacMd5, derive_shared_key("x"), {}, {}}));
  // Any byte changed, the header's Ns included.
  for (size_t i = 0; i < kSccrq.size(); ++i) {
    if (i >= 27 && i < 43) continue;  // the digest itself: changing it is also a failure, below
    auto bad = kSccrq;
    bad[i] ^= 0x01;
    const DecodeResult r = decode_control(bad);
    if (!r.msg) continue;
    EXPECT_FALSE(verify_digest(bad, *r.msg, MessageAuth{DigestType::HmacMd5, kSharedKey, {}, {}})) << i;
  }
  auto bad = kSccrq;
  bad[30] ^= 0x80;
  EXPECT_FALSE(verify_digest(bad, *decode_control(bad).msg, MessageAuth{DigestType::HmacMd5, kSharedKey, {}, {}}));
}

TEST(L2tpV3Message, MissingOrMisplacedDigestFails) {
  ControlBuilder plain(MessageType::HELLO, 7);
  const auto wire = plain.finish(3, 4);
  const ControlMessage m = *decode_control(wire).msg;
  EXPECT_EQ(m.digest_at, 0u);
  EXPECT_FALSE(verify_digest(wire, m, MessageAuth{DigestType::HmacMd5, kSharedKey, {}, {}}));
  // A digest AVP that is not the second AVP (§5.4.1: right after Message Type) is not one.
  ControlBuilder late(MessageType::HELLO, 7);
  const uint8_t d[17] = {0};
  late.text(AvpType::HostName, "x").raw(0, 59, d, false);
  const auto w2 = late.finish(0, 0);
  EXPECT_EQ(decode_control(w2).msg->digest_at, 0u);
  // Unknown Digest Type 2, and a digest of the wrong length for its type.
  auto t2 = kSccrq;
  t2[26] = 2;
  EXPECT_FALSE(verify_digest(t2, *decode_control(t2).msg, MessageAuth{DigestType::HmacMd5, kSharedKey, {}, {}}));
  t2[26] = 1;  // SHA-1 wants 20 octets, the AVP has 16
  EXPECT_FALSE(verify_digest(t2, *decode_control(t2).msg, MessageAuth{DigestType::HmacMd5, kSharedKey, {}, {}}));
}

TEST(L2tpV3Message, RetransmissionRecomputesTheDigestOverTheNewNr) {
  ControlBuilder b(MessageType::HELLO, 27105);
  const MessageAuth a{DigestType::HmacMd5, kSharedKey, nonce(0), nonce(100)};
  b.authenticate(a);
  const auto first = b.finish(5, 1), again = b.finish(5, 2);
  EXPECT_NE(first, again);
  const MessageAuth peer{DigestType::HmacMd5, kSharedKey, nonce(0), nonce(100)};
  EXPECT_TRUE(verify_digest(first, *decode_control(first).msg, peer));
  EXPECT_TRUE(verify_digest(again, *decode_control(again).msg, peer));
}

TEST(L2tpV3Message, ZlbAndAck) {
  const auto zlb = ControlBuilder::zlb(0x01020304).finish(9, 10);
  EXPECT_EQ(zlb, (std::vector<uint8_t>{0xc8, 0x03, 0x00, 0x0c, 1, 2, 3, 4, 0, 9, 0, 10}));
  const ControlMessage z = *decode_control(zlb).msg;
  EXPECT_TRUE(z.zlb);
  EXPECT_TRUE(z.acknowledges_only());
  const auto ack = ControlBuilder(MessageType::ACK, 5).finish(1, 2);
  const ControlMessage a = *decode_control(ack).msg;
  EXPECT_FALSE(a.zlb);
  EXPECT_EQ(a.type, MessageType::ACK);
  EXPECT_TRUE(a.acknowledges_only());
}

TEST(L2tpV3Message, SessionAvpsRoundTrip) {
  ControlBuilder b(MessageType::ICRQ, 27105);
  const uint8_t cookie[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  b.u32(AvpType::LocalSessionId, 38520)
      .u32(AvpType::RemoteSessionId, 0)
      .u32(AvpType::SerialNumber, 1)
      .u16(AvpType::PseudowireType, kPwTypeEthernet)
      .text(AvpType::RemoteEndId, "TESTEND")
      .u16(AvpType::CircuitStatus, kCircuitNew | kCircuitActive)
      .bytes(AvpType::AssignedCookie, cookie)
      .u64(AvpType::TieBreaker, 0x0102030405060708ull);
  const auto wire = b.finish(2, 1);
  const ControlMessage m = *decode_control(wire).msg;
  EXPECT_EQ(m.hdr.ccid, 27105u);
  EXPECT_EQ(m.hdr.ns, 2);
  EXPECT_EQ(m.hdr.nr, 1);
  EXPECT_EQ(m.u32(AvpType::LocalSessionId), 38520u);
  EXPECT_EQ(m.u32(AvpType::RemoteSessionId), 0u);
  EXPECT_EQ(m.u16(AvpType::PseudowireType), 5);
  EXPECT_EQ(m.find(AvpType::RemoteEndId)->text(), "TESTEND");
  EXPECT_EQ(m.u16(AvpType::CircuitStatus), 3);
  EXPECT_EQ(m.find(AvpType::AssignedCookie)->value, std::vector<uint8_t>(cookie, cookie + 8));
  EXPECT_EQ(m.u64(AvpType::TieBreaker), 0x0102030405060708ull);
  EXPECT_FALSE(is_connection_message(m.type));
  EXPECT_EQ(describe(*m.find(AvpType::RemoteEndId)), "(66)remote end id TESTEND");
  EXPECT_EQ(describe(*m.find(AvpType::CircuitStatus)), "(71)circuit status active new");
  EXPECT_EQ(describe(*m.find(AvpType::AssignedCookie)), "(65)assigned cookie (8 bytes)");
  EXPECT_EQ(describe(m.avps[0]), "(0)message type ICRQ");
}

TEST(L2tpV3Message, DescribeNeverPrintsSecrets) {
  const ControlMessage m = *decode_control(kSccrq).msg;
  EXPECT_EQ(describe(*m.find(AvpType::ControlMessageAuthenticationNonce)), "(73)nonce (16 bytes)");
  EXPECT_EQ(describe(m.avps[1]), "(59)message digest hmac-md5");
  EXPECT_EQ(describe(*m.find(AvpType::RouterId)), "(60)router id 192.168.100.1");
  EXPECT_EQ(describe(*m.find(AvpType::AssignedControlConnectionId)), "(61)assigned connection id 51998");
  EXPECT_EQ(describe(*m.find(AvpType::PseudowireCapabilitiesList)), "(62)pseudowire capability 5");
  EXPECT_EQ(describe(*m.find(AvpType::HostName)), "(7)hostname RTX830");
}

TEST(L2tpV3Message, TruncationAtEveryByteIsRefused) {
  for (size_t n = 0; n < kSccrq.size(); ++n) {
    const DecodeResult r = decode_control(std::span(kSccrq.data(), n));
    EXPECT_FALSE(r.msg) << n;
    EXPECT_EQ(r.error, n < kHeaderLen ? ControlError::Truncated : ControlError::BadLength) << n;
  }
  // With the Length field following the cut, the cut AVP is what is refused.
  for (size_t n = kHeaderLen + 1; n < kSccrq.size(); ++n) {
    auto cut = std::vector<uint8_t>(kSccrq.begin(), kSccrq.begin() + static_cast<long>(n));
    cut[2] = static_cast<uint8_t>(n >> 8);
    cut[3] = static_cast<uint8_t>(n);
    const DecodeResult r = decode_control(cut);
    // Cuts that fall exactly between AVPs leave a shorter, valid message.
    if (r.msg) {
      EXPECT_TRUE(n == 20 || n == 43 || n == 55 || n == 65 || n == 75 || n == 83) << n;
      continue;
    }
    EXPECT_TRUE(r.error == ControlError::Truncated || r.error == ControlError::NoMessageType) << n;
  }
}

TEST(L2tpV3Message, LengthFieldsAreClaims) {
  // Length 0, 11 (< header), size + 1.
  for (uint16_t len : {0, 1, 11, static_cast<int>(kSccrq.size() + 1), 0xffff}) {
    auto bad = kSccrq;
    bad[2] = static_cast<uint8_t>(len >> 8);
    bad[3] = static_cast<uint8_t>(len);
    const DecodeResult r = decode_control(bad);
    EXPECT_FALSE(r.msg) << len;
    EXPECT_EQ(r.error, ControlError::BadLength) << len;
  }
  // The UDP payload may be longer than Length: the rest is not the message.
  auto padded = kSccrq;
  padded.push_back(0xee);
  EXPECT_TRUE(decode_control(padded).msg);
  // AVP lengths 0..5 (shorter than the AVP header) and one past the end.
  for (uint16_t avp_len : {0, 1, 2, 3, 4, 5}) {
    auto bad = kSccrq;
    bad[43] = static_cast<uint8_t>(0x80 | (avp_len >> 8));  // the Host Name AVP
    bad[44] = static_cast<uint8_t>(avp_len);
    const DecodeResult r = decode_control(bad);
    EXPECT_FALSE(r.msg);
    EXPECT_EQ(r.error, ControlError::BadAvpLength) << avp_len;
  }
  auto past = kSccrq;
  past[83] = 0x80;
  past[84] = 0x17;  // the last AVP claims 23 octets, 22 remain
  EXPECT_EQ(decode_control(past).error, ControlError::Truncated);
  past[83] = 0x83;
  past[84] = 0xff;  // 1023, the largest an AVP can claim
  EXPECT_EQ(decode_control(past).error, ControlError::Truncated);
}

TEST(L2tpV3Message, HeadersAndFirstAvpAreChecked) {
  auto v2 = kSccrq;
  v2[1] = 0x02;
  EXPECT_EQ(decode_control(v2).error, ControlError::BadHeader);
  EXPECT_FALSE(is_l2tpv3_control(v2));
  auto data = kSccrq;
  data[0] = 0x48;  // T clear: a data message
  EXPECT_EQ(decode_control(data).error, ControlError::BadHeader);
  auto no_s = kSccrq;
  no_s[0] = 0xc0;
  EXPECT_EQ(decode_control(no_s).error, ControlError::BadHeader);
  // §3.2.1: the reserved bits are ignored on receipt.
  auto reserved = kSccrq;
  reserved[0] |= 0x30;
  reserved[1] |= 0xf0;
  EXPECT_TRUE(decode_control(reserved).msg);
  // The first AVP must be a 2-octet Message Type, not hidden.
  ControlBuilder b(MessageType::HELLO, 1);
  auto hello = b.finish(0, 0);
  auto hidden = hello;
  hidden[12] |= 0x40;
  EXPECT_EQ(decode_control(hidden).error, ControlError::HiddenMessageType);
  auto other = hello;
  other[17] = 7;
  EXPECT_EQ(decode_control(other).error, ControlError::NoMessageType);
}

TEST(L2tpV3Message, UnknownAndHiddenMandatoryAvps) {
  ControlBuilder b(MessageType::ICRQ, 1);
  const uint8_t v[2] = {0, 1};
  b.raw(0, 67, v, false);  // unknown, not mandatory: ignored
  EXPECT_EQ(decode_control(b.finish(0, 0)).msg->unknown_mandatory(), nullptr);
  b.raw(0, 63, v, true, true);  // a known type, hidden: we cannot read it
  const ControlMessage m = *decode_control(b.finish(0, 0)).msg;
  ASSERT_NE(m.unknown_mandatory(), nullptr);
  EXPECT_EQ(m.unknown_mandatory()->type, 63);
  EXPECT_EQ(m.find(AvpType::LocalSessionId), nullptr);  // hidden values are never read
  ControlBuilder c(MessageType::ICRQ, 1);
  c.raw(0, 50, v, true);
  EXPECT_EQ(decode_control(c.finish(0, 0)).msg->unknown_mandatory()->type, 50);
  ControlBuilder d(MessageType::ICRQ, 1);
  d.raw(9, 1, v, true);  // a vendor's AVP
  EXPECT_EQ(decode_control(d.finish(0, 0)).msg->unknown_mandatory()->vendor, 9);
}

TEST(L2tpV3Message, TransportTreatsAckAsAcknowledgement) {
  const TimePoint t0{};
  ReliableTransport a, b;
  a.send(ControlBuilder(MessageType::HELLO, 2), t0);
  const auto out = a.take_output();
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(b.receive(*decode_control(out[0]).msg, t0).size(), 1u);
  // With authentication the acknowledgement is an ACK carrying a digest (§6.15).
  b.set_ack(ControlBuilder(MessageType::ACK, 1).authenticate(MessageAuth{DigestType::HmacMd5, kSharedKey, {}, {}}));
  b.flush_ack();
  const auto acks = b.take_output();
  ASSERT_EQ(acks.size(), 1u);
  const ControlMessage ack = *decode_control(acks[0]).msg;
  EXPECT_EQ(ack.type, MessageType::ACK);
  EXPECT_NE(ack.digest_at, 0u);
  EXPECT_EQ(ack.hdr.nr, 1);
  EXPECT_EQ(ack.hdr.ns, 0);  // an ACK takes no sequence number: b's next is still 0
  EXPECT_EQ(b.next_ns(), 0);
  EXPECT_TRUE(a.receive(ack, t0).empty());
  EXPECT_TRUE(a.all_acknowledged());
  EXPECT_EQ(a.next_ns(), 1);
}

}  // namespace
}  // namespace l2tpgw::cp::l2tp::v3
