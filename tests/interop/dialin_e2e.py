#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# dialin_e2e.py: an unmodified Linux L2TP/IPsec client (strongSwan + xl2tpd + pppd, Debian's
# packages) in a qemu VM (tests/interop/vmlab.py) dials into the real l2tpgw: the DPDK
# dataplane with its WAN port a net_af_packet vdev on the VM's tap and its LAN port a
# net_af_packet vdev on a veth to a LAN namespace, and the controlplane attached to it with a
# seed-style Yamaha RTX configuration.
#
#   namespace l2gw-dial-dut-<pid>                                 namespace l2gw-dial-lan-<pid>
#   VM eth0 --tap dialw<pid>-- [l2tpgw-dataplane] --veth dial<pid> | lanh<pid>-- LAN host
#   203.0.113.2          203.0.113.1 (WAN) | 192.0.2.1 (lan1)                     192.0.2.10
#                        l2tpgw-controlplane --config (IKE, L2TP, PPP); pool 192.0.2.200-209
#
# Stages (--stage, default all):
#   ike     IKEv1 Main Mode + Quick Mode from strongSwan against the daemon: the VM's charon
#           shows the IKE SA ESTABLISHED and the CHILD SA INSTALLED in transport mode,
#           `l2tpgwctl show ipsec sa` lists the pair, a UDP/1701 datagram from the VM crosses
#           the ESP SA (EspDecrypted, PuntL2tpControl move), `ipsec down` removes the pair;
#           then libreswan (its .deb fetched with `apt-get download` into a cache and unpacked
#           in the VM's tmpfs overlay) as a second IKEv1 client.
#   dialin  the ike stage's strongSwan cases first, then xl2tpd + pppd dial in with CHAP-MD5,
#           PAP and MS-CHAPv2 (each: ppp0 gets a pool address, ping VM <-> LAN host through
#           the fastpath, `show status l2tp` / `show status pp` list the session, hang-up),
#           and a wrong password that must be refused with the daemon staying up.
#
#   /usr/bin/python3 tests/interop/dialin_e2e.py --builddir <builddir> [--stage ike|dialin|all]
#                   [--cache DIR] [--logdir DIR] [--keep]
#
# Needs root, hugepages and the packages of scripts/setup.sh; exits 77 (skipped) without them.
# Every wait polls a condition against a deadline; processes are stopped by their PID.

from __future__ import annotations

import argparse
import fcntl
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "e2e"))

import vmlab  # noqa: E402
from lab import Proc, Results, TestFailure, ensure_hugepages, wait_until  # noqa: E402

SKIP = 77

DATAPLANE = "dataplane/l2tpgw-dataplane"
CONTROLPLANE = "controlplane/l2tpgw-controlplane"
CTL = "controlplane/l2tpgwctl"
READY_LINE = r"^l2tpgw-dataplane: ready"
ATTACHED_LINE = r"\[CP\] attached to l2tpgw-dataplane pid (\d+)"

# Documentation addresses only (RFC 5737).
DUT_WAN = "203.0.113.1"
VM_WAN = "203.0.113.2"
DUT_LAN = "192.0.2.1"
LAN_HOST = "192.0.2.10"
POOL_FIRST, POOL_LAST = "192.0.2.200", "192.0.2.209"
POOL = [f"192.0.2.{i}" for i in range(200, 210)]

NS_PREFIX = "l2gw-dial-"
PSK = "vmlab-dialin-psk-5e1a"      # test-only secrets
USER, PASSWORD = "vmuser", "vmpass-7d2f"

# Deadlines (seconds). The VM runs under TCG on a shared 2-CPU box: generous, but each is a
# bound on a polled condition, never a sleep.
TIMEOUT_READY = 90.0
TIMEOUT_ATTACH = 120.0
TIMEOUT_CHARON = 30.0
TIMEOUT_IKE = 60.0
TIMEOUT_SA_LISTED = 20.0
TIMEOUT_COUNTERS = 20.0
TIMEOUT_PPP = 45.0
TIMEOUT_HANGUP = 30.0
TIMEOUT_AUTH_FAIL = 45.0

PREREQUISITES = [
    ("/usr/bin/qemu-system-x86_64", "qemu-system-x86"),
    ("/bin/busybox", "busybox-static"),
    ("/usr/sbin/ipsec", "strongswan"),
    ("/usr/sbin/xl2tpd", "xl2tpd"),
    ("/usr/sbin/pppd", "ppp"),
    ("/sbin/modprobe", "kmod"),
    ("/usr/bin/ping", "iputils-ping"),
]

# ---------------------------------------------------------------------------------------------
# The appliance's configuration: seed 000's remote-access block (tunnel template form), with
# the lab's addresses. `pp auth request` is the method under test.
# ---------------------------------------------------------------------------------------------

AUTH_METHODS = {          # name -> (`pp auth request` word, pppd options forcing that method)
    "chap": ("chap", "refuse-pap\nrefuse-mschap\nrefuse-mschap-v2\nrefuse-eap\n"),
    "pap": ("pap", "refuse-chap\nrefuse-mschap\nrefuse-mschap-v2\nrefuse-eap\n"),
    "mschap-v2": ("mschap-v2", "refuse-pap\nrefuse-chap\nrefuse-mschap\nrefuse-eap\n"),
}
AUTH_LABEL = {"chap": "CHAP-MD5", "pap": "PAP", "mschap-v2": "MS-CHAPv2"}


def appliance_config(auth: str, psk: str = PSK, ike_keepalive: str = "off",
                     title: str = "tests/interop/dialin_e2e.py") -> str:
    """Seed 000's block; `ike_keepalive` is what follows `ipsec ike keepalive use 1`."""
    return f"""# l2tpgw interop lab ({title}): L2TP/IPsec remote access,
# seed 000's block with documentation addresses; pp auth request {auth}
ip lan1 address {DUT_LAN}/24
ip lan1 proxyarp on
pp select anonymous
 pp bind tunnel1-tunnel2
 pp auth request {auth}
 pp auth username {USER} {PASSWORD}
 ppp ipcp ipaddress on
 ppp ipcp msext on
 ip pp remote address pool {POOL_FIRST}-{POOL_LAST}
 pp enable anonymous
tunnel select 1
 tunnel template 2
 tunnel encapsulation l2tp
 ipsec tunnel 1
  ipsec sa policy 1 1 esp aes-cbc sha-hmac
  ipsec ike keepalive use 1 {ike_keepalive}
  ipsec ike local address 1 {DUT_WAN}
  ipsec ike nat-traversal 1 on
  ipsec ike pre-shared-key 1 text {psk}
  ipsec ike remote address 1 any
 l2tp tunnel disconnect time off
 l2tp keepalive use on 10 3
 l2tp keepalive log on
 l2tp syslog on
 ip tunnel tcp mss limit auto
 tunnel enable 1
ipsec transport 1 1 udp 1701
ipsec transport template 1 2
ipsec auto refresh on
l2tp service on
"""


