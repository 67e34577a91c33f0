// SPDX-License-Identifier: Apache-2.0
// Teardown: session -> tunnel -> SAs, each step only when nothing else uses what it removes.
#include "controlplane/install/teardown.hpp"

#include <algorithm>

namespace l2tpgw::cp {
namespace {

void finish_tunnel(Installer& inst, const InstalledTunnel& t, TeardownResult& r) {
  if (inst.del_tunnel(t.id)) r.tunnels.push_back(t.id);
  for (const InstalledTunnel& other : inst.tunnels())
    if (other.peer_index == t.peer_index) return;  // the peering still carries a tunnel
  // Inbound first: the client's packets stop being accepted before ours stop being sent.
  std::vector<InstalledSa> sas = inst.sas();
  std::stable_partition(sas.begin(), sas.end(), [](const InstalledSa& s) {
    return s.direction == tables::SaDirection::Inbound;
  });
  for (const InstalledSa& s : sas)
    if (s.peer_index == t.peer_index && inst.del_sa(s.slot)) r.sas.push_back(s.slot);
}

std::optional<InstalledTunnel> find_tunnel(const Installer& inst, uint16_t id) {
  for (const InstalledTunnel& t : inst.tunnels())
    if (t.id == id) return t;
  return std::nullopt;
}

}  // namespace

TeardownResult disconnect_session(Installer& inst, uint16_t session_id) {
  TeardownResult r;
  const std::vector<InstalledSession> sessions = inst.sessions();
  auto it = std::find_if(sessions.begin(), sessions.end(),
                         [&](const InstalledSession& s) { return s.id == session_id; });
  if (it == sessions.end()) {
    r.error = "no L2TP session " + std::to_string(session_id) + " is installed";
    return r;
  }
  const uint16_t tid = it->tunnel_id;
  if (!inst.del_session(session_id)) {
    r.error = "session " + std::to_string(session_id) + " could not be removed";
    return r;
  }
  r.sessions.emplace_back(tid, session_id);
  const bool tunnel_in_use = std::any_of(sessions.begin(), sessions.end(), [&](const InstalledSession& s) {
    return s.id != session_id && s.tunnel_id == tid;
  });
  if (!tunnel_in_use)
    if (auto t = find_tunnel(inst, tid)) finish_tunnel(inst, *t, r);
  return r;
}

TeardownResult disconnect_tunnel(Installer& inst, uint16_t tunnel_id) {
  TeardownResult r;
  const std::optional<InstalledTunnel> t = find_tunnel(inst, tunnel_id);
  if (!t) {
    r.error = "no L2TP tunnel " + std::to_string(tunnel_id) + " is installed";
    return r;
  }
  for (const InstalledSession& s : inst.sessions())
    if (s.tunnel_id == tunnel_id && inst.del_session(s.id)) r.sessions.emplace_back(tunnel_id, s.id);
  finish_tunnel(inst, *t, r);
  return r;
}

}  // namespace l2tpgw::cp
