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
#           and a wrong password that must be refused with the daemon staying up; then the
#           life of a call: a clean hang-up (everything gone at once, the pool address back,
#           an immediate re-dial), a vanished client found by L2TP keepalive (its IPsec SAs
#           removed too), `l2tp tunnel disconnect time` cutting an idle call, two clients at
#           once from two addresses, and an iperf3 TCP transfer both ways; last, seed 000's
#           fixed-address client (`pp select 2`, `ip pp remote address`, `tunnel endpoint
#           address`, `ipsec auto refresh on`: the appliance starts IKE to the client itself).
#
#   /usr/bin/python3 tests/interop/dialin_e2e.py --builddir <builddir> [--stage ike|dialin|all]
#                   [--cache DIR] [--logdir DIR] [--keep]
#
# Needs root, hugepages and the packages of scripts/setup.sh; exits 77 (skipped) without them.
# Every wait polls a condition against a deadline; processes are stopped by their PID.

from __future__ import annotations

import argparse
import dataclasses
import fcntl
import json
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
VM_WAN_B = "203.0.113.3"   # the second client's address (the same VM, a second address)
DUT_LAN = "192.0.2.1"
LAN_HOST = "192.0.2.10"
POOL_FIRST, POOL_LAST = "192.0.2.200", "192.0.2.209"
POOL = [f"192.0.2.{i}" for i in range(200, 210)]

NS_PREFIX = "l2gw-dial-"
PSK = "vmlab-dialin-psk-5e1a"      # test-only secrets
USER, PASSWORD = "vmuser", "vmpass-7d2f"
USER_B, PASSWORD_B = "vmuser2", "vmpass-b8e1"
# `l2tp keepalive use on INTERVAL COUNT`: short, so a vanished client is found in seconds.
KEEPALIVE_INTERVAL, KEEPALIVE_COUNT = 2, 3
# `l2tp tunnel disconnect time` of the idle case (seconds; looked at every quarter of it).
IDLE_DISCONNECT = 6

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
TIMEOUT_GONE = 20.0        # everything of a call leaves the daemon after a hang-up
TIMEOUT_IPERF = 30.0
IPERF_SECONDS = 3
IPERF_MIN_BYTES = 256 * 1024  # a transfer that moved less than this did not really run

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


def appliance_config(auth: str, pool: tuple[str, str] = (POOL_FIRST, POOL_LAST),
                     disconnect: str = "off", psk: str = PSK, ike_keepalive: str = "off",
                     title: str = "tests/interop/dialin_e2e.py") -> str:
    """`pool`: `ip pp remote address pool` (a range that starts where the dataplane's --pool
    does); `disconnect`: `l2tp tunnel disconnect time`; `ike_keepalive`: what follows
    `ipsec ike keepalive use 1`."""
    return f"""# l2tpgw interop lab ({title}): L2TP/IPsec remote access,
# seed 000's block with documentation addresses; pp auth request {auth}
ip lan1 address {DUT_LAN}/24
ip lan1 proxyarp on
pp select anonymous
 pp bind tunnel1-tunnel2
 pp auth request {auth}
 pp auth username {USER} {PASSWORD}
 pp auth username {USER_B} {PASSWORD_B}
 ppp ipcp ipaddress on
 ppp ipcp msext on
 ip pp remote address pool {pool[0]}-{pool[1]}
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
 l2tp tunnel disconnect time {disconnect}
 l2tp keepalive use on {KEEPALIVE_INTERVAL} {KEEPALIVE_COUNT}
 l2tp keepalive log on
 l2tp syslog on
 ip tunnel tcp mss limit auto
 tunnel enable 1
ipsec transport 1 1 udp 1701
ipsec transport template 1 2
ipsec auto refresh on
l2tp service on
"""


# Seed 000's fixed-address client (its "固定IP" block, tests/vectors/config/
# 000_fixed_ip_client_filled.txt) with the lab's addresses: `pp select 2` bound to tunnel1,
# MS-CHAPv2, `ip pp remote address FIXED` (no pool: the dataplane's client address index holds
# the fixed address alone), `tunnel endpoint address` and `ipsec ike remote address` naming the
# VM. The PPPoE uplink (pp 1), NetVolante DNS and NAT descriptor lines stay as the seed has
# them: l2tpgw reports them as not supported and goes on. Two lines are the lab's: `ipsec ike
# encryption 1 aes-cbc` and `ipsec ike group 1 modp1024` (the defaults, 3DES and MODP768, are
# what this appliance offers when it initiates, and the host's strongSwan has no 3DES for IKE).
FIXED_PP, FIXED_ADDR = 2, "192.0.2.50"


def fixed_ip_config(refresh: str = "on") -> str:
    return f"""# l2tpgw interop lab (tests/interop/dialin_e2e.py): seed 000's fixed-address client
ip route default gateway pp 1
ip lan1 address {DUT_LAN}/24
ip lan1 proxyarp on
pp select 1
 pp always-on on
 pppoe use lan2
 pp auth accept pap chap
 pp auth myname isp-user@example.jp isp-password
 ppp lcp mru on 1454
 ppp ipcp ipaddress on
 ppp ipcp msext on
 ppp ccp type none
 ip pp mtu 1454
 ip pp nat descriptor 1
 netvolante-dns hostname host pp server=1 XXXX.aaX.netvolante.jp
 pp enable 1
pp select {FIXED_PP}
 pp bind tunnel1
 pp auth request mschap-v2
 pp auth username {USER} {PASSWORD}
 ppp ipcp ipaddress on
 ppp ipcp msext on
 ip pp remote address {FIXED_ADDR}
 pp enable {FIXED_PP}
tunnel select 1
 tunnel encapsulation l2tp
 tunnel endpoint address {VM_WAN}
 ipsec tunnel 101
  ipsec sa policy 101 1 esp aes-cbc sha-hmac
  ipsec ike encryption 1 aes-cbc
  ipsec ike group 1 modp1024
  ipsec ike keepalive use 1 off
  ipsec ike local address 1 {DUT_WAN}
  ipsec ike pre-shared-key 1 text {PSK}
  ipsec ike remote address 1 {VM_WAN}
 l2tp tunnel disconnect time off
 l2tp keepalive use on {KEEPALIVE_INTERVAL} {KEEPALIVE_COUNT}
 l2tp keepalive log on
 l2tp syslog on
 ip tunnel tcp mss limit auto
 tunnel enable 1
nat descriptor type 1 masquerade
nat descriptor address outer 1 ipcp
nat descriptor address inner 1 auto
nat descriptor masquerade static 1 1 {DUT_LAN} esp
nat descriptor masquerade static 1 2 {DUT_LAN} udp 500
dns server 192.0.2.53
ipsec transport 1 101 udp 1701
ipsec auto refresh {refresh}
l2tp service on
"""


# ---------------------------------------------------------------------------------------------
# The client's configuration in the VM (what a Linux L2TP/IPsec client writes: NetworkManager-
# l2tp's shape, Windows-like proposals)
# ---------------------------------------------------------------------------------------------

# Three connections: `l2tpgw` plain ESP, `l2tpgw-natt` with UDP encapsulation forced
# (strongSwan fakes its NAT-D payloads, so the responder sees a NAT and both float to 4500),
# and `l2tpgw-b`, plain ESP from the VM's second address (the second client).
CONN, CONN_NATT, CONN_B = "l2tpgw", "l2tpgw-natt", "l2tpgw-b"
IPSEC_CONN = """
    keyexchange=ikev1
    authby=secret
    type=transport
    left={left}
    leftprotoport=17/1701
    right={right}
    rightprotoport=17/1701
    ike=aes256-sha1-modp1024!
    esp=aes256-sha1!
    keyingtries=1
    rekey=no
    auto=add
"""
IPSEC_CONF = (f"config setup\nconn {CONN}" + IPSEC_CONN.format(left=VM_WAN, right=DUT_WAN) +
              f"conn {CONN_NATT}" + IPSEC_CONN.format(left=VM_WAN, right=DUT_WAN) +
              "    forceencaps=yes\n" +
              f"conn {CONN_B}" + IPSEC_CONN.format(left=VM_WAN_B, right=DUT_WAN))