# ---------------------------------------------------------------------------------------------
# The client's configuration in the VM (what a Linux L2TP/IPsec client writes: NetworkManager-
# l2tp's shape, Windows-like proposals)
# ---------------------------------------------------------------------------------------------

# Two connections: `l2tpgw` plain ESP, `l2tpgw-natt` with UDP encapsulation forced
# (strongSwan fakes its NAT-D payloads, so the responder sees a NAT and both float to 4500).
CONN, CONN_NATT = "l2tpgw", "l2tpgw-natt"
IPSEC_CONN = f"""
    keyexchange=ikev1
    authby=secret
    type=transport
    left={VM_WAN}
    leftprotoport=17/1701
    right={DUT_WAN}
    rightprotoport=17/1701
    ike=aes256-sha1-modp1024!
    esp=aes256-sha1!
    keyingtries=1
    rekey=no
    auto=add
"""
IPSEC_CONF = (f"config setup\nconn {CONN}" + IPSEC_CONN +
              f"conn {CONN_NATT}" + IPSEC_CONN + "    forceencaps=yes\n")
IPSEC_SECRETS = f'{VM_WAN} {DUT_WAN} : PSK "{PSK}"\n'
# charon logs to a file; retransmits are bounded so a silent responder fails `ipsec up` in
# about 15 s (2 + 3.6 + 6.5 s) instead of minutes.
STRONGSWAN_LOCAL = """charon {
    retransmit_tries = 3
    retransmit_timeout = 2.0
    filelog {
        l2tpgw {
            path = /var/log/charon.log
            time_format = %T
            default = 1
            ike = 2
            knl = 2
            cfg = 1
            flush_line = yes
        }
    }
}
"""

XL2TPD_CONF = f"""[global]
port = 1701
access control = no

[lac l2tpgw]
lns = {DUT_WAN}
redial = no
length bit = yes
require authentication = no
ppp debug = yes
pppoptfile = /etc/ppp/options.l2tpgw
"""


def ppp_options(auth: str, password: str) -> str:
    return (f"name {USER}\npassword {password}\n" + AUTH_METHODS[auth][1] +
            "noauth\nnoccp\nnodefaultroute\nnoipdefault\nipcp-accept-local\nipcp-accept-remote\n"
            "mtu 1400\nmru 1400\nlcp-echo-interval 0\nmaxfail 1\n"
            "debug\nlogfile /tmp/pppd.log\n")


XL2TPD_CONTROL = "/run/xl2tpd/l2tp-control"

# ---------------------------------------------------------------------------------------------
# libreswan (stage ike's second client)
# ---------------------------------------------------------------------------------------------

LIBRESWAN_CONF = f"""config setup
    logfile=/var/log/pluto.log
    ikev1-policy=accept
    plutodebug=none
    logtime=yes
conn l2tpgw
    ikev2=no
    authby=secret
    type=transport
    left={VM_WAN}
    leftprotoport=17/1701
    right={DUT_WAN}
    rightprotoport=17/1701
    ike=aes256-sha1;modp2048
    phase2alg=aes256-sha1
    keyingtries=1
    auto=add
"""
LIBRESWAN_SECRETS = f'{VM_WAN} {DUT_WAN} : PSK "{PSK}"\n'


# ---------------------------------------------------------------------------------------------
# The lab: two namespaces, the tap, the veth, the appliance's two processes, the VM
# ---------------------------------------------------------------------------------------------

def host(cmd: list[str], timeout: float = 30, check: bool = True) -> subprocess.CompletedProcess:
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=timeout)
    if check and p.returncode != 0:
        raise TestFailure(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()}")
    return p


def tail(text: str, n: int = 40) -> str:
    return "\n".join(text.splitlines()[-n:])


@dataclass
class Appliance:
    builddir: Path
    logdir: Path
    tag: str
    dut: vmlab.Netns
    lan: vmlab.Netns
    dp: Proc | None = None
    cp: Proc | None = None
    cfg: Path | None = None

    @property
    def prefix(self) -> str:
        return f"l2gw-dial-{self.tag}"

    @property
    def tap(self) -> str:
        return f"dialw{self.tag}"[:15]

    @property
    def dplan(self) -> str:
        return f"dial{self.tag}"[:15]

    @property
    def lanif(self) -> str:
        return f"lanh{self.tag}"[:15]

    @property
    def socket(self) -> Path:
        return self.logdir / "run" / "cp.sock"

    def wire(self) -> None:
        """The tap for the VM (no kernel address: the dataplane owns it) and the LAN veth,
        created directly inside the namespaces so nothing in the root namespace can clash."""
        self.dut.tap(self.tap)
        host(["ip", "-n", self.dut.name, "link", "add", self.dplan, "numtxqueues", "1",
              "numrxqueues", "1", "type", "veth", "peer", "name", self.lanif, "netns",
              self.lan.name])
        for ns, dev in ((self.dut.name, self.dplan), (self.lan.name, self.lanif)):
            # af_packet must see complete frames with real checksums.
            for feature in ("tx", "rx", "sg", "tso", "gso", "gro"):
                host(["ip", "netns", "exec", ns, "ethtool", "-K", dev, feature, "off"],
                     check=False)
            host(["ip", "-n", ns, "link", "set", dev, "up"])
        host(["ip", "-n", self.lan.name, "addr", "add", f"{LAN_HOST}/24", "dev", self.lanif])

    def start_dataplane(self, extra_args: list[str] | None = None) -> None:
        cpus = os.cpu_count() or 1
        self.dp = Proc("dataplane", self.dut.cmd([
            str(self.builddir / DATAPLANE), "--no-pci", "--file-prefix", self.prefix,
            "--lcores", f"0@0,1@{1 % cpus}",
            "--vdev", f"net_af_packet0,iface={self.tap},qpairs=2",
            "--vdev", f"net_af_packet1,iface={self.dplan},qpairs=2",
            "--",
            "--wan-addr", f"{DUT_WAN}/24", "--lan-addr", f"{DUT_LAN}/24",
            "--pool", f"{POOL_FIRST}-{POOL_LAST}", "--max-sessions", "64",
            # The worker shares its CPU with qemu's TCG thread and other tests: back off.
            "--idle-sleep-us", "100"] + (extra_args or [])), self.logdir)
        self.dp.wait_for_output(READY_LINE, TIMEOUT_READY)

    def start_controlplane(self, auth: str) -> None:
        self.cfg = self.write_config(auth)
        self.cp = Proc("controlplane", self.dut.cmd([
            str(self.builddir / CONTROLPLANE), "--file-prefix", self.prefix,
            "--socket", str(self.socket), "--config", str(self.cfg),
            "--attach-retry-max-ms", "1000"]), self.logdir)
        self.cp.wait_for_output(ATTACHED_LINE, TIMEOUT_ATTACH)

    def write_config(self, auth: str) -> Path:
        p = self.logdir / f"l2tpgw-{auth}.conf"
        p.write_text(appliance_config(AUTH_METHODS[auth][0]))
        p.chmod(0o600)
        return p

    def load_config(self, auth: str) -> str:
        self.cfg = self.write_config(auth)
        return self.ctl_ok("load", "config", str(self.cfg))

    def ctl(self, *words: str) -> subprocess.CompletedProcess:
        cmd = [str(self.builddir / CTL), "--socket", str(self.socket), "--timeout", "30", *words]
        p = host(cmd, timeout=60, check=False)
        with open(self.logdir / "l2tpgwctl.log", "a") as log:
            log.write(f"# {' '.join(words)}\n# rc={p.returncode}\n{p.stdout}{p.stderr}\n")
        return p

    def ctl_ok(self, *words: str) -> str:
        p = self.ctl(*words)
        if p.returncode != 0:
            raise TestFailure(f"l2tpgwctl {' '.join(words)} failed ({p.returncode}): "
                              f"{(p.stderr or p.stdout).strip()}")
        return p.stdout

    def counters(self) -> dict[str, int]:
        """`show counters`: the dataplane's counters, its drops (Drop.<reason>), the punt
        classes (Punt.<class>) and the controlplane's injections (Inject.raw, Inject.esp)."""
        out: dict[str, int] = {}
        section = ""
        for line in self.ctl_ok("show", "counters").splitlines():
            if not line.startswith(" "):
                section = next((prefix for head, prefix in (("Drops", "Drop."),
                                                            ("Punted", "Punt."),
                                                            ("Injected", "Inject."))
                                if line.startswith(head)), "")
                continue
            m = re.match(r"^\s+(\S+)\s+(\d+)", line)
            if m:
                out[section + m[1]] = int(m[2])
        return out

    def alive(self) -> None:
        for name, p in (("dataplane", self.dp), ("controlplane", self.cp)):
            if p is None or not p.running():
                rc = None if p is None else p.p.returncode
                raise TestFailure(f"the {name} is not running (exit status {rc}):\n"
                                  f"{p.tail() if p else ''}")

    def stop(self) -> list[str]:
        problems = []
        for name, p in (("controlplane", self.cp), ("dataplane", self.dp)):
            if p is None:
                continue
            was_running = p.running()
            rc = p.stop()
            print(f"{name} stopped (exit status {rc}); log {p.log_path}", flush=True)
            if not was_running:
                problems.append(f"the {name} had exited by itself with {rc}")
        # A killed primary leaves its hugepage files and runtime directory behind.
        for f in Path("/dev/hugepages").glob(f"{self.prefix}map_*"):
            f.unlink(missing_ok=True)
        shutil.rmtree(f"/var/run/dpdk/{self.prefix}", ignore_errors=True)
        return problems


