"""The conversation as both sides see it: events the desk adds to a conversation, and the transcript
read back from Rasa's tracker.

Agent messages and hand-over states travel as custom payloads. Rasa's socket.io channel emits a
payload `{"data": X}` as the message X itself, so the widget receives `{"sender": "agent", "text": ...,
"agent_name": ...}` in one message; a bot event carrying both text and a payload would reach the
shopper as two.
"""
from typing import Any, Dict, List, Optional

from bot.chat.limits import ENTRY_BUTTONS, TYPED_TEXT_KEY

ENTRY_TITLES = {payload: set(titles) for payload, titles in ENTRY_BUTTONS.items()}
AGENT_JOINED_TEXT = "{name} from our team has joined the chat."


def _custom(payload: Dict[str, Any]) -> Dict[str, Any]:
    return {"data": payload}


def handoff_state(*, position: int, open_now: bool) -> Dict[str, Any]:
    """Sent by the handoff action after its words: the widget shows the queue place from it."""
    return _custom({"event": "handoff", "status": "waiting" if open_now else "offline", "position": position})


def _bot_event(payload: Dict[str, Any], metadata: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    return {"event": "bot", "data": {"custom": _custom(payload)}, "metadata": metadata or {}}


def agent_message(text: str, *, agent_id: int, agent_name: str) -> Dict[str, Any]:
    return _bot_event({"sender": "agent", "agent_name": agent_name, "text": text},
                      {"agent_id": agent_id, "agent_name": agent_name})


def agent_joined(*, agent_id: int, agent_name: str) -> Dict[str, Any]:
    return _bot_event({"event": "agent_joined", "agent_name": agent_name,
                       "text": AGENT_JOINED_TEXT.format(name=agent_name)},
                      {"agent_id": agent_id, "agent_name": agent_name, "system": True})


def hand_back(text: str) -> List[Dict[str, Any]]:
    # The trailing action_listen makes the shopper's next message start a fresh turn, so the
    # assistant's rules (which expect "listened, then the shopper spoke") apply again.
    return [{"event": "resume"},
            _bot_event({"event": "handback", "text": text}, {"handback": True}),
            {"event": "action", "name": "action_listen"}]


def _payload(event: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    custom = (event.get("data") or {}).get("custom")
    payload = custom.get("data") if isinstance(custom, dict) else None
    return payload if isinstance(payload, dict) else None


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
            shopper_text = _shopper_text(event, offered)
            offered = dict(ENTRY_TITLES)
            anger = (event.get("parse_data") or {}).get("anger") or {}
            lines.append({"from": "shopper", "text": shopper_text, "at": event.get("timestamp"),
                          "anger": anger.get("level", "none"), "cues": anger.get("cues", [])})
        elif kind == "bot":
            payload, metadata = _payload(event), event.get("metadata") or {}
            if payload is not None:
                if payload.get("sender") == "agent" and payload.get("text"):
                    lines.append({"from": "agent", "text": str(payload["text"]), "at": event.get("timestamp"),
                                  "agent_name": payload.get("agent_name")})
                elif payload.get("event") in ("agent_joined", "handback") and payload.get("text"):
                    lines.append({"from": "system", "event": payload["event"], "text": str(payload["text"]),
                                  "at": event.get("timestamp"), "agent_name": payload.get("agent_name")})
            elif event.get("text"):
                for button in _buttons(event):
                    offered.setdefault(button["payload"].strip(), set()).add(button["title"].strip())
                # Agent messages stored before they became custom payloads carry the agent in metadata.
                sender = "agent" if metadata.get("agent_id") else "bot"
                lines.append({"from": sender, "text": event["text"], "at": event.get("timestamp"),
                              "agent_name": metadata.get("agent_name"), "buttons": _buttons(event)})
    return lines
