// SPDX-License-Identifier: Apache-2.0
// ShmInstaller: the Installer over the dataplane's shared tables (TableWriter).
#pragma once

#include "common/tables/table_writer.hpp"
#include "controlplane/install/installer.hpp"

namespace l2tpgw::cp {

class ShmInstaller final : public Installer {
 public:
  // Becomes the tables' single writer. TableWriter rebuilds its free lists from what is
  // published, so a restarted controlplane continues where the previous one stopped; this
  // blocks for one RCU grace period (slots the previous writer retired may still be read).
  ShmInstaller(tables::SharedTables tables, uint64_t rng_seed) : w_(tables, rng_seed) {}

  Outcome<uint32_t> alloc_spi() override;
  bool release_spi(uint32_t spi) override { return w_.release_spi(spi); }
  Outcome<uint16_t> reserve_tunnel_id() override;
  bool release_tunnel_id(uint16_t id) override { return w_.release_tunnel_id(id); }
  Outcome<uint16_t> reserve_session_id() override;
  bool release_session_id(uint16_t id) override { return w_.release_session_id(id); }
  Outcome<uint32_t> add_sa(const tables::SaParams& p) override;
  std::vector<std::pair<uint32_t, uint32_t>> pool_ranges() const override {
    const tables::ShmHeader& h = w_.tables().header();
    std::vector<std::pair<uint32_t, uint32_t>> out;
    for (uint32_t i = 0; i < h.n_pools; ++i)
      out.emplace_back(h.pools[i].base, h.pools[i].base + h.pools[i].size - 1);
    return out;
  }
  bool del_sa(uint32_t slot) override { return w_.del_sa(slot); }
  std::optional<SaUsage> query_sa(uint32_t slot) const override;

  Outcome<uint16_t> add_tunnel(const tables::TunnelParams& p) override;
  bool update_tunnel_sa_out(uint16_t tunnel_id, uint32_t sa_slot) override {
    return w_.set_tunnel_sa_out(tunnel_id, sa_slot);
  }
  bool del_tunnel(uint16_t tunnel_id) override { return w_.del_tunnel(tunnel_id); }
  bool retire_tunnel(uint16_t tunnel_id) override { return w_.retire_tunnel(tunnel_id); }
  Outcome<uint16_t> add_session(const tables::SessionParams& p) override;
  bool del_session(uint16_t session_id) override { return w_.del_session(session_id); }
  bool retire_session(uint16_t session_id) override { return w_.retire_session(session_id); }
  std::optional<SessionUsage> query_session(uint16_t session_id) const override;

  Outcome<uint32_t> reserve_pw_session_id() override;
  bool release_pw_session_id(uint32_t id) override { return w_.release_pw_session_id(id); }
  Outcome<uint32_t> add_pseudowire(const tables::PseudowireParams& p) override;
  bool del_pseudowire(uint32_t id) override { return w_.del_pseudowire(id); }
  bool update_pseudowire_sa_out(uint32_t id, uint32_t sa_slot) override {
    return w_.set_pseudowire_sa_out(id, sa_slot);
  }
  std::optional<SessionUsage> query_pseudowire(uint32_t id) const override;
  std::vector<InstalledPseudowire> pseudowires() const override;

  std::vector<InstalledSa> sas() const override;
  std::vector<InstalledTunnel> tunnels() const override;
  std::vector<InstalledSession> sessions() const override;

  void reclaim() override { w_.reclaim(false); }
  size_t pending_reclaims() const override { return w_.pending_reclaims(); }

  const tables::SharedTables& tables() const { return w_.tables(); }

 private:
  tables::TableWriter w_;
};

}  // namespace l2tpgw::cp
