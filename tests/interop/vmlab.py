# SPDX-License-Identifier: Apache-2.0
# vmlab.py: qemu VMs (TCG) that boot Debian's own kernel over the host's root filesystem, so
# real OS clients (strongSwan, xl2tpd, pppd) can run against l2tpgw inside test namespaces.
#
#     with vmlab.Netns("l2gw-vml-x") as ns:
#         ns.tap("vmtap0", "203.0.113.1/24")
#         with vmlab.Vm(ns.name, "vmtap0", "203.0.113.2/24", gw="203.0.113.1") as vm:
#             rc, out = vm.run("ip -br addr")
#             vm.wait_for("test -S /run/charon.ctl", timeout=10)
#             vm.put_text("/etc/ipsec.conf", conf); data = vm.get("/var/log/x")
#
# The host kernel has no ESP, PPP or L2TP; the VM's kernel is linux-image-amd64, started from
# its uncompressed vmlinux through the PVH entry point. The initramfs (busybox + the virtio/9p/
# overlay modules) mounts the host's / read-only over virtio-9p under a tmpfs overlay and runs
# tests/interop/vmlab/agent.sh, which executes commands sent over a virtio-serial port.
# vmlinux and the initramfs are built once per kernel version (and initramfs inputs) into a
# cache directory. Every wait polls a condition against a deadline; processes are stopped by
# their PID only. See tests/interop/README.md.
#
# Command line (root):  /usr/bin/python3 tests/interop/vmlab.py build | shell | boot  (--help)

from __future__ import annotations

import argparse
import atexit
import contextlib
import ctypes
import fcntl
import hashlib
import inspect
import lzma
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Callable, Iterator

HERE = Path(__file__).resolve().parent
FILES = HERE / "vmlab"
DEFAULT_CACHE = Path(os.environ.get("L2TPGW_VMLAB_CACHE", "/var/tmp/l2tpgw-vmlab"))
QEMU = "qemu-system-x86_64"
BUSYBOX = Path("/bin/busybox")

# Modules the initramfs loads before it can reach the host's root (their dependencies are
# added from modules.dep). Everything else is loaded later from the host's /lib/modules.
INITRAMFS_MODULES = ["virtio_pci", "virtio_net", "virtio_console", "virtio_rng",
                     "9pnet_virtio", "9p", "overlay"]

# Kernel command line. Under TCG every console byte and every timer check costs: keep the
# console quiet, trust the TSC and the CPU's RNG, and do not probe for a keyboard.
KERNEL_ARGS = ("console=ttyS0 quiet loglevel=3 panic=-1 rdinit=/init mitigations=off "
               "random.trust_cpu=on tsc=reliable no_timer_check i8042.noaux i8042.nokbd "
               "i8042.nopnp noresume ipv6.disable_ipv6=1")


class VmError(RuntimeError):
    pass


def log(msg: str) -> None:
    print(f"[vmlab] {msg}", flush=True)


# ---------------------------------------------------------------------------------------------
# Kernel, vmlinux and initramfs (cached)
# ---------------------------------------------------------------------------------------------

def _version_key(v: str) -> list[object]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", v)]


def debian_kernel() -> str:
    """The newest Debian amd64 kernel installed with both /boot/vmlinuz-V and /lib/modules/V
    (L2TPGW_VMLAB_KERNEL overrides). The host does not run it: the VM does."""
    forced = os.environ.get("L2TPGW_VMLAB_KERNEL")
    if forced:
        return forced
    found = [p.name[len("vmlinuz-"):] for p in Path("/boot").glob("vmlinuz-*")]
    found = [v for v in found if (Path("/lib/modules") / v / "modules.dep").exists()]
    if not found:
        raise VmError("no Debian kernel: install linux-image-amd64 (scripts/setup.sh)")
    return max(found, key=_version_key)


