// SPDX-License-Identifier: Apache-2.0
// Starting the EAL as a secondary process beside a running l2tpgw-dataplane.
#pragma once

#include <rte_eal.h>
#include <rte_errno.h>

#include <string>
#include <vector>

namespace l2tpgw::cp {

// Joins the dataplane with `file_prefix` as a DPDK secondary process. False with `error`.
inline bool eal_attach_secondary(const std::string& program, const std::string& file_prefix,
                                 std::string* error) {
  std::vector<std::string> args = {program, "--proc-type=secondary", "--no-pci",
                                   "--log-level=lib.eal:error", "--no-telemetry", "-l", "0"};
  if (!file_prefix.empty()) args.push_back("--file-prefix=" + file_prefix);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(args.size()), argv.data()) < 0) {
    *error = std::string("cannot attach to the dataplane (is l2tpgw-dataplane running") +
             (file_prefix.empty() ? "" : " with --file-prefix " + file_prefix) +
             "?): " + rte_strerror(rte_errno);
    return false;
  }
  return true;
}

}  // namespace l2tpgw::cp
