"""WeCom's callback crypto (WXBizMsgCrypt, docs 91144 and 96238), and the callback XML.

- Signature: ``sha1(''.join(sorted([token, timestamp, nonce, encrypt])))``, compared in
  constant time.
- AES-256-CBC with ``key = b64decode(EncodingAESKey + '=')`` and ``iv = key[:16]``, from the
  ``cryptography`` library (the maintained binding of OpenSSL; no cipher code of our own).
- Plaintext: 16 random bytes | 4-byte big-endian length | message | receive id (the corp ID),
  PKCS#7-padded to a multiple of 32 bytes (``cryptography``'s PKCS7 padder, block 256 bits).
- XML through ``defusedxml`` (no entity expansion, no external entities, no DTD tricks).

Every way a callback can be wrong raises :class:`~siyu.domain.wecom.CallbackRejected`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

import defusedxml.ElementTree as SafeET
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from defusedxml import DefusedXmlException

from siyu.domain.errors import InvalidInput
from siyu.domain.wecom import CallbackRejected, aes_key_bytes

BLOCK_BITS = 32 * 8  # WeCom pads to 32 bytes, not AES's 16
MAX_BODY = 64 * 1024  # no real event comes near this; bigger bodies are refused unread


def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode()).hexdigest()


def parse_xml(body: bytes | str) -> dict[str, str]:
    """The top-level elements of a WeCom XML document, as text (CDATA unwrapped)."""
    try:
        root = SafeET.fromstring(body)
    except (ET.ParseError, DefusedXmlException) as exc:
        raise CallbackRejected("callback.not_xml", "the body is not WeCom XML (%(reason)s)", reason=type(exc).__name__) from None
    return {child.tag: (child.text or "").strip() for child in root}


class CallbackCrypto:
    """One tenant's callback crypto: its Token, EncodingAESKey and corp ID (the receive id)."""

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        try:
            self._key = aes_key_bytes(encoding_aes_key)
        except InvalidInput as exc:
            raise CallbackRejected("callback.aes_key_unusable", "this tenant's EncodingAESKey is unusable: %(reason)s", reason=exc.message) from None
        self._token = token
        self._receive_id = receive_id.encode()

    def sign(self, timestamp: str, nonce: str, encrypt: str) -> str:
        return signature(self._token, timestamp, nonce, encrypt)

    def verify(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> None:
        expected = self.sign(timestamp, nonce, encrypt)
        if not hmac.compare_digest(expected, (msg_signature or "").lower()):
            raise CallbackRejected("callback.bad_signature", "the signature does not match this tenant's callback Token")

    def decrypt(self, encrypt: str) -> bytes:
        try:
            data = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError):
            raise CallbackRejected("callback.not_base64", "the ciphertext is not base64") from None
        if not data or len(data) % 16:
            raise CallbackRejected("callback.not_blocks", "the ciphertext is not whole AES blocks")
        decryptor = Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16])).decryptor()
        padded = decryptor.update(data) + decryptor.finalize()
        pad = padded[-1]
        if not 1 <= pad <= 32 or padded[-pad:] != bytes([pad]) * pad:
            raise CallbackRejected("callback.bad_padding", "the padding is broken: the EncodingAESKey is not the one WeCom has")
        plain = padded[:-pad]
        if len(plain) < 20:
            raise CallbackRejected("callback.too_short", "the plaintext is too short")
        (length,) = struct.unpack(">I", plain[16:20])
        message, receive_id = plain[20 : 20 + length], plain[20 + length :]
        if len(message) != length:
            raise CallbackRejected("callback.bad_length", "the message length is wrong")
        if not hmac.compare_digest(receive_id, self._receive_id):
            raise CallbackRejected("callback.other_corp", "the callback is for another corp (receive id mismatch)")
        return message

    def encrypt(self, message: bytes, *, random16: bytes | None = None) -> str:
        prefix = random16 if random16 is not None else os.urandom(16)
        plain = prefix + struct.pack(">I", len(message)) + message + self._receive_id
        padder = padding.PKCS7(BLOCK_BITS).padder()
        padded = padder.update(plain) + padder.finalize()
        encryptor = Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16])).encryptor()
        return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()

    # ---- the two callback shapes ---------------------------------------------------

    def verify_url(self, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """The GET check WeCom makes when an admin saves the callback URL: answer the plaintext."""
        self.verify(msg_signature, timestamp, nonce, echostr)
        return self.decrypt(echostr).decode()

    def open_message(self, body: bytes, msg_signature: str, timestamp: str, nonce: str) -> dict[str, str]:
        """A POSTed callback: the envelope's Encrypt checked, decrypted and parsed."""
        if len(body) > MAX_BODY:
            raise CallbackRejected("callback.too_large", "the body is too large for a WeCom callback")
        encrypt = parse_xml(body).get("Encrypt")
        if not encrypt:
            raise CallbackRejected("callback.no_encrypt", "the body has no Encrypt element")
        self.verify(msg_signature, timestamp, nonce, encrypt)
        return parse_xml(self.decrypt(encrypt))

    def seal_message(self, xml: str, timestamp: str, nonce: str) -> str:
        """An encrypted envelope, as WeCom sends it (used by the fake WeCom and the tests)."""
        encrypt = self.encrypt(xml.encode())
        sig = self.sign(timestamp, nonce, encrypt)
        return (f"<xml><ToUserName><![CDATA[{escape(self._receive_id.decode())}]]></ToUserName>"
                f"<Encrypt><![CDATA[{encrypt}]]></Encrypt><AgentID><![CDATA[]]></AgentID>"
                f"<MsgSignature>{sig}</MsgSignature><TimeStamp>{timestamp}</TimeStamp><Nonce>{nonce}</Nonce></xml>")