# ---------------------------------------------------------------------------------------------
# The client in the VM
# ---------------------------------------------------------------------------------------------

@dataclass
class Client:
    vm: vmlab.Vm
    timings: dict[str, float] = field(default_factory=dict)

    def prepare(self) -> None:
        vm = self.vm
        vm.put_text("/etc/ipsec.conf", IPSEC_CONF)
        vm.put_text("/etc/ipsec.secrets", IPSEC_SECRETS, 0o600)
        vm.put_text("/etc/strongswan.d/zz-l2tpgw-test.conf", STRONGSWAN_LOCAL)
        vm.put_text("/etc/xl2tpd/xl2tpd.conf", XL2TPD_CONF)
        vm.check("modprobe -a esp4 xfrm_user l2tp_ppp ppp_generic", timeout=30)
        # The kernel's first SA install runs its crypto self-tests (about a second under
        # TCG): pay that before IKE with a dummy SA of the algorithms the tests use, so it
        # does not count in the IKE and dial-in times.
        ids = f"src {VM_WAN} dst {DUT_WAN} proto esp spi 0x1000"
        t0 = time.monotonic()
        vm.check(f"ip xfrm state add {ids} mode transport enc 'cbc(aes)' 0x{'11' * 32} "
                 f"auth-trunc 'hmac(sha1)' 0x{'22' * 20} 96\nip xfrm state del {ids}",
                 timeout=60)
        self.timings["xfrm warm-up"] = time.monotonic() - t0
        # pppd accepts each method's options file (`dryrun` parses them and exits).
        for auth in AUTH_METHODS:
            vm.put_text("/etc/ppp/options.l2tpgw", ppp_options(auth, PASSWORD), 0o600)
            rc, out = vm.run("pppd file /etc/ppp/options.l2tpgw dryrun pty true", timeout=30)
            if rc != 0:
                raise TestFailure(f"pppd refuses the {auth} options ({rc}): {out.strip()}")

    def start_charon(self) -> None:
        t0 = time.monotonic()
        self.vm.check("rm -f /var/log/charon.log; ipsec start", timeout=30)
        self.vm.wait_for("test -S /run/charon.ctl", timeout=TIMEOUT_CHARON)
        self.timings["charon start"] = time.monotonic() - t0

    def diagnostics(self) -> str:
        rc, out = self.vm.run(
            "echo '--- ipsec statusall'; ipsec statusall 2>&1 | tail -30\n"
            "echo '--- ip -s xfrm state'; ip -s xfrm state | sed -E 's/0x[0-9a-f]{16,}/<key>/'\n"
            "echo '--- ip xfrm policy'; ip xfrm policy\n"
            "echo '--- charon.log (tail)'; tail -60 /var/log/charon.log 2>/dev/null\n"
            "echo '--- pluto.log (tail)'; tail -40 /var/log/pluto.log 2>/dev/null\n"
            "echo '--- xl2tpd.log (tail)'; tail -60 /tmp/xl2tpd.log 2>/dev/null\n"
            "echo '--- pppd.log (tail)'; tail -60 /tmp/pppd.log 2>/dev/null\n"
            "echo '--- ip addr / route'; ip -br addr; ip route\n"
            "echo '--- dmesg (tail)'; dmesg | tail -15", timeout=60, quiet=True)
        return out.replace(PSK, "<psk>")


# ---------------------------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------------------------

@dataclass
class Ctx:
    app: Appliance
    client: Client
    args: argparse.Namespace
    ike_up: bool = False
    conn: str = CONN            # the strongSwan connection ipsec_up() brings up
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def vm(self) -> vmlab.Vm:
        return self.client.vm


def sa_pair_listed(app: Appliance) -> str | None:
    """`show ipsec sa` once it lists one inbound and one outbound SA with the VM."""
    out = app.ctl_ok("show", "ipsec", "sa")
    m = re.search(r"send:(\d+) recv:(\d+)", out)
    if m and int(m[1]) >= 1 and int(m[2]) >= 1 and out.count(VM_WAN) >= 2:
        return out
    return None


