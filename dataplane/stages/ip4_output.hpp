// SPDX-License-Identifier: Apache-2.0
// What a router does when it cannot forward a packet as it is: ICMP errors (RFC 792, RFC 1191,
// RFC 1812 §4.3.2) and fragmentation (RFC 791), as packets spawned into the worker's pipeline.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

#include "dataplane/worker/worker.hpp"

namespace l2tpgw::dp {

// Sends an ICMP error about `orig` (its IPv4 packet at `ip`, `len` bytes) from our LAN address
// to its source, unless RFC 1812 §4.3.2.7 forbids it, `orig` is itself spawned, or the worker's
// token bucket is empty. The message goes into w.spawned routed like any packet of ours: down
// the client's session when the source is a client, out of the LAN port otherwise. `orig`
// stays the caller's (who drops it under its own reason). Counts IcmpError*.
void icmp_error(WorkerCtx& w, rte_mbuf* orig, const uint8_t* ip, uint32_t len, uint8_t type,
                uint8_t code, uint16_t next_hop_mtu);

// Where the fragments of a packet go after ip4_mtu_exceeded.
enum class Egress : uint8_t {
  Session,  // to l2tp_encap, for the session already in the packet's meta (downstream)
  Lan,      // out of the LAN port to `next_hop` (upstream)
  Wan,      // out of the WAN port to `next_hop` (an outer packet we built: L2TPv3, ESP)
};

// Appends `m` to w.spawned (running a full w.spawned through the pipeline first) and returns
// its index there, marked dropped until the caller gives it a next node.
uint16_t spawn(WorkerCtx& w, rte_mbuf* m);

// Spawns a full copy of `m` (data and PktMeta; the pool's headroom, so every header can be
// prepended) and returns its index in w.spawned, or -1 (counted NoMbuf) when the pool is dry.
int spawn_copy(WorkerCtx& w, rte_mbuf* m);

// The MTU step of a router for packet i of `b`: a whole (one-segment) IPv4 packet longer than
// `mtu`. With DF set (RFC 1191 §4), it is dropped as Ipv4TooBig and an ICMP Fragmentation
// Needed carrying `mtu` goes to its source. With DF clear (RFC 791 §2.3), it is cut: packet i
// becomes the first fragment, in place, and returns true to go on where it was going; the
// other fragments are new mbufs from the same pool, each one contiguous with the pool's
// headroom (so ESP can prepend and append in place), spawned towards `egress`. Returns false
// when packet i was dropped (Ipv4TooBig, Ipv4FragFailed, NoMbuf).
bool ip4_mtu_exceeded(WorkerCtx& w, Burst& b, uint16_t i, uint16_t mtu, Egress egress,
                      uint32_t next_hop);

// Packet i of `b`, a UDP datagram (header included) of ours, leaves by the WAN port in an
// IPv4 header from `src` to `dst` (host order; DF clear, TTL 64), cut into fragments when it
// exceeds the WAN MTU, towards `dst` on the WAN subnet or else the WAN gateway (ARP resolved
// or held as ether_output does). Used by pw_encap (`l2tpv3-raw` data) and for the L2TPv3
// control messages the controlplane injects (InjectNext::UdpWan). Drops it as NoHeadroom,
// ArpUnresolved or as ip4_mtu_exceeded says.
void udp4_wan_output(WorkerCtx& w, Burst& b, uint16_t i, uint32_t src, uint32_t dst);

}  // namespace l2tpgw::dp
