// SPDX-License-Identifier: Apache-2.0
// Yamaha RTX defaults for every setting l2tpgw reads, and the appliance's own limits, in one place.
//
// Where each value comes from: the "[初期値]" (initial value) line of the command's page in the
// Yamaha RTX command reference (コマンドリファレンス, Rev.14.00/15.02 editions; the same
// pages are on rtpro.yamaha.co.jp/RT/manual/). The values were taken from that reference as the
// engineers who wrote this remember it; no copy of the reference was at hand to re-check them,
// and the ones marked "(unsure)" are the ones most worth re-checking against a router (on a
// factory-default box, a command set to its initial value disappears from `show config`).
#pragma once

#include <cstdint>

#include "controlplane/config/keywords.hpp"

namespace l2tpgw::cp::config::defaults {

// ---- PP (the PPP side of an L2TP call) ----
// `pp auth request`: [初期値] none: no authentication is requested.
// `pp auth accept`:  [初期値] none: no method is accepted.
// `ppp ipcp ipaddress on|off`: [初期値] off.
inline constexpr bool kIpcpIpaddress = false;
// `ppp ipcp msext on|off` (RFC 1877 DNS/NBNS options): [初期値] off.
inline constexpr bool kIpcpMsext = false;
// `pp auth multi connect prohibit`: off, one user name may hold several sessions (RTX
// command reference, "pp auth multi connect prohibit").
inline constexpr bool kPpAuthMultiConnectProhibit = false;
// `ppp lcp mru on|off [length]`: [初期値] on, 1500.
inline constexpr bool kLcpMruOn = true;
inline constexpr uint16_t kLcpMru = 1500;
// `ppp ccp type`: [初期値] stac (PPPoE recipes set `ppp ccp type none` because of it). l2tpgw
// never negotiates CCP whatever this says; the value is kept so that `show config` is faithful.
inline constexpr CcpType kCcpType = CcpType::Stac;
// `ip pp mtu`: [初期値] 1500.
inline constexpr uint16_t kPpMtu = 1500;
// `pp enable` / `tunnel enable`: [初期値] disabled (`pp disable all`, `tunnel disable all`).
inline constexpr bool kPpEnabled = false;
inline constexpr bool kTunnelEnabled = false;

// ---- Tunnel ----
// `tunnel encapsulation`: [初期値] ipsec (an IPsec tunnel-mode interface).
inline constexpr TunnelEncapsulation kTunnelEncapsulation = TunnelEncapsulation::Ipsec;
// `l2tp tunnel disconnect time time|off`: [初期値] 60 (seconds of no data before the tunnel is
// closed).
inline constexpr uint32_t kL2tpDisconnectTime = 60;
// `l2tp keepalive use on|off [interval [count]]`: [初期値] on, 60 s, 3.
inline constexpr bool kL2tpKeepaliveOn = true;
inline constexpr uint16_t kL2tpKeepaliveInterval = 60;
inline constexpr uint16_t kL2tpKeepaliveCount = 3;
// `l2tp keepalive log on|off`: [初期値] off.
inline constexpr bool kL2tpKeepaliveLog = false;
// `l2tp syslog on|off`: [初期値] off.
inline constexpr bool kL2tpSyslog = false;
// `l2tp tunnel auth on|off [password]`: [初期値] off.
inline constexpr bool kL2tpTunnelAuth = false;
// `l2tp always-on on|off` (L2TPv3): [初期値] off.
inline constexpr bool kL2tpAlwaysOn = false;
// `ip tunnel tcp mss limit mss|auto|off`: [初期値] off.
inline constexpr TcpMssMode kTcpMssLimit = TcpMssMode::Off;
// `l2tp local router-id`, `l2tp remote router-id`, `l2tp remote end-id`: [初期値] none.

// ---- Global ----
// `l2tp service on|off [l2tpv2] [l2tpv3]`: [初期値] off. With no version given, both
// L2TPv2 and L2TPv3 are served (unsure: the L2TPv3 pages always spell `l2tp service on
// l2tpv3`, which this reading also accepts).
inline constexpr bool kL2tpService = false;
inline constexpr bool kL2tpServiceL2tpv2 = true;
inline constexpr bool kL2tpServiceL2tpv3 = true;
// `pptp service on|off`: [初期値] off.
inline constexpr bool kPptpService = false;
// `ipsec auto refresh on|off` (global): [初期値] off.
inline constexpr bool kIpsecAutoRefresh = false;
// `ip INTERFACE proxyarp on|off`: [初期値] off.
inline constexpr bool kProxyArp = false;

// ---- IKE, per security gateway (`ipsec ike ... gateway_id`) ----
// `ipsec ike encryption`: [初期値] 3des-cbc.
inline constexpr IkeEncryption kIkeEncryption = IkeEncryption::TdesCbc;
// `ipsec ike hash`: [初期値] sha.
inline constexpr IkeHash kIkeHash = IkeHash::Sha;
// `ipsec ike group`: [初期値] modp768 (unsure: the seed's template example sets modp1024
// explicitly, which fits a different default, but also fits wanting a stronger group).
inline constexpr IkeGroup kIkeGroup = IkeGroup::Modp768;
// `ipsec ike nat-traversal gateway_id on|off`: [初期値] off.
inline constexpr bool kIkeNatTraversal = false;
// `ipsec ike nat-traversal gateway_id on keepalive=interval`: [初期値] 300 seconds (unsure;
// RFC 3948 §4 suggests 20, which keepalive=20 gives).
inline constexpr uint16_t kIkeNatKeepalive = 300;
// `ipsec ike keepalive use gateway_id on|off|auto`: [初期値] auto.
inline constexpr IkeKeepaliveUse kIkeKeepaliveUse = IkeKeepaliveUse::Auto;
// `ipsec ike keepalive log gateway_id on|off`: [初期値] on (unsure).
inline constexpr bool kIkeKeepaliveLog = true;
// `ipsec ike pfs gateway_id on|off`: [初期値] off.
inline constexpr bool kIkePfs = false;
// `ipsec ike negotiate-strictly gateway_id on|off`: [初期値] off -- as a responder the router
// accepts any algorithm it supports; on, only the gateway's `ipsec ike encryption|hash|group`
// and its `ipsec sa policy` ESP algorithms.
inline constexpr bool kIkeNegotiateStrictly = false;
// `ipsec ike duration isakmp-sa gateway_id second` and `... ipsec-sa ...`: [初期値] 28800 s
// (the seed's `show ipsec sa` shows 28777 s left on fresh SAs).
inline constexpr uint32_t kIkeIsakmpSaLifetime = 28800;
inline constexpr uint32_t kIkeIpsecSaLifetime = 28800;
// `ipsec ike duration ipsec-sa gateway_id second [kbytes] [rekey REKEY]`: kbytes 100-100000,
// [初期値] none; REKEY (isakmp-sa too) 70%-90% of the lifetime or off, [初期値] 75%: when the
// router starts the SA's successor.
inline constexpr uint32_t kIkeSaKilobytesMin = 100;
inline constexpr uint32_t kIkeSaKilobytesMax = 100000;
inline constexpr uint32_t kIkeRekeyPercent = 75;
inline constexpr uint32_t kIkeRekeyPercentMin = 70;
inline constexpr uint32_t kIkeRekeyPercentMax = 90;
// `ipsec auto refresh gateway_id on|off`: [初期値] on (it only acts when the global
// `ipsec auto refresh` is on).
inline constexpr bool kIkeAutoRefresh = true;
// `ipsec ike version gateway_id 1|2`: [初期値] 1.
inline constexpr uint8_t kIkeVersion = 1;
// `ipsec sa policy ... anti-replay-check=on|off`: [初期値] on.
inline constexpr bool kAntiReplayCheck = true;

// ---- l2tpgw's own limits (not Yamaha's) ----
// Yamaha §1.5: a command line holds at most 4095 characters.
inline constexpr uint32_t kMaxLineLength = 4095;
// Tunnel and pp numbers: the RTX5000 has 3000 tunnels; l2tpgw aims past that class.
inline constexpr uint32_t kMaxTunnelId = 10000;
inline constexpr uint32_t kMaxPpId = 10000;
// Security gateway ids follow the tunnel numbers (tunnel templates rewrite them to the tunnel's).
inline constexpr uint32_t kMaxGatewayId = kMaxTunnelId;
// SA policy and transport ids.
inline constexpr uint32_t kMaxPolicyId = 65535;
inline constexpr uint32_t kMaxTransportId = 65535;
// Pre-shared key: at most 128 characters of text or 128 bytes of hex (RTX reference).
inline constexpr uint32_t kMaxPreSharedKey = 128;

}  // namespace l2tpgw::cp::config::defaults
