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

extension AEAD {
    /// Appends nonce ‖ ciphertext ‖ tag to `out`, authenticating `out[associatedFrom...]` (as it
    /// stands before the append) followed by `second`: a sealed section seals after its own header,
    /// in the buffer that holds it. The nonce is taken from `randomness`.
    static func seal(_ message: UnsafeRawBufferPointer, key: SymmetricKey, randomness: inout RandomPool,
                     associatedFrom: Int, _ second: UnsafeRawBufferPointer, appendingTo out: inout [UInt8]) throws {
        precondition(key.bitCount == 256 && associatedFrom <= out.count)
        let nonceAt = out.count
        try randomness.take(12, appendingTo: &out)
        out.append(contentsOf: repeatElement(0, count: message.count + 16))
        let sealed = key.withUnsafeBytes { k in
            out.withUnsafeMutableBytes { o in
                let base = o.baseAddress!.assumingMemoryBound(to: UInt8.self)
                return bb_chacha20_poly1305_seal(k.baseAddress!.assumingMemoryBound(to: UInt8.self), base + nonceAt,
                                                 base + associatedFrom, nonceAt - associatedFrom, second.baseAddress, second.count,
                                                 message.baseAddress, message.count, base + nonceAt + 12)
            }
        }
        guard sealed == 1 else { throw AEADError() }
    }
}

struct AEADError: Error, CustomStringConvertible {
    var description: String { "libcrypto could not seal (ChaCha20-Poly1305)" }
}
