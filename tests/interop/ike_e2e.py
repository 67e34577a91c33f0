#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# ike_e2e.py: IKEv1 scenarios of real clients against the real l2tpgw (issue 4's interop lab):
# the proposals Windows, macOS/iOS and Android offer and AES-GCM, a real NAT (nftables
# masquerade) between the client and the appliance, phase-1 and phase-2 rekeys under a
# continuous ping through the L2TP/PPP session, and dead-peer detection and INITIAL-CONTACT
# after the client's IKE daemon is killed. One VM boot for all of them; the VM helpers, the
# appliance's two processes and the dial-in come from dialin_e2e.py and vmlab.py.
#
#   VM eth0 --tap ikesv<pid>--  namespace l2gw-ikes-nat-<pid>  --veth ikesn<pid> | ikesw<pid>--
#   198.51.100.2 (routed)       198.51.100.1 | 203.0.113.2      (router; nftables masquerades
#   198.51.100.3 (NATed)                                        198.51.100.3 and .4 to
#   198.51.100.4 (NATed, netns c2 in the VM)                    203.0.113.2, source ports
#                                                               40000-40999)
#   --> namespace l2gw-ikes-dut-<pid>: [l2tpgw-dataplane] WAN 203.0.113.1 (af_packet on
#       ikesw<pid>, gateway 203.0.113.2) | LAN 192.0.2.1 --veth-- l2gw-ikes-lan-<pid>: 192.0.2.10
#       l2tpgw-controlplane: seed-style configuration, `ipsec ike keepalive use 1 on dpd 2 3`
#
# Cases (in this order):
#   proposals  one strongSwan connection per client's proposal (each offered alone, so each is
#              the one negotiated): phase 1 and 2 up, the daemon's log names the suite (and
#              macOS's 3600 s lifetimes), `show ipsec sa` lists the pair, a UDP/1701 datagram
#              from the VM is ESP-decrypted and punted as L2TP, `ipsec down` removes the pair.
#   nat        the client's second address is masqueraded (address and ports rewritten):
#              NAT-D detects it, both float to 4500, UDP-encapsulated transport, the datagram
#              arrives (NatTEspRx); the daemon sees the NAT's address and port.
#   natdialin  a full dial-in (xl2tpd + pppd, CHAP) from the masqueraded address: pool address,
#              pings VM -> LAN host and LAN host -> pool address through the fastpath, `show
#              status pp` shows the NAT's address and port (IPsec NAT-T), `show ipsec sa` and
#              `show status l2tp` the NAT's address, the masquerade's counters moved.
#   samepublic two clients behind the one masquerade, both from 500/4500/1701 inside: the VM's
#              masqueraded address and network namespace c2 in the VM (a macvlan of eth0,
#              198.51.100.4, its own charon, xl2tpd and pppd: /run and /var/log bound per
#              namespace, /etc/netns/c2 for ipsec.conf): two pool addresses, both ping the LAN
#              host at once and are pinged, two SA pairs, two tunnels, two NAT-T ports.
#   natrebind  a dial-in, a ping every 20 ms, then the masquerade's ports move to 41000-41999
#              and `conntrack -F` drops the mapping: the pings go on (at most 3 lost), the
#              dataplane follows (NatTPeerMoved) and the daemon shows the new port.
#   rekey      short client lifetimes (phase 2 every 8 s, phase 1 at 18 s), a full dial-in
#              (xl2tpd + pppd) and a ping every 10 ms from the VM to the LAN host through it
#              across several phase-2 and a phase-1 rekey: every echo answered, no ESP/L2TP drop.
#   restart    charon killed (-9) and started again on a "rebooted" client (xfrm flushed):
#              its INITIAL-CONTACT removes the old pair at once, the new pair carries ESP.
#   dpd        charon killed (-9) again: the responder's R-U-THEREs go unanswered and the SAs
#              leave the daemon and the dataplane's SA table within the DPD bound.
#
#   /usr/bin/python3 tests/interop/ike_e2e.py --builddir <builddir> [--cache DIR] [--logdir DIR]
#                   [--keep] [--only proposals,nat,natdialin,samepublic,natrebind,rekey,restart,dpd]
#
# Needs root, hugepages, nftables and the packages of scripts/setup.sh; exits 77 (skipped)
# without them. Every wait polls a condition against a deadline; processes are stopped by PID.

from __future__ import annotations

import argparse
import fcntl
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import dialin_e2e as dialin  # noqa: E402
import vmlab  # noqa: E402
from dialin_e2e import TestFailure, host, tail, wait_until  # noqa: E402
from lab import Results, ensure_hugepages  # noqa: E402

SKIP = 77
NS_PREFIX = "l2gw-ikes-"

# Documentation addresses only (RFC 5737).
DUT_WAN = dialin.DUT_WAN            # 203.0.113.1, the appliance
ROUTER_WAN = "203.0.113.2"          # the router's WAN side, the NAT's public address
ROUTER_LAN = "198.51.100.1"         # the router's client side
VM_ADDR = "198.51.100.2"            # the client, routed
VM_NATTED = "198.51.100.3"          # the client's second address, masqueraded
VM_SAME = "198.51.100.4"            # samepublic's second client (a network namespace in the VM)
NATTED = (VM_NATTED, VM_SAME)       # what the router masquerades
NAT_PORTS = (40000, 40999)          # what the masquerade maps source ports to
REBIND_PORTS = (41000, 41999)       # ... and after natrebind's change of mapping
LAN_HOST = dialin.LAN_HOST
# The rekey case's L2TP client: dialin_e2e's first LAC, from this lab's routed address, on the
# strongSwan connection `rekey` (short lifetimes).
REKEY_LAC = dialin.Lac("l2tpgw", VM_ADDR, "rekey", 0, dialin.USER, dialin.PASSWORD, "a")
# The clients behind the NAT: the VM's masqueraded address on the strongSwan connection `nat`,
# and samepublic's second client in the VM's network namespace SAME_NS (its own charon,
# xl2tpd and pppd, the same ports 500/4500/1701 as the first).
NAT_LAC = dialin.Lac("l2tpgw", VM_NATTED, "nat", 0, dialin.USER, dialin.PASSWORD, "n")
SAME_NS = "c2"
SAME_LAC = dialin.Lac("l2tpgw", VM_SAME, "same", 1, dialin.USER_B, dialin.PASSWORD_B, "s")

PSK = "vmlab-ike-psk-93c4"          # test-only secret
DPD_INTERVAL, DPD_COUNT = 2, 3      # `ipsec ike keepalive use 1 on dpd 2 3`

TIMEOUT_IKE = 60.0
TIMEOUT_SA = 20.0
TIMEOUT_COUNTERS = 20.0
TIMEOUT_CHARON = 30.0

PREREQUISITES = dialin.PREREQUISITES + [("/usr/sbin/nft", "nftables"),
                                         ("/usr/sbin/conntrack", "conntrack")]

# ---------------------------------------------------------------------------------------------
# The proposals real clients offer (issue 4), one strongSwan connection each
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    conn: str
    label: str
    ike: str            # strongSwan ike=
    esp: str            # strongSwan esp=
    phase1: str         # what the daemon logs for the ISAKMP SA (describe(Phase1Suite))
    phase2: str         # ... and for the IPsec SA (describe(EspSuite))
    client_esp: str     # what `ipsec statusall` shows for the CHILD SA
    lifetime: int | None = None  # ikelifetime= and lifetime= (seconds) when set


