// SPDX-License-Identifier: Apache-2.0
// AccessService: punted L2TP and PPP in, RemoteAccess, datagrams out through the inject ring.
#include "controlplane/access/access_service.hpp"

namespace l2tpgw::cp::access {

AccessService::AccessService() = default;

AccessService::~AccessService() { detach(); }

PuntHandler AccessService::l2tp_handler() {
  return [this](PuntedPacket& p) {
    if (!access_) {
      ++detached_;
      return PuntVerdict::Declined;
    }
    // The client's current outer address (NAT-T aware), its L2TP port and the SA it used.
    const l2tp::L2tpPeer peer{p.info.peer_addr, p.info.l2tp_peer_port, p.meta.sa_slot};
    access_->on_l2tp_control(p.payload, peer);
    return PuntVerdict::Consumed;  // the channel frees the mbuf: nothing keeps pointers into it
  };
}

PuntHandler AccessService::ppp_handler() {
  return [this](PuntedPacket& p) {
    if (!access_) {
      ++detached_;
      return PuntVerdict::Declined;
    }
    access_->on_ppp(p.info.l2tp_tunnel_id, p.info.l2tp_session_id, p.meta.sa_slot,
                    p.info.ppp_protocol, p.payload);
    return PuntVerdict::Consumed;
  };
}

void AccessService::attach(DaemonServices& s) {
  services_ = &s;
  timers_ = std::make_unique<ppp::LoopTimers>(s.loop);
  access_ = std::make_unique<RemoteAccess>(s.installer, *timers_, random_,
                                           static_cast<RemoteAccessLink&>(*this),
                                           [] { return EventLoop::now(); });
  if (cfg_) access_->set_config(*cfg_);
  access_->set_drop_peer(drop_peer_);
}

void AccessService::detach() {
  access_.reset();
  timers_.reset();
  services_ = nullptr;
}

void AccessService::set_config(const config::Config& c) {
  cfg_ = c;
  if (access_) access_->set_config(c);
}

void AccessService::set_drop_peer(std::function<void(uint32_t)> drop) {
  drop_peer_ = std::move(drop);
  if (access_) access_->set_drop_peer(drop_peer_);
}

void AccessService::ipsec_up(const IpsecPair& p) {
  if (access_) access_->ipsec_up(p);
}

void AccessService::ipsec_down(const IpsecPair& p) {
  if (access_) access_->ipsec_down(p);
}

void AccessService::annotate(ShowSnapshot& s) const {
  if (!access_) return;
  s.l2tp = access_->l2tp_status();
  s.tunnel_pp = access_->numbered_pp_tunnels();
  for (const PpSessionStatus& p : access_->pp_status()) {
    ShowSnapshot::PpView v;
    v.lcp = ppp::format_option_line("LCP", p.options.lcp_local, p.options.lcp_remote);
    v.ipcp = ppp::format_option_line("IPCP", p.options.ipcp_local, p.options.ipcp_remote);
    v.username = p.username;  // CCP is never negotiated (Protocol-Reject): None
    s.pp[p.session_id] = std::move(v);
  }
}

void AccessService::annotate(CounterSnapshot& c) const {
  if (!access_) return;
  CounterSnapshot::Section ra{"Remote access (L2TP/PPP glue)", {}};
  access_->counters().for_each([&](const char* n, uint64_t v) { ra.values.emplace_back(n, v); });
  ra.values.emplace_back("detached_drops", detached_);
  c.protocols.push_back(std::move(ra));
  CounterSnapshot::Section lns{"L2TP (LNS)", {}};
  access_->lns_stats().for_each([&](const char* n, uint64_t v) { lns.values.emplace_back(n, v); });
  c.protocols.push_back(std::move(lns));
  for (const auto& [pp, counters] : access_->ppp_counters()) {
    CounterSnapshot::Section sec{pp == config::kPpAnonymous ? std::string("PPP (pp anonymous)")
                                                            : "PPP (pp " + std::to_string(pp) + ")",
                                 {}};
    counters->for_each([&](std::string_view n, uint64_t v) { sec.values.emplace_back(std::string(n), v); });
    c.protocols.push_back(std::move(sec));
  }
}

bool AccessService::send_esp(uint32_t slot_out, std::vector<uint8_t> udp) {
  if (!services_) return false;
  rte_mbuf* m = services_->injector.alloc_copy(udp);
  return m && services_->injector.send_esp(m, slot_out) == InjectResult::Ok;
}

}  // namespace l2tpgw::cp::access
