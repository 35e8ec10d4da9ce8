// The two primitives on an import's hot path, from the system's libcrypto (OpenSSL): SHA-256
// for the Merkle tree and ChaCha20-Poly1305 (RFC 8439) for sealing personal sections. Called
// with caller-owned buffers: no allocation per hash, where swift-crypto allocates a context
// per hash and per seal. The algorithms are the standard ones, so what these produce is what
// swift-crypto (used everywhere else, and to open sealed sections) reads.
#ifndef BUURTBOEK_CRYPTO_SHIM_H
#define BUURTBOEK_CRYPTO_SHIM_H

#include <stddef.h>
#include <stdint.h>

/// SHA-256(prefix || a || b): an RFC 9162 leaf (prefix 0) or interior node (prefix 1).
void bb_sha256_prefixed(uint8_t prefix, const void *a, size_t a_len, const void *b, size_t b_len, uint8_t out[32]);

/// SHA-256 of one buffer.
void bb_sha256_plain(const void *a, size_t a_len, uint8_t out[32]);

/// ChaCha20-Poly1305 with a 12-byte nonce: writes the ciphertext (message_len bytes) and then
/// the 16-byte tag to `out`. The associated data is aad1 || aad2. Returns 1 on success.
int bb_chacha20_poly1305_seal(const uint8_t key[32], const uint8_t nonce[12],
                              const void *aad1, size_t aad1_len, const void *aad2, size_t aad2_len,
                              const void *message, size_t message_len, uint8_t *out);

#endif