PROPOSALS = [
    Proposal("win-aes256", "Windows AES-256/SHA1/MODP1024, ESP AES-256/SHA1",
             "aes256-sha1-modp1024", "aes256-sha1", "AES-CBC-256/SHA1/MODP1024",
             "aes256-cbc/sha-hmac transport", "AES_CBC_256/HMAC_SHA1_96"),
    Proposal("win-3des", "Windows / Android 3DES/SHA1/MODP1024, ESP 3DES/SHA1",
             "3des-sha1-modp1024", "3des-sha1", "3DES-CBC/SHA1/MODP1024",
             "3des-cbc/sha-hmac transport", "3DES_CBC/HMAC_SHA1_96"),
    Proposal("macos", "macOS/iOS AES-256/SHA256/MODP2048 3600 s, ESP AES-256/SHA1 3600 s",
             "aes256-sha256-modp2048", "aes256-sha1", "AES-CBC-256/SHA256/MODP2048",
             "aes256-cbc/sha-hmac transport", "AES_CBC_256/HMAC_SHA1_96", lifetime=3600),
    Proposal("ios-aes128", "macOS/iOS AES-256/SHA256/MODP2048 3600 s, ESP AES-128/SHA1",
             "aes256-sha256-modp2048", "aes128-sha1", "AES-CBC-256/SHA256/MODP2048",
             "aes-cbc/sha-hmac transport", "AES_CBC_128/HMAC_SHA1_96", lifetime=3600),
    Proposal("android", "Android 3DES/SHA1/MODP1024, ESP AES-128/SHA1",
             "3des-sha1-modp1024", "aes128-sha1", "3DES-CBC/SHA1/MODP1024",
             "aes-cbc/sha-hmac transport", "AES_CBC_128/HMAC_SHA1_96"),
    Proposal("gcm128", "AES-GCM: AES-256/SHA256/MODP2048, ESP AES-GCM-128 (16-octet ICV)",
             "aes256-sha256-modp2048", "aes128gcm16", "AES-CBC-256/SHA256/MODP2048",
             "aes-gcm transport", "AES_GCM_16_128"),
    Proposal("gcm256", "AES-GCM: AES-256/SHA256/MODP2048, ESP AES-GCM-256 (16-octet ICV)",
             "aes256-sha256-modp2048", "aes256gcm16", "AES-CBC-256/SHA256/MODP2048",
             "aes256-gcm transport", "AES_GCM_16_256"),
]

# Rekeys: strongSwan rekeys at lifetime - margintime (rekeyfuzz 0%): phase 2 every 8 s, phase 1
# (a new Main Mode, IKEv1 reauthentication) at 18 s. The daemon keeps what the client proposes.
REKEY_CHILD_LIFE, REKEY_IKE_LIFE, REKEY_MARGIN = 20, 30, 12
REKEY_PHASE2, REKEY_PHASE1 = 3, 1       # rekeys to see under the ping
REKEY_DEADLINE = 60.0                   # for all of them (they are due by about 26 s)
# A packet every 10 ms: a gap of a few ms around a rekey shows. (Installing our inbound SA only
# at QM3 lost 2 echoes on every phase-2 rekey at this rate; at 100 ms, one run in three.)
PING_INTERVAL = 0.01


def ipsec_conf() -> str:
    common = f"""conn %default
    keyexchange=ikev1
    authby=secret
    type=transport
    left={VM_ADDR}
    leftprotoport=17/1701
    right={DUT_WAN}
    rightprotoport=17/1701
    keyingtries=1
    rekey=no
    auto=add
"""
    conns = []
    for p in PROPOSALS:
        c = f"conn {p.conn}\n    ike={p.ike}!\n    esp={p.esp}!\n"
        if p.lifetime:
            # strongSwan proposes lifetimes only for SAs it rekeys.
            c += f"    rekey=yes\n    ikelifetime={p.lifetime}s\n    lifetime={p.lifetime}s\n"
        conns.append(c)
    # Behind the NAT: the masqueraded address; no forceencaps, the NAT-D hashes must tell.
    conns.append(f"conn nat\n    left={VM_NATTED}\n    ike=aes256-sha1-modp1024!\n"
                 "    esp=aes256-sha1!\n")
    conns.append(f"""conn rekey
    ike=aes256-sha1-modp1024!
    esp=aes256-sha1!
    rekey=yes
    reauth=yes
    ikelifetime={REKEY_IKE_LIFE}s
    lifetime={REKEY_CHILD_LIFE}s
    margintime={REKEY_MARGIN}s
    rekeyfuzz=0%
""")
    # Announces RFC 3706 DPD (the responder only asks peers that do); its own checks are
    # minutes away.
    conns.append("conn dpd\n    ike=aes256-sha256-modp2048!\n    esp=aes128-sha1!\n"
                 "    dpdaction=clear\n    dpddelay=300s\n")
    return "config setup\n" + common + "".join(conns)


IPSEC_SECRETS = f'{VM_ADDR} {VM_NATTED} {DUT_WAN} : PSK "{PSK}"\n'
# samepublic's second client: the `nat` connection's settings from its own address.
SAME_IPSEC_CONF = ipsec_conf().split("conn win-aes256")[0] + \
    f"conn same\n    left={VM_SAME}\n    ike=aes256-sha1-modp1024!\n    esp=aes256-sha1!\n"
SAME_IPSEC_SECRETS = f'{VM_SAME} {DUT_WAN} : PSK "{PSK}"\n'


def appliance_config() -> str:
    """dialin_e2e's seed-000 block with DPD on (every 2 s, 3 tries) and this test's key."""
    return dialin.appliance_config("chap", psk=PSK,
                                   ike_keepalive=f"on dpd {DPD_INTERVAL} {DPD_COUNT}",
                                   title="tests/interop/ike_e2e.py, DPD on")


def nat_rules(wan: str, ports: tuple[int, int] = NAT_PORTS) -> str:
    """The router's masquerade: the clients' NATed addresses leave as the router's, their UDP
    source ports mapped into `ports` (so 500 and 4500 do not survive, as behind most home
    routers); counters for the test to read. Loaded again with other ports (natrebind), it
    replaces the rules."""
    srcs = "{ " + ", ".join(NATTED) + " }"
    return f"""table ip ikelab_nat
flush table ip ikelab_nat
table ip ikelab_nat {{
  chain post {{
    type nat hook postrouting priority srcnat;
    ip saddr {srcs} oifname "{wan}" meta l4proto udp counter masquerade to :{ports[0]}-{ports[1]}
    ip saddr {srcs} oifname "{wan}" counter masquerade
  }}
}}
"""


# ---------------------------------------------------------------------------------------------
# The lab: dialin_e2e's appliance with a router (and NAT) namespace before its WAN port
# ---------------------------------------------------------------------------------------------


@dataclass
class Lab(dialin.Appliance):
    nat: vmlab.Netns | None = None

    @property
    def prefix(self) -> str:
        return f"{NS_PREFIX}{self.tag}"

    @property
    def tap(self) -> str:  # the dataplane's WAN port: the veth from the router
        return f"ikesw{self.tag}"[:15]

    @property
    def dplan(self) -> str:
        return f"ikesl{self.tag}"[:15]

    @property
    def lanif(self) -> str:
        return f"ikesh{self.tag}"[:15]

    @property
    def vm_tap(self) -> str:
        return f"ikesv{self.tag}"[:15]

    @property
    def router_wan(self) -> str:
        return f"ikesn{self.tag}"[:15]

    def wire(self) -> None:
        assert self.nat is not None
        nat, dut, lan = self.nat.name, self.dut.name, self.lan.name
        self.nat.tap(self.vm_tap, f"{ROUTER_LAN}/24")
        host(["ip", "-n", nat, "link", "add", self.router_wan, "numtxqueues", "1", "numrxqueues",
              "1", "type", "veth", "peer", "name", self.tap, "netns", dut])
        host(["ip", "-n", dut, "link", "add", self.dplan, "numtxqueues", "1", "numrxqueues", "1",
              "type", "veth", "peer", "name", self.lanif, "netns", lan])
        for ns, dev in ((nat, self.router_wan), (dut, self.tap), (dut, self.dplan),
                        (lan, self.lanif)):
            # af_packet must see complete frames with real checksums.
            for feature in ("tx", "rx", "sg", "tso", "gso", "gro"):
                host(["ip", "netns", "exec", ns, "ethtool", "-K", dev, feature, "off"],
                     check=False)
            host(["ip", "-n", ns, "link", "set", dev, "up"])
        host(["ip", "-n", nat, "addr", "add", f"{ROUTER_WAN}/24", "dev", self.router_wan])
        self.nat.exec(["sysctl", "-qw", "net.ipv4.ip_forward=1"])
        host(["ip", "-n", lan, "addr", "add", f"{LAN_HOST}/24", "dev", self.lanif])
        self.masquerade(NAT_PORTS)

    def masquerade(self, ports: tuple[int, int]) -> None:
        assert self.nat is not None
        nft = subprocess.run(self.nat.cmd(["nft", "-f", "-"]), capture_output=True, text=True,
                             input=nat_rules(self.router_wan, ports), timeout=30)
        if nft.returncode != 0:
            raise TestFailure(f"nft -f (the masquerade) failed: {nft.stderr.strip()}")

    def start_dataplane(self) -> None:
        super().start_dataplane(extra_args=["--wan-gateway", ROUTER_WAN])

    def write_config(self, auth: str) -> Path:
        p = self.logdir / "l2tpgw-ike.conf"
        p.touch(mode=0o600)  # it holds the pre-shared key
        p.write_text(appliance_config())
        return p

    def cp_log_size(self) -> int:
        assert self.cp is not None
        return len(self.cp.log())

    def cp_log_since(self, offset: int) -> str:
        assert self.cp is not None
        return self.cp.log()[offset:]

    def nat_packets(self) -> int:
        out = host(self.nat.cmd(["nft", "list", "table", "ip", "ikelab_nat"])).stdout
        return sum(int(n) for n in re.findall(r"counter packets (\d+)", out))


