#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# lab_plumbing_e2e.py: proves the netns lab (veths, net_af_packet, hugepages, EAL in a
# namespace) carries traffic, with dpdk-testpmd in io-forwarding mode standing in for the
# dataplane. For this check the WAN peer also gets an address in the LAN /24, so a plain
# ping from the WAN namespace reaches the LAN host across testpmd.
#
#   /usr/bin/python3 tests/e2e/lab_plumbing_e2e.py [--builddir DIR] [--keep]

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path

from lab import (LAN_HOST_ADDR, Lab, Proc, Results, TestFailure, ensure_hugepages, kernel_ping, ns_cmd, run)

TESTPMD = "dpdk-testpmd"   # Debian 12: package dpdk-dev
BRIDGED_WAN_ADDR = "192.0.2.20/24"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--builddir", type=Path, default=None,
                    help="logs go to <builddir>/e2e-logs (default: a temporary directory)")
    ap.add_argument("--keep", action="store_true", help="keep the logs even on success")
    args = ap.parse_args()

    testpmd = shutil.which(TESTPMD)
    if testpmd is None:
        print(f"FAIL: {TESTPMD} not found (Debian: apt-get install dpdk-dev)")
        return 1

    lab = Lab()
    base = args.builddir / "e2e-logs" if args.builddir else Path(tempfile.gettempdir())
    base.mkdir(parents=True, exist_ok=True)
    log_dir = Path(tempfile.mkdtemp(prefix=f"plumbing-{lab.suffix}-", dir=base))
    res = Results()
    pmd: Proc | None = None
    try:
        ensure_hugepages()
        lab.up()
        run(["ip", "-n", lab.wan, "addr", "add", BRIDGED_WAN_ADDR, "dev", "wan0"])

        def no_path_without_testpmd() -> None:
            # The control: the DUT namespace must not carry anything by itself.
            replies = kernel_ping(lab.wan, LAN_HOST_ADDR, count=1, timeout=1.0)
            if replies:
                raise TestFailure("the LAN host answered with nothing forwarding in the DUT ns")

        res.case("no path WAN->LAN before testpmd runs", no_path_without_testpmd)
        pmd = Proc("testpmd", ns_cmd(lab.dut, [
            testpmd, "-l", "0-1", "--no-pci", "--file-prefix", f"l2gw-pmd-{lab.suffix}",
            "--vdev", "net_af_packet0,iface=dpwan", "--vdev", "net_af_packet1,iface=dplan",
            "--", "--forward-mode=io", "--nb-cores=1", "--txq=1", "--rxq=1"]),
            log_dir, stdin_pipe=True)

        def testpmd_forwards() -> None:
            # Without -i, testpmd starts forwarding and then waits for a key on stdin.
            pmd.wait_for_output(r"Press enter to exit", timeout=60)

        def ping_across() -> None:
            replies = kernel_ping(lab.wan, LAN_HOST_ADDR, count=3, timeout=15)
            if replies != 3:
                raise TestFailure(f"{replies}/3 echo replies WAN ns -> {LAN_HOST_ADDR} "
                                  f"through testpmd")

        def testpmd_counted() -> None:
            rc = pmd.stop()
            if rc != 0:
                raise TestFailure(f"testpmd exited with {rc}:\n{pmd.tail()}")
            # At exit testpmd prints per-port totals; both ports must have received frames.
            rx = [int(n) for n in re.findall(r"RX-packets:\s+(\d+)", pmd.log())]
            if len(rx) < 2 or min(rx[:2]) == 0:
                raise TestFailure(f"testpmd port counters show no traffic: {rx}")

        ok = res.case("testpmd forwards", testpmd_forwards)
        if ok:
            res.case("ping WAN->LAN across testpmd io forwarding", ping_across)
        res.case("testpmd exits cleanly with traffic counted", testpmd_counted)
    finally:
        if pmd is not None:
            pmd.stop()
        lab.down()
    rc = res.summary()
    if rc == 0 and not args.keep:
        shutil.rmtree(log_dir, ignore_errors=True)
    else:
        print(f"logs kept in {log_dir}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
