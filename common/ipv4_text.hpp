// SPDX-License-Identifier: Apache-2.0
// An IPv4 address as operators read it ("203.0.113.10"), for show output and log lines.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace l2tpgw {

inline std::string format_ipv4(uint32_t host_order) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", host_order >> 24, (host_order >> 16) & 0xffu,
                (host_order >> 8) & 0xffu, host_order & 0xffu);
  return buf;
}

}  // namespace l2tpgw