IPSEC_SECRETS = f'{VM_WAN} {DUT_WAN} : PSK "{PSK}"\n{VM_WAN_B} {DUT_WAN} : PSK "{PSK}"\n'
# The fixed-address client (case_fixed_ip): the suites seed 000's block offers when the
# appliance initiates (`ipsec sa policy 101 1 esp aes-cbc sha-hmac`, the lab's IKE lines), and
# the second address's connection that the appliance must refuse. Alone in ipsec.conf while
# the case runs, so that charon, answering the appliance's Main Mode, has one configuration
# for the address pair to choose.
CONN_FIXED = "l2tpgw-fixed"
IPSEC_CONF_FIXED = (f"config setup\nconn {CONN_FIXED}" +
                    IPSEC_CONN.format(left=VM_WAN, right=DUT_WAN)
                    .replace("aes256-sha1-modp1024!", "aes128-sha1-modp1024!")
                    .replace("esp=aes256-sha1!", "esp=aes128-sha1!") +
                    f"conn {CONN_B}" + IPSEC_CONN.format(left=VM_WAN_B, right=DUT_WAN))
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


@dataclass(frozen=True)
class Lac:
    """One L2TP client in the VM: its address, strongSwan connection, xl2tpd instance (its
    own configuration, control pipe and log: two can run side by side, each bound to its
    address) and pppd (its own options file, unit and log)."""
    name: str       # xl2tpd's [lac NAME]
    addr: str
    conn: str
    unit: int       # pppd `unit`: the interface is ppp<unit>
    user: str
    password: str
    tag: str        # file name suffix

    @property
    def ifname(self) -> str:
        return f"ppp{self.unit}"

    @property
    def control(self) -> str:
        return f"/run/xl2tpd/l2tp-control-{self.tag}"

    @property
    def conf(self) -> str:
        return f"/etc/xl2tpd/xl2tpd-{self.tag}.conf"

    @property
    def options(self) -> str:
        return f"/etc/ppp/options.l2tpgw-{self.tag}"

    @property
    def xl2tpd_log(self) -> str:
        return f"/tmp/xl2tpd-{self.tag}.log"

    @property
    def pppd_log(self) -> str:
        return f"/tmp/pppd-{self.tag}.log"

    @property
    def bgpid(self) -> str:
        return f"/tmp/xl2tpd-{self.tag}.bgpid"

    def xl2tpd_conf(self) -> str:
        return f"""[global]
listen-addr = {self.addr}
port = 1701
access control = no

[lac {self.name}]
lns = {DUT_WAN}
redial = no
length bit = yes
require authentication = no
ppp debug = yes
pppoptfile = {self.options}
"""

    def ppp_options(self, auth: str, password: str | None = None) -> str:
        # lcp-max-terminate 1: on a hang-up xl2tpd sends StopCCN and SIGTERMs pppd at once,
        # so the LNS has ended the session before pppd's Terminate-Request comes and never
        # answers it; pppd would wait for the Terminate-Ack through three restart periods
        # (about 6 s here) before it lets ppp0 go, and every case hangs up.
        return (f"name {self.user}\npassword {password or self.password}\n" +
                AUTH_METHODS[auth][1] +
                "noauth\nnoccp\nnodefaultroute\nnoipdefault\nipcp-accept-local\n"
                "ipcp-accept-remote\nmtu 1400\nmru 1400\nlcp-echo-interval 0\nmaxfail 1\n"
                f"lcp-max-terminate 1\nunit {self.unit}\ndebug\nlogfile {self.pppd_log}\n")

    def pppd_running(self) -> str:
        """A bash condition: this client's pppd runs (xl2tpd starts it with `file OPTIONS`)."""
        return f"pgrep -f -- '{self.options}( |$)' >/dev/null"


LAC_A = Lac("l2tpgw", VM_WAN, CONN, 0, USER, PASSWORD, "a")
LAC_B = Lac("l2tpgw-b", VM_WAN_B, CONN_B, 1, USER_B, PASSWORD_B, "b")

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


def preflight(name: str, prerequisites: list[tuple[str, str]], builddir: Path,
              binaries: tuple[str, ...]) -> int | None:
    """What every VM test checks first: root, the packages, a Debian kernel for the VM and the
    binaries under test. None when all is there; else the exit status (SKIP, or 1 for a
    missing binary), with the reason printed."""
    if os.geteuid() != 0:
        print(f"{name}: needs root (namespaces, hugepages)")
        return SKIP
    missing = [pkg for tool, pkg in prerequisites if not Path(tool).exists()]
    if missing:
        print(f"{name}: missing packages {' '.join(missing)} (scripts/setup.sh)")
        return SKIP
    try:
        vmlab.debian_kernel()
    except vmlab.VmError as e:
        print(f"{name}: {e}")
        return SKIP
    absent = [b for b in binaries if not os.access(builddir / b, os.X_OK)]
    if absent:
        print(f"FAIL binaries present: missing {', '.join(absent)} under {builddir}")
        return 1
    return None


