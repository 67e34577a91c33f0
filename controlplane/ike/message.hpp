// SPDX-License-Identifier: Apache-2.0
// Encrypted ISAKMP messages (RFC 2408 §3.1 E flag, RFC 2409 App. B): the payload chain, padded
// with zeros to the cipher's block, CBC-encrypted after the clear header; and the HASH-first
// chains of Quick Mode and Informational exchanges (RFC 2409 §5.5, §5.7).
//
// Padding: RFC 2409 App. B says to pad with zero bytes to the block size; §5.3's "last byte
// counts the padding" contradicts it and is not what implementations do. We pad with zeros
// (none when the chain is already aligned) and accept any padding on input: the chain ends
// where its last payload says so.
//
// Thread context: pure functions.
#pragma once

#include "controlplane/ike/crypto.hpp"
#include "controlplane/ike/wire.hpp"

namespace l2tpgw::cp::ike {

// The body after the header, decrypted into `plain`; returns the last ciphertext block (the
// IV of the exchange's next message). BadLength: the body is empty or not whole blocks.
CryptoResult<Bytes> decrypt_body(const CipherSuite& c, ByteView key, ByteView iv,
                                 ByteView message, Bytes& plain);

// Header (E set, Next Payload = `first`, Length filled in) + CBC(chain | zero padding).
// `next_iv` receives the last ciphertext block.
CryptoResult<Bytes> encrypt_message(IsakmpHeader h, uint8_t first, ByteView chain,
                                    const CipherSuite& c, ByteView key, ByteView iv,
                                    Bytes& next_iv);

// A HASH payload followed by `rest` (a serialized chain whose first payload is `rest_first`).
Bytes hash_first_chain(ByteView hash, ByteView rest, uint8_t rest_first);

// The bytes a Quick Mode / Informational HASH covers: every payload after the first (the
// HASH), generic headers included, padding excluded. Precondition: chain non-empty, views into
// one buffer in order.
ByteView after_first_payload(const std::vector<PayloadView>& chain);

}  // namespace l2tpgw::cp::ike