@dataclass(frozen=True)
class SaLine:
    slot: int
    peering: int
    send: bool
    peer: str


def sa_table(app: Lab) -> list[SaLine]:
    """`show ipsec sa`: the dataplane's SA table as the controlplane reads it."""
    out = app.ctl_ok("show", "ipsec", "sa")
    return [SaLine(int(m[1]), int(m[2]), m[3] == "send", m[4]) for m in
            re.finditer(r"^(\d+)\s+(\d+)\s+\S+\s+tra\[\d+\]esp\s+(send|recv)\s+\S+\s+(\S+)$", out,
                        re.M)]


def one_pair(app: Lab, peer: str) -> list[SaLine] | None:
    """The table once it holds exactly one SA each way, both with `peer`."""
    t = sa_table(app)
    if len(t) == 2 and {s.send for s in t} == {True, False} and all(s.peer == peer for s in t):
        return t
    return None


def wait_pair(app: Lab, peer: str, what: str) -> list[SaLine]:
    found: list[SaLine] = []

    def listed() -> bool:
        found[:] = one_pair(app, peer) or []
        return bool(found)
    wait_until(listed, TIMEOUT_SA, f"`show ipsec sa` to list {what}", interval=0.2)
    return found


def delta(before: dict[str, int], after: dict[str, int], key: str) -> int:
    return after.get(key, 0) - before.get(key, 0)


# ---------------------------------------------------------------------------------------------
# The client
# ---------------------------------------------------------------------------------------------


@dataclass
class Ctx:
    app: Lab
    vm: vmlab.Vm
    args: argparse.Namespace
    timings: dict[str, float] = field(default_factory=dict)
    figures: list[str] = field(default_factory=list)

    def dialin_ctx(self, conn: str) -> dialin.Ctx:
        c = dialin.Ctx(self.app, dialin.Client(self.vm), self.args)
        c.conn = conn
        return c


# strongSwan's IKE crypto comes from plugins; the host's packages (scripts/setup.sh) have no
# 3DES for phase 1. Its openssl plugin (libstrongswan-standard-plugins) does: fetched like
# dialin_e2e's libreswan, with `apt-get download` into the cache, in the host's libstrongswan
# version, and unpacked only in the VM's tmpfs overlay.
OPENSSL_PLUGIN_PKG = "libstrongswan-standard-plugins"


def openssl_plugin_deb(cache: Path) -> Path:
    version = host(["dpkg-query", "-W", "-f", "${Version}", "libstrongswan"]).stdout.strip()
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".lock", "w") as lock:  # dialin_e2e's lock: runs share the cache
        fcntl.flock(lock, fcntl.LOCK_EX)

        def cached() -> Path | None:
            for deb in sorted(cache.glob(f"{OPENSSL_PLUGIN_PKG}_*.deb")):
                if host(["dpkg-deb", "-f", str(deb), "Version"]).stdout.strip() == version:
                    return deb
            return None
        deb = cached()
        if deb is None:
            p = subprocess.run(["apt-get", "download", f"{OPENSSL_PLUGIN_PKG}={version}"],
                               cwd=cache, stdin=subprocess.DEVNULL, capture_output=True,
                               text=True, timeout=180)
            deb = cached()
            if p.returncode != 0 or deb is None:
                raise TestFailure(f"`apt-get download {OPENSSL_PLUGIN_PKG}={version}` failed "
                                  f"({p.returncode}), so strongSwan cannot offer 3DES: "
                                  f"{tail(p.stdout + p.stderr, 8)}")
        return deb


def prepare(ctx: Ctx) -> None:
    vm = ctx.vm
    deb = openssl_plugin_deb(ctx.args.cache / "debs")
    vm.put(deb, f"/tmp/debs/{deb.name}")
    vm.check(f"dpkg-deb --fsys-tarfile /tmp/debs/{deb.name} | "
             "tar -x --keep-directory-symlink -C / && "
             "test -f /usr/lib/ipsec/plugins/libstrongswan-openssl.so", timeout=60)
    vm.check(f"ip addr add {VM_NATTED}/24 dev eth0")
    vm.put_text("/etc/ipsec.conf", ipsec_conf())
    vm.put_text("/etc/ipsec.secrets", IPSEC_SECRETS, 0o600)
    vm.put_text("/etc/strongswan.d/zz-l2tpgw-test.conf", dialin.STRONGSWAN_LOCAL)
    for lac in (REKEY_LAC, NAT_LAC):
        vm.put_text(lac.conf, lac.xl2tpd_conf())
    vm.check("modprobe -a esp4 xfrm_user l2tp_ppp ppp_generic", timeout=30)
    # The kernel's first SA of each algorithm runs its crypto self-tests (about a second each
    # under TCG): pay that before the cases with a dummy SA per algorithm they use.
    ids = f"src {VM_ADDR} dst {DUT_WAN} proto esp spi 0x1000"
    algs = [f"enc 'cbc(aes)' 0x{'11' * 32} auth-trunc 'hmac(sha1)' 0x{'22' * 20} 96",
            f"enc 'cbc(des3_ede)' 0x{'13' * 24} auth-trunc 'hmac(sha1)' 0x{'22' * 20} 96",
            f"aead 'rfc4106(gcm(aes))' 0x{'33' * 20} 128"]
    t0 = time.monotonic()
    for a in algs:
        vm.check(f"ip xfrm state add {ids} mode transport {a}\nip xfrm state del {ids}",
                 timeout=60)
    ctx.timings["xfrm warm-up"] = time.monotonic() - t0
    rc, out = vm.run(f"ping -c 1 -W 5 {DUT_WAN}", timeout=15)
    if rc != 0:
        raise TestFailure(f"the VM cannot reach the appliance through the router:\n{out}")


def charon_running(vm: vmlab.Vm) -> bool:
    return vm.run("test -S /run/charon.ctl && pidof charon >/dev/null", quiet=True)[0] == 0


def start_charon(ctx: Ctx) -> None:
    t0 = time.monotonic()
    ctx.vm.check("rm -f /run/charon.ctl; ipsec start", timeout=30)
    ctx.vm.wait_for("test -S /run/charon.ctl", timeout=TIMEOUT_CHARON)
    ctx.timings.setdefault("charon start", time.monotonic() - t0)


def ipsec_up(ctx: Ctx, conn: str) -> float:
    if not charon_running(ctx.vm):
        start_charon(ctx)
    return dialin.ipsec_up(ctx.dialin_ctx(conn))


def client_down(ctx: Ctx, why: str) -> None:
    """Every IKE SA of the client down by its own name and number (`ipsec down NAME[N]`, which
    takes its CHILD SAs along), then the daemon's SA table empty. strongSwan gives connections
    with the same IKE settings one peer config, named after the first of them, so `ipsec down
    CONN` finds no IKE SA for the others."""
    _, st = ctx.vm.run("ipsec status", quiet=True)
    for ike in sorted(set(re.findall(r"^\s*(\S+\[\d+\]): ESTABLISHED", st, re.M))):
        rc, out = ctx.vm.run(f"ipsec down '{ike}'", timeout=30)
        if rc != 0:
            raise TestFailure(f"`ipsec down {ike}` exited {rc}:\n{tail(out)}")
    wait_until(lambda: not sa_table(ctx.app), TIMEOUT_SA,
               f"the SAs to leave `show ipsec sa` after {why}", interval=0.2)


