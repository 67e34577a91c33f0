// SPDX-License-Identifier: Apache-2.0
#include "controlplane/config/dataplane_settings.hpp"

#include <algorithm>

#include "common/ipv4_text.hpp"

namespace l2tpgw::cp::config {
namespace {

bool on_subnet(const Ipv4Prefix& p, Ipv4 a) {
  const uint32_t mask = p.length == 0 ? 0 : ~uint32_t{0} << (32 - p.length);
  return (p.address.value & mask) == (a.value & mask);
}

const Interface* interface(const Config& cfg, const char* name) {
  auto it = cfg.interfaces.find(name);
  return it == cfg.interfaces.end() ? nullptr : &it->second;
}

}  // namespace

DataplaneSettings dataplane_settings(const Config& cfg, std::optional<Ipv4Prefix> wan_hint) {
  DataplaneSettings s;
  // bridge1 with lan1 among its members: the LAN port is bridged, its address is bridge1's.
  const Interface* lan = interface(cfg, "lan1");
  if (auto b = cfg.bridges.find("bridge1"); b != cfg.bridges.end()) {
    const auto& m = b->second.members;
    if (std::find(m.begin(), m.end(), "lan1") != m.end()) {
      s.bridge_lan = FromLine<bool>{true, b->second.line};
      lan = interface(cfg, "bridge1");
    }
  }
  if (lan && lan->address.value) s.lan = FromLine<Ipv4Prefix>{*lan->address.value, lan->address.line};
  if (lan && lan->proxyarp.is_set()) s.lan_proxy_arp = FromLine<bool>{lan->proxyarp.value, lan->proxyarp.line};
  if (const Interface* wan = interface(cfg, "lan2"); wan && wan->address.value)
    s.wan = FromLine<Ipv4Prefix>{*wan->address.value, wan->address.line};
  const std::optional<Ipv4Prefix> wan_net = s.wan ? std::optional(s.wan->value) : wan_hint;

  for (const auto& [dest, route] : cfg.routes) {
    if (route.gateway.kind != RouteGateway::Kind::Address) continue;  // pp / tunnel routes
    const Ipv4 gw = route.gateway.address;
    const bool is_default = dest.length == 0;
    std::optional<FromLine<Ipv4>>* slot = nullptr;
    if (s.lan && on_subnet(s.lan->value, gw)) slot = &s.lan_gateway;
    else if (is_default && wan_net && on_subnet(*wan_net, gw)) slot = &s.wan_gateway;
    if (slot == nullptr) {
      s.errors.push_back(std::to_string(route.line) + ": the gateway " + format_ipv4(gw.value) +
                         " is on neither the LAN nor the WAN subnet");
      continue;
    }
    if (*slot && (*slot)->value != gw) {
      s.errors.push_back(std::to_string(route.line) + ": the dataplane has one next hop per port; " +
                         format_ipv4((*slot)->value.value) + " (line " + std::to_string((*slot)->line) +
                         ") is already that port's");
      continue;
    }
    *slot = FromLine<Ipv4>{gw, route.line};
  }

  std::vector<Ipv4Range> pools;
  for (const auto& [id, pp] : cfg.pps) {
    for (const Ipv4Range& r : pp.remote_address.value.pool) pools.push_back(r);
    if (const auto& fixed = pp.remote_address.value.address) pools.push_back(Ipv4Range{*fixed, *fixed});
  }
  std::sort(pools.begin(), pools.end(),
            [](const Ipv4Range& a, const Ipv4Range& b) { return a.first < b.first; });
  for (const Ipv4Range& r : pools) {
    if (!s.pools.empty() && uint64_t{r.first.value} <= uint64_t{s.pools.back().last.value} + 1)
      s.pools.back().last = std::max(s.pools.back().last, r.last);
    else
      s.pools.push_back(r);
  }
  while (s.pools.size() > kDataplanePoolRanges) {
    size_t closest = 0;
    auto gap = [&](size_t i) { return s.pools[i + 1].first.value - s.pools[i].last.value; };
    for (size_t i = 1; i + 1 < s.pools.size(); ++i)
      if (gap(i) < gap(closest)) closest = i;
    s.pools[closest].last = s.pools[closest + 1].last;
    s.pools.erase(s.pools.begin() + static_cast<std::ptrdiff_t>(closest) + 1);
  }
  return s;
}

std::vector<Diagnostic> addresses_outside(const Config& cfg,
                                           const std::vector<std::pair<uint32_t, uint32_t>>& ranges) {
  auto covered = [&](const Ipv4Range& r) {
    for (const auto& [first, last] : ranges)
      if (first <= r.first.value && r.last.value <= last) return true;
    return false;
  };
  std::string dataplane;
  for (const auto& [first, last] : ranges)
    dataplane += (dataplane.empty() ? "" : ", ") + format_ipv4(first) + "-" + format_ipv4(last);
  if (dataplane.empty()) dataplane = "none";
  std::vector<Diagnostic> out;
  for (const auto& [id, pp] : cfg.pps) {
    const PpRemoteAddress& ra = pp.remote_address.value;
    std::vector<Ipv4Range> given = ra.pool;
    if (ra.address) given.push_back(Ipv4Range{*ra.address, *ra.address});
    for (const Ipv4Range& r : given) {
      if (covered(r)) continue;
      const std::string what = r.first == r.last ? format_ipv4(r.first.value)
                                                 : format_ipv4(r.first.value) + "-" + format_ipv4(r.last.value);
      out.push_back({pp.remote_address.line, Severity::Warning,
                     what + " is outside the dataplane's client address ranges (" + dataplane +
                         "): a client given it cannot be installed until the dataplane restarts "
                         "with this file"});
    }
  }
  return out;
}

}  // namespace l2tpgw::cp::config
