// SPDX-License-Identifier: Apache-2.0
// IkeResponder: the IKEv1 responder for L2TP/IPsec clients (RFC 2409 Main Mode with pre-shared
// keys, Quick Mode for transport-mode ESP, Informational with Delete, INITIAL-CONTACT and DPD;
// NAT-T per RFC 3947 and its drafts). It is the "task manager" of STYLE.md: it owns the IKE SAs,
// their Message IDs, duplicate detection and retransmission, and runs the Main Mode, Quick
// Mode and Informational steps (main_mode.cpp, quick_mode.cpp, informational.cpp).
//
// Despite its name it plays both roles (the role is per exchange, STYLE.md's TaskManager):
// initiate() starts Main Mode and Quick Mode to a configured Connection (initiator.cpp: the
// LAN-to-LAN case), keeps it up (`ipsec auto refresh`) and rekeys the pairs it negotiated at
// their soft lifetime, make-before-break; ChildSaEvents report those pairs like the others.
//
// Events in, actions out: on_datagram() and on_timer() take the time as an argument and
// produce datagrams (take_outbox()), Installer calls (alloc_spi / add_sa / del_sa /
// release_spi) and ChildSaEvents; there are no sockets, no DPDK and no clock inside, so the
// exchange tests run it against a scripted initiator and a FakeInstaller.
//
// Bounded memory: at most limits.max_ike_sas IKE SAs, of which limits.max_half_open are not
// yet authenticated; new Main Modes are admitted per source address by a token bucket kept in
// a fixed table. Established SAs never compete with new ones for these.
//
// Secrets never reach a log line: messages name peers, SA numbers, suites and reasons only.
//
// Thread context: the controlplane loop.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "controlplane/ike/counters.hpp"
#include "controlplane/ike/ike_sa.hpp"
#include "controlplane/ike/policy.hpp"
#include "controlplane/install/installer.hpp"
#include "controlplane/loop/timer_queue.hpp"

namespace l2tpgw::cp::ike {

// One UDP datagram's ISAKMP message (without the RFC 3948 non-ESP marker: the sender adds it
// when either port is 4500, the receiver strips it before on_datagram).
struct Datagram {
  Endpoint local;  // ours: the source of an outgoing datagram
  Endpoint peer;   // the destination
  Bytes message;
  // RFC 3948 §2.3: not ISAKMP but a NAT-keepalive (message is the one octet 0xFF, sent
  // without the non-ESP marker).
  bool nat_keepalive = false;
};

// What an installed IPsec SA pair looks like to the protocols above (L2TP binds its tunnel to
// peer_index and sends through slot_out).
struct ChildSaEvent {
  uint64_t serial = 0;
  uint32_t peer_index = 0;
  uint32_t slot_in = 0, slot_out = 0;
  uint32_t spi_in = 0, spi_out = 0;
  Endpoint local, peer;
  bool natt = false;
  std::optional<uint32_t> nat_oa_peer;  // the client's own address behind its NAT
  EspCipher cipher = EspCipher::AesCbc128;
  EspAuth auth = EspAuth::HmacSha1_96;
  uint32_t lifetime = 0;
  uint64_t replaces = 0;  // a rekey: the pair this one succeeds (still up until it goes down)
  bool initiator = false; // we started the Quick Mode that made it
  // The ISAKMP SA whose Quick Mode made it (it may be gone: IKEv1 IPsec SAs outlive it, RFC
  // 2409 §5.7), and the `ipsec ike ... G` security gateway it was negotiated under.
  uint64_t ike_serial = 0;
  uint32_t gateway_id = 0;
  TimePoint installed{};  // the hard lifetime ends `lifetime` seconds later
  Identification peer_id;  // the peer's phase-1 identity
};

// A rekey (ours: ChildSaEvent::replaces names the old pair; or the peer's: a second pair of
// the same peering) is make-before-break: child_up comes for the new pair while the old one is
// still installed, and is the moment for the protocol above to send on the new slot_out
// (Installer::update_tunnel_sa_out); child_down for the old pair follows once the new one has
// carried traffic. A peering is down only when its last pair is.
struct IkeHooks {
  std::function<void(const ChildSaEvent&)> child_up;    // after both directions are installed
  std::function<void(const ChildSaEvent&)> child_down;  // after both are removed
};

// A read-only view of an IKE SA (tests, `show ipsec sa`).
struct IkeSaView {
  uint64_t serial = 0;
  MainModeState state = MainModeState::Init;
  Endpoint local, peer;
  Phase1Suite suite;
  NatT natt = NatT::None;
  bool nat_local = false, nat_peer = false;
  uint32_t peer_index = 0;
  size_t quick_modes = 0;
  bool initiator = false;
  uint32_t gateway_id = 0;  // the `ipsec ike ... G` security gateway of its policy
  Identification peer_id;   // from MM5/MM6 (established only)
  // Established (state Auth) only: when Main Mode completed and when its lifetime (RFC 2407
  // §4.5 SA Life Duration, ours if shorter) ends.
  TimePoint established{}, expires{};
};

class IkeResponder {
 public:
  IkeResponder(ResponderConfig cfg, Installer& installer, RandomFn random = system_random());
  ~IkeResponder();
  IkeResponder(const IkeResponder&) = delete;
  IkeResponder& operator=(const IkeResponder&) = delete;