def send_zlb(ctx: Ctx, src: str, natt: bool = False) -> dict[str, int]:
    """A UDP datagram from src:1701 to the appliance's 1701 (an L2TP ZLB ACK, RFC 2661 §5.8,
    which any LNS ignores) matches the transport policy, so the VM's kernel ESP-encrypts it;
    the dataplane must decrypt it and punt it as L2TP control. Returns the counter deltas."""
    app = ctx.app
    before = app.counters()
    ctx.vm.check(
        "/usr/bin/python3 -c \"import socket; "
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
        f"s.bind(('{src}', 1701)); s.sendto(bytes.fromhex('c802000c0000000000000000'), "
        f"('{DUT_WAN}', 1701))\"", timeout=30)
    keys = ["EspDecrypted", "PuntL2tpControl"] + (["NatTEspRx"] if natt else [])
    last: dict[str, int] = {}

    def moved() -> bool:
        last.update(app.counters())
        return all(delta(before, last, k) > 0 for k in keys)
    try:
        wait_until(moved, TIMEOUT_COUNTERS, f"{' and '.join(keys)} to move", interval=0.2)
    except TestFailure:
        changed = {k: delta(before, last, k) for k in last if delta(before, last, k)}
        _, xfrm = ctx.vm.run("ip -s xfrm state | grep -E '^src|lifetime current' -A1 | "
                             "grep -vE 'enc|auth|aead'", quiet=True)
        raise TestFailure(f"{keys} did not all move; counters that changed: {changed}\n"
                          f"VM xfrm state:\n{xfrm}")
    return {k: delta(before, last, k) for k in keys}


def statusall(ctx: Ctx) -> str:
    return ctx.vm.check("ipsec statusall", timeout=20)


# ---------------------------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------------------------


def established_lines(log: str) -> tuple[list[str], list[str]]:
    p1 = re.findall(r"\[IKE\] ISAKMP SA\[\d+\] established with .*", log)
    p2 = re.findall(r"\[IKE\] IPsec SA\[\d+\] established with .*", log)
    return p1, p2


def case_proposal(ctx: Ctx, p: Proposal) -> None:
    app = ctx.app
    mark = app.cp_log_size()
    took = ipsec_up(ctx, p.conn)
    ctx.timings[f"IKE {p.conn}"] = took
    status = statusall(ctx)
    c = re.escape(p.conn)
    installed = re.search(rf"{c}\{{\d+\}}:\s+INSTALLED, TRANSPORT.*", status)
    # (strongSwan names the IKE SA after the first connection of those that share its IKE
    # settings: any ESTABLISHED one will do, there is one at a time.)
    if not re.search(r"\[\d+\]: ESTABLISHED", status) or not installed:
        raise TestFailure(f"{p.conn}: no ESTABLISHED IKE SA / INSTALLED transport CHILD SA:\n"
                          f"{tail(status, 20)}")
    esp = re.search(rf"{c}\{{\d+\}}:\s+(\S+?), \d+ bytes_i", status)
    if not esp or esp[1] != p.client_esp:
        raise TestFailure(f"{p.conn}: the client's CHILD SA uses {esp[1] if esp else '?'}, "
                          f"not {p.client_esp}")
    pair = wait_pair(app, VM_ADDR, f"one SA pair with {VM_ADDR}")
    p1, p2 = established_lines(app.cp_log_since(mark))
    if len(p1) != 1 or p.phase1 not in p1[0]:
        raise TestFailure(f"{p.conn}: the daemon's phase 1 is not {p.phase1}: {p1}")
    if len(p2) != 1 or f": {p.phase2}," not in p2[0]:
        raise TestFailure(f"{p.conn}: the daemon's phase 2 is not {p.phase2}: {p2}")
    if p.lifetime and not all(f"lifetime {p.lifetime}s" in line for line in (p1[0], p2[0])):
        raise TestFailure(f"{p.conn}: lifetimes are not {p.lifetime}s: {p1[0]} / {p2[0]}")
    d = send_zlb(ctx, VM_ADDR)
    client_down(ctx, f"`ipsec down` ({p.conn})")
    slots = "/".join(str(s.slot) for s in pair)
    ctx.figures.append(f"{p.conn}: IKE {took:.2f}s")
    print(f"     {p.phase1} + {p.phase2}: Main Mode + Quick Mode in {took:.2f}s, slots {slots}, "
          f"EspDecrypted +{d['EspDecrypted']}", flush=True)


def case_nat(ctx: Ctx) -> None:
    app = ctx.app
    before = app.counters()
    nat_before = app.nat_packets()
    mark = app.cp_log_size()
    took = ipsec_up(ctx, "nat")
    ctx.timings["IKE nat"] = took
    status = statusall(ctx)
    installed = re.search(r"nat\{\d+\}:\s+INSTALLED, TRANSPORT.*", status)
    if not installed or "ESP in UDP" not in installed[0]:
        raise TestFailure(f"the CHILD SA behind the NAT is not UDP-encapsulated:\n"
                          f"{tail(status, 20)}")
    if not re.search(r"nat\[\d+\]: .*\[" + re.escape(VM_NATTED) + r"\]\.\.\." +
                     re.escape(DUT_WAN), status):
        print(f"     (statusall:\n{tail(status, 12)})", flush=True)
    pair = wait_pair(app, ROUTER_WAN, f"one SA pair with the NAT's {ROUTER_WAN}")
    p1, p2 = established_lines(app.cp_log_since(mark))
    m = re.search(r"established with (\S+):(\d+) .*behind NAT", p1[0]) if len(p1) == 1 else None
    if not m:
        raise TestFailure(f"the daemon did not see the peer behind a NAT: {p1}")
    addr, port = m[1], int(m[2])
    if addr != ROUTER_WAN or not NAT_PORTS[0] <= port <= NAT_PORTS[1]:
        raise TestFailure(f"the ISAKMP SA's peer is {addr}:{port}, not the masquerade's "
                          f"{ROUTER_WAN}:{NAT_PORTS[0]}-{NAT_PORTS[1]}")
    if len(p2) != 1 or "udp-transport" not in p2[0] or "UDP-encapsulated" not in p2[0]:
        raise TestFailure(f"the IPsec SA is not UDP-encapsulated transport: {p2}")
    after = app.counters()
    if delta(before, after, "NatDetected") < 1:
        raise TestFailure("NatDetected did not move")
    d = send_zlb(ctx, VM_NATTED, natt=True)
    nat = app.nat_packets() - nat_before
    if nat < 1:
        raise TestFailure("the masquerade rules counted no packet")
    client_down(ctx, "`ipsec down` (nat)")
    print(f"     peer {addr}:{port} (the NAT's mapping of {VM_NATTED}:4500), Main Mode + Quick "
          f"Mode in {took:.2f}s, slots {'/'.join(str(s.slot) for s in pair)}, "
          f"NatTEspRx +{d['NatTEspRx']}, masqueraded {nat} packets", flush=True)
    ctx.figures.append(f"nat: IKE {took:.2f}s, peer {addr}:{port}")


# ---------------------------------------------------------------------------------------------
# Full dial-ins behind the NAT (natdialin, samepublic, natrebind)
# ---------------------------------------------------------------------------------------------


class NsVm:
    """The VM as seen from its network namespace `ns`: each script runs under `ip netns exec`
    (which also binds /etc/netns/NS/* over /etc: ipsec.conf, ipsec.secrets) with /run and
    /var/log bound to the namespace's own directories, so a second charon, xl2tpd and pppd
    keep their pid files, sockets and logs apart from the first. dialin_e2e's helpers take
    it where they take a Vm (they call run, check and wait_for)."""

    def __init__(self, vm: vmlab.Vm, ns: str):
        self.vm, self.ns, self.name = vm, ns, f"{vm.name}/{ns}"
        self.verbose = vm.verbose

    def wrap(self, cmd: str) -> str:
        script = (f"mount --bind /run/{self.ns} /run && "
                  f"mount --bind /var/log/{self.ns} /var/log || exit 90\n"
                  "vmlab_sleep() { sleep \"$@\"; }\n" + cmd)
        return f"ip netns exec {self.ns} bash -c {shlex.quote(script)}"

    def run(self, cmd: str, timeout: float = 30, quiet: bool = False) -> tuple[int, str]:
        return self.vm.run(self.wrap(cmd), timeout=timeout, quiet=quiet)

    check = vmlab.Vm.check
    wait_for = vmlab.Vm.wait_for

    def put_text(self, dest: str, text: str, mode: int = 0o644) -> None:
        self.vm.put_text(dest, text, mode)


