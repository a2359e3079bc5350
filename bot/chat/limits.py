"""What a shopper's message may be before the assistant reads it: the rules every input channel applies.

Pure functions over plain data, importable without Rasa; the channels (bot/chat/channels.py) apply them.
"""
import ipaddress
import re
import time
from collections import deque
from itertools import islice
from typing import Any, Callable, Deque, Dict, Iterable, List, Optional, Set

# Longer messages are refused before NLU with a clear reply: a question to a shop's assistant fits in a
# few sentences, and a 5 MB message once held every other shopper up for 14 seconds.
MAX_MESSAGE_CHARS = 2000
# The channels write the network address they saw into the message metadata under this key,
# overwriting anything the client sent; limits that hold across conversations count per address.
CLIENT_METADATA_KEY = "client"
# Set by the channel when a typed "/..." was taken as text (the original is kept for the transcript).
TYPED_TEXT_KEY = "typed_text"
# The widget's own quick replies on its welcome message (offered before the conversation exists), with
# the titles the widget shows for them in each of its languages (bot/desk/static/widget/core.js).
ENTRY_BUTTONS = {
    "/order_status": ("Where is my order?", "Wo ist meine Bestellung?", "Où est ma commande ?",
                      "¿Dónde está mi pedido?", "我的订单在哪里？"),
    "/ask_return_policy": ("Returns", "Rücksendung", "Retours", "Devoluciones", "退货"),
    "/ask_shipping": ("Shipping", "Versand", "Livraison", "Envíos", "配送"),
    "/ask_sizing": ("Sizing", "Größen", "Tailles", "Tallas", "尺码"),
}
ENTRY_PAYLOADS = frozenset(ENTRY_BUTTONS)
PAYLOAD_PREFIX = "/"
# Control characters other than tab and newline (PostgreSQL refuses NUL in text; the rest is noise).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")

# Messages one client (network address) may send in a window: far above anyone typing, far below a script.
MESSAGES_PER_CLIENT = 30
MESSAGE_WINDOW_SECONDS = 10.0
TOO_FAST_REPLY = "You're sending messages faster than I can read them. Please wait a few seconds and try again."
TOO_LONG_REPLY = (f"That message is too long for me to read (more than {MAX_MESSAGE_CHARS} characters). "
                  "Could you put your question in a few sentences?")
NOT_TEXT_REPLY = "I can only read text messages. What can I help you with?"

# The client's key for one message (contract: 8-64 of these characters): a message whose key the
# conversation already holds is acknowledged but not processed again, so a client may resend safely.
MESSAGE_ID_KEY = "message_id"
_MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
_ATTACHMENT_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
MAX_ATTACHMENTS = 4
# rasa-webchat 1.x sends its page data as `customData`, under its own names for some of our keys.
_ALIASES = {"identityToken": "identity", "context": "page"}
# What a client may send beside its text. Everything else is dropped, and so is a known key of the wrong
# type or size: the metadata is stored with every message and read back on every turn, so a client once
# made each message of a conversation 1 MB heavier and every shopper slower.
# A signed identity token for a 254-character email is about 430 characters (bot/chat/identity.py).
MAX_IDENTITY_CHARS = 1024
MAX_DISPLAY_TEXT_CHARS = 200  # the title of a button the shopper pressed
MAX_LANGUAGE_CHARS = 16
MAX_PRODUCT_CHARS = 64  # the SKU of the product page the chat was opened on
_LANGUAGE = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_LANGUAGE_CHARS}}}")


