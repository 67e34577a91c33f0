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

}  // namespace l2tpgw::dp
