// SPDX-License-Identifier: Apache-2.0
// BridgeService: punted L2TPv3 control in, LanToLan, datagrams out through the inject ring.
#include "controlplane/bridge/bridge_service.hpp"

#include <algorithm>

#include "controlplane/l2tp/v3/message.hpp"

namespace l2tpgw::cp::bridge {

namespace {

// The LCCE's settings in the daemon. collision_window: a SCCRQ that lost the tie breaker can
// trail our connection by a round trip and one retransmission (1 s), not by the LCCE's
// default 10 s, while a peer that restarts soon after connecting (a rebooted router, a killed
// process) would be refused that long; 3 s keeps the first apart from the second.
l2tp::v3::Lcce::Config lcce_config() {
  l2tp::v3::Lcce::Config c;
  c.collision_window = std::chrono::seconds(3);
  return c;
}

}  // namespace

BridgeService::BridgeService() = default;

BridgeService::~BridgeService() { detach(); }

PuntHandler BridgeService::l2tp_handler(PuntHandler l2tpv2) {
  return [this, l2tpv2 = std::move(l2tpv2)](PuntedPacket& p) {
    if (!l2tp::v3::is_l2tpv3_control(p.payload)) return l2tpv2 ? l2tpv2(p) : PuntVerdict::Declined;
    if (!l2l_) {
      ++detached_;
      return PuntVerdict::Declined;
    }
    // In the clear (sa_slot 0) for `l2tpv3-raw`, which the LCCE refuses for an `l2tpv3` tunnel;
    // else the inbound SA that carried it (LanToLan checks it is the sender's).
    const l2tp::L2tpPeer peer{p.info.peer_addr, p.info.l2tp_peer_port, p.meta.sa_slot};
    l2l_->on_control(p.payload, peer, EventLoop::now());
    rearm();
    return PuntVerdict::Consumed;  // the channel frees the mbuf: the LCCE copied what it keeps
  };
}

void BridgeService::attach(DaemonServices& s) {
  services_ = &s;
  l2l_ = std::make_unique<LanToLan>(s.installer, static_cast<LanToLanLink&>(*this), s.wan_addr, lcce_config());
  if (cfg_) l2l_->set_config(*cfg_, EventLoop::now());
  l2l_->adopt_installed(EventLoop::now());
  rearm();
}

void BridgeService::detach() {
  if (services_) timer_.cancel(services_->loop);
  l2l_.reset();
  services_ = nullptr;
}

void BridgeService::set_config(const config::Config& c) {
  cfg_ = c;
  if (!l2l_) return;
  l2l_->set_config(c, EventLoop::now());
  rearm();
}

void BridgeService::set_lan_link(bool up) {
  if (!l2l_) return;  // the next attach hears it afresh
  l2l_->set_lan_link(up, EventLoop::now());
  rearm();
}

void BridgeService::rearm() {
  if (!l2l_ || !services_) return;
  const auto next = l2l_->next_deadline();
  if (!next) {
    timer_.cancel(services_->loop);
    return;
  }
  const Duration delay = std::max(Duration::zero(), *next - EventLoop::now());
  timer_.arm(services_->loop, delay, [this] {
    if (!l2l_) return;
    l2l_->on_timer(EventLoop::now());
    rearm();
  });
}

void BridgeService::annotate(ShowSnapshot& s) const {
  if (l2l_) s.l2tpv3 = l2l_->status(EventLoop::now());
}

void BridgeService::annotate(CounterSnapshot& c) const {
  if (!l2l_) return;
  CounterSnapshot::Section pw{"L2TPv3 pseudowires (LAN-to-LAN glue)", {}};
  l2l_->counters().for_each([&](const char* n, uint64_t v) { pw.values.emplace_back(n, v); });
  pw.values.emplace_back("detached_drops", detached_);
  c.protocols.push_back(std::move(pw));
  CounterSnapshot::Section lcce{"L2TPv3 (LCCE)", {}};
  l2l_->lcce_stats().for_each([&](const char* n, uint64_t v) { lcce.values.emplace_back(n, v); });
  c.protocols.push_back(std::move(lcce));
}

bool BridgeService::ipsec_up(const IpsecPair& p) {
  if (!l2l_) return false;
  const bool ours = l2l_->ipsec_up(p, EventLoop::now());
  rearm();
  return ours;
}

bool BridgeService::ipsec_down(const IpsecPair& p) {
  if (!l2l_) return false;
  const bool ours = l2l_->ipsec_down(p, EventLoop::now());
  rearm();
  return ours;
}

bool BridgeService::send_esp(uint32_t sa_slot, std::vector<uint8_t> udp) {
  if (!services_) return false;
  rte_mbuf* m = services_->injector.alloc_copy(udp);
  return m && services_->injector.send_esp(m, sa_slot) == InjectResult::Ok;
}

bool BridgeService::send_udp(uint32_t src, uint32_t dst, std::vector<uint8_t> udp) {
  if (!services_) return false;
  rte_mbuf* m = services_->injector.alloc_copy(udp);
  return m && services_->injector.send_udp(m, src, dst, 0) == InjectResult::Ok;
}

}  // namespace l2tpgw::cp::bridge
