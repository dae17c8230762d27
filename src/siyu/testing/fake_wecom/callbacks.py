"""Callbacks as WeCom sends them: event XML, sealed with the tenant's Token and EncodingAESKey."""

from __future__ import annotations

import secrets
import time
from xml.sax.saxutils import escape

from siyu.adapters.channels.wecom.crypto import CallbackCrypto, parse_xml


def event_xml(corp_id: str, event: str, change_type: str, *, create_time: int | None = None, **fields: str) -> str:
    """A self-built app's event callback (``<xml><ToUserName>..</ToUserName>...``)."""
    items = {"ToUserName": corp_id, "FromUserName": "sys", "CreateTime": str(create_time or int(time.time())),
             "MsgType": "event", "Event": event, "ChangeType": change_type, **fields}
    return "<xml>" + "".join(f"<{k}><![CDATA[{escape(str(v))}]]></{k}>" for k, v in items.items()) + "</xml>"


def sealed(crypto: CallbackCrypto, xml: str, *, timestamp: str | None = None, nonce: str | None = None) -> tuple[dict[str, str], bytes]:
    """(query parameters, body) of the POST WeCom makes: a fresh envelope every delivery, as a
    WeCom retry has (new random prefix, and a new timestamp and nonce)."""
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or str(secrets.randbelow(10**10))
    envelope = crypto.seal_message(xml, timestamp, nonce)
    signature = parse_xml(envelope)["MsgSignature"]
    body = envelope.encode()
    return {"msg_signature": signature, "timestamp": timestamp, "nonce": nonce}, body


def url_check(crypto: CallbackCrypto, echo: str, *, timestamp: str = "1476416373", nonce: str = "47744683") -> dict[str, str]:
    """The GET WeCom makes when an admin saves the callback URL."""
    encrypted = crypto.encrypt(echo.encode())
    return {"msg_signature": crypto.sign(timestamp, nonce, encrypted), "timestamp": timestamp, "nonce": nonce, "echostr": encrypted}