def ipsec_up(ctx: Ctx) -> float:
    """`ipsec up CONN` in the VM; returns its duration (Main Mode + Quick Mode)."""
    t0 = time.monotonic()
    rc, out = ctx.vm.run(f"ipsec up {ctx.conn}", timeout=TIMEOUT_IKE)
    took = time.monotonic() - t0
    if rc != 0 or "established successfully" not in out:
        why = ""
        for pat in ("received NO_PROPOSAL_CHOSEN", "INVALID_ID_INFORMATION", "invalid HASH",
                    "AUTHENTICATION_FAILED", "PAYLOAD_MALFORMED", "giving up after",
                    "unable to install", "retransmit \\d+ of request"):
            if re.search(pat, out):
                why += f" [{pat}]"
        raise TestFailure(f"`ipsec up {ctx.conn}` exited {rc} after {took:.1f}s{why}:\n"
                          f"{tail(out, 25)}")
    if ctx.args.pcap:
        # The SAs' keys next to the captures, so ESP can be decrypted (test-only keys).
        with open(ctx.app.logdir / "vm-xfrm-state.txt", "a") as f:
            f.write(ctx.vm.run("ip xfrm state", quiet=True)[1])
    return took


def case_ike_strongswan(ctx: Ctx, conn: str = CONN) -> None:
    ctx.conn = conn
    if ctx.vm.run("test -S /run/charon.ctl", quiet=True)[0] != 0:  # charon not started yet
        ctx.client.start_charon()
    took = ipsec_up(ctx)
    ctx.timings[f"IKE (ipsec up {conn})"] = took
    status = ctx.vm.check("ipsec statusall", timeout=20)
    c = re.escape(conn)
    if not re.search(rf"{c}\[\d+\]: ESTABLISHED", status):
        raise TestFailure(f"no IKE SA ESTABLISHED in `ipsec statusall`:\n{tail(status, 20)}")
    installed = re.search(rf"{c}\{{\d+\}}:\s+INSTALLED, TRANSPORT.*", status)
    if not installed:
        raise TestFailure(f"no CHILD SA INSTALLED, TRANSPORT in `ipsec statusall`:\n"
                          f"{tail(status, 20)}")
    if (conn == CONN_NATT) != ("ESP in UDP" in installed[0]):
        raise TestFailure(f"the CHILD SA should {'' if conn == CONN_NATT else 'not '}be "
                          f"UDP-encapsulated: {installed[0].strip()}")
    m = re.search(rf"{c}\{{\d+\}}:\s+(\S+/\S+(?:/\S+)?), \d+ bytes_i", status)
    ctx.ike_up = True
    print(f"     Main Mode + Quick Mode in {took:.2f}s"
          + (f", ESP {m[1]}" if m else "")
          + (", UDP-encapsulated (port 4500)" if conn == CONN_NATT else ""), flush=True)


def case_ike_sa_listed(ctx: Ctx) -> None:
    out = wait_until(lambda: sa_pair_listed(ctx.app), TIMEOUT_SA_LISTED,
                     f"`show ipsec sa` to list an SA pair with {VM_WAN}", interval=0.2)
    first = str(out).splitlines()[0]
    print(f"     {first}", flush=True)


def case_esp_path(ctx: Ctx, natt: bool = False) -> None:
    """A UDP datagram from port 1701 to the DUT's 1701 matches the transport policy, so the
    VM's kernel ESP-encrypts it; the dataplane must decrypt it and punt it as L2TP control
    (a ZLB ACK, RFC 2661 §5.8: T, L, S set, tunnel 0, no AVPs, which any LNS ignores)."""
    before = ctx.app.counters()
    zlb = "c802000c0000000000000000"
    ctx.vm.check(
        "/usr/bin/python3 -c \"import socket; "
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
        f"s.bind(('{VM_WAN}', 1701)); s.sendto(bytes.fromhex('{zlb}'), ('{DUT_WAN}', 1701))\"",
        timeout=30)
    keys = ["EspDecrypted", "PuntL2tpControl"] + (["NatTEspRx"] if natt else [])

    def moved() -> dict[str, int] | None:
        now = ctx.app.counters()
        return now if all(now.get(k, 0) > before.get(k, 0) for k in keys) else None
    try:
        now = wait_until(moved, TIMEOUT_COUNTERS, f"{' and '.join(keys)} to move", interval=0.3)
    except TestFailure:
        now = ctx.app.counters()
        delta = {k: now[k] - before.get(k, 0) for k in now if now[k] != before.get(k, 0)}
        _, xfrm = ctx.vm.run("ip -s xfrm state | grep -E 'src|lifetime current' -A1 | "
                             "grep -vE 'enc|auth'", quiet=True)
        raise TestFailure(f"{keys} did not both move; counters that changed: {delta}\n"
                          f"VM xfrm state:\n{xfrm}")
    print("     " + ", ".join(f"{k} +{now[k] - before.get(k, 0)}" for k in keys)
          + f", Punt.L2tpControl {now.get('Punt.L2tpControl', '?')}", flush=True)


def sa_pair_gone(ctx: Ctx, who: str) -> None:
    wait_until(lambda: VM_WAN not in ctx.app.ctl_ok("show", "ipsec", "sa"), TIMEOUT_SA_LISTED,
               f"the SA pair to leave `show ipsec sa` after {who}'s Delete notifications",
               interval=0.3)


def case_ike_down(ctx: Ctx) -> None:
    rc, out = ctx.vm.run(f"ipsec down {ctx.conn}", timeout=30)
    ctx.ike_up = False
    if rc != 0:
        raise TestFailure(f"`ipsec down {ctx.conn}` exited {rc}:\n{tail(out)}")
    sa_pair_gone(ctx, "charon")


# -- libreswan ----------------------------------------------------------------------------------

# Dependencies of libreswan that its pluto does not need for an IKEv1 PSK connection (DNS
# helpers, firewall scripts): not fetched.
LIBRESWAN_SKIP = {"host", "dns-root-data", "iptables"}


def host_has(pkg: str) -> bool:
    p = subprocess.run(["dpkg-query", "-W", "-f", "${Status}", pkg], capture_output=True,
                       text=True, stdin=subprocess.DEVNULL, timeout=30)
    return p.returncode == 0 and p.stdout.endswith("ok installed")


def libreswan_debs(cache: Path) -> list[Path]:
    """libreswan's .deb and those of its dependencies the host lacks, from Debian's archive via
    `apt-get download` into `cache` (never installed on the host: libreswan conflicts with
    strongSwan there). Cached; fetched again only when missing, under a lock (tests running at
    the same time share the cache)."""
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _libreswan_debs(cache)


