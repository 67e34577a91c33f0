// SPDX-License-Identifier: Apache-2.0
// The keywords of the RTX command language that name a choice: enums and their spellings,
// shared by the parser, the printer and defaults.hpp.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace l2tpgw::cp::config {

template <class E>
struct Keyword {
  std::string_view name;
  E value;
};

template <class E, size_t N>
constexpr std::optional<E> find_keyword(const std::array<Keyword<E>, N>& table, std::string_view s) {
  for (const auto& k : table)
    if (k.name == s) return k.value;
  return std::nullopt;
}

template <class E, size_t N>
constexpr std::string_view keyword_name(const std::array<Keyword<E>, N>& table, E v) {
  for (const auto& k : table)
    if (k.value == v) return k.name;
  return "?";
}

// "a, b, c": the spellings a message lists when a keyword is not one of them.
template <class E, size_t N>
std::string keyword_list(const std::array<Keyword<E>, N>& table) {
  std::string out;
  for (const auto& k : table) {
    if (!out.empty()) out += ", ";
    out += k.name;
  }
  return out;
}

// `pp auth request` and `pp auth accept` methods. ChapPap is a request-only spelling.
enum class PpAuthMethod : uint8_t { Pap, Chap, Mschap, MschapV2, ChapPap };
inline constexpr std::array<Keyword<PpAuthMethod>, 5> kPpAuthMethods = {{
    {"pap", PpAuthMethod::Pap},
    {"chap", PpAuthMethod::Chap},
    {"mschap", PpAuthMethod::Mschap},
    {"mschap-v2", PpAuthMethod::MschapV2},
    {"chap-pap", PpAuthMethod::ChapPap},
}};

enum class CcpType : uint8_t { None, Stac0, Stac, Cstac, Mppe40, Mppe128, MppeAny };
inline constexpr std::array<Keyword<CcpType>, 7> kCcpTypes = {{
    {"none", CcpType::None},
    {"stac0", CcpType::Stac0},
    {"stac", CcpType::Stac},
    {"cstac", CcpType::Cstac},
    {"mppe-40", CcpType::Mppe40},
    {"mppe-128", CcpType::Mppe128},
    {"mppe-any", CcpType::MppeAny},
}};

enum class TunnelEncapsulation : uint8_t { Ipsec, L2tp, L2tpv3, L2tpv3Raw, Pptp };
inline constexpr std::array<Keyword<TunnelEncapsulation>, 5> kTunnelEncapsulations = {{
    {"ipsec", TunnelEncapsulation::Ipsec},
    {"l2tp", TunnelEncapsulation::L2tp},
    {"l2tpv3", TunnelEncapsulation::L2tpv3},
    {"l2tpv3-raw", TunnelEncapsulation::L2tpv3Raw},
    {"pptp", TunnelEncapsulation::Pptp},
}};

// `ip tunnel tcp mss limit auto|off|MSS`.
enum class TcpMssMode : uint8_t { Off, Auto, Fixed };

enum class IkeEncryption : uint8_t { DesCbc, TdesCbc, AesCbc, Aes256Cbc };
inline constexpr std::array<Keyword<IkeEncryption>, 4> kIkeEncryptions = {{
    {"des-cbc", IkeEncryption::DesCbc},
    {"3des-cbc", IkeEncryption::TdesCbc},
    {"aes-cbc", IkeEncryption::AesCbc},
    {"aes256-cbc", IkeEncryption::Aes256Cbc},
}};

enum class IkeHash : uint8_t { Md5, Sha, Sha256 };
inline constexpr std::array<Keyword<IkeHash>, 3> kIkeHashes = {{
    {"md5", IkeHash::Md5},
    {"sha", IkeHash::Sha},
    {"sha256", IkeHash::Sha256},
}};

// RFC 2409 §6.1/§6.2 (768, 1024) and RFC 3526 §2/§3 (1536, 2048) MODP groups.
enum class IkeGroup : uint8_t { Modp768, Modp1024, Modp1536, Modp2048 };
inline constexpr std::array<Keyword<IkeGroup>, 4> kIkeGroups = {{
    {"modp768", IkeGroup::Modp768},
    {"modp1024", IkeGroup::Modp1024},
    {"modp1536", IkeGroup::Modp1536},
    {"modp2048", IkeGroup::Modp2048},
}};

// IKE identity types of `ipsec ike local|remote name G NAME [TYPE]` (RFC 2407 §4.6.2.1).
enum class IkeIdType : uint8_t { Ipv4Addr, Fqdn, UserFqdn, KeyId };
inline constexpr std::array<Keyword<IkeIdType>, 4> kIkeIdTypes = {{
    {"ipv4-addr", IkeIdType::Ipv4Addr},
    {"fqdn", IkeIdType::Fqdn},
    {"user-fqdn", IkeIdType::UserFqdn},
    {"key-id", IkeIdType::KeyId},
}};

// `ipsec ike keepalive use G on|off|auto`.
enum class IkeKeepaliveUse : uint8_t { Off, On, Auto };

// IP protocol names `ipsec transport` takes (IANA protocol numbers).
inline constexpr std::array<Keyword<uint8_t>, 6> kIpProtocols = {{
    {"icmp", 1},
    {"tcp", 6},
    {"udp", 17},
    {"gre", 47},
    {"esp", 50},
    {"ah", 51},
}};

}  // namespace l2tpgw::cp::config
