#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# netns-lab.sh: build or remove the three-namespace e2e lab (WAN peer | DUT | LAN host).
#
#   l2gw-wan-<s>                l2gw-dut-<s>                 l2gw-lan-<s>
#   wan0 203.0.113.10/24 <--veth--> dpwan   [dataplane]   dplan <--veth--> lan0 192.0.2.10/24
#                                   (no kernel addresses)        route 198.51.100.0/24 via 192.0.2.1
#
# The DUT-side ends carry no addresses: the DPDK dataplane owns them through net_af_packet.
# Veths get one queue and MTU 1500, and checksum/segmentation offloads are turned off so the
# af_packet PMD sees complete frames with real checksums. IPv6 is disabled in every namespace
# so router solicitations and MLD reports do not reach the dataplane as noise.
#
# Usage: netns-lab.sh up|down <suffix>     (both idempotent; `up` rebuilds from scratch)
set -euo pipefail

usage() {
    echo "usage: $0 up|down <suffix>   (suffix: 1-12 of [A-Za-z0-9])" >&2
    exit 2
}

[[ $# -eq 2 ]] || usage
action=$1
suffix=$2
[[ $suffix =~ ^[A-Za-z0-9]{1,12}$ ]] || usage

ns_dut=l2gw-dut-$suffix
ns_wan=l2gw-wan-$suffix
ns_lan=l2gw-lan-$suffix

ns_exists() { ip netns list | awk '{print $1}' | grep -qx -- "$1"; }

down() {
    local ns
    for ns in "$ns_dut" "$ns_wan" "$ns_lan"; do
        # Deleting a namespace destroys the veth ends inside it, and with them their peers.
        if ns_exists "$ns"; then
            ip netns del "$ns"
        fi
    done
}

# Offloads that would hand af_packet partial checksums or super-frames. Not every veth
# feature exists on every kernel, so each is set on its own and failures are ignored.
offloads_off() {
    local ns=$1 dev=$2 feature
    for feature in tx rx sg tso gso gro lro tx-checksum-ip-generic; do
        ip netns exec "$ns" ethtool -K "$dev" "$feature" off >/dev/null 2>&1 || true
    done
}

ns_base() {
    local ns=$1
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
}

up() {
    down
    ns_base "$ns_dut"
    ns_base "$ns_wan"
    ns_base "$ns_lan"

    # Created directly inside the namespaces, so concurrent labs never collide on names
    # in the root namespace.
    ip -n "$ns_dut" link add dpwan numtxqueues 1 numrxqueues 1 mtu 1500 type veth \
        peer name wan0 netns "$ns_wan" numtxqueues 1 numrxqueues 1 mtu 1500
    ip -n "$ns_dut" link add dplan numtxqueues 1 numrxqueues 1 mtu 1500 type veth \
        peer name lan0 netns "$ns_lan" numtxqueues 1 numrxqueues 1 mtu 1500

    offloads_off "$ns_dut" dpwan
    offloads_off "$ns_dut" dplan
    offloads_off "$ns_wan" wan0
    offloads_off "$ns_lan" lan0

    ip -n "$ns_dut" link set dpwan up
    ip -n "$ns_dut" link set dplan up

    ip -n "$ns_wan" addr add 203.0.113.10/24 dev wan0
    ip -n "$ns_wan" link set wan0 up

    ip -n "$ns_lan" addr add 192.0.2.10/24 dev lan0
    ip -n "$ns_lan" link set lan0 up
    ip -n "$ns_lan" route add 198.51.100.0/24 via 192.0.2.1 dev lan0
}

case $action in
    up) up ;;
    down) down ;;
    *) usage ;;
esac