def _libreswan_debs(cache: Path) -> list[Path]:
    debs: dict[str, Path] = {}
    todo, seen = ["libreswan"], set()
    while todo:
        pkg = todo.pop()
        if pkg in seen:
            continue
        seen.add(pkg)
        found = sorted(cache.glob(f"{pkg}_*.deb"))
        if not found:
            p = subprocess.run(["apt-get", "download", pkg], cwd=cache, stdin=subprocess.DEVNULL,
                               capture_output=True, text=True, timeout=180)
            found = sorted(cache.glob(f"{pkg}_*.deb"))
            if p.returncode != 0 or not found:
                raise TestFailure(f"`apt-get download {pkg}` failed ({p.returncode}), so "
                                  f"libreswan cannot be tested: {tail(p.stdout + p.stderr, 8)}")
        debs[pkg] = found[-1]
        depends = host(["dpkg-deb", "-f", str(found[-1]), "Depends"]).stdout
        for alternatives in filter(None, (d.strip() for d in depends.split(","))):
            names = [re.split(r"[\s(:]", a.strip())[0] for a in alternatives.split("|")]
            if names[0] in LIBRESWAN_SKIP or any(host_has(n) for n in names):
                continue
            todo.append(names[0])
        if len(seen) > 20:
            raise TestFailure(f"libreswan needs too many packages the host lacks: {sorted(seen)}")
    return [debs["libreswan"]] + [d for k, d in sorted(debs.items()) if k != "libreswan"]


def case_ike_libreswan(ctx: Ctx) -> None:
    vm = ctx.vm
    debs = libreswan_debs(ctx.args.cache / "debs")
    # strongSwan out of the way: its charon holds UDP 500/4500 and its xfrm state.
    vm.run("ipsec stop; ip xfrm state flush; ip xfrm policy flush", timeout=30)
    vm.wait_for("! pidof charon >/dev/null", timeout=20)
    # Unpack into the VM's tmpfs overlay (the host's root stays untouched). This replaces the
    # VM's /usr/sbin/ipsec with libreswan's.
    # --keep-directory-symlink: Debian's root is merged-/usr (/lib -> usr/lib); a plain
    # `dpkg-deb -x` would replace those links with directories and break every binary.
    for deb in debs:
        vm.put(deb, f"/tmp/debs/{deb.name}")
        vm.check(f"dpkg-deb --fsys-tarfile /tmp/debs/{deb.name} | "
                 "tar -x --keep-directory-symlink -C /", timeout=60)
    vm.check("ldconfig && /usr/sbin/ipsec --version", timeout=30)
    missing = vm.run("ldd /usr/libexec/ipsec/pluto | grep 'not found'", quiet=True)[1].strip()
    if missing:
        raise TestFailure(f"libreswan's pluto lacks libraries on this host (install them: "
                          f"`apt-get install` of libreswan's dependencies):\n{missing}")
    vm.put_text("/etc/ipsec.conf", LIBRESWAN_CONF)
    vm.put_text("/etc/ipsec.secrets", LIBRESWAN_SECRETS, 0o600)
    # pluto needs an NSS database even for PSKs; `ipsec initnss` uses certutil (libnss3-tools).
    rc, out = vm.run("mkdir -p /var/lib/ipsec/nss /run/pluto && ipsec initnss", timeout=60)
    if rc != 0:
        raise TestFailure(f"`ipsec initnss` exited {rc} (certutil from libnss3-tools?):\n{out}")
    def lsw(cmd: str, timeout: float = 30) -> str:
        rc, out = vm.run(cmd, timeout=timeout)
        if rc != 0:
            _, log = vm.run("tail -30 /var/log/pluto.log", quiet=True)
            raise TestFailure(f"`{cmd}` exited {rc}:\n{tail(out, 20)}\n--- pluto.log:\n{log}")
        return out
    lsw("rm -f /var/log/pluto.log; ipsec pluto --config /etc/ipsec.conf")
    vm.wait_for("ipsec whack --status >/dev/null 2>&1", timeout=30)
    lsw("ipsec auto --add l2tpgw")
    t0 = time.monotonic()
    rc, out = vm.run("ipsec auto --up l2tpgw", timeout=TIMEOUT_IKE)
    took = time.monotonic() - t0
    if rc != 0 or not re.search(r"IPsec SA established transport mode", out):
        raise TestFailure(f"`ipsec auto --up l2tpgw` exited {rc} after {took:.1f}s:\n"
                          f"{tail(out, 25)}")
    ctx.timings["IKE libreswan (auto --up)"] = took
    wait_until(lambda: sa_pair_listed(ctx.app), TIMEOUT_SA_LISTED,
               f"`show ipsec sa` to list libreswan's SA pair with {VM_WAN}", interval=0.2)
    print(f"     {vm.run('ipsec --version', quiet=True)[1].strip().splitlines()[0]}: "
          f"Main Mode + Quick Mode in {took:.2f}s, SA pair listed", flush=True)
    case_esp_path(ctx)
    lsw("ipsec auto --down l2tpgw")
    sa_pair_gone(ctx, "pluto")
    vm.run("ipsec whack --shutdown", timeout=30)


# -- dial-in ------------------------------------------------------------------------------------

# Exit statuses of the dial-in wait loop that runs in the VM (dial()).
DIAL_UP, DIAL_DEADLINE, DIAL_XL2TPD_GONE, DIAL_PPPD_ENDED, DIAL_NO_TUNNEL = 0, 124, 125, 126, 127
DIAL_OUTCOME = {
    DIAL_UP: "ppp0 up",
    DIAL_DEADLINE: "no ppp0 address by the deadline",
    DIAL_XL2TPD_GONE: "xl2tpd exited",
    DIAL_PPPD_ENDED: "pppd ran and exited",
    DIAL_NO_TUNNEL: "no L2TP tunnel (xl2tpd gave up or no SCCRP in time)",
}
# Under TCG the whole dial-in takes a few seconds; a control connection that is not up after
# this long will not come up (xl2tpd retransmits its SCCRQ for about a minute).
TIMEOUT_TUNNEL = 20

PUNT_KEYS = ["PuntL2tpControl", "PuntPppControl", "L2tpDataRx", "L2tpDataTx", "Punt.handled",
             "Punt.unhandled", "Inject.raw", "Inject.esp"]


def ppp_address(vm: vmlab.Vm) -> str | None:
    _, out = vm.run("ip -4 -o addr show dev ppp0 2>/dev/null", quiet=True)
    m = re.search(r"inet (\d+\.\d+\.\d+\.\d+)", out)
    return m[1] if m else None


