// SPDX-License-Identifier: Apache-2.0
// PktMeta: the typed mbuf private area carried between stages, workers and the controlplane.
// The layout is part of the punt/inject contract and lives in common/punt.hpp.
#pragma once

#include "common/punt.hpp"

namespace l2tpgw::dp {

using l2tpgw::kPrivSize;
using l2tpgw::meta;
using l2tpgw::PktMeta;
using l2tpgw::PuntKind;

// PktMeta::flags (dataplane-internal). Set by the classify stages (which clear them first) and
// by the stages that create packets.
inline constexpr uint8_t kMetaSpawned = 0x01;      // made by a stage (ICMP error, fragment): never
                                                   // fragmented again nor the cause of an ICMP error
inline constexpr uint8_t kMetaL2Multicast = 0x02;  // arrived in an Ethernet broadcast/multicast frame

}  // namespace l2tpgw::dp