def extract_vmlinux(bzimage: bytes) -> bytes:
    """The uncompressed kernel ELF inside a bzImage (what the kernel's scripts/extract-vmlinux
    does): try every offset where a compressed stream could start, keep the first that
    decompresses to an ELF. Debian compresses with xz; gzip is tried as well."""
    def unxz(d: bytes) -> bytes:
        return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(d)

    def gunzip(d: bytes) -> bytes:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(d)

    candidates = [(m.start(), unxz) for m in re.finditer(re.escape(b"\xfd7zXZ\x00"), bzimage)]
    candidates += [(m.start(), gunzip) for m in re.finditer(re.escape(b"\x1f\x8b\x08"), bzimage)]
    for off, fn in sorted(candidates, key=lambda c: c[0]):
        try:
            out = fn(bzimage[off:])
        except (lzma.LZMAError, zlib.error):  # a false match of the magic bytes
            continue
        if out[:4] == b"\x7fELF":
            return out
    raise VmError("no compressed ELF kernel found in the bzImage")


def has_pvh_note(elf: bytes) -> bool:
    """True when the ELF has the Xen PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY = 18), which
    qemu's -kernel needs to start an uncompressed vmlinux."""
    # Notes are small; scanning for "Xen\0" with type 18 avoids parsing program headers.
    for m in re.finditer(re.escape(b"Xen\x00"), elf):
        start = m.start() - 12
        if start < 0:
            continue
        namesz = int.from_bytes(elf[start:start + 4], "little")
        ntype = int.from_bytes(elf[start + 8:start + 12], "little")
        if namesz == 4 and ntype == 18:
            return True
    return False


