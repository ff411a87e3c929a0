"""The signature of a webhook request (README: verification recipe).

`X-Hotline-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>`, where `timestamp`
is the `X-Hotline-Timestamp` header (unix seconds) and `body` the exact bytes of the request body.
Receivers reject a timestamp more than REPLAY_WINDOW_SECONDS away from their clock.
"""

import hashlib
import hmac
import secrets
import time

SIGNATURE_HEADER = "X-Hotline-Signature"
TIMESTAMP_HEADER = "X-Hotline-Timestamp"
EVENT_ID_HEADER = "X-Hotline-Event-Id"
EVENT_TYPE_HEADER = "X-Hotline-Event"
REPLAY_WINDOW_SECONDS = 300


def new_secret() -> str:
    """A fresh signing secret: 256 random bits, URL-safe text."""
    return "whsec_" + secrets.token_urlsafe(32)


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(*, secret: str, timestamp: str, body: bytes, header: str, now: float | None = None) -> bool:
    """What a receiver does (also usable by Python receivers): a fresh timestamp and an equal
    signature, compared in constant time."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs((now if now is not None else time.time()) - sent) > REPLAY_WINDOW_SECONDS:
        return False
    return hmac.compare_digest(signature(secret=secret, timestamp=sent, body=body), header)
