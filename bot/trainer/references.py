"""Opaque references to conversations, for trainers.

A conversation's id is the shopper's widget session id: whoever holds it can read that chat's history and
join it. Trainers get `<inbox message number>-<tag>` instead, where the tag is the first 16 hex digits of
HMAC-SHA256 of the conversation id. The HMAC key is derived from the desk's existing secrets
(SHOP_IDENTITY_SECRET and RASA_TOKEN) with a fixed label, so it is never stored and changes with them; a
reference is checked against the message's conversation, so a made-up or altered one finds nothing.
"""
import hashlib
import hmac
from functools import lru_cache
from typing import Optional

LABEL = b"storefront trainer conversation reference v1"
TAG_HEX = 16


class ConversationReferences:
    def __init__(self, key: bytes):
        self._key = key

    def _tag(self, conversation_id: str) -> str:
        digest = hmac.new(self._key, conversation_id.encode("utf-8", "surrogatepass"), hashlib.sha256)
        return digest.hexdigest()[:TAG_HEX]

    def make(self, message_id: int, conversation_id: str) -> str:
        return f"{message_id}-{self._tag(conversation_id)}"

    @staticmethod
    def message_id(reference: str) -> Optional[int]:
        """The inbox message a well-formed reference names; None for anything else."""
        number, _, tag = reference.partition("-")
        if not (reference.isascii() and number.isdigit() and len(number) <= 12 and len(tag) == TAG_HEX):
            return None
        return int(number)

    def matches(self, reference: str, message_id: int, conversation_id: Optional[str]) -> bool:
        if not conversation_id or self.message_id(reference) != message_id:
            return False
        return hmac.compare_digest(reference, self.make(message_id, conversation_id))


def key_from_secrets(identity_secret: str, rasa_token: str) -> bytes:
    secret = f"{identity_secret}\n{rasa_token}".encode("utf-8")
    return hmac.new(secret, LABEL, hashlib.sha256).digest()


def default_references() -> ConversationReferences:
    """References under the key derived from the configured secrets."""
    from bot.settings import get_settings

    settings = get_settings()
    return _references_for(settings.identity_secret, settings.rasa_token)


@lru_cache(maxsize=4)
def _references_for(identity_secret: str, rasa_token: str) -> ConversationReferences:
    return ConversationReferences(key_from_secrets(identity_secret, rasa_token))
