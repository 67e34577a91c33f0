// SPDX-License-Identifier: Apache-2.0
#include "controlplane/l2tp/reliable.hpp"

namespace l2tpgw::cp::l2tp {

// The L2TPv2 transport is compiled once, here (reliable.hpp declares it extern).
template class BasicReliableTransport<L2tpV2Messages>;

}  // namespace l2tpgw::cp::l2tp
