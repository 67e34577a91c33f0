// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the L2TPv2 LNS machines (controlplane/l2tp/lns) over a sequence of
// datagrams from two peers. Input: records of [peer:1][len:2][bytes], each a control message
// arriving one second after the previous one. Invariants: nothing crashes; after the
// datagrams the timers run until no deadline is left (every tunnel ends: keepalive, state
// timers, linger), and then every tunnel id, session id and interface reserved has been
// given back, every session that came up went down, and every tunnel was closed once.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>

#include "controlplane/l2tp/lns.hpp"

using namespace l2tpgw::cp;
using namespace l2tpgw::cp::l2tp;

namespace {

struct Hooks : LnsHooks {
  std::set<uint16_t> bound, tids, sids, closed;
  uint16_t next = 1;
  int sessions_up = 0;
  std::optional<TunnelPolicy> bind_tunnel(const L2tpPeer&) override {
    for (uint16_t i = 1; i <= 2; ++i)
      if (bound.insert(i).second) {
        TunnelPolicy p;
        p.interface = i;
        p.syslog = true;
        p.auth = i == 2;
        p.secret = "fuzz-secret";
        if (i == 1) p.disconnect_time = std::chrono::seconds(30);  // data_packets never moves
        return p;
      }
    return std::nullopt;
  }
  void unbind_tunnel(uint16_t i) override {
    if (bound.erase(i) != 1) std::abort();
  }
  std::optional<uint16_t> reserve_tunnel_id() override {
    if (tids.size() > 8) return std::nullopt;
    tids.insert(next);
    return next++;
  }
  void release_tunnel_id(uint16_t id) override {
    if (tids.erase(id) != 1 || closed.erase(id) != 1) std::abort();  // closed, then released
  }
  std::optional<uint16_t> reserve_session_id() override {
    if (sids.size() > 8) return std::nullopt;
    sids.insert(next);
    return next++;
  }
  void release_session_id(uint16_t id) override {
    if (sids.erase(id) != 1) std::abort();
  }
  void send(const L2tpPeer&, std::vector<uint8_t>) override {}
  void log_info(const std::string&) override {}
  void log_debug(const std::string&) override {}
  void session_up(const Session&) override { ++sessions_up; }
  void session_down(const Session&) override {
    if (--sessions_up < 0) std::abort();
  }
  void tunnel_closed(uint16_t id) override {
    if (!tids.contains(id) || !closed.insert(id).second) std::abort();
  }
  uint64_t data_packets(uint16_t id) override {
    if (!tids.contains(id)) std::abort();
    return 0;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Hooks hooks;
  {
    Lns lns(hooks, Lns::Config{});
    TimePoint t{};
    size_t off = 0;
    while (off + 3 <= size) {
      const L2tpPeer peer{0xCB00710Au + (data[off] & 1u), 1701, data[off] & 1u ? 7u : 0u};
      const size_t len = std::min<size_t>((data[off + 1] << 8) | data[off + 2], size - off - 3);
      lns.on_control({data + off + 3, len}, peer, t);
      off += 3 + len;
      t += std::chrono::seconds(1);
      lns.on_timer(t);
    }
    for (int i = 0; i < 10000; ++i) {
      auto d = lns.next_deadline();
      if (!d) break;
      t = std::max(t, *d);
      lns.on_timer(t);
    }
    if (lns.next_deadline() || lns.tunnel_count() != 0 || lns.session_count() != 0) std::abort();
  }
  if (!hooks.bound.empty() || !hooks.tids.empty() || !hooks.sids.empty() || hooks.sessions_up != 0)
    std::abort();
  return 0;
}