def clean_text(value: Any) -> Optional[str]:
    """The message as text the rest of the system can store and show: lone surrogates (invalid
    Unicode) become U+FFFD and control characters are dropped. None when the value is not text."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return None
    return _CONTROL.sub("", _SURROGATE.sub("\ufffd", value))


def is_too_long(text: str) -> bool:
    return len(text) > MAX_MESSAGE_CHARS


def offered_payloads(events: Iterable[Dict[str, Any]]) -> Set[str]:
    """The button payloads the assistant offered since the shopper's last message (tracker events as
    dicts, oldest first): the only payloads a shopper may send next, besides the entry payloads."""
    offered: Set[str] = set()
    for event in events:
        kind = event.get("event")
        if kind in ("user", "session_started"):
            offered = set()
        elif kind == "bot":
            data = event.get("data") or {}
            for button in (data.get("buttons") or []) + (data.get("quick_replies") or []):
                if isinstance(button, dict) and isinstance(button.get("payload"), str):
                    offered.add(button["payload"].strip())
    return offered


def as_text(message: str, allowed: Set[str]) -> str:
    """A message that starts with "/" is Rasa's syntax for an intent with entities; only payloads the
    assistant offered pass as such. Anything else ("/restart", "/session_start", an injected entity)
    is read as the words it contains."""
    stripped = message.strip()
    if not stripped.startswith(PAYLOAD_PREFIX) or stripped in allowed or stripped in ENTRY_PAYLOADS:
        return message
    while stripped.startswith(PAYLOAD_PREFIX):
        stripped = stripped.lstrip(PAYLOAD_PREFIX).strip()
    return stripped


def _text(value: Any, limit: int) -> Optional[str]:
    return value if isinstance(value, str) and 0 < len(value) <= limit else None


def _page(value: Any) -> Optional[Dict[str, str]]:
    product = _text(value.get("product"), MAX_PRODUCT_CHARS) if isinstance(value, dict) else None
    return {"product": product} if product is not None else None


def _language(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and _LANGUAGE.fullmatch(value) else None


def _attachments(value: Any) -> Optional[List[str]]:
    if not isinstance(value, list):
        return None
    ids = list(islice((a for a in value if isinstance(a, str) and _ATTACHMENT_ID.fullmatch(a)), MAX_ATTACHMENTS))
    return ids or None


# The keys a client may send, each with the check that returns the value to keep (None: drop it).
_CLIENT_KEYS: Dict[str, Callable[[Any], Any]] = {
    "identity": lambda value: _text(value, MAX_IDENTITY_CHARS),
    "page": _page,
    "display_text": lambda value: _text(value, MAX_DISPLAY_TEXT_CHARS),
    "language": _language,
    MESSAGE_ID_KEY: lambda value: message_id({MESSAGE_ID_KEY: value}),
    "attachments": _attachments,
}


def _accepted(metadata: Any) -> Dict[str, Any]:
    """Only the known keys of `metadata`, each of the right type and size."""
    if not isinstance(metadata, dict):
        return {}
    accepted = {}
    for key, check in _CLIENT_KEYS.items():
        value = check(metadata.get(key))
        if value is not None:
            accepted[key] = value
    return accepted


def client_metadata(metadata: Any, custom_data: Any = None) -> Dict[str, Any]:
    """What a client sent beside its message, in our keys and within their limits (`_CLIENT_KEYS`):
    `metadata` (our widget, REST clients), or, when absent, rasa-webchat's `customData`, whose
    "identityToken" is our "identity" and whose "context" is our "page". Our own key wins when a client
    sends both spellings."""
    chosen = metadata if isinstance(metadata, dict) and metadata else custom_data
    if not isinstance(chosen, dict):
        return {}
    result = {key: chosen.get(key) for key in _CLIENT_KEYS}
    for alias, ours in _ALIASES.items():
        if result.get(ours) is None:
            result[ours] = chosen.get(alias)
    return _accepted(result)


def message_id(metadata: Any) -> Optional[str]:
    """The message's idempotency key when it is well formed, else None."""
    value = metadata.get(MESSAGE_ID_KEY) if isinstance(metadata, dict) else None
    return value if isinstance(value, str) and _MESSAGE_ID.fullmatch(value) else None


def trusted_metadata(metadata: Any, *, client: str, typed_text: Optional[str] = None) -> Dict[str, Any]:
    """What is stored with a message: the client's known keys within their limits, and what only the
    server may say (the client's network address, the typed text of a "/..." read as words) written by
    the server."""
    clean = _accepted(metadata)
    clean[CLIENT_METADATA_KEY] = client
    if typed_text is not None:
        clean[TYPED_TEXT_KEY] = typed_text
        clean.pop("display_text", None)
    return clean


class RateLimit:
    """At most `limit` events per key in any `window` seconds (a sliding window kept in memory, per
    process: with several Rasa servers each counts its own share)."""

    def __init__(self, limit: int = MESSAGES_PER_CLIENT, window: float = MESSAGE_WINDOW_SECONDS,
                 clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000):
        self.limit, self.window, self.clock, self.max_keys = limit, window, clock, max_keys
        self._events: Dict[str, Deque[float]] = {}

    def allow(self, key: str) -> bool:
        now = self.clock()
        events = self._events.get(key)
        if events is None:
            if len(self._events) >= self.max_keys:
                self._forget_idle(now)
            events = self._events[key] = deque()
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        return True

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, events in self._events.items() if not events or events[-1] <= now - self.window]:
            del self._events[key]


def address_key(address: str) -> str:
    """The key limits count a client by: its IPv4 address, or its IPv6 /64 (one subscriber holds a whole
    /64 and could otherwise take a fresh address for every try)."""
    try:
        parsed = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return address.strip()[:64] or "unknown"
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
