// SPDX-License-Identifier: Apache-2.0
// A scripted PPP client for PppSession tests: the peer side of LCP, PAP/CHAP/MS-CHAP(-V2)
// and IPCP, driven by a profile of what Windows, iOS/macOS and Linux pppd (xl2tpd) send.
//
// The profiles come from how those stacks behave (pppd's and accel-ppp's sources and logs of
// their exchanges): the option sets of their first Configure-Requests, the authentication
// protocols they accept and in which order they Nak, and the extra protocols they try
// (IPV6CP, CCP) or codes they send (Identification). The client answers what the LNS sends
// and keeps its own requests going; it is written from the RFCs, separately from the LNS
// code, and it checks the MS-CHAP-V2 authenticator response as a real client does.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "controlplane/ppp/auth/chap_crypto.hpp"
#include "controlplane/ppp/wire/auth_packets.hpp"
#include "controlplane/ppp/wire/cp_packet.hpp"
#include "controlplane/ppp/wire/lcp_options.hpp"

namespace l2tpgw::cp::ppp::test {

using Bytes = std::vector<uint8_t>;

struct Frame {
  uint16_t protocol = 0;
  Bytes packet;  // Code onwards
  uint8_t code() const { return packet.empty() ? 0 : packet[0]; }
  uint8_t id() const { return packet.size() > 1 ? packet[1] : 0; }
  Bytes data() const { return packet.size() >= 4 ? Bytes(packet.begin() + 4, packet.end()) : Bytes{}; }
};

inline Bytes packet(uint8_t code, uint8_t id, const Bytes& data) {
  // Built octet by octet: GCC 12 warns (-Warray-bounds, a false positive) on an insert of an
  // empty range behind a four-octet initializer list.
  Bytes p;
  p.reserve(data.size() + 4);
  p.push_back(code);
  p.push_back(id);
  p.push_back(static_cast<uint8_t>((data.size() + 4) >> 8));
  p.push_back(static_cast<uint8_t>(data.size() + 4));
  for (uint8_t b : data) p.push_back(b);
  return p;
}

inline Bytes u32_option(uint8_t type, uint32_t v) {
  return {type, 6, static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 8),
          static_cast<uint8_t>(v)};
}

inline Bytes auth_option(AuthProtocol p) {
  switch (p) {
    case AuthProtocol::Pap: return {3, 4, 0xc0, 0x23};
    case AuthProtocol::ChapMd5: return {3, 5, 0xc2, 0x23, 0x05};
    case AuthProtocol::MsChapV1: return {3, 5, 0xc2, 0x23, 0x80};
    case AuthProtocol::MsChapV2: return {3, 5, 0xc2, 0x23, 0x81};
  }
  return {};
}

struct ClientProfile {
  std::string name;
  std::vector<Bytes> lcp_options;           // its first LCP Configure-Request
  std::vector<AuthProtocol> auth_accept;    // what it will authenticate with, preferred first
  std::vector<Bytes> ipcp_options;          // its first IPCP Configure-Request
  bool ipv6cp = false;                      // tries IPV6CP after authentication
  bool ccp = false;                         // tries CCP (MPPE)
  bool identification = false;              // LCP Identification after LCP opens (RFC 1570)
};

// Windows 10/11 built-in L2TP/IPsec client, "Allow these protocols: MS-CHAP v2" (default).
inline ClientProfile windows() {
  ClientProfile p;
  p.name = "Windows";
  p.lcp_options = {{1, 4, 0x05, 0x78},                     // MRU 1400
                   u32_option(5, 0x2c1d0e4f),               // Magic-Number
                   {7, 2},                                  // PFC
                   {8, 2},                                  // ACFC
                   {13, 3, 6},                              // Callback, operation 6 (CBCP)
                   {17, 4, 0x06, 0x4e},                     // MRRU 1614 (multilink)
                   {19, 23, 1, 0x8a, 0x6b, 0x2f, 0x43, 0x96, 0x11, 0x4e, 0x5d, 0xa1, 0x09,
                    0x7c, 0x3e, 0x22, 0x10, 0x58, 0x0d, 0xbb, 0x4a, 0x00, 0x00}};  // Endpoint (class 1)
  p.auth_accept = {AuthProtocol::MsChapV2};
  p.ipcp_options = {u32_option(3, 0), u32_option(129, 0), u32_option(130, 0), u32_option(131, 0),
                    u32_option(132, 0)};
  p.ipv6cp = true;
  p.ccp = true;
  p.identification = true;
  return p;
}

