// SPDX-License-Identifier: Apache-2.0
// l2tpgw-controlplane: the controlplane process (flags in controlplane/daemon/options.cpp,
// body in controlplane/daemon/daemon.cpp).
#include "controlplane/daemon/daemon.hpp"
#include "controlplane/daemon/options.hpp"

int main(int argc, char** argv) {
  l2tpgw::cp::DaemonOptions opt;
  const int rc = l2tpgw::cp::parse_daemon_options(argc, argv, opt);
  if (rc >= 0) return rc;
  return l2tpgw::cp::run_daemon(opt);
}