def prepare_same_ns(ctx: Ctx) -> NsVm:
    """samepublic's second client: network namespace SAME_NS in the VM on a macvlan of eth0
    (its own MAC and address VM_SAME on the router's segment), its own strongSwan
    configuration and a charon of its own."""
    vm = ctx.vm
    ns = NsVm(vm, SAME_NS)
    if vm.run(f"test -e /run/netns/{SAME_NS}", quiet=True)[0] != 0:
        vm.check(f"ip netns add {SAME_NS}\n"
                 f"ip link add mv{SAME_NS} link eth0 type macvlan mode bridge\n"
                 f"ip link set mv{SAME_NS} netns {SAME_NS}\n"
                 f"ip -n {SAME_NS} addr add {VM_SAME}/24 dev mv{SAME_NS}\n"
                 f"ip -n {SAME_NS} link set lo up\nip -n {SAME_NS} link set mv{SAME_NS} up\n"
                 f"ip -n {SAME_NS} route add default via {ROUTER_LAN}\n"
                 f"mkdir -p /run/{SAME_NS} /var/log/{SAME_NS} /etc/netns/{SAME_NS}", timeout=30)
        vm.put_text(f"/etc/netns/{SAME_NS}/ipsec.conf", SAME_IPSEC_CONF)
        vm.put_text(f"/etc/netns/{SAME_NS}/ipsec.secrets", SAME_IPSEC_SECRETS, 0o600)
        vm.put_text(SAME_LAC.conf, SAME_LAC.xl2tpd_conf())
    if ns.run("test -S /run/charon.ctl && kill -0 $(cat /run/charon.pid)", quiet=True)[0] != 0:
        ns.check("rm -f /run/charon.ctl; ipsec start", timeout=30)
        ns.wait_for("test -S /run/charon.ctl", timeout=TIMEOUT_CHARON)
    return ns


def stop_same_charon(ns: NsVm) -> None:
    """The namespace's starter and charon, by their PIDs (its SAs were brought down)."""
    ns.run("for f in /run/starter.charon.pid /run/charon.pid; do\n"
           "  test -s $f && kill $(cat $f)\ndone\n"
           "end=$((SECONDS + 10))\n"
           "while test -s /run/charon.pid && kill -0 $(cat /run/charon.pid) 2>/dev/null; do\n"
           "  (( SECONDS < end )) || exit 1; sleep 0.1\ndone", timeout=20, quiet=True)


@dataclass
class NatCall:
    """One dial-in behind the NAT: its client, its pool address and the daemon's view of it
    (the NAT's public address and the port the masquerade gave its NAT-T flow)."""
    dctx: dialin.Ctx
    attempt: dialin.Attempt
    addr: str = ""
    took: float = 0.0

    @property
    def lac(self) -> dialin.Lac:
        return self.attempt.lac


def nat_dial(ctx: Ctx, lac: dialin.Lac, label: str, vm: object | None = None) -> NatCall:
    """A full dial-in (strongSwan + xl2tpd + pppd, CHAP) of `lac` through the masquerade,
    its pool address routed into its pppN."""
    dctx = dialin.Ctx(ctx.app, dialin.Client(vm or ctx.vm), ctx.args)  # type: ignore[arg-type]
    call = NatCall(dctx, dialin.Attempt(label, ctx.app.counters(), lac))
    if vm is None and not charon_running(ctx.vm):
        start_charon(ctx)
    rc, call.took = dialin.dial(dctx, call.attempt, "chap", None, dialin.TIMEOUT_PPP)
    call.addr = dialin.dialed_address(dctx, call.attempt, rc, call.took)
    dialin.route_lan(dctx, call.addr, lac)
    return call


def hang_up(call: NatCall) -> None:
    call.attempt.read_logs(call.dctx)
    dialin.stop_client(call.dctx, call.lac)


def nat_peers(app: Lab) -> dict[str, tuple[str, int]]:
    """`show status pp anonymous`: pool address -> the NAT-T peer (address, port) of its
    session's IPsec SA."""
    out = app.ctl_ok("show", "status", "pp", "anonymous")
    peers = {}
    for block in out.split("PP[")[1:]:
        a = re.search(r"Remote: (\d+\.\d+\.\d+\.\d+)", block)
        n = re.search(r"IPsec NAT-T: (\d+\.\d+\.\d+\.\d+):(\d+)", block)
        if a and n:
            peers[a[1]] = (n[1], int(n[2]))
    return peers


def nat_peer_of(app: Lab, addr: str, ports: tuple[int, int]) -> tuple[str, int] | None:
    """The session of `addr` once the daemon shows it behind the NAT's public address with a
    port from `ports`."""
    p = nat_peers(app).get(addr)
    return p if p and p[0] == ROUTER_WAN and ports[0] <= p[1] <= ports[1] else None


def check_nat_views(ctx: Ctx, calls: list[NatCall]) -> list[tuple[str, int]]:
    """The daemon's views of calls through the masquerade: `show status pp anonymous` gives
    each session the NAT's public address and a port of NAT_PORTS, `show ipsec sa` lists a
    pair per call with the public address, `show status l2tp` a tunnel and a session each
    from it; returns the (address, port) of each call."""
    app = ctx.app
    found: list[tuple[str, int] | None] = []

    def shown() -> bool:
        found[:] = [nat_peer_of(app, c.addr, NAT_PORTS) for c in calls]
        return all(found)
    wait_until(shown, TIMEOUT_SA, "`show status pp anonymous` to show each session's NAT-T "
               f"peer {ROUTER_WAN}:{NAT_PORTS[0]}-{NAT_PORTS[1]}", interval=0.2)
    peers = [p for p in found if p]
    sas = sa_table(app)
    if len(sas) != 2 * len(calls) or any(s.peer != ROUTER_WAN for s in sas):
        raise TestFailure(f"`show ipsec sa` does not list {len(calls)} pair(s) with "
                          f"{ROUTER_WAN}: {sas}")
    l2tp = app.ctl_ok("show", "status", "l2tp")
    n = len(calls)
    if (not re.search(rf"Tunnel Control: {n}, Session Control: {n}\b", l2tp) or
            len(re.findall(rf"Remote IP Address: {re.escape(ROUTER_WAN)}$", l2tp, re.M)) != n):
        raise TestFailure(f"`show status l2tp` does not list {n} tunnel(s) and session(s) from "
                          f"{ROUTER_WAN}:\n{tail(l2tp, 40)}")
    return peers


def forget_mappings(app) -> None:
    """The router forgets its NAT mappings (`conntrack -F`): the next packet of every flow goes
    through the masquerade rules again."""
    flushed = host(app.nat.cmd(["conntrack", "-F"]), check=False)  # type: ignore[union-attr]
    if flushed.returncode != 0:
        raise TestFailure(f"conntrack -F: {flushed.stderr.strip()}")


def case_natdialin(ctx: Ctx) -> None:
    app = ctx.app
    # The `nat` case's flows (same addresses and ports) may still be mapped; a mapped flow
    # never meets the masquerade rules again, so they would count nothing.
    forget_mappings(app)
    before = app.counters()
    nat_before = app.nat_packets()
    call = nat_dial(ctx, NAT_LAC, "NAT dial-in")
    try:
        ctx.timings["NAT dial-in"] = call.took
        dialin.ping_lan(call.dctx, "NAT dial-in", call.addr)
        dialin.ping_client(call.dctx, "NAT dial-in", call.addr)
        [(addr, port)] = check_nat_views(ctx, [call])
        after = app.counters()
        moved = {k: delta(before, after, k) for k in
                 ("NatDetected", "NatTEspRx", "EspDecrypted", "L2tpDataRx", "L2tpDataTx",
                  "EspEncrypted")}
        if any(v < (1 if k == "NatDetected" else 6) for k, v in moved.items()):
            raise TestFailure(f"counters did not move as a NAT-T dial-in must: {moved}")
        nat = app.nat_packets() - nat_before
        if nat < 1:
            raise TestFailure("the masquerade's counters did not move")
    finally:
        hang_up(call)
    client_down(ctx, "the NAT dial-in's hang-up")
    figure = (f"dial-in through the NAT {call.took:.2f}s, pool {call.addr}, peer "
              f"{addr}:{port}, masquerade rules counted {nat} packets")
    print(f"     {figure}", flush=True)
    ctx.figures.append("natdialin: " + figure)