// iOS / macOS (Apple's pppd-derived stack over L2TP).
inline ClientProfile apple() {
  ClientProfile p;
  p.name = "iOS/macOS";
  p.lcp_options = {{1, 4, 0x05, 0x00},                     // MRU 1280
                   u32_option(2, 0),                        // ACCM 0
                   u32_option(5, 0x5a5a1234),
                   {7, 2},
                   {8, 2}};
  p.auth_accept = {AuthProtocol::MsChapV2, AuthProtocol::ChapMd5, AuthProtocol::MsChapV1, AuthProtocol::Pap};
  p.ipcp_options = {u32_option(3, 0), {2, 6, 0x00, 0x2d, 0x0f, 0x01},  // VJ
                    u32_option(129, 0), u32_option(131, 0)};
  p.ipv6cp = true;
  return p;
}

// Linux pppd 2.4.9 under xl2tpd (options: mru 1410, usepeerdns, noipdefault, noccp).
inline ClientProfile linux_pppd() {
  ClientProfile p;
  p.name = "pppd";
  p.lcp_options = {{1, 4, 0x05, 0x82},                     // MRU 1410
                   u32_option(2, 0),
                   u32_option(5, 0x7f3e9a01),
                   {7, 2},
                   {8, 2}};
  p.auth_accept = {AuthProtocol::MsChapV2, AuthProtocol::MsChapV1, AuthProtocol::ChapMd5, AuthProtocol::Pap};
  p.ipcp_options = {u32_option(3, 0), {2, 6, 0x00, 0x2d, 0x0f, 0x01}, u32_option(129, 0), u32_option(131, 0)};
  return p;
}

// The peer. Call start() once the LNS has sent its first frame, then on_frame() for each
// frame of the LNS; outbox() holds what the client sends.
class PppClient {
 public:
  PppClient(ClientProfile profile, std::string user, std::string password)
      : p_(std::move(profile)), user_(std::move(user)), password_(std::move(password)) {
    lcp_req_ = p_.lcp_options;
    ipcp_req_ = p_.ipcp_options;
  }

  std::deque<Frame>& outbox() { return out_; }
  void start() { send_lcp_request(); }

  void on_frame(const Frame& f) {
    received.push_back(f);
    if (silent || f.protocol == ignore) return;
    switch (f.protocol) {
      case kProtoLcp: lcp(f); break;
      case kProtoPap: pap(f); break;
      case kProtoChap: chap(f); break;
      case kProtoIpcp: ipcp(f); break;
      default: break;
    }
  }

  // What happened.
  bool lcp_opened() const { return lcp_acked_ && lcp_ours_acked_; }
  bool ipcp_opened() const { return ipcp_acked_ && ipcp_ours_acked_; }
  std::optional<AuthProtocol> auth;   // what the LNS asked for and we agreed to
  bool auth_success = false, auth_failure = false, authenticator_verified = false;
  std::string auth_message;           // Success/Failure or Ack/Nak message
  std::vector<uint16_t> protocol_rejected;
  bool terminated = false;            // the LNS's Terminate-Request was acknowledged
  std::string terminate_text;
  std::vector<Frame> received;
  bool silent = false;                // stops answering (a dead peer)
  uint16_t ignore = 0;                // does not answer this protocol
  std::map<uint8_t, uint32_t> ipcp_values;  // our IPCP options as acknowledged
  uint32_t lns_address = 0;
  int code_rejects = 0;

  // The client's own restart timer: what it asked and got no answer to, it asks again.
  void tick() {
    if (silent) return;
    if (!lcp_ours_acked_) send(kProtoLcp, packet(1, lcp_id_, join(lcp_req_)));
    if (!last_auth_.empty() && !auth_success && !auth_failure) send(last_auth_proto_, last_auth_);
    if (network_started_ && !ipcp_ours_acked_) send(kProtoIpcp, packet(1, ipcp_id_, join(ipcp_req_)));
  }
  void send(uint16_t proto, Bytes p) { out_.push_back({proto, std::move(p)}); }

 private:
  static Bytes join(const std::vector<Bytes>& opts) {
    Bytes b;
    for (const auto& o : opts) b.insert(b.end(), o.begin(), o.end());
    return b;
  }
  static std::vector<Bytes> split(const Bytes& data) {
    std::vector<Bytes> out;
    const auto o = decode_options(data);
    if (!o) return out;
    for (const auto& x : *o) out.emplace_back(x.raw.begin(), x.raw.end());
    return out;
  }

