"""The callback crypto against Tencent's published vectors (shared/reference/wecom.md), and
everything that must make it refuse a callback."""

from __future__ import annotations

import base64

import pytest

from siyu.adapters.channels.wecom.crypto import CallbackCrypto, parse_xml, signature
from siyu.domain.wecom import CallbackRejected, WeComEvent
from siyu.testing.fake_wecom import event_xml, sealed

A = ("hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo", "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt", "ww1436e0e65a779aee")
A_ECHO = "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA=="
A_ENCRYPT = ("Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzBhzTtRLNshw2AEew+kkYcD+"
             "Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbj"
             "bfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGX"
             "Ayh+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+")
C = ("QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7")
C_ENCRYPT = ("RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUX"
             "xaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZi"
             "qATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k2"
             "2Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==")


def test_vector_a_url_check_gives_the_echo_plaintext():
    assert CallbackCrypto(*A).verify_url("012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb", "1476416373", "47744683", A_ECHO) == "1288432023552776189"


def test_vector_a_message_decrypts_to_tencents_xml():
    body = f"<xml><ToUserName><![CDATA[{A[2]}]]></ToUserName><Encrypt><![CDATA[{A_ENCRYPT}]]></Encrypt></xml>".encode()
    fields = CallbackCrypto(*A).open_message(body, "0c3914025cb4b4d68103f6bfc8db550f79dcf48e", "1476422779", "1597212914")
    assert fields == {"ToUserName": "ww1436e0e65a779aee", "FromUserName": "ChenJiaShun", "CreateTime": "1476422779",
                      "MsgType": "text", "Content": "你好", "MsgId": "1456453720", "AgentID": "1000002"}


def test_vector_c_signature_and_plaintext():
    assert signature(C[0], "1409659813", "1372623149", C_ENCRYPT) == "477715d11cdb4164915debcba66cb864d751f3e6"
    plain = CallbackCrypto(*C).decrypt(C_ENCRYPT).decode()
    assert plain == ("<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n<FromUserName><![CDATA[mycreate]]></FromUserName>\n"
                     "<CreateTime>1409659813</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[hello]]></Content>\n"
                     "<MsgId>4561255354251345929</MsgId>\n<AgentID>218</AgentID>\n</xml>")


def test_our_encrypt_is_tencents_algorithm_byte_for_byte():
    crypto = CallbackCrypto(*C)
    plain = crypto.decrypt(C_ENCRYPT)
    random16 = _first_block_prefix(crypto, C_ENCRYPT)
    assert crypto.encrypt(plain, random16=random16) == C_ENCRYPT


def _first_block_prefix(crypto: CallbackCrypto, encrypt: str) -> bytes:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    key = base64.b64decode(C[1] + "=")
    raw = base64.b64decode(encrypt)
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    return (decryptor.update(raw) + decryptor.finalize())[:16]


@pytest.mark.parametrize("size", [0, 1, 11, 12, 13, 31, 32, 33, 500])
def test_round_trip_at_every_padding_length(size):
    crypto = CallbackCrypto(*A)
    message = ("字" * size).encode()
    assert crypto.decrypt(crypto.encrypt(message)) == message


def test_a_wrong_signature_is_rejected():
    with pytest.raises(CallbackRejected, match="signature"):
        CallbackCrypto(*A).verify_url("0" * 40, "1476416373", "47744683", A_ECHO)


def test_a_message_for_another_corp_is_rejected():
    other = CallbackCrypto(A[0], A[1], "wwsomeoneelse0000")
    with pytest.raises(CallbackRejected, match="another corp"):
        CallbackCrypto(*A).decrypt(other.encrypt(b"<xml/>"))


def test_tampered_ciphertext_is_rejected_even_when_re_signed():
    crypto = CallbackCrypto(*A)
    raw = bytearray(base64.b64decode(crypto.encrypt(b"<xml><a>1</a></xml>")))
    raw[-1] ^= 0x01
    tampered = base64.b64encode(bytes(raw)).decode()
    with pytest.raises(CallbackRejected):
        crypto.decrypt(tampered)
    with pytest.raises(CallbackRejected, match="base64"):
        crypto.decrypt("not base64 at all!")


def test_a_key_other_than_wecoms_breaks_the_padding():
    sender = CallbackCrypto(A[0], C[1], A[2])
    with pytest.raises(CallbackRejected):
        CallbackCrypto(*A).decrypt(sender.encrypt(b"<xml/>"))


def test_xml_bombs_and_entities_are_refused():
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><xml><Encrypt>&b;</Encrypt></xml>'
    with pytest.raises(CallbackRejected):
        parse_xml(bomb)
    with pytest.raises(CallbackRejected):
        parse_xml(b"<xml><unclosed></xml>")


def test_sealed_envelopes_differ_per_delivery_but_the_event_key_does_not():
    crypto = CallbackCrypto(*A)
    xml = event_xml(A[2], "change_external_contact", "add_external_contact", create_time=1700000000,
                    UserID="zhangsan", ExternalUserID="wmA", State="tmall")
    (q1, b1), (q2, b2) = sealed(crypto, xml), sealed(crypto, xml)
    assert b1 != b2
    e1 = WeComEvent.parse(crypto.open_message(b1, **q1))
    e2 = WeComEvent.parse(crypto.open_message(b2, **q2))
    assert e1.key == e2.key and e1.known
    later = event_xml(A[2], "change_external_contact", "add_external_contact", create_time=1700000001,
                      UserID="zhangsan", ExternalUserID="wmA", State="tmall")
    assert WeComEvent.parse(parse_xml(later)).key != e1.key