@dataclass
class Attempt:
    """One dial-in: its label, the daemon's counters before it, and what the VM logged."""
    label: str
    before: dict[str, int]
    xl2tpd: str = ""
    pppd: str = ""

    def read_logs(self, ctx: Ctx) -> None:
        self.xl2tpd = ctx.vm.run("cat /tmp/xl2tpd.log 2>/dev/null", quiet=True)[1]
        self.pppd = ctx.vm.run("cat /tmp/pppd.log 2>/dev/null", quiet=True)[1]
        stem = re.sub(r"[^A-Za-z0-9]+", "-", self.label).strip("-")
        (ctx.app.logdir / f"vm-{stem}-xl2tpd.log").write_text(self.xl2tpd)
        (ctx.app.logdir / f"vm-{stem}-pppd.log").write_text(self.pppd.replace(PASSWORD, "<pw>"))

    def failure_point(self, ctx: Ctx) -> str:
        """Where the dial-in stopped (from xl2tpd's and pppd's logs), what the daemon's punt
        and inject counters did meanwhile, and xl2tpd's last lines."""
        self.read_logs(ctx)
        x, p = self.xl2tpd, self.pppd
        if "Connection established" not in x:
            where = ("the L2TP tunnel: xl2tpd's SCCRQ got no SCCRP" if "Connecting to" in x
                     else "xl2tpd never tried to connect")
        elif "Call established" not in x:
            where = "the L2TP session: the tunnel is up, but the call (ICRQ/ICRP/ICCN) is not"
        elif "rcvd [LCP ConfAck" not in p:
            where = "PPP LCP: no LCP ConfAck from the LNS"
        elif re.search(r"authentication failed|rcvd \[(CHAP|PAP) (Failure|AuthNak)", p):
            where = "PPP authentication: refused by the LNS"
        elif "rcvd [IPCP ConfAck" not in p:
            where = "PPP IPCP: no IPCP ConfAck (no address agreed)"
        else:
            where = "after IPCP (ppp0 should have its address)"
        try:
            now = ctx.app.counters()
            delta = {k: now.get(k, 0) - self.before.get(k, 0) for k in PUNT_KEYS}
            moved = ", ".join(f"{k} +{v}" for k, v in delta.items())
            if "SCCRQ got no SCCRP" in where and delta["PuntL2tpControl"] > 0:
                where += (f" (the dataplane decrypted and punted {delta['PuntL2tpControl']} of "
                          "them to the controlplane, which did not answer)")
        except TestFailure as e:
            moved = f"unreadable: {e}"
        banner = re.compile(r"Written by|Forked|Inherited|Not looking for kernel")
        x_tail = tail("\n".join(line for line in x.splitlines() if not banner.search(line)), 8)
        return (f"stopped at {where}. Daemon during the attempt: {moved}.\n"
                f"--- xl2tpd (tail):\n{x_tail}\n--- pppd (tail):\n{tail(p, 8)}")


def start_xl2tpd(ctx: Ctx, auth: str, password: str) -> None:
    vm = ctx.vm
    vm.put_text("/etc/ppp/options.l2tpgw", ppp_options(auth, password), 0o600)
    vm.check("rm -f /tmp/pppd.log /tmp/xl2tpd.log; mkdir -p /run/xl2tpd\n"
             f"xl2tpd -D -c /etc/xl2tpd/xl2tpd.conf -C {XL2TPD_CONTROL} -p /run/xl2tpd.pid "
             ">/tmp/xl2tpd.log 2>&1 & echo $! >/tmp/xl2tpd.bgpid")
    vm.wait_for(f"test -p {XL2TPD_CONTROL}", timeout=20)


def stop_client(ctx: Ctx) -> None:
    """Hang up (xl2tpd's `d`), stop xl2tpd by its PID, bring the IPsec SA down."""
    vm = ctx.vm
    vm.run(f"test -p {XL2TPD_CONTROL} && echo 'd l2tpgw' > {XL2TPD_CONTROL}", timeout=10,
           quiet=True)
    try:
        vm.wait_for("! ip link show ppp0 >/dev/null 2>&1", timeout=TIMEOUT_HANGUP)
    finally:
        vm.run("test -s /tmp/xl2tpd.bgpid && kill $(cat /tmp/xl2tpd.bgpid) 2>/dev/null; "
               f"ipsec down {ctx.conn} >/dev/null 2>&1; true", timeout=30, quiet=True)
        vm.wait_for("! pidof xl2tpd >/dev/null && ! pidof pppd >/dev/null", timeout=20)
        ctx.ike_up = False


def dial(ctx: Ctx, attempt: Attempt, auth: str, password: str,
         deadline_s: float) -> tuple[int, float]:
    """xl2tpd up, `ipsec up`, `c l2tpgw`, then wait. Returns (DIAL_* outcome, seconds from
    `ipsec up` until ppp0 had its address or the wait ended)."""
    start_xl2tpd(ctx, auth, password)
    t0 = time.monotonic()
    ipsec_up(ctx)
    ctx.ike_up = True
    t_ike = time.monotonic() - t0
    ctx.vm.check(f"echo 'c l2tpgw' > {XL2TPD_CONTROL}")
    # Polled in the VM (one round trip): ppp0's address with the link up (pppd sets the
    # address before it brings the interface up), or the end of the attempt. pppd creates its
    # log file when it starts: a log without a pppd process is a pppd that ended (it can start
    # and fail between two polls).
    rc, _ = ctx.vm.run(
        f"end=$((SECONDS + {int(deadline_s)})); tunnel_end=$((SECONDS + {TIMEOUT_TUNNEL}))\n"
        "until ip -4 -o addr show dev ppp0 2>/dev/null | grep -q inet &&\n"
        "      ip link show dev ppp0 2>/dev/null | grep -q '[<,]UP[,>]'; do\n"
        f"  (( SECONDS < end )) || exit {DIAL_DEADLINE}\n"
        f"  pidof xl2tpd >/dev/null || exit {DIAL_XL2TPD_GONE}\n"
        "  if [[ -e /tmp/pppd.log ]] && ! pidof pppd >/dev/null; then\n"
        f"    exit {DIAL_PPPD_ENDED}\n"
        "  fi\n"
        "  if ! grep -q 'Connection established' /tmp/xl2tpd.log; then\n"
        f"    grep -q 'Maximum retries exceeded' /tmp/xl2tpd.log && exit {DIAL_NO_TUNNEL}\n"
        f"    (( SECONDS < tunnel_end )) || exit {DIAL_NO_TUNNEL}\n"
        "  fi\n"
        "  vmlab_sleep 0.05\ndone", timeout=deadline_s + 5, quiet=True)
    took = time.monotonic() - t0
    print(f"     {attempt.label}: IKE {t_ike:.2f}s, then {DIAL_OUTCOME.get(rc, f'rc {rc}')} at "
          f"{took:.2f}s after `ipsec up`", flush=True)
    return rc, took


def counters_brief(app: Appliance) -> str:
    try:
        c = app.counters()
    except TestFailure as e:
        return str(e)
    keys = ["EspDecrypted", "EspEncrypted", "L2tpDataRx", "L2tpDataTx", "LanRxPackets",
            "LanTxPackets", "PuntPppControl", "PuntArp"]
    drops = {k[len("Drop."):]: v for k, v in c.items() if k.startswith("Drop.") and v}
    return ", ".join(f"{k} {c.get(k)}" for k in keys) + f"; drops: {drops}"


