// SPDX-License-Identifier: Apache-2.0
// Yamaha RTX `ipsec ike ...` / `ipsec sa policy` settings -> the responder's PeerPolicy table.
#include "controlplane/ike/config_map.hpp"

namespace l2tpgw::cp::ike {

ResponderConfig responder_config(const config::Config& c, std::vector<std::string>* notes) {
  ResponderConfig out;
  auto note = [&](uint32_t g, const char* what) {
    if (notes) notes->push_back("ipsec ike gateway " + std::to_string(g) + ": " + what);
  };
  const config::IkeGateway* any_gateway = nullptr;
  for (const auto& [id, g] : c.gateways) {
    if (g.version.value != 1) {
      note(id, "IKE version 2 is not supported; gateway ignored");
      continue;
    }
    if (!g.pre_shared_key.value || g.pre_shared_key.value->key.empty()) {
      note(id, "no pre-shared key; gateway ignored");
      continue;
    }
    if (!g.remote_address.value) {
      note(id, "no `ipsec ike remote address`; gateway ignored");
      continue;
    }
    PeerPolicy p = PeerPolicy::all_supported();
    p.gateway_id = id;
    p.psk = g.pre_shared_key.value->key.reveal();
    p.isakmp_lifetime_max = g.isakmp_sa_lifetime.value;
    p.ipsec_lifetime_max = g.ipsec_sa_lifetime.value;
    p.nat_traversal = g.nat_traversal.value.on;
    // `ipsec ike keepalive use G on dpd [INTERVAL [COUNT]]`: we initiate RFC 3706 DPD. (Without
    // the figures: every 30 s, 5 tries; heartbeat and ICMP echo keepalives are not
    // implemented.)
    const config::IkeKeepalive& ka = g.keepalive.value;
    if (ka.use != config::IkeKeepaliveUse::Off && ka.method == config::IkeKeepalive::Method::Dpd) {
      p.dpd_interval = std::chrono::seconds(ka.interval.value_or(30));
      p.dpd_tries = ka.count.value_or(5);
    }
    // `ipsec sa policy P G esp ...`: the gateway's policy decides the replay check.
    for (const auto& [pid, pol] : c.policies) {
      if (pol.gateway == id) {
        p.anti_replay = pol.anti_replay_check;
        break;
      }
    }
    switch (g.remote_address.value->kind) {
      case config::IkeRemoteAddress::Kind::Address:
        out.policies.set(g.remote_address.value->address.value, std::move(p));
        break;
      case config::IkeRemoteAddress::Kind::Any:
        // Main Mode with pre-shared keys picks the key before the peer's identity is known
        // (RFC 2409 §5): all `any` gateways must share one key, and the first one is used.
        if (any_gateway) {
          if (!(any_gateway->pre_shared_key.value->key == g.pre_shared_key.value->key))
            note(id, "a `remote address any` gateway with another pre-shared key than the first "
                     "one: peers are answered with the first gateway's key");
          break;
        }
        any_gateway = &g;
        out.policies.set_any(std::move(p));
        break;
      case config::IkeRemoteAddress::Kind::Hostname:
        note(id, "a host name as the remote address is not resolved yet; gateway ignored");
        break;
    }
  }
  return out;
}

}  // namespace l2tpgw::cp::ike