  void send_lcp_request() {
    lcp_id_ = ++id_;
    send(kProtoLcp, packet(1, lcp_id_, join(lcp_req_)));
  }
  void send_ipcp_request() {
    ipcp_id_ = ++id_;
    send(kProtoIpcp, packet(1, ipcp_id_, join(ipcp_req_)));
  }

  void lcp(const Frame& f) {
    const Bytes d = f.data();
    switch (f.code()) {
      case 1: {  // the LNS's Configure-Request
        std::vector<Bytes> nak, rej;
        for (const Bytes& o : split(d)) {
          if (o[0] == 3) {
            std::optional<AuthProtocol> asked;
            for (AuthProtocol a : {AuthProtocol::Pap, AuthProtocol::ChapMd5, AuthProtocol::MsChapV1, AuthProtocol::MsChapV2})
              if (auth_option(a) == o) asked = a;
            if (asked && std::find(p_.auth_accept.begin(), p_.auth_accept.end(), *asked) != p_.auth_accept.end()) {
              pending_auth_ = asked;
            } else {
              nak.push_back(auth_option(p_.auth_accept.front()));
            }
          } else if (o[0] != 1 && o[0] != 5) {
            rej.push_back(o);
          }
        }
        if (!rej.empty()) {
          send(kProtoLcp, packet(4, f.id(), join(rej)));
        } else if (!nak.empty()) {
          send(kProtoLcp, packet(3, f.id(), join(nak)));
        } else {
          send(kProtoLcp, packet(2, f.id(), d));
          auth = pending_auth_;
          lcp_acked_ = true;
          maybe_lcp_up();
        }
        break;
      }
      case 2:
        if (f.id() == lcp_id_ && d == join(lcp_req_)) {
          lcp_ours_acked_ = true;
          maybe_lcp_up();
        }
        break;
      case 3:
      case 4: {
        if (f.id() != lcp_id_) break;
        for (const Bytes& o : split(d)) {
          auto it = std::find_if(lcp_req_.begin(), lcp_req_.end(), [&](const Bytes& r) { return r[0] == o[0]; });
          if (it == lcp_req_.end()) continue;
          if (f.code() == 4) lcp_req_.erase(it);
          else *it = o;
        }
        send_lcp_request();
        break;
      }
      case 5:  // Terminate-Request
        terminated = true;
        terminate_text.assign(d.begin(), d.end());
        send(kProtoLcp, packet(6, f.id(), {}));
        break;
      case 7: ++code_rejects; break;
      case 8:
        if (d.size() >= 2) protocol_rejected.push_back(static_cast<uint16_t>(d[0] << 8 | d[1]));
        break;
      case 9: {  // Echo-Request: reply with our magic
        Bytes r = {0x2c, 0x1d, 0x0e, 0x4f};
        r.insert(r.end(), d.begin() + std::min<size_t>(4, d.size()), d.end());
        send(kProtoLcp, packet(10, f.id(), r));
        break;
      }
      default: break;
    }
  }

  void maybe_lcp_up() {
    if (!lcp_opened() || lcp_up_done_) return;
    lcp_up_done_ = true;
    if (p_.identification) send(kProtoLcp, packet(12, ++id_, {0x2c, 0x1d, 0x0e, 0x4f, 'M', 'S', 'R', 'A', 'S'}));
    if (auth == AuthProtocol::Pap) {
      last_auth_proto_ = kProtoPap;
      last_auth_ = build_pap_auth_request(++id_, user_, password_);
      send(kProtoPap, last_auth_);
    } else if (!auth) {
      network();
    }
  }

  void network() {
    network_started_ = true;
    send_ipcp_request();
    if (p_.ipv6cp) send(kProtoIpv6cp, packet(1, ++id_, {1, 10, 0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55}));
    if (p_.ccp) send(kProtoCcp, packet(1, ++id_, {18, 6, 0x01, 0x00, 0x00, 0x60}));
  }

  void pap(const Frame& f) {
    const auto p = decode_cp_packet(f.packet);
    if (!p) return;
    const auto m = decode_pap_reply(*p);
    if (m) auth_message.assign(m->begin(), m->end());
    if (f.code() == 2 && !auth_success) {
      auth_success = true;
      network();
    }
    if (f.code() == 3) auth_failure = true;
  }

