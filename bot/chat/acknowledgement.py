"""The acknowledgement a shopper gets for a message written while waiting for a person.

While a conversation is paused for a person (handed off, no agent has joined yet; out of support hours
the handoff pauses too) Rasa runs no actions, so a message would meet silence. The channel
(bot/chat/channels.py) asks `acknowledgement()` after Rasa has stored the message: at most one "passed
on" per waiting period (until an agent joins or the conversation is handed back), and one every time the
shopper leaves an email address (the offline reply invites them to), naming it masked.

Pure functions over tracker events as JSON, importable on both sides.
"""
from typing import Any, Dict, Iterable, List, Optional

from bot.chat.events import custom_message, desk_event, passed_on_message, storefront_event
from bot.email_masking import email_in, mask_email

PASSED_ON_TEXT = "Thanks, I've passed this on to the team; they'll answer here."
PASSED_ON_EMAIL_TEXT = "Thanks, I've passed this on to the team; they'll reply by email to {email}."


def waiting_events(events: Iterable[Dict[str, Any]]) -> Optional[List[Dict[str, Any]]]:
    """The events since the conversation was paused for a person, while no agent has joined since;
    None when the shopper is not waiting (not paused, resumed, or an agent is there)."""
    since: Optional[List[Dict[str, Any]]] = None
    for event in events:
        kind = event.get("event")
        if kind == "pause":
            since = []
        elif kind in ("resume", "restart", "session_started"):
            since = None
        elif since is not None:
            if desk_event(event) == "agent_joined":
                since = None
            else:
                since.append(event)
    return since


def _is_passed_on(event: Dict[str, Any]) -> bool:
    message = custom_message(event) if event.get("event") == "bot" else None
    return message is not None and storefront_event(message).get("event") == "passed_on"


def acknowledgement(events: Iterable[Dict[str, Any]], *, text: str,
                    message_id: Optional[str]) -> Optional[Dict[str, Any]]:
    """The "passed on" message for the shopper's latest message (already among `events`), or None."""
    since = waiting_events(events)
    if since is None:
        return None
    email = email_in(text)
    if email is not None:
        return passed_on_message(PASSED_ON_EMAIL_TEXT.format(email=mask_email(email)), message_id=message_id)
    if any(_is_passed_on(event) for event in since):
        return None
    return passed_on_message(PASSED_ON_TEXT, message_id=message_id)
