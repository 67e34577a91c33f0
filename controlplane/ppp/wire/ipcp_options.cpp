// SPDX-License-Identifier: Apache-2.0
// IPCP option decoders (RFC 1332 §3, RFC 1877 §1).
#include "controlplane/ppp/wire/ipcp_options.hpp"

#include "common/byte_reader.hpp"

namespace l2tpgw::cp::ppp {

PppResult<uint32_t> decode_ipv4_option(const CpOption& o) {
  if (o.raw.size() != kIpcpAddressLen) return PppParseError::BadOptionSize;
  return *ByteReader(o.value).read_be32();
}

PppResult<IpCompressionOption> decode_ip_compression(const CpOption& o) {
  ByteReader r(o.value);
  const auto proto = r.read_be16();
  if (!proto) return PppParseError::BadOptionSize;
  return IpCompressionOption{*proto, r.rest()};
}

PppResult<bool> check_ipcp_option_size(const CpOption& o) {
  switch (static_cast<IpcpOption>(o.type)) {
    case IpcpOption::IpAddress:
    case IpcpOption::PrimaryDns:
    case IpcpOption::PrimaryNbns:
    case IpcpOption::SecondaryDns:
    case IpcpOption::SecondaryNbns:
      if (!decode_ipv4_option(o)) return PppParseError::BadOptionSize;
      break;
    case IpcpOption::IpCompressionProtocol:
      if (!decode_ip_compression(o)) return PppParseError::BadOptionSize;
      break;
    default: break;
  }
  return true;
}

}  // namespace l2tpgw::cp::ppp