  void chap(const Frame& f) {
    const auto p = decode_cp_packet(f.packet);
    if (!p) return;
    if (f.code() == 1) {  // Challenge
      const auto vn = decode_chap_value_name(*p);
      if (!vn || !auth) return;
      challenge_.assign(vn->value.begin(), vn->value.end());
      Bytes value;
      switch (*auth) {
        case AuthProtocol::ChapMd5: {
          const auto r = chap_md5_response(f.id(), password_, challenge_);
          value.assign(r.begin(), r.end());
          break;
        }
        case AuthProtocol::MsChapV1: {
          if (challenge_.size() != 8) return;
          value.assign(24, 0);
          const auto nt = nt_challenge_response(std::span<const uint8_t, 8>(challenge_.data(), 8), password_);
          value.insert(value.end(), nt.begin(), nt.end());
          value.push_back(1);
          break;
        }
        case AuthProtocol::MsChapV2: {
          if (challenge_.size() != 16) return;
          peer_challenge_.assign(16, 0);
          for (size_t i = 0; i < 16; ++i) peer_challenge_[i] = static_cast<uint8_t>(0xa0 + i);
          const auto nt = generate_nt_response(std::span<const uint8_t, 16>(challenge_.data(), 16),
                                               std::span<const uint8_t, 16>(peer_challenge_.data(), 16),
                                               ms_chap_user_name(user_), password_);
          nt_.assign(nt.begin(), nt.end());
          value = peer_challenge_;
          value.resize(24, 0);
          value.insert(value.end(), nt.begin(), nt.end());
          value.push_back(0);
          break;
        }
        case AuthProtocol::Pap: return;
      }
      last_auth_proto_ = kProtoChap;
      last_auth_ = build_chap_value_name(ChapCode::Response, f.id(), value, user_);
      send(kProtoChap, last_auth_);
    } else if (f.code() == 3 || f.code() == 4) {
      auth_message.assign(p->data.begin(), p->data.end());
      if (f.code() == 4) {
        auth_failure = true;
        return;
      }
      if (auth == AuthProtocol::MsChapV2) {
        // RFC 2759 §5: the client checks the authenticator response before going on.
        const std::string expected = generate_authenticator_response(
            password_, std::span<const uint8_t, 24>(nt_.data(), 24),
            std::span<const uint8_t, 16>(peer_challenge_.data(), 16),
            std::span<const uint8_t, 16>(challenge_.data(), 16), ms_chap_user_name(user_));
        authenticator_verified = auth_message.rfind(expected, 0) == 0;
        if (!authenticator_verified) return;
      }
      if (!auth_success) {
        auth_success = true;
        network();
      }
    }
  }

  void ipcp(const Frame& f) {
    const Bytes d = f.data();
    switch (f.code()) {
      case 1: {  // the LNS's request: take its address
        for (const Bytes& o : split(d))
          if (o[0] == 3 && o.size() == 6) lns_address = uint32_t{o[2]} << 24 | o[3] << 16 | o[4] << 8 | o[5];
        send(kProtoIpcp, packet(2, f.id(), d));
        ipcp_acked_ = true;
        break;
      }
      case 2:
        if (f.id() == ipcp_id_ && d == join(ipcp_req_)) {
          ipcp_ours_acked_ = true;
          for (const Bytes& o : ipcp_req_)
            if (o.size() == 6) ipcp_values[o[0]] = uint32_t{o[2]} << 24 | o[3] << 16 | o[4] << 8 | o[5];
        }
        break;
      case 3:
      case 4: {
        if (f.id() != ipcp_id_) break;
        for (const Bytes& o : split(d)) {
          auto it = std::find_if(ipcp_req_.begin(), ipcp_req_.end(), [&](const Bytes& r) { return r[0] == o[0]; });
          if (f.code() == 4) {
            if (it != ipcp_req_.end()) ipcp_req_.erase(it);
          } else if (it != ipcp_req_.end()) {
            *it = o;
          } else {
            ipcp_req_.push_back(o);  // a Nak may carry what we did not ask (RFC 1661 §5.3)
          }
        }
        send_ipcp_request();
        break;
      }
      case 5: send(kProtoIpcp, packet(6, f.id(), {})); break;
      default: break;
    }
  }

  ClientProfile p_;
  std::string user_, password_;
  std::deque<Frame> out_;
  std::vector<Bytes> lcp_req_, ipcp_req_;
  uint8_t id_ = 0x40, lcp_id_ = 0, ipcp_id_ = 0;
  bool lcp_acked_ = false, lcp_ours_acked_ = false, lcp_up_done_ = false;
  bool ipcp_acked_ = false, ipcp_ours_acked_ = false;
  std::optional<AuthProtocol> pending_auth_;
  bool network_started_ = false;
  uint16_t last_auth_proto_ = 0;
  Bytes last_auth_;
  Bytes challenge_, peer_challenge_, nt_;
};

}  // namespace l2tpgw::cp::ppp::test
