// SPDX-License-Identifier: Apache-2.0
// Ipcp: the LNS side of the IP Control Protocol (RFC 1332) with the RFC 1877 name server
// options, plugged into CpFsm.
//
// We request our own IP-Address (the appliance's LAN address, `PP IP Address Local` in
// `show status pp`) when `ppp ipcp ipaddress on`. The peer's IP-Address is Nak'd with the
// address the session was given (0.0.0.0 is the usual request), and one is suggested to a
// peer that asks for none (RFC 1332 §3.3, as pppd does). Primary/Secondary-DNS (129, 131)
// are Nak'd with `dns server` values when `ppp ipcp msext on` and such a server is set, and
// Rejected otherwise; NBNS (130, 132) the same with the NBNS servers (none in the model yet).
// IP-Compression-Protocol (Van Jacobson) and the deprecated IP-Addresses are Rejected.
//
// Thread context: the controlplane loop.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "controlplane/ppp/counters.hpp"
#include "controlplane/ppp/cp_fsm.hpp"
#include "controlplane/ppp/timers.hpp"
#include "controlplane/ppp/wire/ipcp_options.hpp"

namespace l2tpgw::cp::ppp {

struct IpcpPolicy {
  bool request_local_address = false;  // `ppp ipcp ipaddress on`
  uint32_t local_address = 0;          // host order; 0: none to send
  std::array<uint32_t, 2> dns{};       // primary, secondary (host order); 0: not offered
  std::array<uint32_t, 2> nbns{};
  CpFsmConfig fsm;
};

class IpcpListener {
 public:
  virtual ~IpcpListener() = default;
  virtual void ipcp_up() = 0;
  virtual void ipcp_down() = 0;
  virtual void ipcp_finished(CpEvent cause) = 0;
};

class Ipcp final : public CpProtocol {
 public:
  Ipcp(const IpcpPolicy& policy, TimerService& timers, PppCounters& counters, CpFsm::SendFn send,
       IpcpListener& listener);

  CpFsm& fsm() { return fsm_; }
  const CpFsm& fsm() const { return fsm_; }

  // The address the peer must take (set before open()).
  void set_peer_address(uint32_t addr) { assigned_ = addr; }
  uint32_t peer_address() const { return assigned_; }

  // What the peer's acknowledged request held (valid once Opened): the name servers it asked
  // for and got, 0 where it did not ask.
  const std::array<uint32_t, 2>& peer_dns() const { return peer_.dns; }
  const std::array<uint32_t, 2>& peer_nbns() const { return peer_.nbns; }
  bool peer_sent_address() const { return peer_.address; }
  // Our IP-Address as the peer acknowledged it; 0 when not negotiated.
  uint32_t local_address() const { return acked_local_ ? policy_.local_address : 0; }

  // As Lcp's, for `show status pp` (seed 000: "IPCP Local: IP-Address, Remote: IP-Address
  // Primary-DNS(192.168.100.1)").
  std::vector<std::string> local_option_names() const;
  std::vector<std::string> remote_option_names() const;

  // CpProtocol.
  void this_layer_up() override { listener_.ipcp_up(); }
  void this_layer_down(CpEvent) override { listener_.ipcp_down(); }
  void this_layer_finished(CpEvent cause) override { listener_.ipcp_finished(cause); }
  void reset_options() override;
  void add_request_options(CpPacketBuilder& b) override;
  ConfReply check_request(std::span<const CpOption> options, bool reject_if_disagree) override;
  void ack_received() override { acked_local_ = want_local_; }
  bool nak_received(std::span<const CpOption> options) override;
  bool reject_received(std::span<const CpOption> options) override;

 private:
  struct Peer {
    bool address = false;
    std::array<uint32_t, 2> dns{};
    std::array<uint32_t, 2> nbns{};
  };

  IpcpPolicy policy_;
  IpcpListener& listener_;
  CpFsm fsm_;
  uint32_t assigned_ = 0;
  bool want_local_ = false, acked_local_ = false;
  Peer peer_;
};

}  // namespace l2tpgw::cp::ppp