  // A new configuration applies to IKE SAs negotiated from now on.
  void set_config(ResponderConfig cfg);
  void set_hooks(IkeHooks h) { hooks_ = std::move(h); }

  // One ISAKMP message from `peer`, received on `local`. Never throws; every refusal is
  // counted.
  void on_datagram(const Endpoint& local, const Endpoint& peer, ByteView message, TimePoint now);
  // Runs what is due: retransmissions, timeouts, lifetimes.
  void on_timer(TimePoint now);
  std::optional<TimePoint> next_deadline() { return timers_.next_deadline(); }

  std::vector<Datagram> take_outbox() { return std::exchange(outbox_, {}); }

  // Removes every SA (ISAKMP and IPsec) with Delete notifications to the peers: shutdown.
  void shutdown(TimePoint now);
  // Removes the SAs of one peering (ISAKMP and IPsec) with Delete notifications, for the
  // protocol above that found the peer gone (L2TP keepalive); child_down runs for each IPsec
  // SA. False when the peering had none.
  bool delete_peer(uint32_t peer_index, TimePoint now, const char* why);
  // An authenticated packet of the IPsec SA installed inbound in `slot_in` (the dataplane
  // decrypted it) came from `peer`. Behind a NAT whose mapping changed, the peering follows
  // it: its IPsec SAs and ISAKMP SAs send to `peer` from now on (RFC 3947 §4 floats the
  // ports; RFC 7296 §2.23 writes the rule down: the most recent authenticated packet's address
  // and port). True when it moved.
  bool nat_peer_seen(uint32_t slot_in, const Endpoint& peer, TimePoint now);
  // The dataplane says the IPsec SA installed outbound in `slot_out` is running out of
  // sequence numbers (RFC 4303 §3.3.3; its soft lifetime in packets) or has: its pair is
  // rekeyed now, as at its soft lifetime in seconds. True when a rekey started or was already
  // under way; false for a slot IKE does not hold.
  bool outbound_expiring(uint32_t slot_out, TimePoint now);

  // ---- The initiator role (initiator.cpp; RFC 2409 §5, §5.5) ----
  // Starts the configured Connection to `peer_addr` (Main Mode, then Quick Mode) and keeps it
  // up as its auto_refresh says. Nothing new starts while an ISAKMP SA with the peer (ours or
  // its own) is established or being negotiated. False: no connection for that address.
  bool initiate(uint32_t peer_addr, TimePoint now);
  // The same for a connection given by the protocol above (the L2TPv3 LCCE); it replaces the
  // configured one for its peer until set_config.
  void initiate(const Connection& c, TimePoint now);
  // initiate() for every configured connection (the daemon after attach and reload).
  void initiate_configured(TimePoint now);
  // No further attempts or refreshes for the peer; its SAs stay until deleted or expired.
  void stop_initiating(uint32_t peer_addr);

  const IkeCounters& counters() const { return counters_; }
  size_t ike_sa_count() const { return sas_.size(); }
  size_t half_open_count() const { return half_open_; }
  size_t child_sa_count() const { return children_.size(); }
  std::vector<IkeSaView> ike_sas() const;
  std::vector<ChildSaEvent> child_sas() const;