def make_logdir(logdir: Path | None, builddir: Path, prefix: str) -> Path:
    """A fresh log directory under `logdir` (default <builddir>/interop-logs), with a private
    run/ for sockets."""
    base = (logdir or builddir / "interop-logs").resolve()
    base.mkdir(parents=True, exist_ok=True)
    d = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    (d / "run").mkdir(mode=0o700)
    return d


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

    def start_dataplane(self, extra_args: list[str] | None = None,
                        config_auth: str | None = None, config: Path | None = None,
                        suffix: str = "") -> None:
        """With `config_auth` (appliance_config()) or `config` (a file), the dataplane takes
        its LAN address, proxy ARP and client address ranges from the configuration file the
        controlplane will load (`--config`), and only the WAN address from a flag (seed 000's
        uplink is PPPoE, which l2tpgw does not have). `suffix` names a restart's logs."""
        cpus = os.cpu_count() or 1
        if config_auth or config:
            self.cfg = config or self.write_config(config_auth)  # type: ignore[arg-type]
            addressing = ["--config", str(self.cfg), "--wan-addr", f"{DUT_WAN}/24"]
        else:
            addressing = ["--wan-addr", f"{DUT_WAN}/24", "--lan-addr", f"{DUT_LAN}/24",
                          "--pool", f"{POOL_FIRST}-{POOL_LAST}"]
        self.dp = Proc("dataplane" + suffix, self.dut.cmd([
            str(self.builddir / DATAPLANE), "--no-pci", "--file-prefix", self.prefix,
            "--lcores", f"0@0,1@{1 % cpus}",
            "--vdev", f"net_af_packet0,iface={self.tap},qpairs=2",
            "--vdev", f"net_af_packet1,iface={self.dplan},qpairs=2",
            "--", *addressing, "--max-sessions", "64",
            # The worker shares its CPU with qemu's TCG thread and other tests: back off.
            "--idle-sleep-us", "100"] + (extra_args or [])), self.logdir)
        self.dp.wait_for_output(READY_LINE, TIMEOUT_READY)

    def start_controlplane(self, auth: str, config: Path | None = None,
                           suffix: str = "") -> None:
        self.cfg = config or self.write_config(auth)
        self.cp = Proc("controlplane" + suffix, self.dut.cmd([
            str(self.builddir / CONTROLPLANE), "--file-prefix", self.prefix,
            "--socket", str(self.socket), "--config", str(self.cfg),
            "--attach-retry-max-ms", "1000"]), self.logdir)
        self.cp.wait_for_output(ATTACHED_LINE, TIMEOUT_ATTACH)

    def restart(self, config: Path, suffix: str) -> None:
        """Both processes stopped and started again on `config` (the dataplane's client
        address index is what its --config names at start); logs `<process><suffix>.log`.
        Either process having exited by itself before is a failure."""
        problems = self.stop()
        if problems:
            raise TestFailure("; ".join(problems))
        self.start_dataplane(config=config, suffix=suffix)
        self.start_controlplane("", config=config, suffix=suffix)

    def write_config(self, auth: str, **kw: object) -> Path:
        p = self.logdir / f"l2tpgw-{auth}.conf"
        p.write_text(appliance_config(AUTH_METHODS[auth][0], **kw))  # type: ignore[arg-type]
        p.chmod(0o600)
        return p

    def load_config(self, auth: str, **kw: object) -> str:
        """`l2tpgwctl load config` of appliance_config(auth, **kw); checks that it runs."""
        self.cfg = self.write_config(auth, **kw)
        reply = self.ctl_ok("load", "config", str(self.cfg))
        running = self.ctl_ok("show", "config")
        for line in (f"pp auth request {AUTH_METHODS[auth][0]}",
                     f"l2tp tunnel disconnect time {kw.get('disconnect', 'off')}"):
            if line not in running:
                raise TestFailure(f"load config did not make `{line}` the running "
                                  f"configuration: {reply.strip()}")
        return reply

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
        for lac in (LAC_A, LAC_B):
            vm.put_text(lac.conf, lac.xl2tpd_conf())
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
            vm.put_text(LAC_A.options, LAC_A.ppp_options(auth), 0o600)
            rc, out = vm.run(f"pppd file {LAC_A.options} dryrun pty true", timeout=30)
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
            "for f in /tmp/xl2tpd-*.log /tmp/pppd-*.log; do\n"
            "  [[ -e $f ]] && { echo \"--- $f (tail)\"; tail -60 $f; }\ndone\n"
            "echo '--- ip addr / route'; ip -br addr; ip route\n"
            "echo '--- dmesg (tail)'; dmesg | tail -15", timeout=60, quiet=True)
        for secret, mask in ((PSK, "<psk>"), (PASSWORD, "<pw>"), (PASSWORD_B, "<pw>")):
            out = out.replace(secret, mask)
        return out


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
    rates: dict[str, float] = field(default_factory=dict)   # Mbit/s

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
    """No ESP SA with the VM in `show ipsec sa` (its isakmp row may outlive the pair)."""
    esp_row = re.compile(rf"^\d+\s+\S+\s+\S+\s+tra\[\d+\]esp\s.*\s{re.escape(VM_WAN)}$", re.M)
    wait_until(lambda: not esp_row.search(ctx.app.ctl_ok("show", "ipsec", "sa")), TIMEOUT_SA_LISTED,
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

# Exit statuses of the dial-in wait loop that runs in the VM (wait_ppp()).
DIAL_UP, DIAL_DEADLINE, DIAL_XL2TPD_GONE, DIAL_PPPD_ENDED, DIAL_NO_TUNNEL = 0, 124, 125, 126, 127
DIAL_OUTCOME = {
    DIAL_UP: "pppN up",
    DIAL_DEADLINE: "no pppN address by the deadline",
    DIAL_XL2TPD_GONE: "xl2tpd exited",
    DIAL_PPPD_ENDED: "pppd ran and exited",
    DIAL_NO_TUNNEL: "no L2TP tunnel (xl2tpd gave up or no SCCRP in time)",
}
# Under TCG the whole dial-in takes a few seconds; a control connection that is not up after
# this long will not come up (xl2tpd retransmits its SCCRQ for about a minute).
TIMEOUT_TUNNEL = 20

PUNT_KEYS = ["PuntL2tpControl", "PuntPppControl", "L2tpDataRx", "L2tpDataTx", "Punt.handled",
             "Punt.unhandled", "Inject.raw", "Inject.esp"]


def ppp_address(vm: vmlab.Vm, lac: Lac = LAC_A) -> str | None:
    _, out = vm.run(f"ip -4 -o addr show dev {lac.ifname} 2>/dev/null", quiet=True)
    m = re.search(r"inet (\d+\.\d+\.\d+\.\d+)", out)
    return m[1] if m else None


@dataclass
class Attempt:
    """One dial-in: its label, the daemon's counters before it, and what the VM logged."""
    label: str
    before: dict[str, int]
    lac: Lac = LAC_A
    xl2tpd: str = ""
    pppd: str = ""

    def read_logs(self, ctx: Ctx) -> None:
        self.xl2tpd = ctx.vm.run(f"cat {self.lac.xl2tpd_log} 2>/dev/null", quiet=True)[1]
        self.pppd = ctx.vm.run(f"cat {self.lac.pppd_log} 2>/dev/null", quiet=True)[1]
        stem = re.sub(r"[^A-Za-z0-9]+", "-", self.label).strip("-")
        (ctx.app.logdir / f"vm-{stem}-xl2tpd.log").write_text(self.xl2tpd)
        (ctx.app.logdir / f"vm-{stem}-pppd.log").write_text(
            self.pppd.replace(PASSWORD, "<pw>").replace(PASSWORD_B, "<pw>"))

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
            where = f"after IPCP ({self.lac.ifname} should have its address)"
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


def start_xl2tpd(ctx: Ctx, auth: str, password: str | None = None, lac: Lac = LAC_A) -> None:
    vm = ctx.vm
    vm.put_text(lac.options, lac.ppp_options(auth, password), 0o600)
    vm.check(f"rm -f {lac.pppd_log} {lac.xl2tpd_log}; mkdir -p /run/xl2tpd\n"
             f"xl2tpd -D -c {lac.conf} -C {lac.control} -p /run/xl2tpd-{lac.tag}.pid "
             f">{lac.xl2tpd_log} 2>&1 & echo $! >{lac.bgpid}")
    vm.wait_for(f"test -p {lac.control}", timeout=20)


def stop_client(ctx: Ctx, lac: Lac = LAC_A) -> None:
    """Hang up (xl2tpd's `d`), stop xl2tpd by its PID, bring the IPsec SA down."""
    vm = ctx.vm
    vm.run(f"test -p {lac.control} && echo 'd {lac.name}' > {lac.control}", timeout=10,
           quiet=True)
    try:
        vm.wait_for(f"! ip link show {lac.ifname} >/dev/null 2>&1", timeout=TIMEOUT_HANGUP)
    finally:
        vm.run(f"test -s {lac.bgpid} && kill $(cat {lac.bgpid}) 2>/dev/null; "
               f"ipsec down {lac.conn} >/dev/null 2>&1; true", timeout=30, quiet=True)
        vm.wait_for(f"! kill -0 $(cat {lac.bgpid}) 2>/dev/null && ! {lac.pppd_running()}",
                    timeout=20)
        ctx.ike_up = False


def call(ctx: Ctx, lac: Lac = LAC_A) -> None:
    """xl2tpd's `c`: SCCRQ (or ICRQ on a tunnel it has), then pppd. pppd's log starts anew
    (wait_ppp reads a log without a pppd as a pppd that ended)."""
    ctx.vm.check(f"rm -f {lac.pppd_log}; echo 'c {lac.name}' > {lac.control}")


def wait_ppp(ctx: Ctx, deadline_s: float, lac: Lac = LAC_A) -> int:
    """Polled in the VM (one round trip): the client's pppN with its address and the link up
    (pppd sets the address before it brings the interface up), or the end of the attempt.
    pppd creates its log file when it starts: a log without a pppd process is a pppd that
    ended (it can start and fail between two polls). Returns a DIAL_* outcome."""
    rc, _ = ctx.vm.run(
        f"end=$((SECONDS + {int(deadline_s)})); tunnel_end=$((SECONDS + {TIMEOUT_TUNNEL}))\n"
        f"until ip -4 -o addr show dev {lac.ifname} 2>/dev/null | grep -q inet &&\n"
        f"      ip link show dev {lac.ifname} 2>/dev/null | grep -q '[<,]UP[,>]'; do\n"
        f"  (( SECONDS < end )) || exit {DIAL_DEADLINE}\n"
        f"  kill -0 $(cat {lac.bgpid}) 2>/dev/null || exit {DIAL_XL2TPD_GONE}\n"
        f"  if [[ -e {lac.pppd_log} ]] && ! {lac.pppd_running()}; then\n"
        f"    exit {DIAL_PPPD_ENDED}\n"
        "  fi\n"
        f"  if ! grep -q 'Connection established' {lac.xl2tpd_log}; then\n"
        f"    grep -q 'Maximum retries exceeded' {lac.xl2tpd_log} && exit {DIAL_NO_TUNNEL}\n"
        f"    (( SECONDS < tunnel_end )) || exit {DIAL_NO_TUNNEL}\n"
        "  fi\n"
        "  vmlab_sleep 0.05\ndone", timeout=deadline_s + 5, quiet=True)
    return rc


def dial(ctx: Ctx, attempt: Attempt, auth: str, password: str | None,
         deadline_s: float) -> tuple[int, float]:
    """xl2tpd up, `ipsec up`, `c`, then wait. Returns (DIAL_* outcome, seconds from `ipsec up`
    until pppN had its address or the wait ended)."""
    lac = attempt.lac
    start_xl2tpd(ctx, auth, password, lac)
    t0 = time.monotonic()
    ctx.conn = lac.conn
    ipsec_up(ctx)
    ctx.ike_up = True
    t_ike = time.monotonic() - t0
    call(ctx, lac)
    rc = wait_ppp(ctx, deadline_s, lac)
    took = time.monotonic() - t0
    print(f"     {attempt.label}: IKE {t_ike:.2f}s, then "
          f"{DIAL_OUTCOME.get(rc, f'rc {rc}').replace('pppN', lac.ifname)} at "
          f"{took:.2f}s after `ipsec up`", flush=True)
    return rc, took


def dialed_address(ctx: Ctx, attempt: Attempt, rc: int, took: float) -> str:
    """The pool address pppN got, or TestFailure saying where the dial-in stopped."""
    lac = attempt.lac
    addr = ppp_address(ctx.vm, lac) if rc == DIAL_UP else None
    if addr is None:
        raise TestFailure(f"{attempt.label}: {lac.ifname} got no address "
                          f"({DIAL_OUTCOME.get(rc, rc)}, {took:.1f}s after `ipsec up`); the "
                          f"dial-in {attempt.failure_point(ctx)}")
    if addr not in POOL:
        raise TestFailure(f"{attempt.label}: {lac.ifname} has {addr}, not an address of the "
                          f"pool {POOL_FIRST}-{POOL_LAST}")
    return addr


def counters_brief(app: Appliance) -> str:
    try:
        c = app.counters()
    except TestFailure as e:
        return str(e)
    keys = ["EspDecrypted", "EspEncrypted", "L2tpDataRx", "L2tpDataTx", "LanRxPackets",
            "LanTxPackets", "PuntPppControl", "PuntArp"]
    drops = {k[len("Drop."):]: v for k, v in c.items() if k.startswith("Drop.") and v}
    return ", ".join(f"{k} {c.get(k)}" for k in keys) + f"; drops: {drops}"


def ping_lan(ctx: Ctx, label: str, addr: str, count: int = 3) -> None:
    """`count` pings from the client's address to the LAN host, all answered."""
    rc, out = ctx.vm.run(f"ping -I {addr} -c {count} -i 0.3 -W 3 {LAN_HOST}", timeout=30)
    if not re.search(rf"\b{count} packets transmitted, {count} received", out):
        raise TestFailure(f"{label}: ping VM ({addr}) -> LAN host {LAN_HOST}: not {count} of "
                          f"{count} (rc {rc}):\n{tail(out, 6)}\n"
                          f"counters: {counters_brief(ctx.app)}")


def ping_client(ctx: Ctx, label: str, addr: str, count: int = 3) -> None:
    """`count` pings from the LAN host to the client's pool address, all answered."""
    p = host(ctx.app.lan.cmd(["ping", "-c", str(count), "-i", "0.3", "-W", "3", addr]),
             timeout=30, check=False)
    if not re.search(rf"\b{count} packets transmitted, {count} received", p.stdout):
        raise TestFailure(f"{label}: ping LAN host -> VM {addr}: not {count} of {count} "
                          f"(rc {p.returncode}):\n{tail(p.stdout + p.stderr, 6)}\n"
                          f"counters: {counters_brief(ctx.app)}")


def route_lan(ctx: Ctx, addr: str, lac: Lac = LAC_A) -> None:
    """The VM's traffic from `addr` to the LAN goes into the client's pppN (a routing table
    per client, so that two clients' replies leave by their own links)."""
    table = 100 + lac.unit
    ctx.vm.check(f"ip rule del from {addr} lookup {table} 2>/dev/null; "
                 f"ip rule add from {addr} lookup {table}\n"
                 f"ip route replace 192.0.2.0/24 dev {lac.ifname} table {table}\n"
                 f"ip route replace 192.0.2.0/24 dev {lac.ifname}")


def ping_through_fastpath(ctx: Ctx, label: str, addr: str) -> None:
    """3 pings VM -> LAN host and 3 LAN host -> VM, all answered, and the fastpath's counters
    saw them: six echo requests and six replies, three each way in each direction (the LAN
    ones also count ARP)."""
    app = ctx.app
    before = app.counters()
    ping_lan(ctx, label, addr)
    ping_client(ctx, label, addr)
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


def case_dialin(ctx: Ctx, auth: str, conn: str = CONN) -> None:
    label = AUTH_LABEL[auth] + (" NAT-T" if conn == CONN_NATT else "")
    lac = LAC_A if conn == CONN else dataclasses.replace(LAC_A, conn=conn)
    app = ctx.app
    app.load_config(auth)
    attempt = Attempt(label, app.counters(), lac)
    try:
        rc, took = dial(ctx, attempt, auth, PASSWORD, TIMEOUT_PPP)
        addr = dialed_address(ctx, attempt, rc, took)
        ctx.timings[f"dial-in {label}"] = took
        print(f"     {label}: dial-in {took:.2f}s (from `ipsec up` to ppp0 {addr})", flush=True)
        # Through the fastpath both ways: the VM's LAN-bound traffic goes into ppp0.
        route_lan(ctx, addr)
        ping_through_fastpath(ctx, label, addr)
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
        stop_client(ctx, lac)


def case_wrong_password(ctx: Ctx) -> None:
    ctx.app.load_config("chap")
    attempt = Attempt("wrong CHAP password", ctx.app.counters())
    try:
        rc, took = dial(ctx, attempt, "chap", "not-the-password", TIMEOUT_AUTH_FAIL)
        if rc == DIAL_UP:
            raise TestFailure(f"a wrong CHAP password got ppp0 address {ppp_address(ctx.vm)}")
        # pppd must have ended on an authentication failure, not a failure elsewhere.
        ctx.vm.wait_for(f"! {LAC_A.pppd_running()}", timeout=20)
        _, log = ctx.vm.run(f"cat {LAC_A.pppd_log} 2>/dev/null", quiet=True)
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


# -- the life of a call: hang-up, a vanished client, the idle cut, two clients, a transfer -------

def lns_counter(app: Appliance, name: str) -> int:
    """A counter of `show counters`' protocol sections (LNS, remote access, IKE)."""
    return app.counters().get(name, 0)


PP_CONNECTED = "L2TPセッションは接続されています"  # `show status pp`: a session's first line


def call_gone(app: Appliance, peer: str = VM_WAN, ipsec_too: bool = False,
              pp: str = "anonymous") -> bool:
    """Nothing of the client's call is left in the daemon: no L2TP tunnel or session in
    `show status l2tp`, no PPP session in `show status pp PP`, no tunnel record in the tables
    (`show status tunnel`), and with `ipsec_too` no SA with it in `show ipsec sa`."""
    l2tp = app.ctl_ok("show", "status", "l2tp")
    if peer in l2tp or not re.search(r"Tunnel Control: 0, Session Control: 0", l2tp):
        return False
    if PP_CONNECTED in app.ctl_ok("show", "status", "pp", pp):
        return False
    if "No tunnel is established." not in app.ctl_ok("show", "status", "tunnel"):
        return False
    return not ipsec_too or peer not in app.ctl_ok("show", "ipsec", "sa")


def gone_or_fail(app: Appliance, what: str, timeout: float, ipsec_too: bool = False,
                 pp: str = "anonymous") -> float:
    """Polls call_gone(); returns the seconds it took, or fails with what is still there."""
    t0 = time.monotonic()
    try:
        wait_until(lambda: call_gone(app, ipsec_too=ipsec_too, pp=pp), timeout, what,
                   interval=0.1)
    except TestFailure:
        views = {w: app.ctl("show", *w.split()).stdout for w in
                 ("status l2tp", f"status pp {pp}", "status tunnel", "ipsec sa")}
        raise TestFailure(f"{what}: still there after {timeout:.0f}s:\n" +
                          "\n".join(f"--- show {w}\n{tail(v, 15)}" for w, v in views.items()))
    return time.monotonic() - t0


def case_hangup(ctx: Ctx) -> None:
    """The client hangs up cleanly (xl2tpd's `d`: StopCCN): the tunnel, the session, PPP and
    the dataplane records leave the daemon at once, and the pool address comes back: the pool
    holds one address here, so the same client's immediate re-dial on the same IPsec SA gets
    in only if the hang-up returned it."""
    app, vm = ctx.app, ctx.vm
    app.load_config("chap", pool=(POOL_FIRST, POOL_FIRST))
    attempt = Attempt("hang-up", app.counters())
    try:
        rc, took = dial(ctx, attempt, "chap", None, TIMEOUT_PPP)
        addr = dialed_address(ctx, attempt, rc, took)
        if addr != POOL_FIRST:
            raise TestFailure(f"ppp0 has {addr}, but the pool holds only {POOL_FIRST}")
        sa_before = app.ctl_ok("show", "ipsec", "sa")
        t0 = time.monotonic()
        vm.check(f"echo 'd {LAC_A.name}' > {LAC_A.control}")
        gone_or_fail(app, "the hung-up call in the daemon", TIMEOUT_GONE)
        ctx.timings["hang-up until gone"] = time.monotonic() - t0
        if VM_WAN not in app.ctl_ok("show", "ipsec", "sa") or VM_WAN not in sa_before:
            raise TestFailure("the client's IPsec SAs went with its L2TP tunnel; they are the "
                              "client's to delete")
        # pppd lets ppp0 go after its unanswered Terminate-Request (ppp_options()); the
        # re-dial's pppd wants the same unit.
        vm.wait_for(f"! ip link show {LAC_A.ifname} >/dev/null 2>&1", timeout=TIMEOUT_HANGUP)
        t_ppp = time.monotonic() - t0
        attempt.read_logs(ctx)
        # At once again, on the same IPsec SA and xl2tpd: the one pool address is free.
        attempt = Attempt("hang-up re-dial", app.counters())
        t1 = time.monotonic()
        call(ctx)
        rc = wait_ppp(ctx, TIMEOUT_PPP)
        redial = time.monotonic() - t1
        again = dialed_address(ctx, attempt, rc, redial)
        if again != POOL_FIRST:
            raise TestFailure(f"the re-dial got {again}, not the returned {POOL_FIRST}")
        route_lan(ctx, again)
        ping_lan(ctx, "after the re-dial", again)
        ctx.timings["re-dial after hang-up"] = redial
        print(f"     hang-up: the call gone from the daemon "
              f"{ctx.timings['hang-up until gone']:.2f}s after `d` (ppp0 in the VM after "
              f"{t_ppp:.2f}s); the re-dial got {again} again in {redial:.2f}s, pings pass",
              flush=True)
    finally:
        attempt.read_logs(ctx)
        stop_client(ctx)


def case_vanished(ctx: Ctx) -> None:
    """The client vanishes without StopCCN or Delete (an Android that loses its network):
    charon, xl2tpd and pppd are SIGKILLed in the VM and its kernel forgets the SAs, so nothing
    answers. `l2tp keepalive use on 2 3` must remove the tunnel, the session, PPP and the
    client's IPsec SAs within INTERVAL x (COUNT + 1), and the client dials in again at once."""
    app, vm = ctx.app, ctx.vm
    app.load_config("chap")
    attempt = Attempt("vanished client", app.counters())
    try:
        rc, took = dial(ctx, attempt, "chap", None, TIMEOUT_PPP)
        addr = dialed_address(ctx, attempt, rc, took)
        route_lan(ctx, addr)
        ping_lan(ctx, "before vanishing", addr, count=1)
        attempt.read_logs(ctx)
        before = app.counters()
        # The kill happens between these two instants (one agent round trip).
        t_before = time.monotonic()
        vm.check("kill -KILL $(pidof starter charon xl2tpd pppd)\n"
                 "ip xfrm state flush; ip xfrm policy flush")
        t_after = time.monotonic()
        gone_or_fail(app, "the vanished client's tunnel, session and SAs",
                     KEEPALIVE_INTERVAL * (KEEPALIVE_COUNT + 1) + TIMEOUT_GONE, ipsec_too=True)
        t_gone = time.monotonic()
        took_gone = t_gone - t_after
        ctx.timings["keepalive detection"] = took_gone
        after = app.counters()
        delta = {k: after.get(k, 0) - before.get(k, 0)
                 for k in ("keepalive_timeouts", "retransmit_failures", "peers_dropped",
                           "PeerDeleted")}
        print(f"     tunnel, session, PPP and SA pair gone {took_gone:.2f}s after the kill "
              f"(+ up to {t_after - t_before:.2f}s: the kill's round trip; keepalive "
              f"{KEEPALIVE_INTERVAL} s x {KEEPALIVE_COUNT}); {delta}", flush=True)
        if delta != {"keepalive_timeouts": 1, "retransmit_failures": 0, "peers_dropped": 1,
                     "PeerDeleted": 1}:
            raise TestFailure(f"not the keepalive that removed the client: {delta}")
        # The first unanswered HELLO goes out at most one interval after the kill (or just
        # before it); COUNT silent intervals later the tunnel goes.
        low = KEEPALIVE_INTERVAL * (KEEPALIVE_COUNT - 1)
        # + the polling (up to four l2tpgwctl runs a round, slow on a loaded machine)
        high = KEEPALIVE_INTERVAL * (KEEPALIVE_COUNT + 1) + 2.5
        if not (low - 0.5 <= t_gone - t_before and took_gone <= high):
            raise TestFailure(f"removed {took_gone:.2f}s after the kill, outside "
                              f"[{low}, {high}] s")
        # A fresh charon (its stale pid files and socket first) and the client is back.
        vm.check("rm -f /var/run/starter.charon.pid /var/run/charon.pid /run/charon.ctl")
        ctx.client.start_charon()
        attempt = Attempt("after vanishing", app.counters())
        rc, took = dial(ctx, attempt, "chap", None, TIMEOUT_PPP)
        again = dialed_address(ctx, attempt, rc, took)
        route_lan(ctx, again)
        ping_lan(ctx, "after vanishing", again, count=1)
        print(f"     dialed in again in {took:.2f}s: {again}", flush=True)
    finally:
        attempt.read_logs(ctx)
        stop_client(ctx)


def case_idle_cut(ctx: Ctx) -> None:
    """`l2tp tunnel disconnect time N`: a call whose data stops is cut N s after its last
    packet (the dataplane's per-session counters say when), with StopCCN: the client hears
    it and hangs up; its IPsec SAs stay."""
    app, vm = ctx.app, ctx.vm
    app.load_config("chap", disconnect=str(IDLE_DISCONNECT))
    attempt = Attempt("idle cut", app.counters())
    try:
        rc, took = dial(ctx, attempt, "chap", None, TIMEOUT_PPP)
        addr = dialed_address(ctx, attempt, rc, took)
        route_lan(ctx, addr)
        before = app.counters()
        # Data for longer than N s keeps the call (a ping each second), then nothing.
        count = IDLE_DISCONNECT + 2
        rc, out = vm.run(f"ping -I {addr} -c {count} -i 1 -W 3 {LAN_HOST}", timeout=count + 30)
        last_data = time.monotonic()
        if not re.search(rf"\b{count} packets transmitted, {count} received", out):
            raise TestFailure(f"pings over {count} s with disconnect time {IDLE_DISCONNECT}: "
                              f"not all answered (the call was cut while it carried data?):\n"
                              f"{tail(out, 6)}")
        gone_or_fail(app, "the idle call", IDLE_DISCONNECT + TIMEOUT_GONE)
        idle = time.monotonic() - last_data
        ctx.timings["idle cut after the last packet"] = idle
        vm.wait_for(f"! ip link show {LAC_A.ifname} >/dev/null 2>&1", timeout=TIMEOUT_HANGUP)
        after = app.counters()
        delta = {k: after.get(k, 0) - before.get(k, 0)
                 for k in ("idle_disconnects", "keepalive_timeouts", "peers_dropped")}
        print(f"     cut {idle:.2f}s after the last ping (disconnect time {IDLE_DISCONNECT}); "
              f"the client hung up; {delta}", flush=True)
        if delta != {"idle_disconnects": 1, "keepalive_timeouts": 0, "peers_dropped": 0}:
            raise TestFailure(f"not the disconnect timer that cut the call: {delta}")
        # Looked at every N/4 s: cut between N and N + N/4 s after the last packet.
        if not IDLE_DISCONNECT - 0.5 <= idle <= IDLE_DISCONNECT * 1.25 + 2.5:
            raise TestFailure(f"cut {idle:.2f}s after the last packet, not about "
                              f"{IDLE_DISCONNECT} s")
        if VM_WAN not in app.ctl_ok("show", "ipsec", "sa"):
            raise TestFailure("the idle cut removed the client's IPsec SAs too")
    finally:
        attempt.read_logs(ctx)
        stop_client(ctx)


def case_two_clients(ctx: Ctx) -> None:
    """Two clients at once, from two addresses (the VM's second address with its own
    strongSwan connection, xl2tpd and pppd): two IKE peers, two tunnels, two pool addresses,
    and both reach the LAN host and are reached from it."""
    app, vm = ctx.app, ctx.vm
    app.load_config("chap")
    vm.check(f"ip addr replace {VM_WAN_B}/24 dev eth0\n"
             "sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0")
    attempts = [Attempt("two clients: A", app.counters(), LAC_A),
                Attempt("two clients: B", app.counters(), LAC_B)]
    try:
        addrs = []
        for a in attempts:
            rc, took = dial(ctx, a, "chap", None, TIMEOUT_PPP)
            addrs.append(dialed_address(ctx, a, rc, took))
            ctx.timings[f"dial-in {a.label}"] = took
        if addrs[0] == addrs[1]:
            raise TestFailure(f"both clients got {addrs[0]}")
        for a, addr in zip(attempts, addrs):
            route_lan(ctx, addr, a.lac)
        for a, addr in zip(attempts, addrs):
            ping_lan(ctx, a.label, addr)
            ping_client(ctx, a.label, addr)
        l2tp = app.ctl_ok("show", "status", "l2tp")
        if (not re.search(r"Tunnel Control: 2, Session Control: 2", l2tp) or
                VM_WAN not in l2tp or VM_WAN_B not in l2tp):
            raise TestFailure(f"`show status l2tp` does not list both clients:\n{tail(l2tp, 40)}")
        pp = app.ctl_ok("show", "status", "pp", "anonymous")
        if not all(addr in pp for addr in addrs) or USER_B not in pp:
            raise TestFailure(f"`show status pp anonymous` lacks a client:\n{tail(pp, 40)}")
        print(f"     {VM_WAN} got {addrs[0]}, {VM_WAN_B} got {addrs[1]}; both ping the LAN "
              "host and answer it", flush=True)
    finally:
        for a in attempts:
            a.read_logs(ctx)
        try:
            stop_client(ctx, LAC_B)
        finally:
            stop_client(ctx, LAC_A)


def session_octets(app: Appliance, addr: str) -> tuple[int, int]:
    """(received, transmitted) octets of the session with client address `addr` in `show
    status pp anonymous` (the dataplane's per-session counters)."""
    for block in app.ctl_ok("show", "status", "pp", "anonymous").split("PP[")[1:]:
        if f"Remote: {addr}" in block:
            rx = re.search(r"受信: \d+ パケット \[(\d+) オクテット\]", block)
            tx = re.search(r"送信: \d+ パケット \[(\d+) オクテット\]", block)
            if rx and tx:
                return int(rx[1]), int(tx[1])
    raise TestFailure(f"`show status pp anonymous` has no session for {addr}")


def case_iperf3(ctx: Ctx) -> None:
    """A TCP transfer through the tunnel both ways: iperf3's server on the LAN host, its
    client in the VM over ppp0, IPERF_SECONDS each way. Asserts the bytes moved (and that
    the session's dataplane counters saw at least as many octets); Mbit/s is a figure."""
    if not shutil.which("iperf3"):
        raise TestFailure("iperf3 is not installed on the host (scripts/setup.sh installs it)")
    app, vm = ctx.app, ctx.vm
    app.load_config("chap")
    attempt = Attempt("iperf3", app.counters())
    server: Proc | None = None
    try:
        rc, took = dial(ctx, attempt, "chap", None, TIMEOUT_PPP)
        addr = dialed_address(ctx, attempt, rc, took)
        route_lan(ctx, addr)
        server = Proc("iperf3-server", app.lan.cmd(["iperf3", "-s", "-B", LAN_HOST, "-p", "5201"]),
                      app.logdir)
        server.wait_for_output(r"Server listening", timeout=15)
        rx0, tx0 = session_octets(app, addr)
        figures = []
        for reverse in (False, True):
            way = "LAN host -> VM" if reverse else "VM -> LAN host"
            rc, out = vm.run(f"iperf3 -c {LAN_HOST} -B {addr} -p 5201 -t {IPERF_SECONDS} -J"
                             f" --connect-timeout 5000{' -R' if reverse else ''}",
                             timeout=TIMEOUT_IPERF)
            try:
                end = json.loads(out)["end"]
                got = int(end["sum_received"]["bytes"])
                mbit = end["sum_received"]["bits_per_second"] / 1e6
                retrans = end["sum_sent"].get("retransmits", 0)
            except (ValueError, KeyError, TypeError):
                raise TestFailure(f"iperf3 {way}: no result (rc {rc}):\n{tail(out, 15)}\n"
                                  f"counters: {counters_brief(app)}")
            if rc != 0 or got < IPERF_MIN_BYTES:
                raise TestFailure(f"iperf3 {way}: {got} bytes received (rc {rc}), fewer than "
                                  f"{IPERF_MIN_BYTES}:\n{tail(out, 15)}")
            figures.append((way, got, mbit, retrans))
            ctx.rates[f"iperf3 {way}"] = mbit
        rx1, tx1 = session_octets(app, addr)
        up, down = figures[0][1], figures[1][1]
        if rx1 - rx0 < up or tx1 - tx0 < down:
            raise TestFailure(f"the session's counters saw {rx1 - rx0} octets up and "
                              f"{tx1 - tx0} down, fewer than iperf3 moved ({up}, {down})")
        for way, got, mbit, retrans in figures:
            print(f"     iperf3 TCP {way}: {got / 1e6:.1f} MB in {IPERF_SECONDS} s, "
                  f"{mbit:.1f} Mbit/s ({retrans} retransmits)", flush=True)
    finally:
        if server is not None:
            server.stop(grace=5)
        attempt.read_logs(ctx)
        stop_client(ctx)


def esp_rows(app: Appliance, peer: str) -> int:
    """The ESP SAs (one row per direction) with `peer` in `show ipsec sa`."""
    row = re.compile(rf"^\d+\s+\S+\s+\S+\s+tra\[\d+\]esp\s.*\s{re.escape(peer)}$", re.M)
    return len(row.findall(app.ctl_ok("show", "ipsec", "sa")))


def warned_unsupported(app: Appliance, config: str, starts: tuple[str, ...]) -> list[str]:
    """The controlplane's `FILE:LINE: warning: not supported by l2tpgw: ...` for the first
    line of `config` starting with each of `starts` (one per router function l2tpgw lacks)."""
    lines = config.splitlines()
    log = app.cp.log() if app.cp else ""
    found = []
    for start in starts:
        n = next(i + 1 for i, line in enumerate(lines) if line.strip().startswith(start))
        m = re.search(rf":{n}: warning: (not supported by l2tpgw: .*)", log)
        if not m:
            raise TestFailure(f"line {n} (`{lines[n - 1].strip()}`) is not reported as not "
                              f"supported by l2tpgw:\n{tail(log, 20)}")
        found.append(f"{n}: {m[1]}")
    return found


def fixed_dial(ctx: Ctx, label: str, lac: Lac) -> tuple[float, float]:
    """xl2tpd's `c` (the IPsec SA pair is up already), then ppp0 must get exactly the fixed
    address and a first ping must pass. Returns the seconds from `c` to ppp0's address and
    to the first echo reply."""
    attempt = Attempt(label, ctx.app.counters(), lac)
    t0 = time.monotonic()
    call(ctx, lac)
    rc = wait_ppp(ctx, TIMEOUT_PPP, lac)
    t_ppp = time.monotonic() - t0
    addr = ppp_address(ctx.vm, lac) if rc == DIAL_UP else None
    attempt.read_logs(ctx)
    if addr is None:
        raise TestFailure(f"{label}: {lac.ifname} got no address ({DIAL_OUTCOME.get(rc, rc)}, "
                          f"{t_ppp:.1f}s after `c`); the dial-in {attempt.failure_point(ctx)}")
    if addr != FIXED_ADDR:
        raise TestFailure(f"{label}: {lac.ifname} has {addr}, not pp {FIXED_PP}'s fixed "
                          f"address {FIXED_ADDR}")
    route_lan(ctx, addr, lac)
    ping_lan(ctx, label, addr, count=1)
    return t_ppp, time.monotonic() - t0


def case_fixed_ip(ctx: Ctx) -> None:
    """Seed 000's fixed-address client (fixed_ip_config()): the appliance restarted on that
    configuration (its client address index: the fixed address alone).
    - `ipsec auto refresh on`: the appliance itself starts Main Mode + Quick Mode to the VM
      (`ipsec ike remote address 1` names it); charon (conn auto=add) answers, and xl2tpd's
      dial rides that pair: ppp0 gets exactly the fixed address, pings pass both ways through
      the fastpath, `show status pp 2` / `show status l2tp` / `show ipsec sa` list the call
      and its one pair. A client from the VM's other address is refused (no gateway for it)
      while the daemon and the call stay up. The hang-up leaves nothing of the call.
    - `ipsec auto refresh off` (load config): the client starts IKE itself (`ipsec up`), dials
      and gets the fixed address again (the hang-up returned it), hangs up and re-dials on the
      same SA pair: the fixed address once more."""
    app, vm = ctx.app, ctx.vm
    t_case = time.monotonic()

    def say(what: str) -> None:  # with the seconds since the case began
        print(f"     [{time.monotonic() - t_case:4.1f}s] {what}", flush=True)
    lac = dataclasses.replace(LAC_A, conn=CONN_FIXED)
    pp = str(FIXED_PP)
    config = fixed_ip_config("on")
    cfg = app.logdir / "l2tpgw-fixed-ip.conf"
    cfg.write_text(config)
    cfg.chmod(0o600)
    # The VM: the fixed client's connection and the other address's, alone.
    vm.put_text("/etc/ipsec.conf", IPSEC_CONF_FIXED)
    vm.check("ipsec reload")
    vm.wait_for(f"ipsec statusall | grep -q '^ *{CONN_FIXED}:' && "
                f"! ipsec statusall | grep -q '^ *{CONN}:'", timeout=20)
    vm.check(f"ip addr replace {VM_WAN_B}/24 dev eth0\n"
             "sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0")
    try:
        app.restart(cfg, "-fixed")
        t_attached = time.monotonic()
        for w in warned_unsupported(app, config, ("pppoe use", "netvolante-dns",
                                                  "nat descriptor type")):
            say(f"restarted on seed 000's block; warning {w}")
        # auto refresh on: the appliance initiates; the VM's charon installs the pair.
        installed = re.compile(rf"{re.escape(CONN_FIXED)}\{{\d+\}}:\s+INSTALLED, TRANSPORT")

        def initiated() -> bool:
            return (esp_rows(app, VM_WAN) == 2 and
                    bool(installed.search(vm.run("ipsec statusall", quiet=True)[1])))
        try:
            wait_until(initiated, TIMEOUT_IKE, "the appliance's own Main Mode + Quick Mode to "
                       f"{VM_WAN} (ipsec auto refresh on) to install a pair on both sides",
                       interval=0.2)
        except TestFailure as e:
            log = "\n".join(line for line in app.cp.log().splitlines() if "[IKE]" in line)
            raise TestFailure(f"{e}\n--- controlplane [IKE] lines:\n{tail(log, 25)}")
        t_ike = time.monotonic() - t_attached
        start_xl2tpd(ctx, "mschap-v2", None, lac)
        t_ppp, t_ping = fixed_dial(ctx, "fixed address (auto refresh on)", lac)
        say(f"auto refresh on: the appliance's IKE installed the pair {t_ike:.2f}s after the "
            f"controlplane attached; `c` -> ppp0 {FIXED_ADDR} {t_ppp:.2f}s, first ping "
            f"{t_ping:.2f}s")
        ctx.timings["fixed: appliance-initiated IKE"] = t_ike
        ctx.timings["fixed: c -> ppp0 (auto refresh on)"] = t_ppp
        ping_through_fastpath(ctx, "fixed address", FIXED_ADDR)
        say("3 + 3 pings through the fastpath")
        if esp_rows(app, VM_WAN) != 2:
            raise TestFailure("the dial-in made another SA pair; it should ride the one the "
                              f"appliance negotiated:\n{app.ctl_ok('show', 'ipsec', 'sa')}")
        status = app.ctl_ok("show", "status", "pp", pp)
        for want in (f"PP[{FIXED_PP:02d}]: {PP_CONNECTED}", f"Remote: {FIXED_ADDR}",
                     f"受けとったUserId: {USER}"):
            if want not in status:
                raise TestFailure(f"`show status pp {pp}` lacks `{want}`:\n{tail(status, 20)}")
        if PP_CONNECTED in app.ctl_ok("show", "status", "pp", "anonymous"):
            raise TestFailure(f"`show status pp anonymous` lists pp {pp}'s call")
        l2tp = app.ctl_ok("show", "status", "l2tp")
        for want in ("Tunnel Control: 1, Session Control: 1", "TUNNEL[1] Information",
                     f"Remote IP Address: {VM_WAN}", f"PP Bind: PP[{FIXED_PP:02d}]",
                     "Session State: established"):
            if want not in l2tp:
                raise TestFailure(f"`show status l2tp` lacks `{want}`:\n{tail(l2tp, 30)}")

        # Another address: no gateway names it (`ipsec ike remote address 1` is the VM's
        # first), so its Main Mode goes unanswered and nothing of it reaches L2TP.
        before = app.counters()
        vm.check(f"ipsec up {CONN_B} >/tmp/ipsec-up-b.log 2>&1 & echo $! >/tmp/ipsec-up-b.pid")
        try:
            wait_until(lambda: app.counters().get("NoPolicy", 0) > before.get("NoPolicy", 0),
                       TIMEOUT_COUNTERS, f"the appliance to refuse Main Mode from {VM_WAN_B} "
                       "(NoPolicy)", interval=0.2)
        finally:
            vm.run(f"ipsec down {CONN_B} >/dev/null 2>&1; kill $(cat /tmp/ipsec-up-b.pid) "
                   "2>/dev/null; true", timeout=30, quiet=True)
        after = app.counters()
        if (esp_rows(app, VM_WAN_B) or
                after.get("Phase1Established", 0) != before.get("Phase1Established", 0)):
            raise TestFailure(f"{VM_WAN_B} got an SA:\n{app.ctl_ok('show', 'ipsec', 'sa')}")
        if re.search(rf"{re.escape(CONN_B)}\[\d+\]: ESTABLISHED",
                     vm.run("ipsec statusall", quiet=True)[1]):
            raise TestFailure(f"charon has an IKE SA for {CONN_B}")
        app.alive()
        if "Tunnel Control: 1, Session Control: 1" not in app.ctl_ok("show", "status", "l2tp"):
            raise TestFailure("the fixed client's call did not survive the refused client")
        ping_lan(ctx, "fixed address, after the refused client", FIXED_ADDR, count=1)
        say(f"show status pp {pp} / l2tp / ipsec sa as expected; {VM_WAN_B} refused (NoPolicy "
            f"+{after.get('NoPolicy', 0) - before.get('NoPolicy', 0)}); the call and the "
            "daemon stay up")

        # The hang-up: everything of the call goes, the SA pair stays.
        vm.check(f"echo 'd {lac.name}' > {lac.control}")
        gone_or_fail(app, "the hung-up fixed-address call", TIMEOUT_GONE, pp=pp)
        vm.wait_for(f"! ip link show {lac.ifname} >/dev/null 2>&1", timeout=TIMEOUT_HANGUP)
        if esp_rows(app, VM_WAN) != 2:
            raise TestFailure("the hang-up took the SA pair with it")
        say("hung up: nothing of the call left, the SA pair kept")

        # auto refresh off: the client brings its SAs down and up again itself.
        cfg.write_text(fixed_ip_config("off"))
        app.ctl_ok("load", "config", str(cfg))
        if "ipsec auto refresh off" not in app.ctl_ok("show", "config"):
            raise TestFailure("`load config` did not make `ipsec auto refresh off` run")
        stop_client(ctx, lac)
        sa_pair_gone(ctx, "charon")
        say("auto refresh off; the client's `ipsec down` removed the pair")
        start_xl2tpd(ctx, "mschap-v2", None, lac)
        t0 = time.monotonic()
        ctx.conn = CONN_FIXED
        ipsec_up(ctx)
        t_up = time.monotonic() - t0
        t_ppp, t_ping = fixed_dial(ctx, "fixed address (auto refresh off)", lac)
        say(f"auto refresh off: `ipsec up` {t_up:.2f}s, ppp0 {FIXED_ADDR} {t_up + t_ppp:.2f}s, "
            f"first ping {t_up + t_ping:.2f}s (from `ipsec up`)")
        ctx.timings["fixed: ipsec up -> ppp0"] = t_up + t_ppp
        ctx.timings["fixed: ipsec up -> first ping"] = t_up + t_ping
        if esp_rows(app, VM_WAN) != 2:
            raise TestFailure(f"not one SA pair with {VM_WAN}:\n"
                              f"{app.ctl_ok('show', 'ipsec', 'sa')}")
        # Hang up and re-dial at once on the same pair: the fixed address is free again.
        vm.check(f"echo 'd {lac.name}' > {lac.control}")
        gone_or_fail(app, "the hung-up fixed-address call", TIMEOUT_GONE, pp=pp)
        vm.wait_for(f"! ip link show {lac.ifname} >/dev/null 2>&1", timeout=TIMEOUT_HANGUP)
        t_ppp, t_ping = fixed_dial(ctx, "fixed address re-dial", lac)
        say(f"re-dial after the hang-up: ppp0 {FIXED_ADDR} again in {t_ppp:.2f}s")
    finally:
        try:
            stop_client(ctx, lac)
        finally:
            # The lab as the other cases know it: the VM's connections, the pool appliance.
            vm.run(f"ip addr del {VM_WAN_B}/24 dev eth0 2>/dev/null; true", quiet=True)
            vm.put_text("/etc/ipsec.conf", IPSEC_CONF)
            vm.check("ipsec reload")
            app.restart(app.write_config("chap"), "-after-fixed")
            say("the lab restored (the VM's connections, the pool appliance)")


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
        if name.startswith("dialin:") and ctx.args.only and not re.search(ctx.args.only, name):
            return True
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
            case("dialin: clean hang-up (StopCCN): tunnel, session, PPP and records gone at "
                 "once, the pool address back, the re-dial gets it", lambda: case_hangup(ctx))
            case("dialin: a vanished client (SIGKILL, SAs flushed): L2TP keepalive removes "
                 "tunnel, session, PPP and IPsec SAs in time; it dials in again",
                 lambda: case_vanished(ctx))
            case("dialin: l2tp tunnel disconnect time: an idle call is cut after its last "
                 "data packet", lambda: case_idle_cut(ctx))
            case("dialin: two clients at once from two addresses: two pool addresses, both "
                 "reach the LAN host", lambda: case_two_clients(ctx))
            case("dialin: iperf3 TCP both ways through the tunnel",
                 lambda: case_iperf3(ctx))
            case("dialin: fixed address (seed 000's pp 2): the appliance initiates IKE (auto "
                 "refresh on), ppp0 gets exactly the fixed address, pings, show status pp 2 / "
                 "l2tp / ipsec sa, another address refused; auto refresh off: the client's "
                 "IKE, hang-up and re-dial get the fixed address again",
                 lambda: case_fixed_ip(ctx))
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
    ap.add_argument("--only", metavar="REGEX", default=None,
                    help="run only the dialin cases whose name matches (the IKE cases they "
                         "build on always run)")
    ap.add_argument("--pcap", action="store_true",
                    help="capture the tap into <logdir>/wan.pcap (the frames the VM sends: the "
                         "dataplane's af_packet bypasses the tap's capture hook) and the VM's "
                         "eth0 (both directions) into vm-eth0.pcap, with the SAs' keys in "
                         "vm-xfrm-state.txt")
    args = ap.parse_args()
    builddir = args.builddir.resolve()
    rc = preflight("dialin_e2e", PREREQUISITES, builddir, (DATAPLANE, CONTROLPLANE, CTL))
    if rc is not None:
        return rc

    t_start = time.monotonic()
    stale_namespaces()
    tag = str(os.getpid())
    logdir = make_logdir(args.logdir, builddir, f"dialin-{args.stage}-{tag}-")
    res = Results()
    app: Appliance | None = None
    problems: list[str] = []
    vm_boot = None
    timings: dict[str, float] = {}
    rates: dict[str, float] = {}
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
                    app.start_dataplane(config_auth="chap")
                    app.start_controlplane("chap")
                ok = ok and res.case("setup: dataplane ready, controlplane attached with the "
                                     "seed-style configuration", appliance)
                timings["appliance start"] = time.monotonic() - t0
                if ok:
                    run_stages(ctx, res, args.stage)
                    res.case("the dataplane and the controlplane are still running", app.alive)
                timings.update(client.timings)
                timings.update(ctx.timings)
                rates.update(ctx.rates)
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
    for k, v in rates.items():
        print(f", {k} {v:.1f} Mbit/s", end="")
    print(f"; whole test {time.monotonic() - t_start:.1f}s", flush=True)
    if rc == 0 and not args.keep:
        shutil.rmtree(logdir, ignore_errors=True)
    else:
        print(f"logs: {logdir}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