def case_dialin(ctx: Ctx, auth: str, conn: str = CONN) -> None:
    ctx.conn = conn
    label = AUTH_LABEL[auth] + (" NAT-T" if conn == CONN_NATT else "")
    app, vm = ctx.app, ctx.vm
    reply = app.load_config(auth)
    if f"pp auth request {AUTH_METHODS[auth][0]}" not in app.ctl_ok("show", "config"):
        raise TestFailure(f"load config did not make `pp auth request {AUTH_METHODS[auth][0]}` "
                          f"the running configuration: {reply.strip()}")
    attempt = Attempt(label, app.counters())
    try:
        rc, took = dial(ctx, attempt, auth, PASSWORD, TIMEOUT_PPP)
        addr = ppp_address(vm) if rc == DIAL_UP else None
        if addr is None:
            raise TestFailure(f"{label}: ppp0 got no address ({DIAL_OUTCOME.get(rc, rc)}, "
                              f"{took:.1f}s after `ipsec up`); the dial-in "
                              f"{attempt.failure_point(ctx)}")
        ctx.timings[f"dial-in {label}"] = took
        if addr not in POOL:
            raise TestFailure(f"{label}: ppp0 has {addr}, not an address of the pool "
                              f"{POOL_FIRST}-{POOL_LAST}")
        print(f"     {label}: dial-in {took:.2f}s (from `ipsec up` to ppp0 {addr})", flush=True)
        # Through the fastpath both ways: the VM's LAN-bound traffic goes into ppp0.
        vm.check("ip route replace 192.0.2.0/24 dev ppp0")
        before = app.counters()
        rc, out = vm.run(f"ping -c 3 -i 0.3 -W 3 {LAN_HOST}", timeout=30)
        if not re.search(r"\b3 packets transmitted, 3 received", out):
            raise TestFailure(f"{label}: ping VM ({addr}) -> LAN host {LAN_HOST}: not 3 of 3 "
                              f"(rc {rc}):\n{tail(out, 6)}\ncounters: {counters_brief(app)}")
        p = host(app.lan.cmd(["ping", "-c", "3", "-i", "0.3", "-W", "3", addr]), timeout=30,
                 check=False)
        if not re.search(r"\b3 packets transmitted, 3 received", p.stdout):
            raise TestFailure(f"{label}: ping LAN host -> VM {addr}: not 3 of 3 "
                              f"(rc {p.returncode}):\n{tail(p.stdout + p.stderr, 6)}\n"
                              f"counters: {counters_brief(app)}")
        # Six echo requests and six replies, three each way in each direction: the fastpath's
        # counters say so (the LAN ones also count ARP).
        fastpath = ["EspDecrypted", "L2tpDataRx", "LanTxPackets", "LanRxPackets", "L2tpDataTx",
                    "EspEncrypted"]
        last: dict[str, int] = {}
        t_read = time.monotonic()

        def counted() -> bool:
            last.update(app.counters())
            return all(last.get(k, 0) - before.get(k, 0) >= 6 for k in fastpath)
        try:
            wait_until(counted, TIMEOUT_COUNTERS, "the fastpath counters", interval=0.2)
        except TestFailure:
            short = {k: last.get(k, 0) - before.get(k, 0) for k in fastpath
                     if last.get(k, 0) - before.get(k, 0) < 6}
            moved = {k: v - before.get(k, 0) for k, v in last.items() if v != before.get(k, 0)}
            raise TestFailure(f"{label}: 3 + 3 pings passed, but these fastpath counters moved "
                              f"less than 6 within {TIMEOUT_COUNTERS:.0f}s: {short}; all that "
                              f"moved: {moved}")
        if time.monotonic() - t_read > 0.1:
            print(f"     (the counters caught up {time.monotonic() - t_read:.2f}s after the "
                  "pings)", flush=True)
        l2tp = app.ctl_ok("show", "status", "l2tp")
        if VM_WAN not in l2tp or not re.search(r"Session Control: [1-9]", l2tp):
            raise TestFailure(f"{label}: `show status l2tp` does not list the session from "
                              f"{VM_WAN}:\n{tail(l2tp, 30)}")
        pp = app.ctl_ok("show", "status", "pp", "anonymous")
        if addr not in pp:
            raise TestFailure(f"{label}: `show status pp anonymous` does not mention the "
                              f"client's address {addr}:\n{tail(pp, 30)}")
    finally:
        attempt.read_logs(ctx)
        stop_client(ctx)


def case_wrong_password(ctx: Ctx) -> None:
    ctx.conn = CONN
    ctx.app.load_config("chap")
    attempt = Attempt("wrong CHAP password", ctx.app.counters())
    try:
        rc, took = dial(ctx, attempt, "chap", "not-the-password", TIMEOUT_AUTH_FAIL)
        if rc == DIAL_UP:
            raise TestFailure(f"a wrong CHAP password got ppp0 address {ppp_address(ctx.vm)}")
        # pppd must have ended on an authentication failure, not a failure elsewhere.
        ctx.vm.wait_for("! pidof pppd >/dev/null", timeout=20)
        _, log = ctx.vm.run("cat /tmp/pppd.log 2>/dev/null", quiet=True)
        if not re.search(r"CHAP authentication failed|rcvd \[CHAP Failure", log):
            raise TestFailure(f"the attempt did not end on a CHAP authentication failure "
                              f"({DIAL_OUTCOME.get(rc, rc)}): the dial-in "
                              f"{attempt.failure_point(ctx)}")
        ctx.app.alive()
        ctx.app.ctl_ok("show", "status", "l2tp")
        print(f"     refused after {took:.2f}s; the daemon stays up", flush=True)
    finally:
        attempt.read_logs(ctx)
        stop_client(ctx)


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------

def stale_namespaces() -> None:
    """Namespaces left by a SIGKILLed run of this test (their PID is gone)."""
    for p in Path("/run/netns").glob(NS_PREFIX + "*"):
        m = re.fullmatch(NS_PREFIX + r"(?:dut|lan)-(\d+)", p.name)
        if m and not Path(f"/proc/{m[1]}").exists():
            print(f"removing stale namespace {p.name}", flush=True)
            vmlab.Netns(p.name).delete()


