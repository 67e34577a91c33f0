#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# lab_demo.py: the README's run command. Creates the lab namespaces, starts l2tpgw-dataplane
# (af_packet ports) and l2tpgw-controlplane with seed 000's multiple-anonymous-clients
# configuration (documentation addresses), boots the client VM (qemu, Debian's kernel over the
# host's root filesystem) and dials in from it the way a Linux L2TP/IPsec client does:
# strongSwan (IKEv1 Main Mode + Quick Mode, ESP transport on UDP 1701), xl2tpd (L2TPv2 LAC),
# pppd (MS-CHAPv2 by default). The client pings the LAN host through the fastpath, the LAN
# host pings the client's pool address, and `show status l2tp` / `show status pp` are
# printed. Then the appliance keeps running with the client connected until Ctrl-C (or the
# demo exits at once with --once).
#
# The lab pieces are those of the interop test (tests/interop/dialin_e2e.py, vmlab.py).

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "interop"))

import dialin_e2e as lab  # noqa: E402
import vmlab  # noqa: E402
from dialin_e2e import (CTL, DUT_WAN, LAN_HOST, NS_PREFIX, POOL, VM_WAN, Appliance, Attempt,  # noqa: E402
                        Client, Ctx, TestFailure, ensure_hugepages)

# Seconds from the first ping sent after ppp0 came up to the last one allowed to be answered.
FIRST_PING_DEADLINE = 20


def first_ping(vm: vmlab.Vm) -> float:
    """Pings the LAN host from the client, one echo at a time, until one is answered; returns
    when (time.monotonic()) the answer came."""
    rc, out = vm.run(f"end=$((SECONDS + {FIRST_PING_DEADLINE}))\n"
                     f"until ping -c 1 -W 1 {LAN_HOST} >/dev/null; do\n"
                     "  (( SECONDS < end )) || exit 1\n"
                     "done", timeout=FIRST_PING_DEADLINE + 10, quiet=True)
    if rc != 0:
        raise TestFailure(f"no ping from the client to the LAN host {LAN_HOST} was answered "
                          f"within {FIRST_PING_DEADLINE}s of ppp0 coming up: {out.strip()}")
    return time.monotonic()


def ping_summary(out: str) -> str:
    m = re.search(r"\d+ packets transmitted.*", out)
    return m[0] if m else out.strip()


