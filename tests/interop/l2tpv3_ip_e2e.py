#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# l2tpv3_ip_e2e.py: the dataplane's L2TPv3 data messages (RFC 3931 §4.1.2.1 over UDP, RFC 4719
# Ethernet pseudowire) against an implementation nobody here wrote: the Linux kernel's
# l2tp_eth in the lab VM, configured with `ip l2tp` (static L2TPv3, no control connection),
# bridged with the appliance's LAN by a static pseudowire (l2tpgw-sessionctl add-pw, the
# TableWriter API the LCCE uses).
#
#   VM eth0 203.0.113.2 --tap--> namespace l2gw-v3ip-dut-<pid>: [l2tpgw-dataplane --bridge-lan]
#   VM l2tpeth0 192.0.2.20       WAN 203.0.113.1 | LAN 192.0.2.1 --veth-- l2gw-v3ip-lan-<pid>:
#                                                                          192.0.2.10
#
# Variants (each both ways, ARP first, 56- and 1400-byte pings): cookies of 8 bytes one way and
# 4 the other without the L2-Specific Sublayer, then no cookies with the Default L2-Specific
# Sublayer (RFC 3931 §4.6, `l2spec_type default`). Then the kernel sends a cookie the appliance
# does not expect: every frame is dropped and counted (L2tpv3BadCookie). The dataplane's data
# counters must have moved.
#
#   /usr/bin/python3 tests/interop/l2tpv3_ip_e2e.py --builddir <builddir> [--cache DIR]
#                   [--logdir DIR] [--keep]
#
# Needs root, hugepages and the packages of scripts/setup.sh; exits 77 (skipped) without them.
# Every wait polls a condition against a deadline; processes are stopped by PID.

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import dialin_e2e as dialin  # noqa: E402
import vmlab  # noqa: E402
from dialin_e2e import TestFailure, host, wait_until  # noqa: E402
from lab import Results, ensure_hugepages  # noqa: E402

SKIP = 77
NS_PREFIX = "l2gw-v3ip-"
SESSIONCTL = "controlplane/l2tpgw-sessionctl"
STATS = "controlplane/l2tpgw-stats"
VM_L2TP_ADDR = "192.0.2.20"       # the VM's l2tpeth0, on the appliance's LAN subnet
LINUX_TUNNEL_ID = 7               # static: only the kernel's own bookkeeping
LINUX_SESSION_ID = 0x1234         # the kernel's L2TPv3 Session ID (our peer session id)
OUR_SESSION_ID = (0x3c << 16) | 1 # ours: tag << 16 | slot (DESIGN.md's direct index)
TIMEOUT = 30.0


@dataclass(frozen=True)
class Variant:
    name: str
    our_cookie: str      # hex: what the kernel sends us (its `cookie`, ip-l2tp(8))
    linux_cookie: str    # hex: what we send the kernel (its `peer_cookie`: what it expects)
    sublayer: bool       # the Default L2-Specific Sublayer both ways


VARIANTS = [
    Variant("cookies 8/4, no sublayer", "a1a2a3a4a5a6a7a8", "b1b2b3b4", False),
    Variant("no cookies, Default L2-Specific Sublayer", "", "", True),
]


class Lab:
    def __init__(self, app: dialin.Appliance, vm: vmlab.Vm, builddir: Path):
        self.app, self.vm, self.builddir = app, vm, builddir

    def sessionctl(self, *args: str) -> str:
        return host(self.app.dut.cmd([str(self.builddir / SESSIONCTL), "--file-prefix",
                                      self.app.prefix, *args])).stdout

    def counter(self, name: str) -> int:
        out = host(self.app.dut.cmd([str(self.builddir / STATS), "--file-prefix",
                                     self.app.prefix, "--json", "--all"])).stdout
        st = json.loads(out)
        for section in ("counters", "drops"):
            if name in st.get(section, {}):
                return int(st[section][name])
        raise TestFailure(f"no counter {name}")

    def install(self, v: Variant, sent_by_linux: str | None = None) -> None:
        """Our pseudowire and the kernel's session for variant `v`; the kernel sends
        `sent_by_linux` instead of our expected cookie when given."""
        if self.installed():
            self.sessionctl("del-pw", "--pw-session", str(OUR_SESSION_ID))
        args = ["add-pw", "--pw-session", str(OUR_SESSION_ID), "--peer", dialin.VM_WAN,
                "--pw-peer-session-id", str(LINUX_SESSION_ID)]
        if v.our_cookie:
            args += ["--local-cookie", v.our_cookie]
        if v.linux_cookie:
            args += ["--peer-cookie", v.linux_cookie]
        if v.sublayer:
            args.append("--sublayer")
        out = self.sessionctl(*args)
        if f"session_id={OUR_SESSION_ID}" not in out:
            raise TestFailure(f"add-pw: {out}")
        sends = v.our_cookie if sent_by_linux is None else sent_by_linux
        self.vm.run(f"ip l2tp del session tunnel_id {LINUX_TUNNEL_ID} session_id "
                    f"{LINUX_SESSION_ID}", timeout=20)  # the previous variant's, if any
        session = (f"ip l2tp add session name l2tpeth0 tunnel_id {LINUX_TUNNEL_ID} "
                   f"session_id {LINUX_SESSION_ID} peer_session_id {OUR_SESSION_ID} "
                   f"l2spec_type {'default' if v.sublayer else 'none'}")
        if sends:
            session += f" cookie {sends}"
        if v.linux_cookie:
            session += f" peer_cookie {v.linux_cookie}"
        self.vm.check(session, timeout=20)
        self.vm.check(f"ip addr add {VM_L2TP_ADDR}/24 dev l2tpeth0 && ip link set l2tpeth0 up",
                      timeout=20)

    def installed(self) -> bool:
        return f"session_id={OUR_SESSION_ID}" in self.sessionctl("list")

    def ping_both_ways(self) -> None:
        for size in (56, 1400):
            rc, out = self.vm.run(f"ping -c 3 -i 0.3 -W 3 -s {size} {dialin.LAN_HOST}",
                                  timeout=60)
            if not re.search(r"\b3 received", out):
                raise TestFailure(f"VM -> LAN host, {size} bytes:\n{out[-400:]}")
            p = host(self.app.lan.cmd(["ping", "-c", "3", "-i", "0.3", "-W", "3", "-s",
                                       str(size), VM_L2TP_ADDR]), check=False, timeout=60)
            if not re.search(r"\b3 received", p.stdout):
                raise TestFailure(f"LAN host -> VM, {size} bytes:\n{p.stdout[-400:]}")


