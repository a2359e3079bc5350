"""The conversation as both sides see it: events the desk adds to a conversation, and the transcript
read back from Rasa's tracker.

Every message that is not an ordinary assistant reply (the handoff's state, an agent joining, an agent's
message, the hand-back, the acknowledgement of a message written while waiting) is one message
`{"text": ..., "metadata": {"storefront": {"event": ...}}}`: any Rasa client (rasa-webchat 1.x shows a
message whose only key besides `metadata` is `text`) shows its text, and our widget reads the event
beside it. It is stored as a bot event whose data.custom is `{"data": message}`: Rasa's socket.io
channel emits custom["data"] as the message itself, and a bot event carrying text as well would reach
the shopper as two messages.
"""
import re
from typing import Any, Dict, List, Optional

from bot.chat.limits import ENTRY_BUTTONS, TYPED_TEXT_KEY, message_id

ENTRY_TITLES = {payload: set(titles) for payload, titles in ENTRY_BUTTONS.items()}
AGENT_JOINED_TEXT = "{name} from our team has joined the chat."
# The events of the messages the desk adds (agent and system lines); the REST channel hands them to the
# shopper on their next call.
DESK_EVENTS = ("agent_message", "agent_joined", "handback")
# Attachment ids the desk's upload route hands out; anything else in a shopper's metadata is dropped.
ATTACHMENT_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")


def storefront_message(text: str, event: str, **fields: Any) -> Dict[str, Any]:
    """A message any client shows as text, with our structured data under metadata.storefront."""
    return {"text": text, "metadata": {"storefront": {"event": event, **fields}}}


def as_custom(message: Dict[str, Any]) -> Dict[str, Any]:
    """The custom payload (json_message) that makes Rasa's socket.io channel emit `message` unchanged."""
    return {"data": message}


def handoff_message(text: str, *, position: int, open_now: bool) -> Dict[str, Any]:
    """The handoff's words and its state (queue place or offline) in one message."""
    return storefront_message(text, "handoff", status="waiting" if open_now else "offline", position=position)


def passed_on_message(text: str, *, message_id: Optional[str]) -> Dict[str, Any]:
    return storefront_message(text, "passed_on", message_id=message_id)


