// SPDX-License-Identifier: Apache-2.0
// FakeInstaller: an in-memory Installer for exchange tests. It checks what TableWriter checks
// (a tunnel's outbound SA exists and belongs to its peer, a session's tunnel exists, a client
// address is used once), records every call in order, and can be told to fail the next call
// of a kind, so tests see what a protocol machine installed and how it copes with refusals.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "controlplane/install/installer.hpp"

namespace l2tpgw::cp {

class FakeInstaller final : public Installer {
 public:
  enum class Op : uint8_t {
    AllocSpi, ReleaseSpi, AddSa, DelSa, ReserveTunnelId, ReleaseTunnelId, ReserveSessionId,
    ReleaseSessionId, AddTunnel, UpdateTunnelSaOut, DelTunnel, AddSession, DelSession,
    RetireSession, RetireTunnel, ReservePwSessionId, ReleasePwSessionId, AddPseudowire,
    DelPseudowire, UpdatePseudowireSaOut
  };
  struct Call {
    Op op;
    uint32_t id;  // the slot/id/SPI the call produced or named (0 when it failed)
  };

  explicit FakeInstaller(uint32_t capacity = 64) : capacity_(capacity) {}

  Outcome<uint32_t> alloc_spi() override;
  bool release_spi(uint32_t spi) override;
  Outcome<uint32_t> add_sa(const tables::SaParams& p) override;
  bool del_sa(uint32_t slot) override;
  std::optional<SaUsage> query_sa(uint32_t slot) const override;

  Outcome<uint16_t> reserve_tunnel_id() override;
  bool release_tunnel_id(uint16_t id) override;
  Outcome<uint16_t> reserve_session_id() override;
  bool release_session_id(uint16_t id) override;
  Outcome<uint16_t> add_tunnel(const tables::TunnelParams& p) override;
  bool update_tunnel_sa_out(uint16_t tunnel_id, uint32_t sa_slot) override;
  bool del_tunnel(uint16_t tunnel_id) override;
  bool retire_tunnel(uint16_t tunnel_id) override;
  Outcome<uint16_t> add_session(const tables::SessionParams& p) override;
  bool del_session(uint16_t session_id) override;
  bool retire_session(uint16_t session_id) override;
  std::optional<SessionUsage> query_session(uint16_t session_id) const override;

  Outcome<uint32_t> reserve_pw_session_id() override;
  bool release_pw_session_id(uint32_t id) override;
  Outcome<uint32_t> add_pseudowire(const tables::PseudowireParams& p) override;
  bool del_pseudowire(uint32_t id) override;
  bool update_pseudowire_sa_out(uint32_t id, uint32_t sa_slot) override;
  std::optional<SessionUsage> query_pseudowire(uint32_t id) const override;
  std::vector<InstalledPseudowire> pseudowires() const override;

  std::vector<InstalledSa> sas() const override;
  std::vector<InstalledTunnel> tunnels() const override;
  std::vector<InstalledSession> sessions() const override;

  void reclaim() override {}
  size_t pending_reclaims() const override { return 0; }

  // Test controls.
  void fail_next(Op op, std::string why = "injected failure") { failures_[op] = std::move(why); }
  void set_sa_usage(uint32_t slot, SaUsage u) { sa_usage_[slot] = u; }
  void set_session_usage(uint16_t id, SessionUsage u) { session_usage_[id] = u; }
  void set_pseudowire_usage(uint32_t id, SessionUsage u) { pw_usage_[id] = u; }
  // What add_pseudowire was given, cookies included, by our Session ID.
  struct Pseudowire {
    InstalledPseudowire record;
    std::vector<uint8_t> local_cookie, peer_cookie;
  };
  const std::map<uint32_t, Pseudowire>& pseudowire_params() const { return pws_; }
  const std::set<uint32_t>& reserved_pw_session_ids() const { return reserved_pws_; }
  const std::vector<Call>& calls() const { return calls_; }
  void clear_calls() { calls_.clear(); }

 private:
  bool take_failure(Op op, std::string* why);
  bool tunnel_has_sessions(uint16_t tunnel_id) const;  // TableWriter refuses del_tunnel then
  uint32_t free_id(const std::set<uint32_t>& used) const;

  uint32_t capacity_;
  std::map<uint32_t, InstalledSa> sas_;
  std::map<uint16_t, InstalledTunnel> tunnels_;
  std::map<uint16_t, InstalledSession> sessions_;
  std::set<uint32_t> reserved_;  // SPIs from alloc_spi
  std::set<uint32_t> reserved_tunnels_, reserved_sessions_;  // from reserve_*_id
  std::map<uint32_t, SaUsage> sa_usage_;
  std::map<uint16_t, SessionUsage> session_usage_;
  std::map<uint32_t, Pseudowire> pws_;         // by our Session ID
  std::set<uint32_t> reserved_pws_;            // from reserve_pw_session_id
  std::map<uint32_t, SessionUsage> pw_usage_;
  std::map<Op, std::string> failures_;
  std::vector<Call> calls_;
  uint32_t next_tag_ = 1;
};

}  // namespace l2tpgw::cp
