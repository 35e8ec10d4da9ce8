#!/usr/bin/env python3
"""Verify a Buurtboek audit bundle offline, with no access to the ledger.

    Tools/verify-bundle.py BUNDLE.json [--public-key FILE]

Checks, in order: the checkpoint's C2SP signed-note signature (Ed25519); each event's record
bytes, decoded with the documented record format (Schemas/RECORD-FORMAT.md), hashed into its
RFC 9162 leaf and proven included in the signed root; that the events are the whole history of
the stream (stream versions 1..k, none missing); that they follow the lifecycle; and, when the
bundle has one, the consistency proof from an earlier checkpoint. Exit 0 when all hold, 1 when
something does not (the message says what and where), 2 when the bundle cannot be read.

Only Python's standard library is needed; the `cryptography` package is used for Ed25519 when it
is installed, else a pure-Python verifier written from RFC 8032 section 5.1.7.
"""
import argparse
import base64
import hashlib
import json
import struct
import sys


class Failure(Exception):
    """The bundle does not verify."""


# ---- Ed25519 verification (RFC 8032) -------------------------------------------------------

P = 2**255 - 19
Q = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, -1, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _add(a, b):
    # Extended twisted Edwards coordinates (X, Y, Z, T), RFC 8032 5.1.4.
    ea = (a[1] - a[0]) * (b[1] - b[0]) % P
    eb = (a[1] + a[0]) * (b[1] + b[0]) % P
    ec = 2 * a[3] * b[3] * D % P
    ed = 2 * a[2] * b[2] % P
    e, f, g, h = eb - ea, ed - ec, ed + ec, eb + ea
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(s, point):
    result = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            result = _add(result, point)
        point = _add(point, point)
        s >>= 1
    return result


def _equal(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and (a[1] * b[2] - b[1] * a[2]) % P == 0


def _recover_x(y, sign):
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, -1, P) % P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


def _decompress(s):
    if len(s) != 32:
        return None
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % P)


_BY = 4 * pow(5, -1, P) % P
_BASE = (_recover_x(_BY, 0), _BY, 1, _recover_x(_BY, 0) * _BY % P)


def _verify_pure(public, signature, message):
    if len(public) != 32 or len(signature) != 64:
        return False
    a = _decompress(public)
    r = _decompress(signature[:32])
    if a is None or r is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= Q:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % Q
    return _equal(_mul(s, _BASE), _add(r, _mul(h, a)))


def ed25519_verify(public, signature, message):
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        return _verify_pure(public, signature, message)
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
        return True
    except (InvalidSignature, ValueError):
        return False


# ---- C2SP signed notes and checkpoints -----------------------------------------------------

def parse_vkey(vkey):
    name, key_hash, rest = vkey.strip().split("+", 2)
    raw = base64.b64decode(rest)
    if len(raw) != 33 or raw[0] != 1:
        raise Failure("the public key is not an Ed25519 C2SP verifier key")
    public = raw[1:]
    key_id = hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4]
    if key_id.hex() != key_hash:
        raise Failure("the public key's hash does not match the key")
    return name, key_id, public


def open_note(note, vkey):
    """The note's text, if signed by vkey."""
    name, key_id, public = parse_vkey(vkey)
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise Failure("the checkpoint is not a signed note")
    text = note[:cut + 1]
    for line in note[cut + 2:].splitlines():
        if not line.startswith("\u2014 "):
            raise Failure("malformed signature line in the checkpoint")
        signer, blob = line[2:].split(" ", 1)
        raw = base64.b64decode(blob)
        if signer == name and raw[:4] == key_id:
            if not ed25519_verify(public, raw[4:], text.encode()):
                raise Failure("the checkpoint's signature does not verify: it was altered or forged")
            return text
    raise Failure(f"the checkpoint carries no signature by {name}")


def parse_checkpoint(text):
    lines = text.split("\n")
    root = base64.b64decode(lines[2])
    if len(root) != 32:
        raise Failure("the checkpoint's root is not a SHA-256 hash")
    return lines[0], int(lines[1]), root


# ---- RFC 9162 Merkle proofs ----------------------------------------------------------------

def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(leaf, index, size, proof, root):
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(old, new, old_root, new_root, proof):
    if old <= 0 or old > new:
        return False
    if old == new:
        return not proof and old_root == new_root
    path = list(proof)
    if old & (old - 1) == 0:
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


# ---- The record format (Schemas/RECORD-FORMAT.md) ------------------------------------------

SECTIONS = ["type", "stream", "recordedBy", "neighbourhood", "correlationId", "causationId", "data", "personal"]


