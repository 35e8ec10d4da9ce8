import LibCryptoShim
import Crypto

/// ChaCha20-Poly1305 sealing through libcrypto (see Sources/LibCryptoShim): the import seals a
/// fifth of its events, and swift-crypto's `ChaChaPoly.seal` spent most of its time building
/// `Data` values around the cipher. The output is the standard construction (RFC 8439), laid
/// out as ChaChaPoly's `combined` (nonce ‖ ciphertext ‖ tag), which swift-crypto opens.
enum AEAD {
    static func seal(_ message: UnsafeRawBufferPointer, key: SymmetricKey, nonce: [UInt8],
                     associatedData first: UnsafeRawBufferPointer,
                     _ second: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) throws -> [UInt8] {
        precondition(nonce.count == 12 && key.bitCount == 256)
        var out = nonce
        out.append(contentsOf: repeatElement(0, count: message.count + 16))
        let sealed = key.withUnsafeBytes { k in
            out.withUnsafeMutableBytes { o in
                bb_chacha20_poly1305_seal(k.baseAddress!.assumingMemoryBound(to: UInt8.self), o.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                          first.baseAddress, first.count, second.baseAddress, second.count,
                                          message.baseAddress, message.count, o.baseAddress!.assumingMemoryBound(to: UInt8.self) + 12)
            }
        }
        guard sealed == 1 else { throw AEADError() }
        return out
    }
}

struct AEADError: Error, CustomStringConvertible {
    var description: String { "libcrypto could not seal (ChaCha20-Poly1305)" }
}