def bot_event(message: Dict[str, Any], metadata: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """A tracker event (as JSON) that stores `message` and, appended with an output channel, sends it."""
    return {"event": "bot", "data": {"custom": as_custom(message)}, "metadata": metadata or {}}


def agent_message(text: str, *, agent_id: int, agent_name: str) -> Dict[str, Any]:
    return bot_event(storefront_message(text, "agent_message", agent_name=agent_name),
                     {"agent_id": agent_id, "agent_name": agent_name})


def agent_joined(*, agent_id: int, agent_name: str) -> Dict[str, Any]:
    return bot_event(storefront_message(AGENT_JOINED_TEXT.format(name=agent_name), "agent_joined",
                                        agent_name=agent_name),
                     {"agent_id": agent_id, "agent_name": agent_name, "system": True})


def hand_back(text: str) -> List[Dict[str, Any]]:
    # The trailing action_listen makes the shopper's next message start a fresh turn, so the
    # assistant's rules (which expect "listened, then the shopper spoke") apply again.
    return [{"event": "resume"},
            bot_event(storefront_message(text, "handback"), {"handback": True}),
            {"event": "action", "name": "action_listen"}]


def custom_message(event: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The message a bot event (as JSON) carries as custom["data"], if any."""
    custom = (event.get("data") or {}).get("custom")
    payload = custom.get("data") if isinstance(custom, dict) else None
    return payload if isinstance(payload, dict) else None


def storefront_event(message: Dict[str, Any]) -> Dict[str, Any]:
    """Our structured data of a message: metadata.storefront, or the older shape stored before it
    ({"sender": "agent", "text", "agent_name"} or {"event": ..., "text", ...} at the top level)."""
    metadata = message.get("metadata")
    storefront = metadata.get("storefront") if isinstance(metadata, dict) else None
    if isinstance(storefront, dict):
        return storefront
    if message.get("sender") == "agent":
        return {"event": "agent_message", "agent_name": message.get("agent_name")}
    if isinstance(message.get("event"), str):
        return {key: value for key, value in message.items() if key != "text"}
    return {}


def desk_event(event: Dict[str, Any]) -> Optional[str]:
    """"agent_message", "agent_joined" or "handback" when a bot event (as JSON) is one the desk added."""
    message = custom_message(event) if event.get("event") == "bot" else None
    kind = storefront_event(message).get("event") if message is not None else None
    return kind if kind in DESK_EVENTS else None


def _buttons(event: Dict[str, Any]) -> List[Dict[str, str]]:
    buttons = (event.get("data") or {}).get("buttons") or []
    return [{"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
            for b in buttons if isinstance(b, dict)]


def _shopper_text(event: Dict[str, Any], offered: Dict[str, set]) -> str:
    """What the shopper saw themselves send: a clicked button's title rather than its payload, but only
    a title the assistant (or the widget's welcome) offered for that payload; `display_text` is the
    client's word and proves nothing on its own. A typed "/..." that the channel read as words is shown
    as typed."""
    text = event.get("text") or ""
    metadata = event.get("metadata") or {}
    typed = metadata.get(TYPED_TEXT_KEY)
    if isinstance(typed, str) and typed.strip():
        return typed
    shown = metadata.get("display_text")
    if text.startswith("/") and isinstance(shown, str) and shown.strip() in offered.get(text.strip(), ()):
        return shown.strip()
    return text


def _attachments(event: Dict[str, Any]) -> List[str]:
    ids = (event.get("metadata") or {}).get("attachments")
    if not isinstance(ids, list):
        return []
    return [value for value in ids if isinstance(value, str) and ATTACHMENT_ID.fullmatch(value)]


def _shopper_line(event: Dict[str, Any], offered: Dict[str, set]) -> Dict[str, Any]:
    anger = (event.get("parse_data") or {}).get("anger") or {}
    line = {"from": "shopper", "text": _shopper_text(event, offered), "at": event.get("timestamp"),
            "anger": anger.get("level", "none"), "cues": anger.get("cues", [])}
    attachments = _attachments(event)
    if attachments:
        line["attachments"] = attachments
    key = message_id(event.get("metadata"))
    if key:
        line["message_id"] = key  # the widget recognises its own message after a reload by it
    return line


def _custom_line(event: Dict[str, Any], message: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The line of a message stored as a custom payload (this shape or the older one)."""
    text, data = message.get("text"), storefront_event(message)
    if not isinstance(text, str) or not text:
        return None  # the older text-less handoff state: its words were a bot line of their own
    kind, at = data.get("event"), event.get("timestamp")
    if kind == "agent_message":
        return {"from": "agent", "text": text, "at": at, "agent_name": data.get("agent_name")}
    if kind in ("agent_joined", "handback"):
        return {"from": "system", "event": kind, "text": text, "at": at, "agent_name": data.get("agent_name")}
    line = {"from": "bot", "text": text, "at": at, "event": kind}
    if kind == "passed_on":
        line["message_id"] = data.get("message_id")
    return line


def transcript(tracker: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Shopper, bot, agent and system messages of the tracker's current session, oldest first.
    Text is untrusted: escape it wherever it is shown."""
    lines: List[Dict[str, Any]] = []
    offered: Dict[str, set] = dict(ENTRY_TITLES)
    for event in tracker.get("events") or []:
        kind = event.get("event")
        if kind == "session_started":
            lines = []
        elif kind == "user":
            lines.append(_shopper_line(event, offered))
            offered = dict(ENTRY_TITLES)
        elif kind == "bot":
            message, metadata = custom_message(event), event.get("metadata") or {}
            if message is not None:
                line = _custom_line(event, message)
                if line is not None:
                    lines.append(line)
            elif event.get("text"):
                for button in _buttons(event):
                    offered.setdefault(button["payload"].strip(), set()).add(button["title"].strip())
                # Agent messages stored before they became custom payloads carry the agent in metadata.
                sender = "agent" if metadata.get("agent_id") else "bot"
                lines.append({"from": sender, "text": event["text"], "at": event.get("timestamp"),
                              "agent_name": metadata.get("agent_name"), "buttons": _buttons(event)})
    return lines


def client_message(event: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """A stored desk message (bot event as JSON) as a client receives it, in this shape even when it was
    stored in the older one; None for anything else."""
    message = custom_message(event) if event.get("event") == "bot" else None
    if message is None or not isinstance(message.get("text"), str):
        return None
    data = dict(storefront_event(message))
    kind = data.pop("event", None)
    return storefront_message(message["text"], kind, **data) if kind in DESK_EVENTS else None


def undelivered(events: List[Dict[str, Any]], *, is_mark, until: Optional[int] = None) -> List[Dict[str, Any]]:
    """Desk messages (as clients receive them) among `events[:until]` after the last shopper message or
    delivery mark (`is_mark(event)`) before `until`: what a REST client has not been given yet."""
    window = events[:until] if until is not None else events
    start = 0
    for index, event in enumerate(window):
        if event.get("event") == "user" or is_mark(event):
            start = index + 1
    return [message for message in map(client_message, window[start:]) if message is not None]
