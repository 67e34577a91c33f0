#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# fake_appliance.py: a slow scapy stand-in for l2tpgw-dataplane, l2tpgw-sessionctl and
# l2tpgw-stats, with the same command lines and output formats. It exists only to exercise
# the e2e harness itself (fastpath_e2e.py) before the real binaries exist; it shares the peer
# library's code, so a pass against it proves nothing about the appliance.
#
#   /usr/bin/python3 tests/e2e/fake_appliance.py make-builddir DIR
#   /usr/bin/python3 tests/e2e/fastpath_e2e.py --builddir DIR

from __future__ import annotations

import argparse
import json
import os
import secrets
import select
import shutil
import signal
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scapy.layers.inet import IP, UDP  # noqa: E402
from scapy.layers.ipsec import IPSecIntegrityError  # noqa: E402
from scapy.layers.l2 import ARP, Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402

import l2tp_esp_peer as lep  # noqa: E402

STATE = Path("/tmp")


def state_dir(prefix: str) -> Path:
    d = STATE / f"l2gw-fake-{prefix}"
    d.mkdir(exist_ok=True)
    return d


def write_json(path: Path, obj) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(obj))
    os.replace(tmp, path)


def read_json(path: Path, default):
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return default


def eal_prefix(argv: list[str]) -> str:
    return argv[argv.index("--file-prefix") + 1]


# --- l2tpgw-sessionctl ----------------------------------------------------------------------

