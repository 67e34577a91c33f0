#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# l2tpv3_link_e2e.py: the circuit status of an L2TPv3 Ethernet pseudowire follows the LAN
# port's link (RFC 3931 §5.4.5, RFC 4719 §2.2), as a router's does when a LAN cable is pulled.
# l2tpv3_e2e.py's two appliances (seed 001, `l2tpv3-raw`), with A's LAN port a net_tap device
# (it reports its link, net_af_packet does not) joined to A's LAN veth by a kernel bridge:
#
#   ns lanA -- veth -- [bridge] -- tap (A's lan1) [appliance A] ==WAN== [appliance B] -- ns lanB
#
# Checks: both show `Circuit Status local:UP peer:UP` and the LAN hosts ping each other;
# `ip link set <tap> down` makes A show local:DOWN and B peer:DOWN (A's dataplane read the link,
# its controlplane sent SLI), with the same session still established on both; the link back
# up makes both UP again and the hosts ping again. Needs root and hugepages; exits 77 without.

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import l2tpv3_e2e as v3  # noqa: E402
import pseudowire_e2e as pw  # noqa: E402
from lab import Results, TestFailure, ensure_hugepages, wait_until  # noqa: E402

SKIP = 77
LINK_TIMEOUT = 5.0  # the dataplane reads links 4 times a second, the controlplane 4 times too


def session_ids(status: str) -> list[str]:
    return re.findall(r"Session ID:\s*(\S+)", status)


def circuit(s: v3.Appliance) -> str:
    m = re.search(r"Circuit Status (local:\S+ peer:\S+)", s.status())
    return m.group(1) if m else ""


def main() -> int:
    setup = pw.two_sided_test("l2tpv3_link_e2e")
    if setup is None:
        return SKIP
    builddir, tag, logdir = setup
    a = v3.Appliance("a", "b", tag, builddir, logdir, names="lk", lan_tap=True)
    b = v3.Appliance("b", "a", tag, builddir, logdir, names="lk")
    res = Results()
    t0 = time.monotonic()
    figures: dict[str, float] = {}
    try:
        ensure_hugepages()
        pw.wire(a, b)
        if not res.case("both appliances come up (A's LAN port a net_tap), circuit UP both ways, "
                        "LAN hosts ping each other",
                        lambda: (figures.__setitem__("up", v3.start_both(a, b, v3.UP_TIMEOUT)),
                                 pw.ping(a, b), pw.ping(b, a))):
            return 1
        before = {s.name: session_ids(s.status()) for s in (a, b)}

        def down() -> None:
            pw.sh(["ip", "-n", a.ns, "link", "set", a.lan_if, "down"])
            took = time.monotonic()
            wait_until(lambda: circuit(a) == "local:DOWN peer:UP" and
                       circuit(b) == "local:UP peer:DOWN", LINK_TIMEOUT,
                       "A to show local:DOWN and B peer:DOWN", interval=0.1)
            figures["seen"] = time.monotonic() - took
            for s in (a, b):
                st = s.status()
                if "Session State: established" not in st or session_ids(st) != before[s.name]:
                    raise TestFailure(f"{s.name}: the session did not stay as it was:\n{st}")
            a.dp.wait_for_output(r"lan port \d+ link down", 5)
            a.cp.wait_for_output(r"\[L2TP\] TUNNEL\[1\]: lan1 link down: circuit status inactive", 5)
        res.case("A's LAN link down: A shows local:DOWN, B peer:DOWN (SLI), the session stays", down)

        def up() -> None:
            pw.sh(["ip", "-n", a.ns, "link", "set", a.lan_if, "up"])
            wait_until(lambda: circuit(a) == "local:UP peer:UP" and
                       circuit(b) == "local:UP peer:UP", LINK_TIMEOUT,
                       "both to show the circuit UP again", interval=0.1)
            pw.ping(a, b)
            pw.ping(b, a)
        res.case("A's LAN link up again: UP both ways, the LAN hosts ping again", up)
        v3.all_running(a, b)
    finally:
        rc = v3.finish(res, (a, b), t0, figures, logdir)
    return rc


if __name__ == "__main__":
    sys.exit(main())