def run_stages(ctx: Ctx, res: Results, stage: str) -> None:
    def case(name: str, fn: Callable[[], None]) -> bool:
        return res.case(name, fn)

    ok = case("ike: strongSwan Main Mode + Quick Mode, IKE SA ESTABLISHED, CHILD SA INSTALLED "
              "transport", lambda: case_ike_strongswan(ctx))
    ok = ok and case("ike: `l2tpgwctl show ipsec sa` lists the SA pair",
                     lambda: case_ike_sa_listed(ctx))
    if ok:
        case("ike: a UDP/1701 datagram from the VM crosses the ESP SA (EspDecrypted, "
             "PuntL2tpControl)", lambda: case_esp_path(ctx))
        case("ike: `ipsec down` removes the SA pair from the daemon", lambda: case_ike_down(ctx))

        def natt() -> None:
            case_ike_strongswan(ctx, CONN_NATT)
            case_ike_sa_listed(ctx)
            case_esp_path(ctx, natt=True)
            case_ike_down(ctx)
        case("ike: NAT-T (forceencaps): UDP-encapsulated transport SA, the datagram decrypted "
             "(NatTEspRx), `ipsec down` removes the pair", natt)
    if stage in ("dialin", "all"):
        if not ok:
            res.failed.append(("dialin", "not run: the IKE stage it needs failed"))
            print("FAIL dialin: not run, the IKE stage it needs failed", flush=True)
        else:
            for auth in ("chap", "pap", "mschap-v2"):
                case(f"dialin: {AUTH_LABEL[auth]}: tunnel, session, pool address, ping both "
                     "ways, show status l2tp/pp", lambda a=auth: case_dialin(ctx, a))
            case("dialin: CHAP-MD5 over NAT-T (UDP-encapsulated ESP): the same",
                 lambda: case_dialin(ctx, "chap", CONN_NATT))
            case("dialin: a wrong CHAP password is refused, the daemon stays up",
                 lambda: case_wrong_password(ctx))
    # libreswan replaces the VM's `ipsec` with its own: last.
    if stage in ("ike", "all"):
        case("ike: libreswan Main Mode + Quick Mode (transport), SA pair listed, ESP datagram "
             "punted, `auto --down` removes the pair",
             lambda: case_ike_libreswan(ctx))


def main() -> int:
    ap = argparse.ArgumentParser(description="l2tpgw dial-in interop test (qemu VM client)")
    ap.add_argument("--builddir", type=Path, required=True)
    ap.add_argument("--stage", choices=("ike", "dialin", "all"), default="all")
    ap.add_argument("--cache", type=Path, default=vmlab.DEFAULT_CACHE,
                    help="vmlinux/initramfs cache (and debs/ for libreswan)")
    ap.add_argument("--logdir", type=Path, default=None,
                    help="where logs go (default <builddir>/interop-logs; kept on failure)")
    ap.add_argument("--keep", action="store_true", help="keep logs and the VM dir on success")
    ap.add_argument("--pcap", action="store_true",
                    help="capture the tap into <logdir>/wan.pcap (the frames the VM sends: the "
                         "dataplane's af_packet bypasses the tap's capture hook) and the VM's "
                         "eth0 (both directions) into vm-eth0.pcap, with the SAs' keys in "
                         "vm-xfrm-state.txt")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("dialin_e2e: needs root (namespaces, hugepages)")
        return SKIP
    missing = [pkg for tool, pkg in PREREQUISITES if not Path(tool).exists()]
    if missing:
        print(f"dialin_e2e: missing packages {' '.join(missing)} (scripts/setup.sh)")
        return SKIP
    try:
        vmlab.debian_kernel()
    except vmlab.VmError as e:
        print(f"dialin_e2e: {e}")
        return SKIP
    builddir = args.builddir.resolve()
    absent = [b for b in (DATAPLANE, CONTROLPLANE, CTL) if not os.access(builddir / b, os.X_OK)]
    if absent:
        print(f"FAIL binaries present: missing {', '.join(absent)} under {builddir}")
        return 1

    t_start = time.monotonic()
    stale_namespaces()
    tag = str(os.getpid())
    base = (args.logdir or builddir / "interop-logs").resolve()
    base.mkdir(parents=True, exist_ok=True)
    logdir = Path(tempfile.mkdtemp(prefix=f"dialin-{args.stage}-{tag}-", dir=base))
    (logdir / "run").mkdir(mode=0o700)
    res = Results()
    app: Appliance | None = None
    problems: list[str] = []
    vm_boot = None
    timings: dict[str, float] = {}
    pcap: Proc | None = None
    with vmlab.Netns(f"{NS_PREFIX}dut-{tag}") as dut, vmlab.Netns(f"{NS_PREFIX}lan-{tag}") as lan:
        app = Appliance(builddir, logdir, tag, dut, lan)
        try:
            ensure_hugepages()
            app.wire()
            if args.pcap:
                pcap = Proc("tcpdump-wan", dut.cmd(["tcpdump", "-i", app.tap, "-n", "-U", "-s",
                                                    "0", "-w", str(logdir / "wan.pcap")]),
                            logdir)
                pcap.wait_for_output(r"listening on", timeout=15)
            # The VM first: qemu holds the tap, so the dataplane's af_packet port sees a link.
            with vmlab.Vm(dut.name, app.tap, f"{VM_WAN}/24", gw=DUT_WAN, cache=args.cache,
                          workdir=logdir, keep=args.keep, name="client") as vm:
                vm_boot = vm.boot_s
                client = Client(vm)
                ctx = Ctx(app, client, args)
                ok = res.case("setup: the client VM is ready (modules, configs, xfrm warm-up)",
                              client.prepare)
                if args.pcap:  # both directions, as the VM sees them
                    vm.check("tcpdump -i eth0 -n -U -s 0 -w /tmp/vm-eth0.pcap "
                             ">/tmp/tcpdump.log 2>&1 & echo $! >/tmp/tcpdump.pid")
                    vm.wait_for("grep -q 'listening on' /tmp/tcpdump.log", timeout=20)
                t0 = time.monotonic()
                def appliance() -> None:
                    app.start_dataplane()
                    app.start_controlplane("chap")
                ok = ok and res.case("setup: dataplane ready, controlplane attached with the "
                                     "seed-style configuration", appliance)
                timings["appliance start"] = time.monotonic() - t0
                if ok:
                    run_stages(ctx, res, args.stage)
                    res.case("the dataplane and the controlplane are still running", app.alive)
                timings.update(client.timings)
                timings.update(ctx.timings)
                if args.pcap:
                    vm.run("pid=$(cat /tmp/tcpdump.pid); kill $pid\n"
                           "while kill -0 $pid 2>/dev/null; do vmlab_sleep 0.05; done",
                           timeout=10, quiet=True)
                    vm.get("/tmp/vm-eth0.pcap", logdir / "vm-eth0.pcap")
                if res.failed:
                    vm.keep = True
                    diag = client.diagnostics()
                    (logdir / "vm-diagnostics.txt").write_text(diag)
                    print(f"\n===== VM diagnostics\n{diag}", flush=True)
        finally:
            if pcap is not None:
                pcap.stop(grace=5)
            if app is not None:
                problems = app.stop()
                if res.failed:
                    for p in (app.dp, app.cp):
                        if p is not None:
                            print(f"\n===== {p.name} log (tail) {p.log_path}\n{p.tail(40)}",
                                  flush=True)
    for p in problems:
        res.failed.append(("daemon exit", p))
    rc = res.summary()
    print(f"VM boot {vm_boot:.2f}s" if vm_boot else "VM did not boot", end="")
    for k, v in timings.items():
        print(f", {k} {v:.2f}s", end="")
    print(f"; whole test {time.monotonic() - t_start:.1f}s", flush=True)
    if rc == 0 and not args.keep:
        shutil.rmtree(logdir, ignore_errors=True)
    else:
        print(f"logs: {logdir}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