 private:
  // ---- responder.cpp: dispatch, tables, admission, timers, sending
  IkeSa* find_sa(const Cookie& ci, const Cookie& cr);
  IkeSa* sa_by_serial(uint64_t serial);
  // The IPsec SA pair installed with `slot` in that direction (a scan: the dataplane's events
  // and NAT moves are rare); nullptr when IKE holds none.
  ChildSa* child_in_slot(uint32_t slot, bool outbound);
  void remove_sa(IkeSa& sa, TimePoint now, const char* why);
  // remove_sa with a Delete notification first when the SA is established (ours to send).
  void delete_sa(IkeSa& sa, TimePoint now, const char* why);
  void set_state(IkeSa& sa, MainModeState s);
  bool admit_new_sa(const Endpoint& peer, TimePoint now);
  void arm(TimerToken& slot, TimePoint at, std::function<void()> cb);
  void cancel(TimerToken& slot);
  void send(const Endpoint& local, const Endpoint& peer, Bytes message);
  // Resends `reply` for a duplicate of the message it answered, at most
  // limits.max_duplicate_replies times per exchange (`duplicates` counts them).
  void resend(const Endpoint& local, const Endpoint& peer, const Bytes& reply, int& duplicates);
  // An unencrypted Informational with one notification, outside any SA (MM1 refusals,
  // Aggressive Mode); rate-limited with the new-SA admission of its source.
  void send_plain_notify(const Endpoint& local, const Endpoint& peer, const Cookie& cky_i,
                         NotifyType type);
  // An Informational exchange on an established ISAKMP SA: HASH(1) then `payloads`.
  void send_info(IkeSa& sa, const PayloadChain& payloads);
  void count_malformed(WireError e);
  // RFC 2409 §5.5, §5.7: a Quick Mode or Informational message, decrypted with `iv` into
  // `plain` (its last ciphertext block into `next_iv` when given), starts with a HASH that
  // must equal expected(everything after it). The walked chain (views into `plain`) when it
  // does; nullopt, counted (DecryptFailed, Malformed, HashMismatch), when not.
  std::optional<std::vector<PayloadView>> open_hashed(
      IkeSa& sa, ByteView iv, const IsakmpHeader& h, ByteView message, Bytes& plain,
      Bytes* next_iv, const std::function<Bytes(ByteView)>& expected);
  // encrypt_message under the established ISAKMP SA `sa` (Quick Mode, Informational),
  // counted against its lifetime in kilobytes.
  CryptoResult<Bytes> seal(IkeSa& sa, const IsakmpHeader& h, uint8_t first, ByteView chain,
                           ByteView iv, Bytes& next_iv);
  // Octets protected by `sa`: with a lifetime in kilobytes, its rekey point (as initiator)
  // and its end are due now (deferred to the timers: the caller still holds `sa`).
  void count_protected(IkeSa& sa, size_t octets);
  // The ISAKMP SA's end of life (seconds or kilobytes): a Delete to the peer, then gone.
  void expire_isakmp(uint64_t serial, const char* why);
  // Our phase-1 rekey (its soft lifetime): a successor Main Mode to the same peer.
  void rekey_isakmp(uint64_t serial);
  // MM5 or MM6: ID and HASH_I / HASH_R for `id` [, N(INITIAL-CONTACT)], encrypted with the
  // phase-1 IV, which moves on to the message's last block. nullopt: the encryption failed.
  std::optional<Bytes> mm_auth_message(IkeSa& sa, const Identification& id,
                                       bool initial_contact = false);
  // A message from the peer of `sa` verified (HASH_I, HASH(1)/(3)): follow its address and
  // port (NAT mappings change, RFC 3947 §4 floats to 4500) and note that it is alive.
  void authenticated(IkeSa& sa, const Endpoint& local, const Endpoint& peer, TimePoint now);
  uint64_t next_serial() { return ++serial_; }

