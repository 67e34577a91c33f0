// SPDX-License-Identifier: Apache-2.0
// Byte builders for punted packets in controlplane tests: Ethernet, IPv4 (with a correct
// header checksum), UDP, L2TPv2 and PPP headers, written field by field from the RFCs.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

namespace l2tpgw::cp::test {

using Bytes = std::vector<uint8_t>;

inline void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
inline void put32(Bytes& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v));
}
inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline Bytes ether(uint16_t type = 0x0800) {
  Bytes b = {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2};
  put16(b, type);
  return b;
}

// RFC 791 header (no options) in front of `payload`.
inline Bytes ipv4(uint32_t src, uint32_t dst, uint8_t proto, const Bytes& payload) {
  Bytes h;
  h.push_back(0x45);
  h.push_back(0);
  put16(h, static_cast<uint16_t>(20 + payload.size()));
  put16(h, 0x1234);
  put16(h, 0);
  h.push_back(64);
  h.push_back(proto);
  put16(h, 0);
  put32(h, src);
  put32(h, dst);
  uint32_t sum = 0;
  for (size_t i = 0; i < 20; i += 2) sum += (h[i] << 8) | h[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  const uint16_t ck = static_cast<uint16_t>(~sum);
  h[10] = static_cast<uint8_t>(ck >> 8);
  h[11] = static_cast<uint8_t>(ck);
  return cat({h, payload});
}

inline Bytes udp(uint16_t sport, uint16_t dport, const Bytes& payload) {
  Bytes h;
  put16(h, sport);
  put16(h, dport);
  put16(h, static_cast<uint16_t>(8 + payload.size()));
  put16(h, 0);
  return cat({h, payload});
}

// An ISAKMP header (RFC 2408 §3.1): cookies, next payload, version, exchange, flags, id, length.
inline Bytes isakmp(size_t extra = 0) {
  Bytes b(16, 0xab);
  b.push_back(1);     // SA
  b.push_back(0x10);  // 1.0
  b.push_back(2);     // Identity Protection (Main Mode)
  b.push_back(0);
  put32(b, 0);
  put32(b, static_cast<uint32_t>(28 + extra));
  b.insert(b.end(), extra, 0);
  return b;
}

// RFC 2661 §3.1 control message header (T, L, S set) with `body` AVPs.
inline Bytes l2tp_control(uint16_t tunnel, uint16_t session, const Bytes& body) {
  Bytes b;
  put16(b, 0xc802);
  put16(b, static_cast<uint16_t>(12 + body.size()));
  put16(b, tunnel);
  put16(b, session);
  put16(b, 0);  // Ns
  put16(b, 0);  // Nr
  return cat({b, body});
}

// RFC 2661 §3.1 data message header without optional fields.
inline Bytes l2tp_data(uint16_t tunnel, uint16_t session, const Bytes& body) {
  Bytes b;
  put16(b, 0x0002);
  put16(b, tunnel);
  put16(b, session);
  return cat({b, body});
}

// PPP in HDLC-like framing's address/control (FF 03) and a two-byte protocol.
inline Bytes ppp(uint16_t protocol, const Bytes& body) {
  Bytes b = {0xff, 0x03};
  put16(b, protocol);
  return cat({b, body});
}

}  // namespace l2tpgw::cp::test
