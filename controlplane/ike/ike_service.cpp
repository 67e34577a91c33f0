// SPDX-License-Identifier: Apache-2.0
// IkeService: punted IKE in, the responder, frames out through the inject ring.
#include "controlplane/ike/ike_service.hpp"

#include <rte_mbuf.h>

#include <algorithm>

#include "controlplane/ike/config_map.hpp"
#include "controlplane/log/log.hpp"

namespace l2tpgw::cp::ike {

IkeService::IkeService(size_t max_links) : max_links_(std::max<size_t>(max_links, 1)) {}

IkeService::~IkeService() { detach(); }

PuntHandler IkeService::punt_handler() {
  return [this](PuntedPacket& p) { return on_punt(p); };
}

void IkeService::set_config(const config::Config& c) {
  std::vector<std::string> notes;
  cfg_ = responder_config(c, &notes);
  transports_ = transports_by_gateway(c);
  for (const std::string& n : notes) logf(LogLevel::Warning, "[IKE] %s", n.c_str());
  if (responder_) {
    responder_->set_config(cfg_);
    start_connections();
  }
}

void IkeService::start_connections() {
  if (!responder_ || !services_) return;
  responder_->initiate_configured(EventLoop::now());
  flush();
  rearm();
}

bool IkeService::initiate(const Connection& c) {
  if (!responder_ || !services_) return false;
  responder_->initiate(c, EventLoop::now());
  flush();
  rearm();
  return true;
}

void IkeService::stop_initiating(uint32_t peer_addr) {
  if (responder_) responder_->stop_initiating(peer_addr);
}

void IkeService::set_hooks(IkeHooks h) {
  hooks_ = std::move(h);
  if (responder_) responder_->set_hooks(hooks_);
}

void IkeService::attach(DaemonServices& s) {
  services_ = &s;
  responder_ = std::make_unique<IkeResponder>(cfg_, s.installer);
  responder_->set_hooks(hooks_);
  if (cfg_.policies.empty())
    logf(LogLevel::Notice, "[IKE] no usable `ipsec ike` gateway: IKE requests are refused");
  start_connections();
}

void IkeService::detach() {
  if (services_) timer_.cancel(services_->loop);
  responder_.reset();
  services_ = nullptr;
  links_.clear();
}

PuntVerdict IkeService::on_punt(PuntedPacket& p) {
  if (!responder_ || !services_) {
    ++counters_.detached;
    return PuntVerdict::Declined;
  }
  const PuntInfo& info = p.info;
  // The way back: the frame's own Ethernet addresses, swapped when we answer.
  if (auto link = link_of_frame(std::span<const uint8_t>(rte_pktmbuf_mtod(p.m, const uint8_t*),
                                                         p.m->data_len))) {
    auto it = links_.find(info.peer_addr);
    if (it == links_.end() && links_.size() >= max_links_) links_.erase(links_.begin());
    links_[info.peer_addr] = *link;
  }
  ++counters_.received;
  responder_->on_datagram(Endpoint{info.local_addr, info.local_port},
                          Endpoint{info.peer_addr, info.peer_port}, p.payload, EventLoop::now());
  flush();
  rearm();
  return PuntVerdict::Consumed;  // the channel frees the mbuf: the responder copied what it keeps
}

void IkeService::nat_peer_seen(uint32_t slot_in, uint32_t addr, uint16_t port) {
  if (responder_ && services_) responder_->nat_peer_seen(slot_in, Endpoint{addr, port}, EventLoop::now());
}

void IkeService::sa_expiring(uint32_t slot) {
  if (!responder_ || !services_) return;
  responder_->outbound_expiring(slot, EventLoop::now());
  flush();
  rearm();
}

bool IkeService::delete_peer(uint32_t peer_index, const char* why) {
  if (!responder_ || !services_) return false;
  const bool any = responder_->delete_peer(peer_index, EventLoop::now(), why);
  flush();
  rearm();
  return any;
}

void IkeService::flush() {
  for (const Datagram& d : responder_->take_outbox()) {
    auto link = links_.find(d.peer.addr);
    if (link == links_.end()) {
      // A peer we start talking to: worker 0 adds IPv4 and Ethernet, resolving the peer (on
      // the WAN subnet) or the WAN gateway by ARP, as it does for L2TPv3 control.
      rte_mbuf* m =
          services_->injector.alloc_copy(build_ike_udp(d.local, d.peer, d.message, d.nat_keepalive));
      if (!m) {
        ++counters_.no_mbuf;
        continue;
      }
      if (services_->injector.send_udp(m, d.local.addr, d.peer.addr, 0) == InjectResult::Ok) {
        ++counters_.routed;
      } else {
        ++counters_.inject_failed;
      }
      continue;
    }
    const Bytes frame =
        build_ike_frame(link->second, d.local, d.peer, d.message, ip_id_++, d.nat_keepalive);
    rte_mbuf* m = services_->injector.alloc_copy(frame);
    if (!m) {
      ++counters_.no_mbuf;  // the Injector's counters say whether the pool or the size
      continue;
    }
    // Worker 0 transmits on the WAN port; the send always takes the mbuf.
    if (services_->injector.send_raw(m, TxPort::Wan, 0) == InjectResult::Ok) {
      ++counters_.sent;
    } else {
      ++counters_.inject_failed;
    }
  }
}

void IkeService::annotate(CounterSnapshot& c) const {
  CounterSnapshot::Section s{"IKE", {}};
  s.values = {{"received", counters_.received},   {"detached", counters_.detached},
              {"sent", counters_.sent},           {"routed", counters_.routed},
              {"no_mbuf", counters_.no_mbuf},
              {"inject_failed", counters_.inject_failed}};
  if (responder_) {
    const IkeCounters& k = responder_->counters();
    for (size_t i = 0; i < kIkeCounterCount; ++i)
      s.values.emplace_back(std::string(to_string(static_cast<IkeCounter>(i))), k.value[i]);
    for (size_t i = 0; i < kWireErrorCount; ++i)
      s.values.emplace_back("malformed." + std::string(to_string(static_cast<WireError>(i))), k.wire_errors[i]);
    s.values.emplace_back("ike_sas", responder_->ike_sa_count());
    s.values.emplace_back("half_open", responder_->half_open_count());
    s.values.emplace_back("child_sas", responder_->child_sa_count());
  }
  c.protocols.push_back(std::move(s));
}

void IkeService::annotate(ShowSnapshot& s, TimePoint now) const {
  if (!responder_) return;
  // Rounded up, so an SA shows its whole lifetime in the second it is made and 0 only once due.
  auto left = [now](TimePoint end) {
    const auto secs = std::chrono::ceil<std::chrono::seconds>(end - now).count();
    return static_cast<uint32_t>(std::max<decltype(secs)>(0, secs));
  };
  for (const IkeSaView& v : responder_->ike_sas())
    if (v.state == MainModeState::Auth)
      s.isakmp.push_back({v.serial, v.gateway_id, v.peer.addr, left(v.expires), id_text(v.peer_id)});
  for (const ChildSaEvent& c : responder_->child_sas()) {
    auto t = transports_.find(c.gateway_id);
    s.ipsec.push_back({c.slot_in, c.slot_out, c.ike_serial, c.gateway_id,
                       t == transports_.end() ? 0 : t->second, c.peer_index, c.peer.addr,
                       left(c.installed + std::chrono::seconds(c.lifetime)), id_text(c.peer_id),
                       c.natt ? c.peer.port : uint16_t{0}});
  }
}

void IkeService::rearm() {
  auto next = responder_->next_deadline();
  if (!next) {
    timer_.cancel(services_->loop);
    return;
  }
  const Duration delay = std::max(Duration::zero(), *next - EventLoop::now());
  timer_.arm(services_->loop, delay, [this] {
    if (!responder_) return;
    responder_->on_timer(EventLoop::now());
    flush();
    rearm();
  });
}

}  // namespace l2tpgw::cp::ike