def ping_both(ctx: Ctx, ns: NsVm, calls: list[NatCall], count: int = 5) -> None:
    """Both clients ping the LAN host at once (the first in the background), all answered."""
    a, b = calls
    cmd = f"ping -n -c {count} -i 0.2 -W 3 -I {{}} {LAN_HOST}"
    ctx.vm.check(f"{cmd.format(a.addr)} >/tmp/ping-a.log 2>&1 & echo $! >/tmp/ping-a.pid")
    _, out_b = ns.run(cmd.format(b.addr), timeout=30)
    ctx.vm.wait_for("! kill -0 $(cat /tmp/ping-a.pid) 2>/dev/null", timeout=20)
    out_a = ctx.vm.run("cat /tmp/ping-a.log", quiet=True)[1]
    for c, out in ((a, out_a), (b, out_b)):
        if not re.search(rf"\b{count} packets transmitted, {count} received", out):
            raise TestFailure(f"{c.attempt.label}: ping {c.addr} -> {LAN_HOST} at the same "
                              f"time as the other client: not {count} of {count}:\n"
                              f"{tail(out, 6)}\ncounters: {dialin.counters_brief(ctx.app)}")


def case_samepublic(ctx: Ctx) -> None:
    app = ctx.app
    ns = prepare_same_ns(ctx)
    calls: list[NatCall] = []
    try:
        calls.append(nat_dial(ctx, NAT_LAC, "behind the NAT: A"))
        calls.append(nat_dial(ctx, SAME_LAC, "behind the NAT: B", vm=ns))
        a, b = calls
        if a.addr == b.addr:
            raise TestFailure(f"both clients behind the NAT got {a.addr}")
        ping_both(ctx, ns, calls)
        for c in calls:
            dialin.ping_client(c.dctx, c.attempt.label, c.addr)
        peers = check_nat_views(ctx, calls)
        if peers[0] == peers[1]:
            raise TestFailure(f"both sessions show the same NAT-T peer {peers[0]}")
        # Told apart by SPI and L2TP ids as well: two SA pairs, two tunnels.
        sas = sa_table(app)
        if len({s.slot for s in sas}) != 4:
            raise TestFailure(f"`show ipsec sa` does not hold two distinct pairs: {sas}")
        tunnels = re.findall(r"^Local Tunnel ID: (\d+)", app.ctl_ok("show", "status", "l2tp"),
                             re.M)
        if len(set(tunnels)) != 2:
            raise TestFailure(f"the two tunnels do not have distinct ids: {tunnels}")
        figure = (f"A {a.addr} via {peers[0][0]}:{peers[0][1]}, B {b.addr} via "
                  f"{peers[1][0]}:{peers[1][1]}, tunnels {'/'.join(tunnels)}; dial-ins "
                  f"{a.took:.2f}s and {b.took:.2f}s")
        print(f"     {figure}", flush=True)
        ctx.figures.append("samepublic: " + figure)
    finally:
        for c in reversed(calls):
            try:
                hang_up(c)
            except (TestFailure, vmlab.VmError) as e:
                print(f"     (hang-up of {c.attempt.label}: {e})", flush=True)
        stop_same_charon(ns)
    client_down(ctx, "the hang-ups behind the NAT")


# natrebind: a ping every REBIND_PING_INTERVAL from the client to the LAN host while the
# router's mapping changes; at most REBIND_MAX_LOST echoes may go missing (those in flight
# when the mapping went away).
REBIND_PING_INTERVAL = 0.02
REBIND_MAX_LOST = 3
REBIND_AFTER = 2.0           # seconds of ping to see after the change


def ping_replies(vm: vmlab.Vm) -> int:
    return int(vm.run("grep -c 'bytes from' /tmp/ping.log", quiet=True)[1].strip() or 0)


def case_natrebind(ctx: Ctx) -> None:
    app, vm = ctx.app, ctx.vm
    call = nat_dial(ctx, NAT_LAC, "NAT rebind dial-in")
    try:
        [old] = check_nat_views(ctx, [call])
        vm.check(f"ping -n -i {REBIND_PING_INTERVAL} -I {call.addr} {LAN_HOST} >/tmp/ping.log "
                 "2>&1 & echo $! >/tmp/ping.pid")
        try:
            wait_until(lambda: ping_replies(vm) >= 10, TIMEOUT_COUNTERS,
                       "the ping to run through the session", interval=0.2)
            before = app.counters()
            # The mapping changes: new source ports, and the router forgets the old mapping.
            app.masquerade(REBIND_PORTS)
            forget_mappings(app)
            t_change = time.monotonic()
            replies = ping_replies(vm)
            wait_until(lambda: ping_replies(vm) >= replies + REBIND_AFTER / REBIND_PING_INTERVAL / 2
                       and time.monotonic() - t_change >= REBIND_AFTER, TIMEOUT_COUNTERS,
                       "the ping to go on after the change of mapping", interval=0.2)
            new: list[tuple[str, int] | None] = [None]

            def followed() -> bool:
                new[0] = nat_peer_of(app, call.addr, REBIND_PORTS)
                return new[0] is not None
            wait_until(followed, TIMEOUT_SA, "`show status pp anonymous` to follow the new "
                       f"mapping ({ROUTER_WAN}:{REBIND_PORTS[0]}-{REBIND_PORTS[1]})",
                       interval=0.2)
        finally:
            vm.run("pid=$(cat /tmp/ping.pid); kill -INT $pid\n"
                   "while kill -0 $pid 2>/dev/null; do vmlab_sleep 0.05; done", timeout=15,
                   quiet=True)
        log = vm.run("cat /tmp/ping.log", quiet=True)[1]
        (app.logdir / "vm-natrebind-ping.log").write_text(log)
        after = app.counters()
        sent, got, lost = ping_losses(log)
        # The LAN host reaches the client's pool address through the new mapping too.
        dialin.ping_client(call.dctx, "after the rebind", call.addr)
        moved = delta(before, after, "NatTPeerMoved")
        figure = (f"{old[0]}:{old[1]} -> {new[0][0]}:{new[0][1]}; ping every "
                  f"{REBIND_PING_INTERVAL * 1000:.0f} ms: {sent} sent, {got} answered, lost "
                  f"{len(lost)} {lost or ''}; NatTPeerMoved +{moved}")
        print(f"     {figure}", flush=True)
        ctx.figures.append("natrebind: " + figure)
        if moved < 1:
            raise TestFailure("the dataplane did not count the peer's move (NatTPeerMoved)")
        if len(lost) > REBIND_MAX_LOST:
            raise TestFailure(f"{len(lost)} echoes lost across the change of mapping (at most "
                              f"{REBIND_MAX_LOST}): {lost}")
        l2tp = app.ctl_ok("show", "status", "l2tp")
        if not re.search(r"Tunnel Control: 1, Session Control: 1\b", l2tp):
            raise TestFailure(f"`show status l2tp` after the rebind:\n{tail(l2tp, 20)}")
    finally:
        app.masquerade(NAT_PORTS)
        hang_up(call)
    client_down(ctx, "the rebind's hang-up")


ESP_L2TP_DROPS = ["Drop.EspNoSa", "Drop.EspReplay", "Drop.EspBadIcv", "Drop.EspBadLength",
                  "Drop.EspBadPadding", "Drop.EspWrongPeer", "Drop.EspNoOutboundSa",
                  "Drop.L2tpNoSession", "Drop.L2tpWrongSa"]


def ping_losses(log: str) -> tuple[int, int, list[int]]:
    """(echo requests sent, replies, lost sequence numbers) from `ping -n` output. A request
    sent before the last answered one and never answered is lost; the few still in flight when
    ping was stopped are not counted either way."""
    seqs = {int(m) for m in re.findall(r"bytes from .*icmp_seq=(\d+)", log)}
    if not seqs:
        return 0, 0, []
    last = max(seqs)
    m = re.search(r"(\d+) packets transmitted", log)
    sent = int(m[1]) if m else last
    return sent, len(seqs), [s for s in range(1, last + 1) if s not in seqs]