def sessionctl(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--file-prefix", required=True)
    sub = ap.add_subparsers(dest="cmd", required=True)
    add = sub.add_parser("add")
    for o in ("client", "peer", "cipher", "auth", "enc-key-in", "auth-key-in", "enc-key-out",
              "auth-key-out", "spi-out", "peer-tunnel-id", "peer-session-id"):
        add.add_argument(f"--{o}", required=True)
    add.add_argument("--natt", action="store_true")
    add.add_argument("--peer-port", type=int, default=4500)
    add.add_argument("--peer-l2tp-port", type=int, default=1701)
    dele = sub.add_parser("del")
    dele.add_argument("--session", type=int, required=True)
    a = ap.parse_args(argv)
    path = state_dir(a.file_prefix) / "sessions.json"
    sessions = read_json(path, {})
    if a.cmd == "del":
        if str(a.session) not in sessions:
            print(f"no session {a.session}", file=sys.stderr)
            return 1
        del sessions[str(a.session)]
        write_json(path, sessions)
        return 0
    n = max([int(k) for k in sessions] + [0]) + 1
    rec = {k: v for k, v in vars(a).items() if k not in ("cmd", "file_prefix")}
    rec.update(n=n, tunnel_id=n * 7 % 65536 or 1, session_id=n * 13 % 65536 or 1,
               spi_in=0x100 + secrets.randbits(31))
    sessions[str(n)] = rec
    write_json(path, sessions)
    print(f"session={n} tunnel_id={rec['tunnel_id']} session_id={rec['session_id']} "
          f"spi_in=0x{rec['spi_in']:08x} spi_out={a.spi_out}")
    return 0


# --- l2tpgw-stats -----------------------------------------------------------------------------

def stats(argv: list[str]) -> int:
    print(json.dumps(read_json(state_dir(eal_prefix(argv)) / "stats.json",
                               {"counters": {}, "drops": {}, "sessions": []})))
    return 0


# --- l2tpgw-dataplane -------------------------------------------------------------------------

class Fake:
    def __init__(self, argv: list[str]):
        eal, app = argv[:argv.index("--")], argv[argv.index("--") + 1:]
        self.dir = state_dir(eal_prefix(eal))
        ifaces = [v.split("iface=")[1] for v in eal if "iface=" in v]
        self.wan, self.lan = (self.port(i) for i in ifaces)
        self.wan_ip = app[app.index("--wan-addr") + 1].split("/")[0]
        self.lan_ip = app[app.index("--lan-addr") + 1].split("/")[0]
        self.drops = {n: 0 for n in ("EspBadIcv", "EspReplay", "EspNoSa", "EspRunt",
                                     "L2tpNoSession", "Ipv4Spoofed", "NattKeepalive")}
        self.sessions: dict[int, dict] = {}
        self.rt: dict[int, dict] = {}
        self.arp: dict[str, str] = {}
        self.sessions_mtime = 0

    @staticmethod
    def port(iface: str) -> socket.socket:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
        s.bind((iface, 0))
        return s

    def reload(self) -> None:
        p = self.dir / "sessions.json"
        m = p.stat().st_mtime_ns if p.exists() else 0
        if m == self.sessions_mtime:
            return
        self.sessions_mtime = m
        records = read_json(p, {})
        for k in [k for k in self.sessions if str(k) not in records]:
            del self.sessions[k]
        for k, r in records.items():
            if int(k) in self.sessions:   # SA state (sequence numbers) survives a reload
                continue
            a = lep.algo(r["cipher"], r["auth"])
            cfg = lep.PeerConfig(
                client_ip=r["client"], peer_ip=r["peer"],
                tx=lep.SaKeys(r["spi_in"], a, bytes.fromhex(r["enc_key_in"]),
                              bytes.fromhex(r["auth_key_in"])),
                rx=lep.SaKeys(int(r["spi_out"], 16), a, bytes.fromhex(r["enc_key_out"]),
                              bytes.fromhex(r["auth_key_out"])),
                peer_tunnel_id=int(r["peer_tunnel_id"]),
                peer_session_id=int(r["peer_session_id"]),
                gw_tunnel_id=r["tunnel_id"], gw_session_id=r["session_id"],
                natt=r["natt"], peer_natt_port=r["peer_port"],
                peer_l2tp_port=r["peer_l2tp_port"])
            self.sessions[int(k)] = {"cfg": cfg, "in": lep.scapy_sa(cfg.tx),
                                     "out": lep.scapy_sa(cfg.rx)}
            self.rt.setdefault(int(k), {"hi": 0, "seen": set(), "rx_packets": 0,
                                        "rx_octets": 0, "tx_packets": 0, "tx_octets": 0})
        self.save_stats()

    def save_stats(self) -> None:
        write_json(self.dir / "stats.json", {
            "counters": {}, "drops": self.drops,
            "sessions": [{"session": n, **{k: v for k, v in self.rt[n].items()
                                           if k not in ("hi", "seen")}}
                         for n in self.sessions]})

    def drop(self, name: str) -> None:
        self.drops[name] += 1

    def arp_reply(self, sock, e, mac) -> None:
        sock.send(bytes(Ether(dst=e.src, src=mac) / ARP(
            op=2, hwsrc=mac, psrc=e[ARP].pdst, hwdst=e.src, pdst=e[ARP].psrc)))

    def lan_mac_of(self, ip: str) -> str | None:
        if ip not in self.arp:
            mac = self.lan.getsockname()[4].hex(":")
            self.lan.send(bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src=mac) / ARP(
                op=1, hwsrc=mac, psrc=self.lan_ip, pdst=ip)))
            deadline = time.monotonic() + 1
            while ip not in self.arp and time.monotonic() < deadline:
                if select.select([self.lan], [], [], 0.1)[0]:
                    self.on_lan(Ether(self.lan.recv(65535)))
        return self.arp.get(ip)

    def on_wan(self, e: Ether) -> None:
        mac = self.wan.getsockname()[4].hex(":")
        if ARP in e:
            if e[ARP].op == 1 and e[ARP].pdst == self.wan_ip:
                self.arp_reply(self.wan, e, mac)
            return
        if IP not in e or e[IP].dst != self.wan_ip:
            return
        ip = IP(bytes(e[IP]))
        raw_ip = bytes(ip)[:ip.len]
        natt = ip.proto == 17 and UDP in ip and ip[UDP].dport == 4500
        if natt:
            esp = raw_ip[28:]
            if esp == b"\xff":
                return self.drop("NattKeepalive")
            if esp[:4] == b"\x00\x00\x00\x00":
                return
        elif ip.proto == 50:
            esp = raw_ip[20:]
        else:
            return
        if len(esp) < 8:
            return self.drop("EspRunt")
        spi, seq = int.from_bytes(esp[:4], "big"), int.from_bytes(esp[4:8], "big")
        n = next((k for k, s in self.sessions.items() if s["cfg"].tx.spi == spi), None)
        if n is None:
            return self.drop("EspNoSa")
        s, rt, cfg = self.sessions[n], self.rt[n], self.sessions[n]["cfg"]
        a = cfg.tx.algo
        ivl = 8 if a.cipher.aead or "des" in a.cipher.cli else 16
        icvl = 16 if a.cipher.aead else (16 if a.auth.cli == "sha256-hmac" else 12)
        blk = 1 if a.cipher.aead else ivl
        if len(esp) < 8 + ivl + icvl + max(blk, 4) or (len(esp) - 8 - ivl - icvl) % blk:
            return self.drop("EspRunt")
        if seq in rt["seen"] or seq + 64 <= rt["hi"]:
            return self.drop("EspReplay")
        try:
            plain = s["in"].decrypt(IP(bytes(IP(src=ip.src, dst=ip.dst, proto=50) / Raw(esp))))
        except IPSecIntegrityError:
            return self.drop("EspBadIcv")
        rt["seen"].add(seq)
        rt["hi"] = max(rt["hi"], seq)
        self.peer_mac = e.src
        hdr, ppp = lep.parse_l2tp_data(bytes(plain[UDP].payload))
        if (hdr.tunnel_id, hdr.session_id) != (cfg.gw_tunnel_id, cfg.gw_session_id):
            return self.drop("L2tpNoSession")
        proto, inner, _ = lep.parse_ppp(ppp)
        inner_ip = IP(inner)
        if inner_ip.src != cfg.client_ip:
            return self.drop("Ipv4Spoofed")
        rt["rx_packets"] += 1
        rt["rx_octets"] += len(inner)
        inner_ip.ttl -= 1
        del inner_ip.chksum
        dmac = self.lan_mac_of(inner_ip.dst)
        if dmac:
            self.lan.send(bytes(Ether(dst=dmac, src=self.lan.getsockname()[4].hex(":")) /
                                inner_ip))

    def on_lan(self, e: Ether) -> None:
        mac = self.lan.getsockname()[4].hex(":")
        if ARP in e:
            if e[ARP].op == 2:
                self.arp[e[ARP].psrc] = e[ARP].hwsrc
            elif e[ARP].pdst == self.lan_ip or e[ARP].pdst.startswith("198.51.100."):
                self.arp[e[ARP].psrc] = e[ARP].hwsrc
                self.arp_reply(self.lan, e, mac)
            return
        if IP not in e:
            return
        n = next((k for k, s in self.sessions.items() if s["cfg"].client_ip == e[IP].dst), None)
        if n is None:
            return
        inner = IP(bytes(e[IP]))
        inner.ttl -= 1
        del inner.chksum
        inner = IP(bytes(inner))
        s = self.sessions[n]
        out = lep.appliance_downstream(s["cfg"], s["out"], inner)
        self.wan.send(bytes(Ether(dst=self.peer_mac, src=self.wan.getsockname()[4].hex(":")) /
                            out))
        self.rt[n]["tx_packets"] += 1
        self.rt[n]["tx_octets"] += len(inner)

    def run(self) -> int:
        stop = []
        signal.signal(signal.SIGINT, lambda *_: stop.append(1))
        self.save_stats()
        print("l2tpgw-dataplane: ready", flush=True)
        while not stop:
            self.reload()
            try:
                r, _, _ = select.select([self.wan, self.lan], [], [], 0.1)
            except InterruptedError:
                continue
            for sock in r:
                frame, addr = sock.recvfrom(65535)
                if addr[2] == 4:   # our own transmissions
                    continue
                self.reload()      # `sessionctl add` may have returned during the select
                (self.on_wan if sock is self.wan else self.on_lan)(Ether(frame))
                self.save_stats()
        shutil.rmtree(self.dir, ignore_errors=True)
        return 0


# --- wiring -----------------------------------------------------------------------------------

def make_builddir(d: Path) -> None:
    me = Path(__file__).resolve()
    for rel, role in (("dataplane/l2tpgw-dataplane", "dataplane"),
                      ("controlplane/l2tpgw-sessionctl", "sessionctl"),
                      ("controlplane/l2tpgw-stats", "stats")):
        p = d / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(f'#!/bin/sh\nexec /usr/bin/python3 {me} {role} "$@"\n')
        p.chmod(0o755)


def main() -> int:
    role, argv = sys.argv[1], sys.argv[2:]
    if role == "make-builddir":
        make_builddir(Path(argv[0]))
        return 0
    return {"dataplane": lambda: Fake(argv).run(), "sessionctl": lambda: sessionctl(argv),
            "stats": lambda: stats(argv)}[role]()


if __name__ == "__main__":
    sys.exit(main())