  // ---- main_mode.cpp (RFC 2409 §5)
  void main_mode_1(const Endpoint& local, const Endpoint& peer, const IsakmpHeader& h,
                   ByteView message, TimePoint now);
  void main_mode(IkeSa& sa, const Endpoint& local, const Endpoint& peer, const IsakmpHeader& h,
                 ByteView message, TimePoint now);
  void main_mode_3(IkeSa& sa, const IsakmpHeader& h, ByteView message, TimePoint now);
  void main_mode_5(IkeSa& sa, const Endpoint& local, const Endpoint& peer, const IsakmpHeader& h,
                   ByteView message, TimePoint now);
  void arm_mm4_retransmit(IkeSa& sa, TimePoint now);
  // MM1..MM4: the clear payload chain (E set: unexpected; counted, nullopt).
  std::optional<std::vector<PayloadView>> plain_chain(const IsakmpHeader& h, ByteView message);
  // MM3/MM4's KE and nonce data (missing or malformed: counted, nullopt).
  std::optional<std::pair<Bytes, Bytes>> key_exchange_nonce(const std::vector<PayloadView>& chain);
  // RFC 3947 §3.2 on MM3 or MM4's NAT-D payloads: sets nat_local and nat_peer. False when
  // NAT-T is not in use or the hashes are missing (then nothing is detected).
  bool detect_nat(IkeSa& sa, const std::vector<PayloadView>& chain);
  // MM5 or MM6 decrypted, walked and its HASH_I / HASH_R verified against its ID. False: a
  // malformed message (counted; `sa` kept) or a failed authentication (counted, logged, `sa`
  // removed: do not touch it).
  struct MmAuth {
    Bytes plain;                      // the decrypted payloads; `chain` views into it
    std::vector<PayloadView> chain;
    Identification id;
    Bytes next_iv;
  };
  bool open_mm_auth(IkeSa& sa, const Endpoint& peer, const IsakmpHeader& h, ByteView message,
                    MmAuth& out, TimePoint now);
  void established(IkeSa& sa, TimePoint now, bool initial_contact);
  void arm_dpd(IkeSa& sa, TimePoint now);
  void dpd_check(uint64_t serial);
  void arm_nat_keepalive(ChildSa& c, TimePoint now);
  void nat_keepalive(uint64_t serial);
  void initial_contact(IkeSa& sa, TimePoint now);

  // ---- quick_mode.cpp (RFC 2409 §5.5)
  void quick_mode(IkeSa& sa, const Endpoint& local, const Endpoint& peer, const IsakmpHeader& h,
                  ByteView message, TimePoint now);
  void quick_mode_1(IkeSa& sa, const Endpoint& local, const Endpoint& peer,
                    const IsakmpHeader& h, ByteView message, TimePoint now);
  void quick_mode_3(IkeSa& sa, QuickMode& qm, const Endpoint& local, const Endpoint& peer,
                    const IsakmpHeader& h, ByteView message, TimePoint now);
  // RFC 2409 §5.5: the payloads after QM1's HASH(1) or QM2's HASH(2): one SA, one Nonce, at
  // most one KE, no IDs or both. nullopt (counted as malformed) otherwise.
  struct QmPayloads {
    const PayloadView* sa = nullptr;
    const PayloadView* nonce = nullptr;
    const PayloadView* ke = nullptr;
    std::vector<const PayloadView*> ids, oas, notifications;
  };
  std::optional<QmPayloads> quick_mode_payloads(const std::vector<PayloadView>& chain);
  void abandon_quick_mode(IkeSa& sa, uint32_t message_id);
  void forget_quick_mode(IkeSa& sa, uint32_t message_id);
  void arm_qm2_retransmit(IkeSa& sa, QuickMode& qm, TimePoint now);
  // One direction of qm's pair into the dataplane (KEYMAT, RFC 2409 §5.5); the slot, or nullopt
  // (counted, logged).
  std::optional<uint32_t> install_sa(const IkeSa& sa, const QuickMode& qm, tables::SaDirection dir);
  // A Quick Mode that never finished: its reserved SPI (initiator) or inbound SA (responder).
  void release_quick_mode(QuickMode& qm);
  void remove_child(uint64_t serial, TimePoint now, bool notify_peer, const char* why);
  ChildSaEvent event_of(const ChildSa& c) const;
  // QM3 (responder) or QM2 (initiator) done: the pair goes into the tables, its timers are
  // armed and child_up runs. `slot_out` is the outbound SA just installed.
  void add_child(IkeSa& sa, QuickMode& qm, uint32_t slot_out, TimePoint now);