def demo(app: Appliance, vm: vmlab.Vm, args: argparse.Namespace) -> None:
    client = Client(vm)
    print("client VM: preparing strongSwan, xl2tpd and pppd", flush=True)
    client.prepare()
    app.start_dataplane(config_auth=args.auth)
    print(f"dataplane: running (pid {app.dp.p.pid}), log {app.dp.log_path}", flush=True)
    app.start_controlplane(args.auth)
    print(f"controlplane: attached, configuration {app.cfg}, log {app.cp.log_path}",
          flush=True)
    client.start_charon()
    ctx = Ctx(app, client, args)
    attempt = Attempt(f"demo {lab.AUTH_LABEL[args.auth]}", app.counters())
    t0 = time.monotonic()
    rc, took = lab.dial(ctx, attempt, args.auth, lab.PASSWORD, lab.TIMEOUT_PPP)
    addr = lab.ppp_address(vm) if rc == lab.DIAL_UP else None
    if addr is None:
        raise TestFailure(f"the client got no address ({lab.DIAL_OUTCOME.get(rc, rc)}): the "
                          f"dial-in {attempt.failure_point(ctx)}")
    vm.check("ip route replace 192.0.2.0/24 dev ppp0")
    t_ping = first_ping(vm)
    print(f"client: dialled in as {addr} (pool {POOL[0]}-{POOL[-1]}): ppp0 up "
          f"{took:.2f}s after `ipsec up`, first ping to the LAN host answered "
          f"{t_ping - t0:.2f}s after `ipsec up` (IKE + L2TP + PPP + the first echo)",
          flush=True)
    rc, out = vm.run(f"ping -c 3 -i 0.3 -W 3 {LAN_HOST}", timeout=30, quiet=True)
    print(f"client {addr} -> LAN host {LAN_HOST}: {ping_summary(out)}")
    p = lab.host(app.lan.cmd(["ping", "-c", "3", "-i", "0.3", "-W", "3", addr]), timeout=30,
                 check=False)
    print(f"LAN host {LAN_HOST} -> client {addr}: {ping_summary(p.stdout + p.stderr)}")
    if rc != 0 or p.returncode != 0:
        raise TestFailure("the pings through the tunnel were not all answered")
    for words in (("show", "status", "l2tp"), ("show", "status", "pp", "anonymous")):
        print(f"\n# {' '.join(words)}\n{app.ctl_ok(*words).rstrip()}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description="l2tpgw lab: the appliance and a dialled-in client")
    ap.add_argument("--builddir", type=Path, default=REPO / "build")
    ap.add_argument("--once", action="store_true", help="exit after the demonstration")
    ap.add_argument("--auth", choices=sorted(lab.AUTH_METHODS), default="mschap-v2",
                    help="`pp auth request` and the client's PPP authentication")
    ap.add_argument("--cache", type=Path, default=vmlab.DEFAULT_CACHE,
                    help="where the VM's kernel and initramfs are cached")
    ap.add_argument("--verbose", action="store_true", help="show every command run in the VM")
    args = ap.parse_args()
    args.pcap = False
    if os.geteuid() != 0:
        print("lab_demo: needs root (namespaces, hugepages, the VM's tap)", file=sys.stderr)
        return 1
    missing = [pkg for tool, pkg in lab.PREREQUISITES if not Path(tool).exists()]
    if missing:
        print(f"lab_demo: missing packages {' '.join(missing)} (scripts/setup.sh installs "
              "them)", file=sys.stderr)
        return 1
    builddir = args.builddir.resolve()
    lab.stale_namespaces()
    tag = str(os.getpid())
    logdir = Path(tempfile.mkdtemp(prefix="l2tpgw-demo-"))
    (logdir / "run").mkdir(mode=0o700)
    rc = 1
    with vmlab.Netns(f"{NS_PREFIX}dut-{tag}") as dut, vmlab.Netns(f"{NS_PREFIX}lan-{tag}") as lan:
        app = Appliance(builddir, logdir, tag, dut, lan)
        try:
            ensure_hugepages()
            app.wire()
            print(f"lab: namespaces {dut.name} (l2tpgw, WAN {DUT_WAN}), {lan.name} (LAN host "
                  f"{LAN_HOST}); the client VM is {VM_WAN} on tap {app.tap}", flush=True)
            with vmlab.Vm(dut.name, app.tap, f"{VM_WAN}/24", gw=DUT_WAN, cache=args.cache,
                          workdir=logdir, name="client", verbose=args.verbose) as vm:
                print(f"client VM: booted in {vm.boot_s:.1f}s", flush=True)
                demo(app, vm, args)
                sock = app.socket
                print("\nl2tpgw is running with the client connected. Try:")
                print(f"  {builddir / CTL} --socket {sock} show status pp anonymous")
                print(f"  {builddir / CTL} --socket {sock} show ipsec sa")
                print(f"  {builddir / CTL} --socket {sock} show counters")
                print(f"  ip netns exec {lan.name} ping {POOL[0]}")
                rc = 0
                if not args.once:
                    print("Ctrl-C stops the client, the appliance and the lab.", flush=True)
                    stop = {signal.SIGINT, signal.SIGTERM}
                    signal.pthread_sigmask(signal.SIG_BLOCK, stop)
                    signal.sigwait(stop)
        except (TestFailure, vmlab.VmError, OSError) as e:
            print(f"l2tpgw demo failed: {e}", file=sys.stderr)
            for p in (app.dp, app.cp):
                if p is not None:
                    print(f"--- {p.name} log (tail) {p.log_path}\n{p.tail(30)}", file=sys.stderr)
        finally:
            app.stop()
    if rc == 0:
        shutil.rmtree(logdir, ignore_errors=True)
    else:
        print(f"logs: {logdir}", file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main())
