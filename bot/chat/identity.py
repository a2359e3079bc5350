"""Signed customer identity from a logged-in shop.

The shop signs the customer's email with a secret it shares with the assistant and hands the token
to the chat widget, which sends it with every message. A valid token stands in for order
verification; a token with a bad signature, a wrong format or a past expiry is ignored.

Token: ``v1.<payload>.<signature>``, where payload is base64url JSON ``{"email": ..., "exp": unix
seconds}`` and signature is base64url HMAC-SHA256 over ``v1.<payload>`` with the shared secret.
"""
import base64
import binascii
import hashlib
import hmac
import json
import logging
import time
from typing import Optional

logger = logging.getLogger(__name__)
VERSION = "v1"
MAX_TOKEN = 2048
DEFAULT_LIFETIME = 3600


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, signed_part: str) -> str:
    return _encode(hmac.new(secret.encode(), signed_part.encode(), hashlib.sha256).digest())


def sign_identity(email: str, *, secret: str, lifetime: int = DEFAULT_LIFETIME, now: Optional[float] = None) -> str:
    """What the shop's server does for a logged-in customer (also `python -m bot identity-token`)."""
    if not secret:
        raise ValueError("a secret is needed to sign identities")
    issued = time.time() if now is None else now
    payload = _encode(json.dumps({"email": email.strip().lower(), "exp": int(issued + lifetime)},
                                 separators=(",", ":")).encode())
    signed_part = f"{VERSION}.{payload}"
    return f"{signed_part}.{_signature(secret, signed_part)}"


def verified_email(token: object, *, secret: str, now: Optional[float] = None) -> Optional[str]:
    """The customer's email if `token` is well formed, signed with `secret` and not expired; else None."""
    if not secret or not isinstance(token, str) or not token or len(token) > MAX_TOKEN:
        return None
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != VERSION:
        logger.warning("identity token rejected: not a %s token", VERSION)
        return None
    signed_part = f"{parts[0]}.{parts[1]}"
    # Bytes, not str: compare_digest refuses non-ASCII strings, and the token is the shopper's to forge.
    if not hmac.compare_digest(_signature(secret, signed_part).encode(), parts[2].encode()):
        logger.warning("identity token rejected: bad signature")
        return None
    try:
        claims = json.loads(_decode(parts[1]))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        logger.warning("identity token rejected: unreadable payload")
        return None
    if not isinstance(claims, dict):
        return None
    email, expires = claims.get("email"), claims.get("exp")
    if not isinstance(email, str) or "@" not in email or not isinstance(expires, (int, float)):
        logger.warning("identity token rejected: missing email or expiry")
        return None
    if expires < (time.time() if now is None else now):
        logger.info("identity token rejected: expired")
        return None
    return email.strip().lower()