def case_rekey(ctx: Ctx) -> None:
    app, vm = ctx.app, ctx.vm
    dctx = ctx.dialin_ctx("rekey")
    if not charon_running(vm):
        start_charon(ctx)
    attempt = dialin.Attempt("rekey dial-in", app.counters(), REKEY_LAC)
    try:
        rc, took = dialin.dial(dctx, attempt, "chap", dialin.PASSWORD, dialin.TIMEOUT_PPP)
        addr = dialin.ppp_address(vm, REKEY_LAC) if rc == dialin.DIAL_UP else None
        if addr is None:
            raise TestFailure(f"no ppp0 address ({dialin.DIAL_OUTCOME.get(rc, rc)}): the "
                              f"dial-in {attempt.failure_point(dctx)}")
        ctx.timings["rekey dial-in"] = took
        vm.check("ip route replace 192.0.2.0/24 dev ppp0")
        before = app.counters()
        t0 = time.monotonic()
        vm.check(f"ping -n -i {PING_INTERVAL} {LAN_HOST} >/tmp/ping.log 2>&1 & "
                 "echo $! >/tmp/ping.pid")
        # Polled: the daemon's counters say when the new SAs are there (the rekeys are the
        # client's, on its lifetimes).
        last: dict[str, int] = {}

        def rekeyed() -> bool:
            last.update(app.counters())
            return (delta(before, last, "Phase2Established") >= REKEY_PHASE2 and
                    delta(before, last, "Phase1Established") >= REKEY_PHASE1)
        try:
            wait_until(rekeyed, REKEY_DEADLINE, f"{REKEY_PHASE2} phase-2 and {REKEY_PHASE1} "
                       "phase-1 rekeys", interval=0.5)
        finally:
            vm.run("pid=$(cat /tmp/ping.pid); kill -INT $pid\n"
                   "while kill -0 $pid 2>/dev/null; do vmlab_sleep 0.05; done", timeout=15,
                   quiet=True)
        window = time.monotonic() - t0
        log = vm.run("cat /tmp/ping.log", quiet=True)[1]
        (app.logdir / "vm-rekey-ping.log").write_text(log)
        after = app.counters()
        sent, got, lost = ping_losses(log)
        drops = {k: delta(before, after, k) for k in ESP_L2TP_DROPS if delta(before, after, k)}
        p2 = delta(before, after, "Phase2Established")
        p1 = delta(before, after, "Phase1Established")
        moved = ", ".join(f"{k} +{delta(before, after, k)}" for k in
                          ("Phase2Expired", "Phase2Deleted", "Phase1Expired", "Phase1Deleted",
                           "InitialContact", "rekeys"))
        figure = (f"{window:.1f}s of ping every {PING_INTERVAL * 1000:.0f} ms: {sent} sent, "
                  f"{got} answered, lost {lost or 'none'}; {p2} phase-2 and {p1} phase-1 "
                  f"negotiations on the daemon ({moved})")
        print(f"     {figure}", flush=True)
        ctx.figures.append("rekey: " + figure)
        if sent < 5 / PING_INTERVAL or got == 0:
            raise TestFailure(f"the ping hardly ran ({sent} sent, {got} answered):\n"
                              f"{tail(log, 10)}")
        if lost:
            raise TestFailure(f"echo requests lost across the rekeys: {lost}; drops {drops}")
        if drops:
            raise TestFailure(f"ESP/L2TP drops during the rekeys: {drops}")
        if delta(before, after, "InitialContact"):
            raise TestFailure("a rekey sent INITIAL-CONTACT (it would drop the live SAs)")
        # Still the one tunnel and session of the dial-in.
        l2tp = app.ctl_ok("show", "status", "l2tp")
        if not re.search(r"Tunnel Control: 1, Session Control: 1\b", l2tp):
            raise TestFailure(f"`show status l2tp` after the rekeys:\n{tail(l2tp, 20)}")
    finally:
        attempt.read_logs(dctx)
        dialin.stop_client(dctx, REKEY_LAC)
    client_down(ctx, "the hang-up")


def kill_charon(ctx: Ctx) -> None:
    """kill -9 starter (else it restarts charon) and charon, by their PIDs: no Delete leaves."""
    ctx.vm.check("for f in /run/starter.charon.pid /run/charon.pid; do\n"
                 "  test -s $f && kill -9 $(cat $f)\n"
                 "done\n"
                 "end=$((SECONDS + 10))\n"
                 "while pidof charon starter >/dev/null; do (( SECONDS < end )) || exit 1; "
                 "vmlab_sleep 0.05; done\n"
                 "rm -f /run/charon.ctl /run/charon.pid /run/starter.charon.pid", timeout=20)


SPI_LINE = r"\[IKE\] IPsec SA\[\d+\] established with .* SPI in ([0-9a-f]{8}) out ([0-9a-f]{8})"


def case_restart(ctx: Ctx) -> None:
    app, vm = ctx.app, ctx.vm
    mark = app.cp_log_size()
    ipsec_up(ctx, "dpd")
    old = wait_pair(app, VM_ADDR, "the first pair")
    old_spis = re.findall(SPI_LINE, app.cp_log_since(mark))
    if len(old_spis) != 1:
        raise TestFailure(f"expected one IPsec SA established line, got {old_spis}")
    kill_charon(ctx)
    # The client's host "rebooted": its kernel forgot the SAs too.
    vm.check("ip xfrm state flush; ip xfrm policy flush")
    before = app.counters()
    if sa_table(app) != old:
        raise TestFailure("the old pair left the daemon before the client came back")
    mark = app.cp_log_size()
    start_charon(ctx)
    took = dialin.ipsec_up(ctx.dialin_ctx("dpd"))
    # At once: the first moment the new pair is installed, the old one is gone (INITIAL-CONTACT
    # in MM5 came before the Quick Mode that made the new pair).
    last: dict[str, int] = {}

    def installed() -> bool:
        last.update(app.counters())
        return delta(before, last, "Phase2Established") >= 1
    wait_until(installed, TIMEOUT_SA, "the new IPsec SA pair", interval=0.1)
    table = sa_table(app)
    if last.get("child_sas", 0) != 1 or last.get("ike_sas", 0) != 1 or len(table) != 2:
        raise TestFailure(f"with the new pair installed the daemon still holds "
                          f"{last.get('ike_sas', 0)} ISAKMP and {last.get('child_sas', 0)} IPsec "
                          f"SAs; `show ipsec sa`: {table}")
    if delta(before, last, "InitialContact") != 1:
        raise TestFailure(f"InitialContact moved by {delta(before, last, 'InitialContact')}")
    log = app.cp_log_since(mark)
    gone = rf"removed \(SPI in {old_spis[0][0]} out {old_spis[0][1]}\): INITIAL-CONTACT"
    # (ISAKMP SAs without IPsec SAs may still be there from earlier cases: any number.)
    if not re.search(r"INITIAL-CONTACT from \S+: dropping \d+ ISAKMP and 1 IPsec SAs", log) or \
            not re.search(gone, log):
        raise TestFailure("the daemon's log does not show INITIAL-CONTACT dropping the old pair "
                          f"(SPI in {old_spis[0][0]} out {old_spis[0][1]}):\n{tail(log, 10)}")
    new_spis = re.findall(SPI_LINE, log)
    d = send_zlb(ctx, VM_ADDR)
    print(f"     old pair (SPI in {old_spis[0][0]} out {old_spis[0][1]}, slots "
          f"{sorted(s.slot for s in old)}) replaced by {new_spis} (slots "
          f"{sorted(s.slot for s in table)}), IKE {took:.2f}s, EspDecrypted "
          f"+{d['EspDecrypted']}", flush=True)
    ctx.figures.append(f"restart: IKE {took:.2f}s, the old pair gone when the new one was "
                       "installed")