def decode_record(raw, where):
    if len(raw) < 48 or raw[0] != 1:
        raise Failure(f"{where}: not a version 1 Buurtboek record")
    _, flags, schema_version, _, stream_version, occurred, recorded = struct.unpack_from("<BBHIQqq", raw, 0)
    record = {"flags": flags, "schemaVersion": schema_version, "streamVersion": stream_version,
              "occurredAt": occurred, "recordedAt": recorded, "id": raw[32:48].hex()}
    at = 48
    for name in SECTIONS:
        if at + 4 > len(raw):
            raise Failure(f"{where}: the record is cut off")
        (length,) = struct.unpack_from("<I", raw, at)
        at += 4
        if at + length > len(raw):
            raise Failure(f"{where}: a section runs past the record's end")
        record[name] = raw[at:at + length]
        at += length
    if at != len(raw):
        raise Failure(f"{where}: bytes after the record's last section")
    for name in SECTIONS[:6]:
        record[name] = record[name].decode("utf-8")
    record["data"] = json.loads(record["data"].decode("utf-8"))
    return record


# ---- Lifecycles, as data -------------------------------------------------------------------

def guard_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def next_state(lifecycle, state, event_type, data):
    transitions = [t for t in lifecycle["transitions"] if t["event"] == event_type]
    if not transitions:
        transitions = [t for t in lifecycle["transitions"] if t["event"] == "*"]
    for t in transitions:
        if state not in t["from"]:
            continue
        when = t.get("when")
        if when:
            value = guard_text(data.get(when["field"]))
            if "equals" in when and value not in ([when["equals"]] if isinstance(when["equals"], str) else when["equals"]):
                continue
            if "notEquals" in when and value in ([when["notEquals"]] if isinstance(when["notEquals"], str) else when["notEquals"]):
                continue
        return t["to"] or state
    return None


# ---- The bundle ----------------------------------------------------------------------------

def verify(bundle, pinned_key=None):
    if bundle.get("format") != "buurtboek-audit-bundle/1":
        raise ValueError("not a buurtboek-audit-bundle/1 file")
    vkey = bundle["publicKey"]
    if pinned_key is not None and pinned_key.strip() != vkey.strip():
        raise Failure("the bundle is signed with another key than the one given (--public-key)")
    origin, size, root = parse_checkpoint(open_note(bundle["checkpoint"], vkey))
    stream = bundle["stream"]
    lifecycle = bundle.get("lifecycle")
    state, versions, last_position = "none", [], 0
    for event in bundle["events"]:
        position = event["position"]
        where = f"position {position}"
        raw = base64.b64decode(event["record"])
        leaf = hashlib.sha256(b"\x00" + raw).digest()
        proof = [bytes.fromhex(h) for h in event["inclusionProof"]]
        if not verify_inclusion(leaf, position - 1, size, proof, root):
            raise Failure(f"{where}: the record is not included in the signed tree of {size} (altered, or its proof is for another position)")
        if position <= last_position:
            raise Failure(f"{where}: events out of log order")
        last_position = position
        record = decode_record(raw, where)
        if record["stream"] != stream:
            continue
        if record["streamVersion"] != len(versions) + 1:
            raise Failure(f"{where}: the history of {stream} is incomplete: stream version {len(versions) + 1} is missing "
                          f"(this event has version {record['streamVersion']})")
        versions.append(record["streamVersion"])
        if lifecycle:
            if state in lifecycle.get("terminal", []):
                raise Failure(f"{where}: {record['type']} follows the terminal state {state}")
            after = next_state(lifecycle, state, record["type"], record["data"])
            if after is None:
                raise Failure(f"{where}: {record['type']} is not allowed in state {state}")
            state = after
    if versions != list(range(1, len(versions) + 1)):
        raise Failure(f"the history of {stream} is incomplete: stream versions {versions}")
    consistency = bundle.get("consistency")
    if consistency:
        _, old_size, old_root = parse_checkpoint(open_note(consistency["checkpoint"], vkey))
        proof = [bytes.fromhex(h) for h in consistency["proof"]]
        if not verify_consistency(old_size, size, old_root, root, proof):
            raise Failure(f"the log of checkpoint {size} is not consistent with the earlier checkpoint {old_size}: history was rewritten")
    return f"OK: {stream}: {len(versions)} events, complete (versions 1-{len(versions)}), included in checkpoint {size} of {origin}" + \
        (f", lifecycle valid (state {state})" if lifecycle else "") + \
        (f", consistent with checkpoint {old_size}" if consistency else "")


def main():
    parser = argparse.ArgumentParser(description="Verify a Buurtboek audit bundle offline.")
    parser.add_argument("bundle", help="the bundle (JSON), as written by `buurtboek audit ... --bundle FILE`")
    parser.add_argument("--public-key", help="a file with the verifier key you trust; the bundle must be signed with it")
    args = parser.parse_args()
    try:
        with open(args.bundle, encoding="utf-8") as f:
            bundle = json.load(f)
        pinned = open(args.public_key, encoding="utf-8").read() if args.public_key else None
        print(verify(bundle, pinned))
        return 0
    except Failure as failure:
        print(f"verify-bundle: FAILED: {failure}", file=sys.stderr)
        return 1
    except (OSError, ValueError, KeyError, IndexError, TypeError, struct.error) as error:
        print(f"verify-bundle: cannot read {args.bundle}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