  // ---- initiator.cpp (RFC 2409 §5 and §5.5 as the initiator; rekeys; auto refresh)
  struct ConnState {
    Connection cfg;
    bool wanted = false;       // initiate() called and not stopped
    Duration retry{};          // the wait before the next attempt after a failure
    TimerToken timer;
  };
  ConnState* conn_of(uint32_t peer_addr);
  // Runs ensure_connection for the peer after `delay` (from a timer: never re-entrant).
  void schedule_connection(uint32_t peer_addr, Duration delay);
  void ensure_connection(uint32_t peer_addr);
  // A failed attempt: the next one after the connection's back-off.
  void connection_failed(uint32_t peer_addr);
  void main_mode_initiate(const Connection& c, TimePoint now);
  void main_mode_2(IkeSa& sa, const IsakmpHeader& h, ByteView message, TimePoint now);
  void main_mode_4(IkeSa& sa, const IsakmpHeader& h, ByteView message, TimePoint now);
  void main_mode_6(IkeSa& sa, const Endpoint& local, const Endpoint& peer, const IsakmpHeader& h,
                   ByteView message, TimePoint now);
  // Sends our next Main Mode message and arms its retransmission.
  void initiator_send(IkeSa& sa, Bytes message, TimePoint now);
  void arm_initiator_retransmit(IkeSa& sa, TimePoint now);
  void initiator_established(IkeSa& sa, TimePoint now);
  // Starts a Quick Mode on `sa` (either role may, RFC 2409 §5.5); `replaces`: the ChildSa a
  // rekey succeeds, 0 for a first one. False when it could not start.
  bool quick_mode_initiate(IkeSa& sa, uint64_t replaces, TimePoint now);
  void quick_mode_2(IkeSa& sa, QuickMode& qm, const Endpoint& local, const Endpoint& peer,
                    const IsakmpHeader& h, ByteView message, TimePoint now);
  // The child's soft lifetime (RFC 4301 §4.4.2.1) at `percent` of its seconds and, with a
  // lifetime in kilobytes, of its octets (Installer::query_sa, polled): a new Quick Mode;
  // then the old pair's retirement. 0: no rekey of ours. Whatever the percent, a pair whose
  // kilobytes are used up is removed (its hard lifetime), as its seconds' timer does.
  void arm_child_rekey(ChildSa& c, uint32_t percent, TimePoint now);
  void check_child_usage(uint64_t serial, uint32_t percent);
  void child_rekey(uint64_t serial);
  void retire_replaced(uint64_t old_serial);
  // An established ISAKMP SA with the peer (the newest), or one we are negotiating.
  IkeSa* ike_sa_for(uint32_t peer_addr, bool established_only);

  // ---- informational.cpp (RFC 2409 §5.7, RFC 2408 §3.14/3.15, RFC 3706)
  void informational(IkeSa& sa, const Endpoint& local, const Endpoint& peer,
                     const IsakmpHeader& h, ByteView message, TimePoint now);

  ResponderConfig cfg_;
  Installer& installer_;
  RandomFn random_;
  IkeHooks hooks_;
  IkeCounters counters_;
  TimerQueue timers_;
  std::vector<Datagram> outbox_;
  uint64_t serial_ = 0;
  TimePoint now_{};  // the time of the event being handled (timer callbacks have no argument)
  uint32_t next_peer_index_ = 1;

  std::map<uint64_t, std::unique_ptr<IkeSa>> sas_;  // by serial
  std::map<std::pair<Cookie, Cookie>, uint64_t> by_cookies_;
  // Half-open SAs by what MM1 names them with (a retransmitted MM1 carries no CKY-R).
  struct Mm1Key {
    Endpoint peer;
    Cookie cky_i;
    auto operator<=>(const Mm1Key&) const = default;
  };
  std::map<Mm1Key, uint64_t> by_mm1_;
  std::set<std::pair<TimePoint, uint64_t>> sa_state_by_age_;  // state Sa, oldest first
  size_t half_open_ = 0;

  std::map<uint32_t, ConnState> conns_;        // by peer address
  std::map<Cookie, uint64_t> by_init_cookie_;   // our MM1s, until MM2 tells CKY-R

  std::map<uint64_t, ChildSa> children_;                 // by serial
  std::multimap<uint32_t, uint64_t> children_by_peer_;   // peer_index -> child serial

  // New-SA admission: token buckets indexed by a salted hash of the source address.
  struct Bucket {
    double tokens = 0;
    TimePoint last{};
    bool used = false;
  };
  std::vector<Bucket> buckets_;
  uint64_t bucket_salt_ = 0;
};

}  // namespace l2tpgw::cp::ike
