// SPDX-License-Identifier: Apache-2.0
// L2TPv2 control message codec: header rules, AVPs, hidden AVPs against an independent
// reference (tests/vectors/l2tp/hidden_avp.py, hashlib), the seed's DEBUG wording, and
// truncation at every byte.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "controlplane/l2tp/control_message.hpp"

namespace l2tpgw::cp::l2tp {
namespace {

std::vector<uint8_t> unhex(std::string_view h) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return out;
}

// The SCCRQ of the seed's DEBUG log: protocol version 1.0, host name "anonymous",
// framing capability A=1 S=0, assigned tunnel id 61471, receive window size 1.
ControlBuilder seed_sccrq() {
  ControlBuilder b(MessageType::SCCRQ, 0, 0);
  const uint8_t ver[2] = {1, 0};
  b.bytes(AvpType::ProtocolVersion, ver).text(AvpType::HostName, "anonymous")
      .u32(AvpType::FramingCapabilities, 2).u16(AvpType::AssignedTunnelId, 61471)
      .u16(AvpType::ReceiveWindowSize, 1);
  return b;
}

TEST(ControlMessage, RoundTripAndHeader) {
  const auto bytes = seed_sccrq().finish(0, 0);
  // §3.1: T, L, S set, version 2; Length covers the whole message.
  ASSERT_GE(bytes.size(), 12u);
  EXPECT_EQ(bytes[0], 0xC8);
  EXPECT_EQ(bytes[1], 0x02);
  EXPECT_EQ((bytes[2] << 8) | bytes[3], static_cast<int>(bytes.size()));
  const DecodeResult r = decode_control(bytes, "");
  ASSERT_TRUE(r.msg) << to_string(r.error);
  const ControlMessage& m = *r.msg;
  EXPECT_FALSE(m.zlb);
  EXPECT_EQ(m.type, MessageType::SCCRQ);
  EXPECT_EQ(m.u16(AvpType::AssignedTunnelId), 61471);
  EXPECT_EQ(m.u16(AvpType::ReceiveWindowSize), 1);
  EXPECT_EQ(m.find(AvpType::HostName)->text(), "anonymous");
  EXPECT_EQ(m.unknown_mandatory(), nullptr);
}

TEST(ControlMessage, SeedDebugWording) {
  const DecodeResult r = decode_control(seed_sccrq().finish(0, 0), "");
  ASSERT_TRUE(r.msg);
  std::vector<std::string> lines;
  for (const Avp& a : r.msg->avps) lines.push_back(describe(a, r.msg->type));
  const std::vector<std::string> seed = {
      "(0)message type SCCRQ", "(2)protocol version 1 revision 0", "(7)hostname anonymous",
      "(3)framing capability Abit:1 Sbit:0", "(9)assigned tunnel id 61471",
      "(10)receive window size 1"};
  EXPECT_EQ(lines, seed);

  // What the seed shows for an SCCRP we send and a StopCCN we receive or send.
  ControlBuilder sccrp(MessageType::SCCRP, 61471, 0);
  sccrp.u32(AvpType::FramingCapabilities, 1).u32(AvpType::BearerCapabilities, 0)
      .u16(AvpType::FirmwareRevision, 0x500, false).text(AvpType::VendorName, "YAMAHA Corporation", false);
  const auto& set = sccrp.avps();
  EXPECT_EQ(describe(set[1], MessageType::SCCRP, true), "(3)framing capability sync");
  EXPECT_EQ(describe(set[2], MessageType::SCCRP, true), "(4)bearer capability 0");
  EXPECT_EQ(describe(set[3], MessageType::SCCRP, true), "(6)firmware revision 0x500");
  EXPECT_EQ(describe(set[4], MessageType::SCCRP, true), "(8)vendorname YAMAHA Corporation");
  ControlBuilder stop(MessageType::StopCCN, 61471, 0);
  stop.u16(AvpType::AssignedTunnelId, 61471).result(6);
  EXPECT_EQ(describe(stop.avps()[1], MessageType::StopCCN, false), "(9)assigned StopCCN tunnel id 61471");
  EXPECT_EQ(describe(stop.avps()[1], MessageType::StopCCN, true), "(9)assigned tunnel id 61471");
  EXPECT_EQ(describe(stop.avps()[2], MessageType::StopCCN, false), "(1)result code 6");
  EXPECT_EQ(describe(stop.avps()[2], MessageType::StopCCN, true), "(1)resultcode 6");
  ControlBuilder iccn(MessageType::ICCN, 1, 2);
  iccn.u32(AvpType::TxConnectSpeed, 100000000).u32(AvpType::FramingType, 3);
  EXPECT_EQ(describe(iccn.avps()[1]), "(24)tx connect speed 100Mbit/s");
  EXPECT_EQ(describe(iccn.avps()[2]), "(19)framing type 3");
}

TEST(ControlMessage, SecretsAreNotPrinted) {
  ControlBuilder b(MessageType::SCCRQ, 0, 0);
  b.text(AvpType::Challenge, "supersecretchallenge");
  EXPECT_EQ(describe(b.avps()[1]), "(11)challenge (20 bytes)");
}

TEST(ControlMessage, Zlb) {
  const auto bytes = ControlBuilder::zlb(7, 0).finish(3, 9);
  ASSERT_EQ(bytes.size(), 12u);
  const DecodeResult r = decode_control(bytes, "");
  ASSERT_TRUE(r.msg);
  EXPECT_TRUE(r.msg->zlb);
  EXPECT_EQ(r.msg->hdr.tunnel_id, 7);
  EXPECT_EQ(r.msg->hdr.ns, 3);
  EXPECT_EQ(r.msg->hdr.nr, 9);
}

TEST(ControlMessage, HiddenAvpMatchesIndependentReference) {
  const auto rv = unhex("101112131415161718191a1b1c1d1e1f");
  const uint8_t tid[2] = {0x12, 0x34};
  EXPECT_EQ(hide_value(9, tid, "yamaha-secret", rv), unhex("ff8eb37f"));
  const std::string host = "l2tp-client-with-a-long-host-name.example";
  const uint8_t pad[3] = {0, 1, 2};
  const auto hidden = hide_value(7, {reinterpret_cast<const uint8_t*>(host.data()), host.size()}, "s3cr3t", rv, pad);
  EXPECT_EQ(hidden, unhex("dcd8dfc5ed1fdd9c8732f4983d05d702d229fac4f35a273a670ca4aa46b2a1b356caaddc0ce9f7587f104aebd4ac"));
  auto back = reveal_value(7, hidden, "s3cr3t", rv);
  ASSERT_TRUE(back);
  EXPECT_EQ(std::string(back->begin(), back->end()), host);
  // The wrong secret yields garbage, usually an Original Length that does not fit.
  auto wrong = reveal_value(7, hidden, "other", rv);
  EXPECT_TRUE(!wrong || std::string(wrong->begin(), wrong->end()) != host);
}

TEST(ControlMessage, HiddenAvpsInAMessage) {
  const auto rv = unhex("00112233445566778899aabbccddeeff");
  ControlBuilder b(MessageType::ICRQ, 5, 0);
  b.hide_on("pw", rv).u16(AvpType::AssignedSessionId, 4242).hide_off().u32(AvpType::CallSerialNumber, 1);
  const auto bytes = b.finish(1, 1);
  const DecodeResult ok = decode_control(bytes, "pw");
  ASSERT_TRUE(ok.msg) << to_string(ok.error);
  EXPECT_EQ(ok.msg->u16(AvpType::AssignedSessionId), 4242);
  EXPECT_TRUE(ok.msg->find(AvpType::AssignedSessionId)->hidden);
  EXPECT_EQ(ok.msg->u32(AvpType::CallSerialNumber), 1u);
  const DecodeResult no_secret = decode_control(bytes, "");
  EXPECT_FALSE(no_secret.msg);
  EXPECT_EQ(no_secret.error, ControlError::HiddenWithoutSecret);
}

TEST(ControlMessage, Refusals) {
  auto bytes = seed_sccrq().finish(0, 0);
  {  // data message (T clear)
    auto b = bytes;
    b[0] = 0x48;
    EXPECT_EQ(decode_control(b, "").error, ControlError::BadHeader);
  }
  {  // version 3
    auto b = bytes;
    b[1] = 0x03;
    EXPECT_EQ(decode_control(b, "").error, ControlError::BadHeader);
  }
  {  // Length beyond the datagram
    auto b = bytes;
    b[3] = static_cast<uint8_t>(b[3] + 1);
    EXPECT_EQ(decode_control(b, "").error, ControlError::BadLength);
  }
  {  // first AVP not Message Type: swap in Host Name's type
    auto b = bytes;
    b[12 + 5] = 7;
    EXPECT_EQ(decode_control(b, "").error, ControlError::NoMessageType);
  }
  {  // an AVP length under its header
    auto b = bytes;
    b[12 + 1] = 5;
    EXPECT_EQ(decode_control(b, "").error, ControlError::BadAvpLength);
  }
  {  // hidden Message Type
    auto b = bytes;
    b[12] |= 0x40;
    EXPECT_EQ(decode_control(b, "x").error, ControlError::HiddenMessageType);
  }
  // Every truncation point of a valid message (with Length adjusted to fit, so that the
  // AVP walk itself meets the cut) is refused, never read past.
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::vector<uint8_t> b(bytes.begin(), bytes.begin() + static_cast<long>(n));
    EXPECT_FALSE(decode_control(b, "").msg && n < 12) << n;
    if (n >= 12) {
      b[2] = static_cast<uint8_t>(n >> 8);
      b[3] = static_cast<uint8_t>(n);
      const DecodeResult r = decode_control(b, "");
      if (n == 12) {
        EXPECT_TRUE(r.msg && r.msg->zlb);
      } else if (r.msg) {
        EXPECT_LE(r.msg->avps.size(), 6u);
      }
    }
  }
}

TEST(ControlMessage, UnknownMandatoryAvpIsReported) {
  ControlBuilder b(MessageType::ICRQ, 5, 0);
  const uint8_t v[1] = {1};
  b.raw(0, 20, v, true).raw(9, 1, v, false);
  const DecodeResult r = decode_control(b.finish(0, 0), "");
  ASSERT_TRUE(r.msg);
  ASSERT_NE(r.msg->unknown_mandatory(), nullptr);
  EXPECT_EQ(r.msg->unknown_mandatory()->type, 20);
  ControlBuilder ok(MessageType::ICRQ, 5, 0);
  ok.raw(9, 1, v, false);  // vendor AVP without M: ignored (§4.1)
  EXPECT_EQ(decode_control(ok.finish(0, 0), "").msg->unknown_mandatory(), nullptr);
}

}  // namespace
}  // namespace l2tpgw::cp::l2tp