def main() -> int:
    ap = argparse.ArgumentParser(description="L2TPv3 data interop with Linux l2tp_eth (VM)")
    ap.add_argument("--builddir", type=Path, required=True)
    ap.add_argument("--cache", type=Path, default=vmlab.DEFAULT_CACHE)
    ap.add_argument("--logdir", type=Path, default=None)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    builddir = args.builddir.resolve()
    rc = dialin.preflight("l2tpv3_ip_e2e", dialin.PREREQUISITES, builddir,
                          (dialin.DATAPLANE, SESSIONCTL, STATS))
    if rc is not None:
        return rc
    tag = str(os.getpid())
    logdir = dialin.make_logdir(args.logdir, builddir, f"l2tpv3-ip-{tag}-")
    res = Results()
    t0 = time.monotonic()
    problems: list[str] = []
    with vmlab.Netns(f"{NS_PREFIX}dut-{tag}") as dut, vmlab.Netns(f"{NS_PREFIX}lan-{tag}") as lan:
        app = dialin.Appliance(builddir, logdir, tag, dut, lan)
        try:
            ensure_hugepages()
            app.wire()
            with vmlab.Vm(dut.name, app.tap, f"{dialin.VM_WAN}/24", cache=args.cache,
                          workdir=logdir, keep=args.keep, name="l2tp") as vm:
                lab = Lab(app, vm, builddir)

                def start() -> None:
                    app.start_dataplane(["--bridge-lan", "--max-pseudowires", "4"])
                    vm.check("modprobe l2tp_eth && modprobe l2tp_netlink", timeout=60)
                    vm.check(f"ip l2tp add tunnel tunnel_id {LINUX_TUNNEL_ID} peer_tunnel_id "
                             f"{LINUX_TUNNEL_ID} encap udp local {dialin.VM_WAN} remote "
                             f"{dialin.DUT_WAN} udp_sport 1701 udp_dport 1701", timeout=20)
                ready = res.case("the dataplane bridges its LAN (--bridge-lan); the VM's kernel "
                                 "has an L2TPv3 UDP tunnel to it (ip l2tp, l2tp_eth)", start)
                for v in VARIANTS if ready else []:
                    def variant(v: Variant = v) -> None:
                        lab.install(v)
                        lab.ping_both_ways()
                    res.case(f"{v.name}: the VM's l2tpeth0 and the LAN host ping each other "
                             "(ARP first, 56 and 1400 bytes), both ways", variant)

                def counters() -> None:
                    for name in ("L2tpv3DataRx", "L2tpv3DataTx"):
                        if lab.counter(name) < 12:
                            raise TestFailure(f"{name} did not move")
                if ready:
                    res.case("the dataplane's L2TPv3 data counters moved", counters)

                def wrong_cookie() -> None:
                    v = VARIANTS[0]
                    lab.install(v, sent_by_linux="c1c2c3c4c5c6c7c8")
                    was = lab.counter("L2tpv3BadCookie")
                    vm.run(f"ping -c 3 -i 0.3 -W 1 {dialin.LAN_HOST}", timeout=60)
                    wait_until(lambda: lab.counter("L2tpv3BadCookie") - was >= 3, TIMEOUT,
                               "the kernel's frames with a wrong cookie to be counted",
                               interval=0.2)
                    if not app.dp or not app.dp.running():
                        raise TestFailure("the dataplane died")
                if ready:
                    res.case("a wrong cookie from the kernel: every frame dropped and counted "
                             "(L2tpv3BadCookie), the dataplane stays up", wrong_cookie)
        finally:
            problems = app.stop()
    for p in problems:
        print(f"problem: {p}", flush=True)
    rc = res.summary()
    print(f"whole test {time.monotonic() - t0:.1f}s; logs {logdir}", flush=True)
    return rc if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
