#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# bench.sh: the fastpath benchmark (one worker, synthetic traffic, 1 to 64,000 sessions)
# against raw Intel IPsec-MB in the same run. `--csv` prints one row per case under
#   direction,algorithm,size,sessions,mpps,gbps,cycles_per_packet,raw_gbps,ratio
# Other arguments go to fastpath-bench (see --help), e.g. --sessions 1,10000 --sizes 1400.
#
# bench.sh --vdev [args]: the end-to-end rate through the lab's veths (net_af_packet), the
# dataplane against dpdk-testpmd forwarding the same ports (tests/bench/vdev_rate.py --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh >/dev/null
if [[ ${1:-} == --vdev ]]; then
  shift
  exec /usr/bin/python3 tests/bench/vdev_rate.py "$@"
fi
exec build/tests/bench/fastpath-bench "$@"
