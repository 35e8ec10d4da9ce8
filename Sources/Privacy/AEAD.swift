import LibCryptoShim
import Crypto

/// ChaCha20-Poly1305 sealing through libcrypto (see Sources/LibCryptoShim): the import seals a
/// fifth of its events, and swift-crypto's `ChaChaPoly.seal` spent most of its time building
/// `Data` values around the cipher. The output is the standard construction (RFC 8439), laid
/// out as ChaChaPoly's `combined` (nonce ‖ ciphertext ‖ tag), which swift-crypto opens.
enum AEAD {
    /// nonce ‖ ciphertext ‖ tag of `message`, authenticating `first` followed by `second`.
    static func seal(_ message: UnsafeRawBufferPointer, key: SymmetricKey, nonce: [UInt8],
                     associatedData first: UnsafeRawBufferPointer,
                     _ second: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) throws -> [UInt8] {
        precondition(nonce.count == 12)
        var out = nonce
        try seal(message, key: key, nonceAt: 0, in: &out) { _ in (first, second) }
        return out
    }

    /// Appends nonce ‖ ciphertext ‖ tag to `out`, authenticating `out[associatedFrom...]` (as it
    /// stands before the append) followed by `second`: a sealed section seals after its own header,
    /// in the buffer that holds it. The nonce is taken from `randomness`.
    static func seal(_ message: UnsafeRawBufferPointer, key: SymmetricKey, randomness: inout RandomPool,
                     associatedFrom: Int, _ second: UnsafeRawBufferPointer, appendingTo out: inout [UInt8]) throws {
        precondition(associatedFrom <= out.count)
        let nonceAt = out.count
        try randomness.take(12, appendingTo: &out)
        try seal(message, key: key, nonceAt: nonceAt, in: &out) { base in
            (UnsafeRawBufferPointer(start: base + associatedFrom, count: nonceAt - associatedFrom), second)
        }
    }

    /// Seals `message` after the nonce at `out[nonceAt..<nonceAt + 12]`, the last bytes of `out`,
    /// appending ciphertext and tag. The associated data (two pieces) is given from `out`'s
    /// base address, as it may lie in `out` itself.
    private static func seal(_ message: UnsafeRawBufferPointer, key: SymmetricKey, nonceAt: Int, in out: inout [UInt8],
                             associatedData: (UnsafeRawPointer) -> (UnsafeRawBufferPointer, UnsafeRawBufferPointer)) throws {
        precondition(key.bitCount == 256 && out.count == nonceAt + 12)
        out.append(contentsOf: repeatElement(0, count: message.count + 16))
        let sealed = key.withUnsafeBytes { k in
            out.withUnsafeMutableBytes { o in
                let base = o.baseAddress!.assumingMemoryBound(to: UInt8.self)
                let (first, second) = associatedData(UnsafeRawPointer(base))
                return bb_chacha20_poly1305_seal(k.baseAddress!.assumingMemoryBound(to: UInt8.self), base + nonceAt,
                                                 first.baseAddress, first.count, second.baseAddress, second.count,
                                                 message.baseAddress, message.count, base + nonceAt + 12)
            }
        }
        guard sealed == 1 else { throw AEADError() }
    }
}

struct AEADError: Error, CustomStringConvertible {
    var description: String { "libcrypto could not seal (ChaCha20-Poly1305)" }
}
