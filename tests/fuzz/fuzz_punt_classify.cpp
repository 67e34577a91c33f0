// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the controlplane's punt classifier (controlplane/punt/classify) over any
// bytes and any punt kind. The first input byte picks the kind; the rest is the punted data.
// Invariants: the payload it reports lies inside the data, IKE payloads hold an ISAKMP
// header, PPP classes carry a non-IPv4 protocol, and Malformed/Unknown report no payload.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "controlplane/punt/classify.hpp"

using namespace l2tpgw;
using namespace l2tpgw::cp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  PktMeta md{};
  md.punt_kind = static_cast<PuntKind>(data[0] % 7);  // every kind and one unknown value
  const std::span<const uint8_t> bytes(data + 1, size - 1);
  const PuntInfo i = classify_punt(md, bytes);
  if (uint64_t{i.payload_off} + i.payload_len > bytes.size()) std::abort();
  switch (i.cls) {
    case PuntClass::Ike:
    case PuntClass::IkeNatT:
      if (i.payload_len < kIsakmpHeaderLen) std::abort();
      break;
    case PuntClass::PppLcp:
    case PuntClass::PppAuth:
    case PuntClass::PppIpcp:
    case PuntClass::PppCcp:
    case PuntClass::PppOther:
      if (i.ppp_protocol == 0x0021 || md.punt_kind != PuntKind::PppControl) std::abort();
      break;
    case PuntClass::L2tpControl:
      // Starts with an L2TP header whose T bit is set.
      if (i.payload_len < 12 || !(bytes[i.payload_off] & 0x80)) std::abort();
      break;
    case PuntClass::Malformed:
    case PuntClass::Unknown:
      if (i.payload_len != 0) std::abort();
      break;
    case PuntClass::ToSelf:
      if (i.payload_len < 20 || (bytes[i.payload_off] >> 4) != 4) std::abort();
      break;
    case PuntClass::Count:
      std::abort();
  }
  return 0;
}
