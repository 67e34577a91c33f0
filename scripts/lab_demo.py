#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# lab_demo.py: the README's run command. Builds the lab namespaces, starts l2tpgw-dataplane on
# af_packet ports, installs two static L2TP/IPsec sessions (AES-128-CBC+HMAC-SHA1 and
# AES-GCM-128 over NAT-T) and dials them with the independent scapy client: its pings reach
# the LAN host (a real Linux namespace) and the replies come back ESP-encrypted. Then it
# keeps the appliance running until Ctrl-C (or exits at once with --once).
#
# Until the controlplane issues land, sessions are installed statically through the same
# TableWriter API the controlplane will use (l2tpgw-sessionctl).

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "e2e"))

import l2tp_esp_peer as lep  # noqa: E402
from fastpath_e2e import (LAN_HOST_ADDR, SESSIONCTL, STATS, Appliance, Ctx, WanPeer,  # noqa: E402
                          install_session, ping, session_stats)
from lab import L2Port, Lab, ensure_hugepages  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--builddir", type=Path, default=Path(__file__).resolve().parent.parent / "build")
    ap.add_argument("--once", action="store_true", help="exit after the demonstration")
    args = ap.parse_args()

    lab = Lab(suffix="demo")
    log_dir = Path(tempfile.mkdtemp(prefix="l2tpgw-demo-"))
    app = Appliance(lab, args.builddir.resolve(), log_dir)
    wan = lan = None
    try:
        ensure_hugepages()
        lab.up()
        print(f"lab: namespaces {lab.wan} (client 203.0.113.10), {lab.dut} (l2tpgw), "
              f"{lab.lan} (LAN host {LAN_HOST_ADDR})")
        app.start()
        print(f"dataplane: running (pid {app.proc.pid}), log {app.proc.log_path}")
        wan = WanPeer(lab)
        lan = L2Port(lab.lan, "lan0")
        ctx = Ctx(app, wan, lan)
        wan.gw_mac = wan.resolve_gw()
        sessions = [
            install_session(app, "client-1 aes-cbc/sha-hmac", lep.algo("aes-cbc", "sha-hmac"),
                            "198.51.100.10", natt=False),
            install_session(app, "client-2 aes-gcm NAT-T", lep.algo("aes-gcm"),
                            "198.51.100.11", natt=True, peer_natt_port=4500),
        ]
        for s in sessions:
            c = s.cfg
            print(f"session {s.n}: {s.label}: client {c.client_ip}, our SPI 0x{c.tx.spi:08x}, "
                  f"tunnel {c.gw_tunnel_id}, session {c.gw_session_id}")
            ping(ctx, s, count=3)
            st = session_stats(app.stats(), s.n)
            print(f"  3 pings to {LAN_HOST_ADDR} through the tunnel answered; session counters: "
                  f"rx {st['rx_packets']} pkts / {st['rx_octets']} B, "
                  f"tx {st['tx_packets']} pkts / {st['tx_octets']} B")
        print("\nl2tpgw is running. Try:")
        print(f"  {args.builddir}/{STATS} --file-prefix {app.prefix}")
        print(f"  {args.builddir}/{SESSIONCTL} --file-prefix {app.prefix} list")
        print(f"  ip netns exec {lab.lan} ping 192.0.2.1")
        if args.once:
            return 0
        print("Ctrl-C stops it and removes the lab.")
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
        return 0
    except Exception as e:  # noqa: BLE001 - the demo reports and cleans up
        print(f"l2tpgw demo failed: {e}", file=sys.stderr)
        if app.proc is not None:
            print(app.proc.tail(), file=sys.stderr)
        return 1
    finally:
        for port in (wan, lan):
            if port is not None:
                port.close()
        app.stop()
        lab.down()


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    sys.exit(main())
