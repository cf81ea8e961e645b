"""Seals and opens payments by the format in ARCHITECTURE.md ("Sealed payment"),
with pyhpke: an RFC 9180 implementation independent of ours, built on
pyca/cryptography (OpenSSL). The Rust test `tests/interop.rs` drives it
through stdin and stdout, one JSON request per run.

Request: {"op": "open", "ikm": hex, "sealed": SealedPayment}
      or {"op": "seal", "ikm": hex, "kid": str, "payment": {...}}
"""

import base64
import json
import struct
import sys

from pyhpke import AEADId, CipherSuite, KDFId, KEMId

SUITE = CipherSuite.new(KEMId.DHKEM_X25519_HKDF_SHA256, KDFId.HKDF_SHA256, AEADId.AES256_GCM)
INFO = b"ewallet sealed payment v1"
VERSION = 1


def b64decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64encode(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def field(data):
    return struct.pack(">I", len(data)) + data


def text(value):
    return field(value.encode("utf-8"))


def u32(value):
    return struct.pack(">I", value)


def u64(value):
    return struct.pack(">Q", value)


def associated_data(kid, payment_id, quote_digest):
    return (
        text("ewallet/sealed-payment-aad/v1")
        + u32(VERSION)
        + text(kid)
        + text(payment_id)
        + field(quote_digest)
    )


class Reader:
    def __init__(self, data):
        self.data = data
        self.at = 0

    def take(self, count):
        if self.at + count > len(self.data):
            raise ValueError("truncated")
        chunk = self.data[self.at : self.at + count]
        self.at += count
        return chunk

    def field(self):
        (length,) = struct.unpack(">I", self.take(4))
        return self.take(length)

    def text(self):
        return self.field().decode("utf-8")

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def u64(self):
        return struct.unpack(">Q", self.take(8))[0]


def open_payment(request):
    key = SUITE.kem.derive_key_pair(bytes.fromhex(request["ikm"]))
    sealed = request["sealed"]
    quote_digest = b64decode(sealed["quote_digest"])
    # Single shot: a fresh context, its first (sequence number 0) message.
    recipient = SUITE.create_recipient_context(b64decode(sealed["enc"]), key.private_key, info=INFO)
    plaintext = recipient.open(
        b64decode(sealed["ciphertext"]),
        aad=associated_data(sealed["kid"], sealed["payment_id"], quote_digest),
    )
    reader = Reader(plaintext)
    if reader.text() != "ewallet/payment-plaintext/v1":
        raise ValueError("wrong label")
    payment = {
        "card_number": reader.text(),
        "expiry_month": reader.u32(),
        "expiry_year": reader.u32(),
        "cvc": reader.text(),
        "holder_name": reader.text(),
        "payment_id": reader.text(),
        "merchant_id": reader.text(),
        "amount": reader.text(),
        "currency": reader.text(),
        "quote_digest": b64encode(reader.field()),
        "attempt_id": reader.text(),
        "created_at_ms": reader.u64(),
    }
    if reader.at != len(plaintext):
        raise ValueError("trailing bytes")
    return payment


def seal_payment(request):
    key = SUITE.kem.derive_key_pair(bytes.fromhex(request["ikm"]))
    payment = request["payment"]
    quote_digest = b64decode(payment["quote_digest"])
    plaintext = (
        text("ewallet/payment-plaintext/v1")
        + text(payment["card_number"])
        + u32(payment["expiry_month"])
        + u32(payment["expiry_year"])
        + text(payment["cvc"])
        + text(payment["holder_name"])
        + text(payment["payment_id"])
        + text(payment["merchant_id"])
        + text(payment["amount"])
        + text(payment["currency"])
        + field(quote_digest)
        + text(payment["attempt_id"])
        + u64(payment["created_at_ms"])
    )
    aad = associated_data(request["kid"], payment["payment_id"], quote_digest)
    enc, sender = SUITE.create_sender_context(key.public_key, info=INFO)
    ciphertext = sender.seal(plaintext, aad=aad)
    return {
        "version": VERSION,
        "kid": request["kid"],
        "payment_id": payment["payment_id"],
        "quote_digest": payment["quote_digest"],
        "enc": b64encode(enc),
        "ciphertext": b64encode(ciphertext),
    }


def main():
    request = json.load(sys.stdin)
    operations = {"open": open_payment, "seal": seal_payment}
    json.dump(operations[request["op"]](request), sys.stdout)


if __name__ == "__main__":
    main()
