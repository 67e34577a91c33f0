#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# setup.sh: installs the Debian 12 packages l2tpgw builds and tests with, and prepares
# hugepages. Idempotent and non-interactive; run as root.
set -euo pipefail

packages=(
  build-essential g++ meson ninja-build pkg-config
  libdpdk-dev dpdk dpdk-dev libipsec-mb-dev libssl-dev libboost-program-options-dev
  libgtest-dev libnuma-dev
  clang libclang-rt-14-dev                       # fuzz targets (libFuzzer + sanitizers)
  python3 python3-scapy python3-cryptography      # the independent e2e peer
  iproute2 iputils-ping ethtool procps util-linux
  tcpreplay                                      # scripts/bench.sh --vdev (generator)
  # The interop lab (tests/interop/): qemu (TCG) boots Debian's kernel, which has the ESP,
  # L2TP and PPP modules the host kernel lacks, over the host's root filesystem; the clients
  # run from the host's packages. libreswan cannot be added: Debian's libreswan conflicts
  # with strongswan (strongswan-libcharon, strongswan-starter).
  qemu-system-x86 linux-image-amd64 busybox-static kmod
  strongswan xl2tpd ppp tcpdump tshark
  nftables                                       # ike_e2e.py's NAT between client and appliance
  conntrack                                      # ike_e2e.py natrebind: flushes the NAT's mappings
  iperf3                                         # TCP through the tunnel (dialin_e2e.py)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# strongSwan and xl2tpd run inside the interop lab's VMs only: never as services on the host
# (where systemd would start them at installation).
if [[ -d /run/systemd/system ]]; then
  systemctl disable --now strongswan-starter.service xl2tpd.service >/dev/null 2>&1 || true
fi

# Hugepages: 2 MiB pages for the mbuf pool and the shared tables.
want=${L2TPGW_HUGEPAGES:-1024}
if (( $(cat /proc/sys/vm/nr_hugepages) < want )); then
  echo "$want" > /proc/sys/vm/nr_hugepages
fi
if ! mount | grep -q "on /dev/hugepages type hugetlbfs"; then
  mkdir -p /dev/hugepages
  mount -t hugetlbfs nodev /dev/hugepages
fi
echo "setup: ok ($(grep HugePages_Free /proc/meminfo | awk '{print $2}') free hugepages)"
