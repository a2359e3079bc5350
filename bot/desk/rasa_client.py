"""The desk's way into Rasa's HTTP API: read a conversation, speak as an agent, hand back to the bot."""
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, List

from bot.chat import events


# Rasa 3.6 routes /conversations/<conversation_id:path>/... without percent-decoding (Sanic's unquote is off),
# so the id it reads is the path segment exactly as sent: "%40" would name another conversation than "@".
# The punctuation the channels accept in a conversation id (SENDER_ID in bot/chat/channels.py: _.:@+-) is
# legal in a URL path and sent as it is; anything else (never in a channel's id) is still quoted.
_AS_IS_IN_PATH = ":@+"


def conversation_path(conversation_id: str) -> str:
    return f"/conversations/{urllib.parse.quote(conversation_id, safe=_AS_IS_IN_PATH)}"


class RasaUnavailable(Exception):
    pass


class RasaClient:
    def __init__(self, base_url: str, token: str, timeout: float = 10):
        self._base = base_url.rstrip("/")
        self._token = token
        self._timeout = timeout

    def _call(self, method: str, path: str, body: Any = None, **query: str) -> Any:
        query["token"] = self._token
        url = f"{self._base}{path}?{urllib.parse.urlencode(query)}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                return json.load(response)
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise RasaUnavailable(str(error)) from None

    def parse(self, text: str) -> dict:
        """What the current model makes of a text: intent, confidence, entities, anger."""
        return self._call("POST", "/model/parse", {"text": text})

    def tracker(self, conversation_id: str) -> dict:
        return self._call("GET", f"{conversation_path(conversation_id)}/tracker")

    def _append(self, conversation_id: str, events: List[dict]) -> None:
        # output_channel=socketio delivers bot events to the shopper's open chat (Rasa puts each
        # socket in a room named by its session id); they are stored in the tracker either way.
        self._call("POST", f"{conversation_path(conversation_id)}/tracker/events",
                   events, output_channel="socketio", execute_side_effects="true")

    def say_as_agent(self, conversation_id: str, text: str, *, agent_id: int, agent_name: str) -> None:
        self._append(conversation_id, [events.agent_message(text, agent_id=agent_id, agent_name=agent_name)])

    def announce_agent(self, conversation_id: str, *, agent_id: int, agent_name: str) -> None:
        """Tell the shopper who has taken their conversation."""
        self._append(conversation_id, [events.agent_joined(agent_id=agent_id, agent_name=agent_name)])

    def hand_back(self, conversation_id: str, text: str) -> None:
        self._append(conversation_id, events.hand_back(text))