class _Cpio:
    """A newc ("070701") cpio archive written directly, so device nodes need no root and the
    build needs no cpio binary."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.dirs: set[str] = set()
        self.ino = 1

    def _add(self, name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0)
             ) -> None:
        name_b = name.encode() + b"\0"
        fields = [self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1],
                  len(name_b), 0]
        self.ino += 1
        hdr = b"070701" + b"".join(b"%08X" % f for f in fields)
        self.parts.append(hdr + name_b + b"\0" * (-(len(hdr) + len(name_b)) % 4))
        self.parts.append(data + b"\0" * (-len(data) % 4))

    def dir(self, name: str) -> None:
        if name not in self.dirs:
            self.dirs.add(name)
            self._add(name, 0o040755)

    def file(self, name: str, data: bytes, perm: int = 0o644) -> None:
        self._add(name, 0o100000 | perm, data)

    def symlink(self, name: str, target: str) -> None:
        self._add(name, 0o120777, target.encode())

    def chardev(self, name: str, major: int, minor: int, perm: int = 0o600) -> None:
        self._add(name, 0o020000 | perm, rdev=(major, minor))

    def finish(self) -> bytes:
        self._add("TRAILER!!!", 0)
        return b"".join(self.parts)


def _module_order(kver: str, wanted: list[str]) -> list[str]:
    """Module paths (relative to /lib/modules/kver) of `wanted` and their dependencies,
    dependencies first, each once."""
    base = Path("/lib/modules") / kver
    deps: dict[str, list[str]] = {}
    by_name: dict[str, str] = {}
    for line in (base / "modules.dep").read_text().splitlines():
        mod, _, rest = line.partition(":")
        deps[mod] = rest.split()
        by_name[Path(mod).name.split(".ko")[0].replace("-", "_")] = mod
    builtin = {Path(l).name.split(".ko")[0].replace("-", "_")
               for l in (base / "modules.builtin").read_text().split()}
    order: list[str] = []

    def visit(mod: str) -> None:
        if mod in order:
            return
        for d in deps.get(mod, []):
            visit(d)
        order.append(mod)

    for name in wanted:
        key = name.replace("-", "_")
        if key in builtin:
            continue
        if key not in by_name:
            raise VmError(f"module {name} not found for kernel {kver}")
        visit(by_name[key])
    return order


def _initramfs_key(kver: str, modules: list[str]) -> str:
    h = hashlib.sha256()
    h.update(kver.encode())
    for f in ("init", "modprobe"):
        h.update((FILES / f).read_bytes())
    h.update("\n".join(modules).encode())
    st = BUSYBOX.stat()
    h.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
    h.update(inspect.getsource(_build_initramfs).encode())  # the layout
    return h.hexdigest()[:16]


def _build_initramfs(kver: str, modules: list[str]) -> bytes:
    c = _Cpio()
    for d in ("bin", "sbin", "dev", "etc", "proc", "sys", "lib", "lib/modules", "newroot",
              "lower", "upper"):
        c.dir(d)
    c.chardev("dev/console", 5, 1)
    c.chardev("dev/null", 1, 3, 0o666)
    c.file("bin/busybox", BUSYBOX.read_bytes(), 0o755)
    applets = subprocess.run([str(BUSYBOX), "--list"], capture_output=True, text=True,
                             check=True).stdout.split()
    for a in sorted(set(applets)):
        if a != "busybox" and a != "modprobe":
            c.symlink(f"bin/{a}", "busybox")
    c.file("init", (FILES / "init").read_bytes(), 0o755)
    c.file("sbin/modprobe", (FILES / "modprobe").read_bytes(), 0o755)
    src = Path("/lib/modules") / kver
    for m in modules:
        parts = Path(m).parts
        for i in range(1, len(parts)):
            c.dir("lib/modules/" + "/".join(parts[:i]))
        c.file(f"lib/modules/{m}", (src / m).read_bytes())
    c.file("etc/vmlab-modules", ("\n".join(modules) + "\n").encode())
    return c.finish()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class Images:
    """What a VM boots: `kernel` (vmlinux if it has a PVH entry, else the bzImage), `initrd`,
    and `kver`. Built into <cache>/<kver>/ unless already there."""

    def __init__(self, cache: Path = DEFAULT_CACHE, kver: str | None = None,
                 force_bzimage: bool = False):
        self.kver = kver or debian_kernel()
        d = cache / self.kver
        t0 = time.monotonic()
        built: list[str] = []
        with _locked(d / ".lock"):
            bz = Path("/boot") / f"vmlinuz-{self.kver}"
            vmlinux = d / "vmlinux"
            no_pvh = d / "vmlinux.no-pvh"
            if not vmlinux.exists() and not no_pvh.exists():
                elf = extract_vmlinux(bz.read_bytes())
                if has_pvh_note(elf):
                    _write_atomic(vmlinux, elf)
                else:
                    _write_atomic(no_pvh, b"")
                built.append("vmlinux")
            self.pvh = vmlinux.exists() and not force_bzimage
            self.kernel = vmlinux if self.pvh else bz
            modules = _module_order(self.kver, INITRAMFS_MODULES)
            self.initrd = d / f"initramfs-{_initramfs_key(self.kver, modules)}.cpio"
            if not self.initrd.exists():
                # Older builds may still be in use by another checkout: only drop stale ones.
                for old in d.glob("initramfs-*.cpio"):
                    if time.time() - old.stat().st_mtime > 86400:
                        old.unlink()
                _write_atomic(self.initrd, _build_initramfs(self.kver, modules))
                built.append("initramfs")
        if built:
            log(f"built {' and '.join(built)} for {self.kver} in "
                f"{time.monotonic() - t0:.1f}s ({d})")


# ---------------------------------------------------------------------------------------------
# Namespaces and taps
# ---------------------------------------------------------------------------------------------

def _run(cmd: list[str], check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess:
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=timeout)
    if check and p.returncode != 0:
        raise VmError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()}")
    return p


def netns_exists(name: str) -> bool:
    return Path("/run/netns", name).exists()


class Netns:
    """A network namespace this test creates (lo up, IPv6 off) and deletes on exit, which also
    destroys the taps and veths inside it."""

    def __init__(self, name: str):
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,32}", name):
            raise ValueError(f"bad namespace name {name!r}")
        self.name = name
        _cleanup.append(self.delete)

    def __enter__(self) -> "Netns":
        self.create()
        return self

    def __exit__(self, *exc: object) -> None:
        self.delete()

    def create(self) -> None:
        self.delete()
        _run(["ip", "netns", "add", self.name])
        _run(["ip", "-n", self.name, "link", "set", "lo", "up"])
        for k in ("all", "default"):
            self.exec(["sysctl", "-qw", f"net.ipv6.conf.{k}.disable_ipv6=1"])

    def delete(self) -> None:
        if netns_exists(self.name):
            _run(["ip", "netns", "del", self.name], check=False)

    def cmd(self, argv: list[str]) -> list[str]:
        """argv run in this namespace (network only: the mount namespace stays the host's)."""
        return ["nsenter", f"--net=/run/netns/{self.name}", "--"] + argv

    def exec(self, argv: list[str], check: bool = True, timeout: float = 30
             ) -> subprocess.CompletedProcess:
        return _run(self.cmd(argv), check=check, timeout=timeout)

    def tap(self, dev: str, addr: str | None = None) -> None:
        """A persistent tap `dev` in this namespace, up, with `addr` (A/len) if given."""
        _run(["ip", "-n", self.name, "tuntap", "add", "dev", dev, "mode", "tap"])
        if addr:
            _run(["ip", "-n", self.name, "addr", "add", addr, "dev", dev])
        _run(["ip", "-n", self.name, "link", "set", dev, "up"])


# ---------------------------------------------------------------------------------------------
# Clean-up on every exit path
# ---------------------------------------------------------------------------------------------

_cleanup: list[Callable[[], None]] = []


def _cleanup_all() -> None:
    while _cleanup:
        fn = _cleanup.pop()
        try:
            fn()
        except Exception as e:  # noqa: BLE001 -- keep cleaning
            print(f"[vmlab] clean-up: {e}", file=sys.stderr, flush=True)


def _on_signal(signum: int, _frame: object) -> None:
    # meson sends SIGTERM at a timeout: turn it into an exception so finally blocks and
    # context managers run, then atexit catches what is left.
    raise SystemExit(128 + signum)


atexit.register(_cleanup_all)
for _sig in (signal.SIGTERM, signal.SIGHUP):
    if signal.getsignal(_sig) in (signal.SIG_DFL, None):
        signal.signal(_sig, _on_signal)


_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


def _pdeathsig() -> None:
    # Runs in the child between fork and exec: qemu dies with the test even when the test is
    # SIGKILLed (the setting survives the exec chain nsenter -> qemu, one process).
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


# ---------------------------------------------------------------------------------------------
# The VM
# ---------------------------------------------------------------------------------------------

class Vm:
    """One qemu VM with a virtio-net NIC on tap `tap` in namespace `ns`, address `addr`
    (A/len) and default gateway `gw`. boot() (or `with`) starts it and waits for the agent;
    shutdown() (or leaving `with`) stops qemu by PID and removes its temp dir (kept with
    keep=True or on a failed boot, for the console log)."""

    _seq = 0

    def __init__(self, ns: str, tap: str, addr: str | None = None, gw: str | None = None, *,
                 name: str = "vm", mac: str | None = None, mem_mb: int = 512,
                 cache: Path = DEFAULT_CACHE, workdir: Path | None = None,
                 keep: bool = False, verbose: bool = True, bzimage: bool = False,
                 extra_args: list[str] | None = None):
        self.ns, self.tap, self.addr, self.gw = ns, tap, addr, gw
        self.name = name
        Vm._seq += 1
        self.mac = mac or "52:54:00:76:6d:%02x" % (Vm._seq & 0xFF)
        self.mem_mb = mem_mb
        self.cache = cache
        self.keep = keep
        self.verbose = verbose
        self.bzimage = bzimage
        self.extra_args = list(extra_args or [])  # more qemu options (NICs, devices)
        self.dir = Path(tempfile.mkdtemp(prefix=f"vmlab-{name}-", dir=workdir))
        self.xfer = self.dir / "xfer"
        self.console_log = self.dir / "console.log"
        self.qemu_log = self.dir / "qemu.log"
        self.sock_path = self.dir / "agent.sock"
        self._sock_dir: Path | None = None
        if len(str(self.sock_path)) > 100:  # sun_path holds 108 bytes
            self._sock_dir = Path(tempfile.mkdtemp(prefix="vmlab-sock-"))
            self.sock_path = self._sock_dir / "agent.sock"
        self.proc: subprocess.Popen | None = None
        self.sock: socket.socket | None = None
        self._buf = b""
        self._id = 0
        self._broken: str | None = None
        self._shut = False
        self.boot_s: float | None = None
        self.kver: str | None = None
        _cleanup.append(self.shutdown)

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> "Vm":
        try:
            self.boot()
        except BaseException:
            self.shutdown(failed=True)
            raise
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.shutdown(failed=exc_type is not None)

    def qemu_argv(self, images: Images) -> list[str]:
        ro_root = "local,path=/,mount_tag=rootfs,security_model=none,readonly=on,multidevs=remap"
        xfer = f"local,path={self.xfer},mount_tag=xfer,security_model=none,multidevs=remap"
        return [
            QEMU, "-name", self.name,
            "-machine", "pc,accel=tcg", "-cpu", "max", "-smp", "1", "-m", str(self.mem_mb),
            "-nodefaults", "-no-user-config", "-display", "none", "-vga", "none",
            "-no-reboot",
            "-kernel", str(images.kernel), "-initrd", str(images.initrd),
            "-append", KERNEL_ARGS,
            "-chardev", f"file,id=con,path={self.console_log}", "-serial", "chardev:con",
            "-virtfs", ro_root, "-virtfs", xfer,
            "-device", "virtio-serial-pci",
            "-chardev", f"socket,id=agent,path={self.sock_path},server=on,wait=off",
            "-device", "virtserialport,chardev=agent,name=vmlab.agent",
            # vnet_hdr off: the guest gets no checksum/segmentation offloads, so every frame
            # on the tap is complete, as DPDK's af_packet and the captures want it.
            "-netdev", f"tap,id=net0,ifname={self.tap},script=no,downscript=no,vnet_hdr=off",
            "-device", f"virtio-net-pci,netdev=net0,mac={self.mac}",
            "-device", "virtio-rng-pci",
        ] + self.extra_args

    def boot(self, timeout: float = 90) -> float:
        """Start qemu in the namespace, wait for the agent, set the address. Returns the
        seconds from qemu's start to the agent's greeting."""
        images = Images(self.cache, force_bzimage=self.bzimage)
        self.kver = images.kver
        self.xfer.mkdir()
        (self.xfer / "in").mkdir()
        (self.xfer / "out").mkdir()
        shutil.copy(FILES / "agent.sh", self.xfer / "agent.sh")
        argv = ["nsenter", f"--net=/run/netns/{self.ns}", "--"] + self.qemu_argv(images)
        with open(self.qemu_log, "w") as qlog:
            qlog.write("# " + " ".join(argv) + "\n")
            qlog.flush()
            t0 = time.monotonic()
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=qlog,
                                         stderr=subprocess.STDOUT, start_new_session=True,
                                         preexec_fn=_pdeathsig)
        deadline = t0 + timeout
        self._connect(deadline)
        line = self._readline(deadline)
        if not line.startswith("READY "):
            raise VmError(f"{self.name}: unexpected greeting {line!r}")
        self.kver = line.split(" ", 1)[1]
        self.boot_s = time.monotonic() - t0
        kind = "vmlinux (PVH)" if images.pvh else "bzImage"
        if self.verbose:
            log(f"{self.name}: booted {self.kver} from {kind} in {self.boot_s:.2f}s "
                f"(ns {self.ns}, tap {self.tap}, dir {self.dir})")
        if self.addr:
            cmd = f"ip link set eth0 up && ip addr add {self.addr} dev eth0"
            if self.gw:
                cmd += f" && ip route add default via {self.gw}"
            self.check(cmd, timeout=10)
        return self.boot_s

    def _alive_or_raise(self, what: str) -> None:
        if self.proc is None or self.proc.poll() is not None:
            rc = None if self.proc is None else self.proc.returncode
            raise VmError(f"{self.name}: qemu exited ({rc}) {what}\n"
                          f"--- qemu log:\n{self._tail(self.qemu_log)}\n"
                          f"--- console:\n{self._tail(self.console_log)}")

    @staticmethod
    def _tail(p: Path, n: int = 25) -> str:
        try:
            return "\n".join(p.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(none)"

    def _connect(self, deadline: float) -> None:
        # qemu creates the socket early in its start-up; poll for it.
        while True:
            self._alive_or_raise("before its agent socket appeared")
            if self.sock_path.exists():
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    s.connect(str(self.sock_path))
                    s.setblocking(False)
                    self.sock = s
                    return
                except (ConnectionRefusedError, FileNotFoundError):
                    s.close()
            if time.monotonic() >= deadline:
                raise VmError(f"{self.name}: no agent socket at {self.sock_path}")
            time.sleep(0.02)

    def _readline(self, deadline: float) -> str:
        assert self.sock is not None
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                self._alive_or_raise("while the host waited for the agent")
                raise VmError(f"{self.name}: agent silent until the deadline\n--- console:\n"
                              f"{self._tail(self.console_log)}")
            r, _, _ = select.select([self.sock], [], [], min(left, 0.5))
            if not r:
                self._alive_or_raise("while the host waited for the agent")
                continue
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                self._alive_or_raise("and closed the agent socket")
                raise VmError(f"{self.name}: agent socket closed")
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return line.decode(errors="replace")

    def shutdown(self, failed: bool = False) -> None:
        """Stop qemu (SIGTERM to its PID, SIGKILL after 5 s) and remove the temp dir unless
        keep=True or the VM failed. Safe to call more than once."""
        if self._shut:
            return
        self._shut = True
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self._sock_dir is not None:
            shutil.rmtree(self._sock_dir, ignore_errors=True)
        if self.dir.exists():
            if self.keep or failed:
                log(f"{self.name}: kept {self.dir} (console.log, qemu.log, xfer/)")
            else:
                shutil.rmtree(self.dir, ignore_errors=True)

    # -- commands --------------------------------------------------------------------------

    def run(self, cmd: str, timeout: float = 30, quiet: bool = False) -> tuple[int, str]:
        """Run `cmd` with bash in the VM (stdin /dev/null, stdout+stderr merged). Returns
        (exit status, output); 124 when `timeout` ran out (the VM-side timeout ends the
        command's process group)."""
        if self._broken:
            raise VmError(f"{self.name}: agent channel broken earlier ({self._broken})")
        if self.sock is None:
            raise VmError(f"{self.name}: not booted")
        self._id += 1
        rid = self._id
        tmo = max(1, int(timeout + 0.999))
        body = cmd.encode()
        if b"\0" in body:
            raise ValueError("a command cannot contain NUL bytes")
        out_path = self.xfer / "out" / str(rid)
        t0 = time.monotonic()
        # The VM-side timeout plus its KILL grace, plus room for a slow TCG guest.
        deadline = t0 + tmo + 10
        try:
            self.sock.setblocking(True)
            self.sock.sendall(f"{rid} {tmo} {len(body)}\n".encode() + body)
            self.sock.setblocking(False)
            end = self._readline(deadline).split()
            if len(end) != 3 or end[:2] != ["END", str(rid)]:
                raise VmError(f"expected 'END {rid} <rc>', got {end!r}")
        except (VmError, OSError) as e:
            self._broken = str(e).splitlines()[0]
            raise
        rc = int(end[2])
        try:
            out = out_path.read_bytes().decode(errors="replace")
            out_path.unlink()
        except FileNotFoundError:
            out = ""
        if self.verbose and not quiet:
            first = cmd.strip().splitlines()[0] if cmd.strip() else ""
            more = " ..." if len(cmd.strip().splitlines()) > 1 else ""
            log(f"{self.name}$ {first[:100]}{more}  -> {rc} ({time.monotonic() - t0:.3f}s)")
        return rc, out

    def check(self, cmd: str, timeout: float = 30) -> str:
        """run() that raises VmError unless the exit status is 0; returns the output."""
        rc, out = self.run(cmd, timeout)
        if rc != 0:
            raise VmError(f"{self.name}: `{cmd}` exited {rc}:\n{out}")
        return out

    def wait_for(self, cmd: str, predicate: Callable[[int, str], object] | None = None,
                 timeout: float = 30, interval: float = 0.1) -> tuple[int, str]:
        """Poll until the condition holds; raise VmError at the deadline.
        Without `predicate`, the condition is `cmd` exiting 0, and the polling loop runs in the
        VM (one round trip). With it, `cmd` runs once per poll and predicate(rc, out) decides."""
        if predicate is None:
            script = (f"end=$((SECONDS + {int(timeout + 0.999)}))\n"
                      f"until {{ {cmd}\n}}; do\n"
                      f"  (( SECONDS < end )) || exit 124\n  vmlab_sleep {interval}\ndone")
            rc, out = self.run(script, timeout=timeout + 2, quiet=True)
            if rc != 0:
                raise VmError(f"{self.name}: timed out after {timeout}s waiting for `{cmd}`"
                              f" (last output: {out[-500:]!r})")
            if self.verbose:
                log(f"{self.name}: `{cmd[:80]}` holds")
            return rc, out
        deadline = time.monotonic() + timeout
        while True:
            rc, out = self.run(cmd, timeout=max(1.0, deadline - time.monotonic()), quiet=True)
            if predicate(rc, out):
                return rc, out
            if time.monotonic() >= deadline:
                raise VmError(f"{self.name}: timed out after {timeout}s waiting on `{cmd}` "
                              f"(last: rc {rc}, {out[-500:]!r})")
            time.sleep(interval)

    # -- files -----------------------------------------------------------------------------

    def put(self, src: Path | bytes, dest: str, mode: int = 0o644) -> None:
        """Copy a host file (or bytes) to `dest` in the VM, through the exchange directory."""
        name = f"in/{self._id + 1}-{Path(dest).name}"
        target = self.xfer / name
        if isinstance(src, (bytes, bytearray)):
            target.write_bytes(src)
        else:
            shutil.copyfile(src, target)
        self.check(f"install -D -m {mode:o} /vmlab/{name} '{dest}' && rm -f /vmlab/{name}")

    def put_text(self, dest: str, text: str, mode: int = 0o644) -> None:
        self.put(text.encode(), dest, mode)

    def get(self, src: str, dest: Path | None = None) -> bytes:
        """Contents of `src` in the VM (also written to `dest` on the host when given)."""
        name = f"out/{self._id + 1}-{Path(src).name}"
        self.check(f"cp '{src}' /vmlab/{name}")
        data = (self.xfer / name).read_bytes()
        (self.xfer / name).unlink()
        if dest is not None:
            Path(dest).write_bytes(data)
        return data


# ---------------------------------------------------------------------------------------------
# Command line: build the images, or boot a VM by hand
# ---------------------------------------------------------------------------------------------

def _main() -> int:
    ap = argparse.ArgumentParser(description="vmlab: qemu VMs over the host's root filesystem")
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("build", help="build (or find) vmlinux and the initramfs, print their paths")
    for name, hlp in (("shell", "boot a VM in a fresh namespace and read commands from stdin"),
                      ("boot", "boot a VM in a fresh namespace and print how to reach it; "
                               "Ctrl-C stops it")):
        p = sub.add_parser(name, help=hlp)
        p.add_argument("--ns", default=f"l2gw-vml-{os.getpid()}")
        p.add_argument("--ns-addr", default="203.0.113.1/24")
        p.add_argument("--vm-addr", default="203.0.113.2/24")
        p.add_argument("--bzimage", action="store_true", help="boot the bzImage, not vmlinux")
        p.add_argument("--keep", action="store_true",
                       help="keep the VM's directory (console.log, qemu.log, xfer/)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("vmlab: run as root", file=sys.stderr)
        return 2
    if args.cmd == "build":
        im = Images(args.cache)
        print(f"kernel {im.kver}\n{'vmlinux (PVH)' if im.pvh else 'bzImage'} {im.kernel}\n"
              f"initramfs {im.initrd}")
        return 0
    gw = args.ns_addr.split("/")[0]
    with Netns(args.ns) as ns:
        ns.tap("vmtap0", args.ns_addr)
        with Vm(ns.name, "vmtap0", args.vm_addr, gw, cache=args.cache, keep=args.keep,
                bzimage=args.bzimage) as vm:
            if args.cmd == "boot":
                print(f"namespace {ns.name}: ip netns exec {ns.name} ping {vm.addr.split('/')[0]}"
                      f"\nconsole: tail -f {vm.console_log}\nqemu pid {vm.proc.pid}; Ctrl-C "
                      "stops the VM and removes the namespace", flush=True)
                try:
                    while vm.proc.poll() is None:
                        time.sleep(0.5)
                except KeyboardInterrupt:
                    pass
                return 0
            print(f"vmlab shell: commands run in the VM (bash); namespace {ns.name}; "
                  "Ctrl-D ends", flush=True)
            for line in sys.stdin:
                if not line.strip():
                    continue
                rc, out = vm.run(line, timeout=120)
                sys.stdout.write(out)
                if rc:
                    print(f"[exit {rc}]")
                sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_main())
