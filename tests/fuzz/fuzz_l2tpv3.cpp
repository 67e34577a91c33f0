// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: L2TPv3 control (controlplane/l2tp/v3). Two layers:
//   1. the codec: the whole input decoded as one message; what decodes re-encodes, AVP for
//      AVP, into a message that decodes to the same; digest checks run on it;
//   2. an LCCE with two tunnels (tunnel 1 always-on towards peer 0, tunnel 2 with
//      `l2tp tunnel auth` towards peer 1) over records [flags:1][len:2][bytes]:
//        flags bit 0: the peer it comes from; bit 1: write the Control Connection ID of that
//        peer's tunnel into the header (so that messages reach a connection); bit 2: as if
//        ESP-protected; bits 4-7: seconds to let pass before it.
// FUZZ_L2TPV3_TRACE=1 prints the LCCE's log lines (to see what an input reaches).
// Invariants: nothing crashes; after the records every tunnel is removed and the timers run
// until no deadline is left, and then no connection or session remains, every session id
// reserved was released, and every session that came up went down.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "controlplane/l2tp/v3/lcce.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace l2tpgw::cp;
using namespace l2tpgw::cp::l2tp::v3;
using l2tpgw::cp::l2tp::L2tpPeer;

namespace {

constexpr uint32_t kPeer[2] = {0xC6336402, 0xCB007102};  // 198.51.100.2, 203.0.113.2

struct Hooks : LcceHooks {
  std::set<uint32_t> sids;
  uint32_t next = 1;
  int up = 0;
  uint32_t lcg = 1;
  void send(uint16_t, const L2tpPeer&, std::vector<uint8_t> d) override {
    // What we send must decode.
    fuzz_check(decode_control(d).msg.has_value());
  }
  std::optional<uint32_t> reserve_session_id(uint16_t) override {
    if (sids.size() >= 4) return std::nullopt;
    sids.insert(next);
    return next++;
  }
  void release_session_id(uint32_t id) override { fuzz_check(sids.erase(id) == 1); }
  const bool trace = std::getenv("FUZZ_L2TPV3_TRACE") != nullptr;
  void log_info(const std::string& l) override {
    if (trace) std::fprintf(stderr, "%s\n", l.c_str());
  }
  void log_debug(const std::string& l) override {
    if (trace) std::fprintf(stderr, "  %s\n", l.c_str());
  }
  void random_bytes(std::span<uint8_t> out) override {
    for (uint8_t& b : out) {
      lcg = lcg * 1103515245u + 12345u;
      b = static_cast<uint8_t>(lcg >> 16);
    }
  }
  void session_up(const PseudowireSession& s) override {
    fuzz_check(s.session_id != 0 && s.peer_session_id != 0);
    ++up;
  }
  void session_down(const PseudowireSession&) override { fuzz_check(--up >= 0); }
};

void fuzz_codec(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> in(data, size);
  const DecodeResult r = decode_control(in);
  if (!r.msg) return;
  const ControlMessage& m = *r.msg;
  fuzz_check(m.length >= kHeaderLen && m.length <= size);
  fuzz_check(m.digest_at == 0 || m.digest_at < m.length);
  MessageAuth a;
  a.shared_key = derive_shared_key("fuzz");
  (void)verify_digest(in, m, a);
  (void)m.unknown_mandatory();
  for (const Avp& x : m.avps) (void)describe(x, (x.type & 1) != 0);
  if (m.zlb) {
    fuzz_check(ControlBuilder::zlb(m.hdr.ccid).finish(m.hdr.ns, m.hdr.nr).size() == kHeaderLen);
    return;
  }
  ControlBuilder b(m.type, m.hdr.ccid);
  for (size_t i = 1; i < m.avps.size(); ++i) {
    const Avp& x = m.avps[i];
    b.raw(x.vendor, x.type, x.value, x.mandatory, x.hidden);
  }
  const auto again = b.finish(m.hdr.ns, m.hdr.nr);
  const DecodeResult r2 = decode_control(again);
  fuzz_check(r2.msg.has_value());
  fuzz_check(r2.msg->type == m.type && r2.msg->hdr.ccid == m.hdr.ccid);
  fuzz_check(r2.msg->avps.size() == m.avps.size());
  for (size_t i = 1; i < m.avps.size(); ++i) {
    const Avp& x = m.avps[i];
    const Avp& y = r2.msg->avps[i];
    fuzz_check(x.vendor == y.vendor && x.type == y.type && x.value == y.value &&
               x.hidden == y.hidden && x.mandatory == y.mandatory);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz_codec(data, size);

  Hooks hooks;
  {
    Lcce::Config cfg;
    Lcce lcce(hooks, cfg);
    TimePoint t{};
    for (uint16_t i = 1; i <= 2; ++i) {
      LcceTunnelConfig c;
      c.interface = i;
      c.local_addr = 0xC0000201;
      c.remote_addr = kPeer[i - 1];
      c.always_on = i == 1;
      c.remote_router_id = i == 1 ? std::optional<uint32_t>(0xC0A86402) : std::nullopt;
      c.remote_end_id = i == 1 ? "TESTEND" : "";
      c.auth = i == 2;
      c.secret = "fuzz-secret";
      c.digest = DigestType::HmacSha1;
      c.keepalive_interval = 10;
      c.syslog = true;
      c.cookie_len = i == 1 ? 8 : 4;
      lcce.add_tunnel(c, t);
    }
    size_t off = 0;
    while (off + 3 <= size) {
      const uint8_t flags = data[off];
      const size_t len = std::min<size_t>((data[off + 1] << 8) | data[off + 2], size - off - 3);
      std::vector<uint8_t> d(data + off + 3, data + off + 3 + len);
      off += 3 + len;
      const unsigned peer = flags & 1u;
      if ((flags & 2u) && d.size() >= 8) {
        uint32_t ccid = 0;
        for (const LcceTunnelStatus& s : lcce.status(t))
          if (s.interface == peer + 1) ccid = s.ccid;
        d[4] = static_cast<uint8_t>(ccid >> 24);
        d[5] = static_cast<uint8_t>(ccid >> 16);
        d[6] = static_cast<uint8_t>(ccid >> 8);
        d[7] = static_cast<uint8_t>(ccid);
      }
      t += std::chrono::seconds(flags >> 4);
      lcce.on_timer(t);
      lcce.on_control(d, L2tpPeer{kPeer[peer], 1701, (flags & 4u) ? 1u : 0u}, t);
      if (flags & 8u) lcce.set_circuit_status(1, (flags & 0x10u) != 0, t);
    }
    lcce.remove_tunnel(1, t);
    lcce.remove_tunnel(2, t);
    for (int i = 0; i < 10000; ++i) {
      auto d = lcce.next_deadline();
      if (!d) break;
      t = std::max(t, *d);
      lcce.on_timer(t);
    }
    fuzz_check(!lcce.next_deadline());
    fuzz_check(lcce.connection_count() == 0 && lcce.session_count() == 0);
    fuzz_check(lcce.status(t).empty());
  }
  fuzz_check(hooks.sids.empty());
  fuzz_check(hooks.up == 0);
  return 0;
}