def case_dpd(ctx: Ctx) -> None:
    app, vm = ctx.app, ctx.vm
    if not one_pair(app, VM_ADDR):
        ipsec_up(ctx, "dpd")
        wait_pair(app, VM_ADDR, "an SA pair")
    before = app.counters()
    mark = app.cp_log_size()
    kill_charon(ctx)
    t_kill = time.monotonic()
    # Detection: at most DPD_INTERVAL to notice the peer idle (the check runs every interval),
    # then DPD_COUNT unanswered R-U-THEREs one interval apart, and one more interval to give up
    # on the last: (COUNT + 2) x INTERVAL from the last sign of life.
    bound = (DPD_COUNT + 2) * DPD_INTERVAL

    def gone() -> bool:
        c = app.counters()
        return not sa_table(app) and c.get("child_sas", 0) == 0 and c.get("ike_sas", 0) == 0
    wait_until(gone, bound + 15, "DPD to remove the SAs (show ipsec sa, ike_sas, child_sas)",
               interval=0.2)
    took = time.monotonic() - t_kill
    after = app.counters()
    log = app.cp_log_since(mark)
    vm.check("ip xfrm state flush; ip xfrm policy flush")
    print(f"     SAs removed {took:.1f}s after kill -9 (bound {bound}s: interval {DPD_INTERVAL}s,"
          f" count {DPD_COUNT}); DpdSent +{delta(before, after, 'DpdSent')}, DpdPeerDead "
          f"+{delta(before, after, 'DpdPeerDead')}", flush=True)
    ctx.figures.append(f"dpd: SAs removed {took:.1f}s after kill -9 (bound {bound}s)")
    if delta(before, after, "DpdPeerDead") != 1:
        raise TestFailure(f"DpdPeerDead moved by {delta(before, after, 'DpdPeerDead')}")
    if delta(before, after, "DpdSent") < DPD_COUNT:
        raise TestFailure(f"only {delta(before, after, 'DpdSent')} R-U-THEREs were sent")
    if not re.search(rf"answered none of {DPD_COUNT} R-U-THERE: peer dead", log):
        raise TestFailure(f"no `peer dead` line in the daemon's log:\n{tail(log, 10)}")
    if took > bound + 1.5:
        raise TestFailure(f"DPD took {took:.1f}s, over its bound of {bound}s")


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------

CASES = ("proposals", "nat", "natdialin", "samepublic", "natrebind", "rekey", "restart", "dpd")


def stale_namespaces() -> None:
    """Namespaces left by a SIGKILLed run of this test (their PID is gone)."""
    for p in Path("/run/netns").glob(NS_PREFIX + "*"):
        m = re.fullmatch(NS_PREFIX + r"(?:nat|dut|lan)-(\d+)", p.name)
        if m and not Path(f"/proc/{m[1]}").exists():
            print(f"removing stale namespace {p.name}", flush=True)
            vmlab.Netns(p.name).delete()


def cleaned(ctx: Ctx, conn: str, fn: Callable[[], None]) -> Callable[[], None]:
    """fn, and after a failure the client's SAs brought down, so that the next case starts
    from an empty SA table."""
    def run() -> None:
        try:
            fn()
        except BaseException:
            try:
                client_down(ctx, f"the failure of {conn}")
            except (TestFailure, vmlab.VmError) as e:
                print(f"     (clean-up after the failure: {e})", flush=True)
            raise
    return run


def run_cases(ctx: Ctx, res: Results, only: set[str]) -> None:
    if "proposals" in only:
        for p in PROPOSALS:
            res.case(f"proposal {p.conn}: {p.label}: phase 1 + 2, show ipsec sa, ESP datagram "
                     "punted as L2TP, ipsec down",
                     cleaned(ctx, p.conn, lambda p=p: case_proposal(ctx, p)))
    nat_cases = [
        ("nat", "NAT (nftables masquerade, address and ports rewritten): NAT-D, float to 4500, "
         "UDP-encapsulated transport, ESP datagram arrives", case_nat),
        ("natdialin", "dial-in through the NAT (xl2tpd + pppd, CHAP): pool address, pings both "
         "ways through the fastpath, the daemon shows the NAT's address and port",
         case_natdialin),
        ("samepublic", "two clients behind one public address, both from 500/4500/1701 inside: "
         "two pool addresses, both ping at once, told apart by port, SPI and L2TP ids",
         case_samepublic),
        ("natrebind", "NAT rebinding mid-session (new ports, conntrack flushed): the pings go "
         "on, the daemon follows the new port", case_natrebind)]
    for name, label, fn in nat_cases:
        if name in only:
            res.case(label, cleaned(ctx, name, lambda fn=fn: fn(ctx)))
    if "rekey" in only:
        res.case(f"rekeys: {REKEY_PHASE2}+ phase-2 and {REKEY_PHASE1}+ phase-1 rekeys under a "
                 "ping through L2TP/PPP, none lost", lambda: case_rekey(ctx))
    if "restart" in only:
        res.case("client restart (kill -9, INITIAL-CONTACT): the old pair goes at once, the new "
                 "one carries ESP", cleaned(ctx, "dpd", lambda: case_restart(ctx)))
    if "dpd" in only:
        res.case(f"DPD (interval {DPD_INTERVAL}s, count {DPD_COUNT}): a killed client's SAs leave "
                 "the daemon and the dataplane", lambda: case_dpd(ctx))


def main() -> int:
    ap = argparse.ArgumentParser(description="l2tpgw IKEv1 interop scenarios (qemu VM client)")
    ap.add_argument("--builddir", type=Path, required=True)
    ap.add_argument("--cache", type=Path, default=vmlab.DEFAULT_CACHE)
    ap.add_argument("--logdir", type=Path, default=None,
                    help="where logs go (default <builddir>/interop-logs; kept on failure)")
    ap.add_argument("--keep", action="store_true", help="keep logs and the VM dir on success")
    ap.add_argument("--only", default=",".join(CASES),
                    help=f"comma-separated subset of {','.join(CASES)}")
    args = ap.parse_args()
    args.pcap = False  # dialin_e2e's helpers read it
    only = set(filter(None, args.only.split(",")))
    if not only <= set(CASES):
        ap.error(f"--only: unknown case(s) {sorted(only - set(CASES))}")
    builddir = args.builddir.resolve()
    rc = dialin.preflight("ike_e2e", PREREQUISITES, builddir,
                          (dialin.DATAPLANE, dialin.CONTROLPLANE, dialin.CTL))
    if rc is not None:
        return rc

    t_start = time.monotonic()
    stale_namespaces()
    tag = str(os.getpid())
    logdir = dialin.make_logdir(args.logdir, builddir, f"ike-{tag}-")
    res = Results()
    app: Lab | None = None
    problems: list[str] = []
    ctx: Ctx | None = None
    vm_boot = None
    with vmlab.Netns(f"{NS_PREFIX}nat-{tag}") as nat, \
            vmlab.Netns(f"{NS_PREFIX}dut-{tag}") as dut, \
            vmlab.Netns(f"{NS_PREFIX}lan-{tag}") as lan:
        app = Lab(builddir, logdir, tag, dut, lan, nat=nat)
        try:
            ensure_hugepages()
            app.wire()
            with vmlab.Vm(nat.name, app.vm_tap, f"{VM_ADDR}/24", gw=ROUTER_LAN,
                          cache=args.cache, workdir=logdir, keep=args.keep, name="client") as vm:
                vm_boot = vm.boot_s
                ctx = Ctx(app, vm, args)

                def appliance() -> None:
                    t0 = time.monotonic()
                    app.start_dataplane()
                    app.start_controlplane("chap")
                    ctx.timings["appliance start"] = time.monotonic() - t0
                ok = res.case("setup: dataplane ready, controlplane attached (DPD on)", appliance)
                ok = ok and res.case("setup: the client VM is ready behind the router (modules, "
                                     "configs, xfrm warm-up, ping)", lambda: prepare(ctx))
                if ok:
                    run_cases(ctx, res, only)
                    res.case("the dataplane and the controlplane are still running", app.alive)
                if res.failed or args.keep:
                    _, clog = vm.run("cat /var/log/charon.log", quiet=True)
                    (logdir / "vm-charon.log").write_text(clog.replace(PSK, "<psk>"))
                if res.failed:
                    vm.keep = True
                    diag = dialin.Client(vm).diagnostics().replace(PSK, "<psk>")
                    (logdir / "vm-diagnostics.txt").write_text(diag)
                    print(f"\n===== VM diagnostics\n{diag}", flush=True)
        finally:
            if app is not None:
                problems = app.stop()
                if res.failed:
                    for p in (app.dp, app.cp):
                        if p is not None:
                            print(f"\n===== {p.name} log (tail) {p.log_path}\n{p.tail(60)}",
                                  flush=True)
    for p in problems:
        res.failed.append(("daemon exit", p))
    rc = res.summary()
    print(f"VM boot {vm_boot:.2f}s" if vm_boot else "VM did not boot", end="")
    if ctx is not None:
        for k, v in ctx.timings.items():
            print(f", {k} {v:.2f}s", end="")
    print(f"; whole test {time.monotonic() - t_start:.1f}s", flush=True)
    if ctx is not None and ctx.figures:
        print("figures:\n  " + "\n  ".join(ctx.figures), flush=True)
    if rc == 0 and not args.keep:
        shutil.rmtree(logdir, ignore_errors=True)
    else:
        print(f"logs: {logdir}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
