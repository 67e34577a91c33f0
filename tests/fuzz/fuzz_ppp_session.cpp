// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: PppSession (LCP, the authenticators, IPCP, the automaton, the pool) fed
// frames, timer steps, closes and lower-layer drops the input chooses, on a fake clock.
//
// Input: one policy octet, then records [kind][length high][length low][payload]:
//   kind 0: a PPP frame from the peer (input_frame); kind 1: the clock moves payload[0] x 100
//   ms; kind 2: close(); kind 3: lower_down(); anything else: ignored.
// The policy octet picks `pp auth request` (mschap-v2, chap, pap, none, mschap) and the
// pool's size; with SequenceRandom(99) and the seed policy the corpus replays the exchanges
// of tests/unit/controlplane/ppp/session_test.cpp (tests/fuzz/make_ppp_session_corpus.py).
//
// Checked: every packet sent is a well-formed control packet of a protocol we speak; an
// address is never held twice; network up/down alternate; closed comes once, after which
// nothing is sent; after the session is gone, the pool and the user book are empty again.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_check.hpp"
#include "controlplane/log/log.hpp"
#include "controlplane/ppp/session.hpp"

using namespace l2tpgw::cp;
using namespace l2tpgw::cp::ppp;

namespace {


constexpr uint32_t kLan = 0xc0a86401;

config::PpUser user(const char* name, const char* password) {
  config::PpUser u;
  u.name = name;
  u.password = config::Secret(password);
  return u;
}

struct Listener : PppSessionListener {
  PpContext* ctx = nullptr;
  bool up = false, closed = false;
  uint32_t addr = 0;
  void ppp_send(uint16_t protocol, std::span<const uint8_t> packet) override {
    fuzz_check(!closed);
    fuzz_check(protocol == kProtoLcp || protocol == kProtoIpcp || protocol == kProtoPap || protocol == kProtoChap);
    const auto p = decode_cp_packet(packet);
    fuzz_check(p.ok() && p->packet.size() == packet.size());
    // Only replies that mirror the peer's options (Configure-Ack/Nak/Reject) may be larger
    // than 1500 octets: rejects and echo replies are truncated (RFC 1661 §5.6, §5.7).
    const bool mirrors = (protocol == kProtoLcp || protocol == kProtoIpcp) && packet[0] >= 2 && packet[0] <= 4;
    fuzz_check(packet.size() <= 1500 || mirrors);
  }
  void ppp_network_up(const PppNetworkParams& n) override {
    fuzz_check(!up && !closed);
    up = true;
    addr = n.client_address;
    fuzz_check(ctx->pool().held(addr));
    fuzz_check(n.mtu <= n.peer_mru && n.mtu <= 1500);
  }
  void ppp_network_down() override {
    fuzz_check(up);
    up = false;
  }
  void ppp_closed(PppCloseReason) override {
    fuzz_check(!closed && !up);
    closed = true;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::vector<std::string> log_lines;  // captured, so that nothing is printed
  log_lines.clear();
  log_capture(&log_lines);
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  PppPolicy p;
  switch (mode % 5) {
    case 0: p.lcp.auth = {AuthProtocol::MsChapV2}; break;
    case 1: p.lcp.auth = {AuthProtocol::ChapMd5}; break;
    case 2: p.lcp.auth = {AuthProtocol::Pap}; break;
    case 3: break;
    case 4: p.lcp.auth = {AuthProtocol::MsChapV1}; break;
  }
  p.ipcp.request_local_address = true;
  p.ipcp.local_address = kLan;
  p.ipcp.dns = {0xc0000235, 0};
  p.lcp.echo_interval = (mode & 0x80) ? std::chrono::milliseconds(20000) : std::chrono::milliseconds(0);
  const uint32_t pool_size = (mode & 0x40) ? 1 : 11;
  p.pool = {{0xc0a8640a, 0xc0a8640a + pool_size - 1}};
  p.multi_connect_prohibit = (mode & 0x20) != 0;
  PpContext ctx(p, {user("l2tp_user1", "l2tp_password1"), user("l2tp_user2", "l2tp_password2"),
                    user("l2tp_user3", "l2tp_password3")});
  ManualTimers timers;
  SequenceRandom random(99);
  Listener listener;
  listener.ctx = &ctx;
  {
    auto session = std::make_unique<PppSession>(ctx, timers, random, listener, "fuzz");
    session->start();
    size_t at = 1;
    while (size - at >= 3) {
      const uint8_t kind = data[at];
      const size_t len = size_t{data[at + 1]} << 8 | data[at + 2];
      at += 3;
      if (len > size - at) break;
      const std::span<const uint8_t> payload(data + at, len);
      at += len;
      switch (kind) {
        case 0: session->input_frame(payload); break;
        case 1: timers.advance(std::chrono::milliseconds(100) * (payload.empty() ? 1 : payload[0])); break;
        case 2: session->close(); break;
        case 3: session->lower_down(); break;
        default: break;
      }
      fuzz_check(ctx.pool().in_use() <= 1);
      fuzz_check(listener.up == session->network_up());
    }
    // The peer falls silent: every timer runs out (echo failures, retransmissions) until
    // the link has ended, or is up and idle with nothing pending.
    for (int i = 0; i < 20 && !session->finished() && timers.armed() > 0; ++i)
      timers.advance(std::chrono::seconds(30));
    fuzz_check(session->finished() || (session->lcp_state() == CpState::Opened && timers.armed() == 0));
  }
  // The session is gone: what it held is given back, and no timer of it is left.
  fuzz_check(ctx.pool().in_use() == 0);
  fuzz_check(ctx.sessions_of("l2tp_user1") + ctx.sessions_of("l2tp_user2") + ctx.sessions_of("l2tp_user3") == 0);
  fuzz_check(timers.armed() == 0);
  return 0;
}
