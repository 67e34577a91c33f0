#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# bench.sh: the fastpath benchmark (one worker, synthetic traffic, 1 to 64,000 sessions)
# against raw Intel IPsec-MB in the same run. `--csv` prints one row per case under
#   direction,algorithm,size,sessions,mpps,gbps,cycles_per_packet,raw_gbps,ratio
# Other arguments go to fastpath-bench (see --help), e.g. --sessions 1,10000 --sizes 1400.
#
# bench.sh --bridge [args]: bridge-bench, bridged Ethernet over L2TPv3 pseudowires (plain and
# in ESP) on one worker, in the same form; `--csv` rows are
#   direction,encapsulation,frame_size,pseudowires,macs,mpps,gbps,cycles_per_packet,reference,ref_mpps,ratio
# (see build/tests/bench/bridge-bench --help).
#
# bench.sh --vdev [args]: the end-to-end rate through the lab's veths (net_af_packet), the
# dataplane against dpdk-testpmd forwarding the same ports (tests/bench/vdev_rate.py --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh >/dev/null
if [[ ${1:-} == --bridge ]]; then
  shift
  exec build/tests/bench/bridge-bench "$@"
fi
if [[ ${1:-} == --vdev ]]; then
  shift
  exec /usr/bin/python3 tests/bench/vdev_rate.py "$@"
fi
exec build/tests/bench/fastpath-bench "$@"
