// SPDX-License-Identifier: Apache-2.0
// Tests for ICMP error messages: scapy-built messages byte for byte (RFC 792, RFC 1191 §4), the
// fields a router must set (RFC 1812 §4.3.2), and every "MUST NOT be sent" case of §4.3.2.7.
#include "dataplane/stages/icmp_error.hpp"

#include <arpa/inet.h>

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/wire/ipv4.hpp"
#include "vector_file.hpp"

namespace l2tpgw::dp {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr uint32_t kLanAddr = 0xc0000201;       // 192.0.2.1
constexpr uint32_t kLanBroadcast = 0xc00002ff;  // 192.0.2.255
constexpr uint32_t kLanHost = 0xc000020a;       // 192.0.2.10
constexpr uint32_t kClient = 0xc633640a;        // 198.51.100.10

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

Bytes packet(uint32_t src, uint32_t dst, uint8_t proto, const Bytes& data, uint16_t flags_frag = 0,
             uint8_t ihl_words = 5) {
  const size_t hl = ihl_words * 4u;
  const size_t total = hl + data.size();
  Bytes p(total, 0);
  p[0] = static_cast<uint8_t>(0x40 | ihl_words);
  p[2] = static_cast<uint8_t>(total >> 8);
  p[3] = static_cast<uint8_t>(total);
  p[6] = static_cast<uint8_t>(flags_frag >> 8);
  p[7] = static_cast<uint8_t>(flags_frag);
  p[8] = 1;
  p[9] = proto;
  for (int i = 0; i < 4; ++i) {
    p[12 + i] = static_cast<uint8_t>(src >> (24 - 8 * i));
    p[16 + i] = static_cast<uint8_t>(dst >> (24 - 8 * i));
  }
  for (size_t i = 20; i < hl; ++i) p[i] = 0x01;  // NOP options
  for (size_t i = 0; i < data.size(); ++i) p[hl + i] = data[i];
  const uint16_t ck = wire::fold_checksum(wire::ones_sum(p.data(), hl));
  p[10] = static_cast<uint8_t>(ck >> 8);
  p[11] = static_cast<uint8_t>(ck);
  return p;
}

Bytes udp_data(size_t n = 40) {
  Bytes d(n);
  for (size_t i = 0; i < n; ++i) d[i] = static_cast<uint8_t>(i + 1);
  return d;
}

IcmpVerdict verdict(const Bytes& p, bool l2 = false) {
  return icmp_error_verdict(ByteReader(p.data(), p.size()), l2, kLanBroadcast);
}

TEST(IcmpError, ScapyVectors) {
  const auto records = test::load_vectors("router/icmp_errors.txt");
  ASSERT_GE(records.size(), 6u);
  for (const auto& rec : records) {
    SCOPED_TRACE(rec.at("name"));
    const Bytes orig = test::from_hex(rec.at("original"));
    in_addr src{};
    ASSERT_EQ(inet_pton(AF_INET, rec.at("src").c_str(), &src), 1);
    const IcmpErrorSpec spec{static_cast<uint8_t>(std::stoul(rec.at("type"))),
                             static_cast<uint8_t>(std::stoul(rec.at("code"))),
                             static_cast<uint16_t>(std::stoul(rec.at("mtu"))), ntohl(src.s_addr),
                             static_cast<uint16_t>(std::stoul(rec.at("id")))};
    Bytes out(kIcmpErrorMaxLen);
    const size_t n = build_icmp_error(ByteReader(orig.data(), orig.size()), spec, out);
    ASSERT_GT(n, 0u);
    EXPECT_EQ(test::to_hex(out.data(), n), rec.at("message"));
  }
}

TEST(IcmpError, FragNeededFields) {
  const Bytes orig = packet(kLanHost, kClient, 17, udp_data(1480), wire::kIpv4FlagDf);
  Bytes out(kIcmpErrorMaxLen);
  const size_t n = build_icmp_error(ByteReader(orig.data(), orig.size()),
                                    {kIcmpDestUnreachable, kIcmpCodeFragNeeded, 1400, kLanAddr, 9}, out);
  ASSERT_EQ(n, 20u + 8u + 20u + 8u);
  auto ip = wire::decode_ipv4(ByteReader(out.data(), n));
  ASSERT_TRUE(ip);  // header checksum included
  EXPECT_EQ(ip->src, kLanAddr);
  EXPECT_EQ(ip->dst, kLanHost);
  EXPECT_EQ(ip->protocol, wire::kIpProtoIcmp);
  EXPECT_EQ(ip->ttl, 64);
  EXPECT_EQ(ip->flags_frag, 0);
  EXPECT_EQ(ip->tos & 0xe0, 0xc0);  // precedence 6, RFC 1812 §4.3.2.5
  const uint8_t* icmp = out.data() + 20;
  EXPECT_EQ(icmp[0], 3);
  EXPECT_EQ(icmp[1], 4);
  EXPECT_EQ(wire::fold_checksum(wire::ones_sum(icmp, n - 20)), 0);
  EXPECT_EQ(be16(icmp + 4), 0);     // unused
  EXPECT_EQ(be16(icmp + 6), 1400);  // next-hop MTU, RFC 1191 §4
  // The original header as it was and its first 8 data bytes.
  EXPECT_EQ(Bytes(icmp + 8, icmp + 8 + 28), Bytes(orig.begin(), orig.begin() + 28));
}

TEST(IcmpError, QuotesOptionsAndShortData) {
  // 60-byte header: the message is the maximum size.
  const Bytes big = packet(kClient, kLanHost, 17, udp_data(100), 0, 15);
  Bytes out(kIcmpErrorMaxLen);
  size_t n = build_icmp_error(ByteReader(big.data(), big.size()),
                              {kIcmpTimeExceeded, kIcmpCodeTtlExceeded, 0, kLanAddr, 1}, out);
  ASSERT_EQ(n, kIcmpErrorMaxLen);
  EXPECT_EQ(Bytes(out.begin() + 28, out.begin() + 96), Bytes(big.begin(), big.begin() + 68));
  // Fewer than 8 data bytes: all of them, and nothing past the original's total length.
  Bytes shorty = packet(kClient, kLanHost, 17, udp_data(3));
  shorty.push_back(0xee);  // Ethernet padding past the total length
  n = build_icmp_error(ByteReader(shorty.data(), shorty.size()),
                       {kIcmpTimeExceeded, kIcmpCodeTtlExceeded, 0, kLanAddr, 1}, out);
  EXPECT_EQ(n, 20u + 8u + 23u);
  EXPECT_EQ(be16(out.data() + 2), n);
}

TEST(IcmpError, RefusesBadInputAndSmallBuffers) {
  const Bytes orig = packet(kClient, kLanHost, 17, udp_data());
  const IcmpErrorSpec spec{kIcmpTimeExceeded, kIcmpCodeTtlExceeded, 0, kLanAddr, 1};
  Bytes out(kIcmpErrorMaxLen);
  // One byte short of the message.
  Bytes small(20 + 8 + 28 - 1);
  EXPECT_EQ(build_icmp_error(ByteReader(orig.data(), orig.size()), spec, small), 0u);
  // Truncations at every byte of the header, and a bad checksum.
  for (size_t cut = 0; cut < 20; ++cut)
    EXPECT_EQ(build_icmp_error(ByteReader(orig.data(), cut), spec, out), 0u) << cut;
  Bytes bad = orig;
  bad[11] ^= 0xff;
  EXPECT_EQ(build_icmp_error(ByteReader(bad.data(), bad.size()), spec, out), 0u);
  EXPECT_EQ(verdict(bad), IcmpVerdict::Malformed);
}

TEST(IcmpError, SendsAboutOrdinaryPackets) {
  EXPECT_EQ(verdict(packet(kClient, kLanHost, 17, udp_data())), IcmpVerdict::Send);
  EXPECT_EQ(verdict(packet(kLanHost, kClient, 6, udp_data(), wire::kIpv4FlagDf)), IcmpVerdict::Send);
  // First fragments (offset 0, MF set) are fine.
  EXPECT_EQ(verdict(packet(kClient, kLanHost, 17, udp_data(), wire::kIpv4FlagMf)), IcmpVerdict::Send);
  // ICMP queries: echo, echo reply, timestamp, address mask, router solicitation.
  for (uint8_t type : {0, 8, 9, 10, 13, 14, 15, 16, 17, 18})
    EXPECT_EQ(verdict(packet(kClient, kLanHost, 1, {type, 0, 0, 0, 0, 0, 0, 0})), IcmpVerdict::Send)
        << "type " << int{type};
  // A /31 or /32 LAN has no directed broadcast: 0 disables that check.
  const Bytes to_255 = packet(kClient, kLanBroadcast, 17, udp_data());
  EXPECT_EQ(icmp_error_verdict(ByteReader(to_255.data(), to_255.size()), false, 0), IcmpVerdict::Send);
}

// RFC 1812 §4.3.2.7: "An ICMP error message MUST NOT be sent as the result of receiving: ..."
TEST(IcmpError, NeverAboutAnIcmpError) {
  for (uint8_t type : {3, 4, 5, 11, 12})
    EXPECT_EQ(verdict(packet(kClient, kLanHost, 1, {type, 0, 0, 0, 0, 0, 0, 0})), IcmpVerdict::IcmpError)
        << "type " << int{type};
  // Types that are not known queries count as errors, and so does ICMP with no type octet.
  for (uint8_t type : {1, 2, 6, 7, 19, 30, 40, 255})
    EXPECT_EQ(verdict(packet(kClient, kLanHost, 1, {type, 0, 0, 0})), IcmpVerdict::IcmpError)
        << "type " << int{type};
  EXPECT_EQ(verdict(packet(kClient, kLanHost, 1, {})), IcmpVerdict::IcmpError);
}

TEST(IcmpError, NeverAboutALaterFragment) {
  EXPECT_EQ(verdict(packet(kClient, kLanHost, 17, udp_data(), 1)), IcmpVerdict::NotFirstFragment);
  EXPECT_EQ(verdict(packet(kClient, kLanHost, 17, udp_data(), wire::kIpv4FlagMf | 185)),
            IcmpVerdict::NotFirstFragment);
  // Not even an echo request: the type octet of a later fragment is data.
  EXPECT_EQ(verdict(packet(kClient, kLanHost, 1, {8, 0, 0, 0}, 0x1fff)), IcmpVerdict::NotFirstFragment);
}

TEST(IcmpError, NeverAboutLinkLayerBroadcast) {
  EXPECT_EQ(verdict(packet(kLanHost, kClient, 17, udp_data()), true), IcmpVerdict::LinkBroadcast);
}

TEST(IcmpError, NeverToBroadcastOrMulticastDestinations) {
  for (uint32_t dst : {0xe0000001u /* 224.0.0.1 */, 0xefffffffu /* 239.255.255.255 */,
                       0xffffffffu, kLanBroadcast})
    EXPECT_EQ(verdict(packet(kClient, dst, 17, udp_data())), IcmpVerdict::DstNotUnicast) << std::hex << dst;
}

TEST(IcmpError, NeverToSourcesThatAreNotOneHost) {
  for (uint32_t src : {0u, 0x00000005u /* 0.0.0.5 */, 0x7f000001u /* 127.0.0.1 */,
                       0xe0000005u /* multicast */, 0xf0000001u /* class E */, 0xffffffffu,
                       kLanBroadcast})
    EXPECT_EQ(verdict(packet(src, kLanHost, 17, udp_data())), IcmpVerdict::SrcNotUnicast) << std::hex << src;
}

TEST(IcmpError, TruncationsNeverReadPastTheBuffer) {
  // Every prefix of a valid packet: the verdict reads only what the header says exists.
  const Bytes orig = packet(kClient, kLanHost, 1, {8, 0, 0, 0, 0, 0, 0, 0}, 0, 6);
  for (size_t cut = 0; cut <= orig.size(); ++cut) {
    auto* copy = new uint8_t[cut ? cut : 1];
    std::copy(orig.begin(), orig.begin() + cut, copy);
    const IcmpVerdict v = icmp_error_verdict(ByteReader(copy, cut), false, kLanBroadcast);
    EXPECT_EQ(v, cut == orig.size() ? IcmpVerdict::Send : IcmpVerdict::Malformed) << cut;
    delete[] copy;
  }
}

}  // namespace
}  // namespace l2tpgw::dp
