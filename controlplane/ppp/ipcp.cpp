// SPDX-License-Identifier: Apache-2.0
// IPCP option policy of the LNS (RFC 1332 §3, RFC 1877 §1).
#include "controlplane/ppp/ipcp.hpp"

namespace l2tpgw::cp::ppp {

namespace {

constexpr uint8_t type_of(IpcpOption o) { return static_cast<uint8_t>(o); }

void append(std::vector<uint8_t>& out, std::span<const uint8_t> raw) {
  out.insert(out.end(), raw.begin(), raw.end());
}

void append_address(std::vector<uint8_t>& out, uint8_t type, uint32_t v) {
  const uint8_t o[6] = {type, kIpcpAddressLen, static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
                        static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
  append(out, o);
}

// RFC 1877 §1: 129 and 131 are the DNS servers, 130 and 132 the NBNS servers.
int server_index(uint8_t type) {
  return (type == type_of(IpcpOption::PrimaryDns) || type == type_of(IpcpOption::PrimaryNbns)) ? 0 : 1;
}

}  // namespace

Ipcp::Ipcp(const IpcpPolicy& policy, TimerService& timers, PppCounters& counters, CpFsm::SendFn send,
           IpcpListener& listener)
    : policy_(policy),
      listener_(listener),
      fsm_("IPCP", *this, policy_.fsm, timers, counters, counters.ipcp, std::move(send)) {}

// Our side only: the peer's values are replaced by each acknowledged request, and the
// automaton asks for a verdict on the peer's request before it sends ours (Opened, RCR:
// tld,scr,sca), so clearing them here would lose the request being acknowledged.
void Ipcp::reset_options() {
  want_local_ = policy_.request_local_address && policy_.local_address != 0;
  acked_local_ = false;
}

void Ipcp::add_request_options(CpPacketBuilder& b) {
  if (want_local_) b.option_u32(type_of(IpcpOption::IpAddress), policy_.local_address);
}

ConfReply Ipcp::check_request(std::span<const CpOption> options, bool reject_if_disagree) {
  std::vector<uint8_t> rej, nak;
  Peer next;
  bool asked_address = false;
  auto disagree = [&](const CpOption& o, uint8_t type, uint32_t value) {
    if (reject_if_disagree) append(rej, o.raw);
    else append_address(nak, type, value);
  };
  for (const CpOption& o : options) {
    switch (static_cast<IpcpOption>(o.type)) {
      case IpcpOption::IpAddress: {
        // RFC 1332 §3.3: a request for 0.0.0.0 asks us to provide the address, which a
        // Configure-Nak does; any other address than the session's is Nak'd the same way,
        // since the dataplane drops traffic from anything but the assigned address.
        const auto addr = decode_ipv4_option(o);
        asked_address = true;
        if (!addr || assigned_ == 0) {
          append(rej, o.raw);
        } else if (*addr != assigned_) {
          disagree(o, o.type, assigned_);
        } else {
          next.address = true;
        }
        break;
      }
      case IpcpOption::PrimaryDns:
      case IpcpOption::SecondaryDns:
      case IpcpOption::PrimaryNbns:
      case IpcpOption::SecondaryNbns: {
        // RFC 1877 §1: the peer asks for a server (usually with 0.0.0.0); we Nak with ours,
        // or Reject when we have none to give, so that it stops asking.
        const auto addr = decode_ipv4_option(o);
        const bool dns = o.type == type_of(IpcpOption::PrimaryDns) || o.type == type_of(IpcpOption::SecondaryDns);
        const int i = server_index(o.type);
        const uint32_t ours = dns ? policy_.dns[i] : policy_.nbns[i];
        if (!addr || ours == 0) {
          append(rej, o.raw);
        } else if (*addr != ours) {
          disagree(o, o.type, ours);
        } else {
          (dns ? next.dns : next.nbns)[i] = ours;
        }
        break;
      }
      // RFC 1332 §3.2 IP-Compression-Protocol: Van Jacobson compression is not offered (the
      // dataplane forwards plain IPv4). §3.1 IP-Addresses is deprecated. Anything else is
      // unknown to us.
      default: append(rej, o.raw); break;
    }
  }
  if (!rej.empty()) return ConfReply{CpCode::ConfRej, std::move(rej)};
  // A peer that asks for no address is told the one it has: RFC 1332 §3.3 has the option
  // appended to a Configure-Nak when the remote address must be negotiated (and RFC 1661 §5.3
  // lets a Nak carry options the request lacked), unless Max-Failure says to stop insisting.
  if (!asked_address && assigned_ != 0 && !reject_if_disagree)
    append_address(nak, type_of(IpcpOption::IpAddress), assigned_);
  if (!nak.empty()) return ConfReply{CpCode::ConfNak, std::move(nak)};
  peer_ = next;
  return ConfReply{CpCode::ConfAck, {}};
}

std::vector<std::string> Ipcp::local_option_names() const {
  if (!acked_local_) return {};
  return {"IP-Address"};
}

std::vector<std::string> Ipcp::remote_option_names() const {
  std::vector<std::string> n;
  if (peer_.address) n.emplace_back("IP-Address");
  static constexpr const char* kNames[2][2] = {{"Primary-DNS", "Secondary-DNS"}, {"Primary-NBNS", "Secondary-NBNS"}};
  for (int kind = 0; kind < 2; ++kind) {
    const auto& servers = kind == 0 ? peer_.dns : peer_.nbns;
    for (int i = 0; i < 2; ++i) {
      const uint32_t a = servers[i];
      if (a == 0) continue;
      n.push_back(std::string(kNames[kind][i]) + "(" + std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 0xff) +
                  "." + std::to_string((a >> 8) & 0xff) + "." + std::to_string(a & 0xff) + ")");
    }
  }
  return n;
}

// The peer would like us to use another address: ours is the appliance's, not negotiable,
// so the same request goes again (until Max-Configure). Values are checked for size only.
bool Ipcp::nak_received(std::span<const CpOption> options) {
  for (const CpOption& o : options) {
    if (!check_ipcp_option_size(o)) return false;
  }
  return true;
}

bool Ipcp::reject_received(std::span<const CpOption> options) {
  for (const CpOption& o : options) {
    if (o.type != type_of(IpcpOption::IpAddress) || !want_local_) return false;
    const auto addr = decode_ipv4_option(o);
    if (!addr || *addr != policy_.local_address) return false;
  }
  if (!options.empty()) want_local_ = false;
  return true;
}

}  // namespace l2tpgw::cp::ppp
