"""The shop's input channels: Rasa's REST and socket.io channels, with the rules of bot/chat/limits.py
applied to every shopper message before Rasa reads it.

- Text is cleaned (invalid Unicode, control characters) and capped; a refusal is a clear reply.
- A typed "/intent{...}" is read as words unless the assistant offered that payload as a button in the
  conversation, so `/restart` or an injected entity cannot reset the conversation or its slots.
- A client (network address) sending more than 30 messages in 10 seconds is asked to slow down.
- The network address the channel saw is written into the metadata (`client`), overwriting what the
  client sent: the verification and handoff limits count per address across conversations.
- When Rasa fails to take a message in (the tracker store cannot be written, say), the shopper is told
  and the failure logged, instead of silence.

Referenced from credentials.yml by module path; the names stay "rest" and "socketio", so URLs, the
widget and the desk's `output_channel=socketio` are unchanged.
"""
import asyncio
import json
import logging
import re
from typing import Any, Awaitable, Callable, Dict, Optional, Set, Text

from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from socketio import AsyncServer

from bot.chat.limits import (MAX_MESSAGE_CHARS, MESSAGE_WINDOW_SECONDS, MESSAGES_PER_CLIENT, NOT_TEXT_REPLY,
                             TOO_FAST_REPLY, TOO_LONG_REPLY, RateLimit, address_key, as_text, clean_text, is_too_long,
                             offered_payloads, trusted_metadata)
from bot.chat.session_ids import is_widget_session, new_widget_session
from bot.readiness import database_problem

logger = logging.getLogger(__name__)
OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
# Sender ids become tracker keys and socket.io rooms: printable, bounded.
SENDER_ID = re.compile(r"[A-Za-z0-9_.:@+-]{1,128}")
# socket.io packets larger than this are dropped by the server before any handler runs.
MAX_SOCKET_PACKET_BYTES = 8 * MAX_MESSAGE_CHARS + 16 * 1024
# Messages per client address, counted in this Rasa process across both channels (a client gains nothing
# by splitting its messages between REST and socket.io).
CLIENT_MESSAGES = RateLimit()
FAULT_REPLY = ("Sorry, something went wrong on our side and I could not take that message in. "
               "Please try again in a few minutes.")


async def _offered(sender_id: Text) -> Set[str]:
    """The payloads the assistant offered in the conversation so far (read from the tracker store)."""
    try:
        agent = Sanic.get_app().ctx.agent
        tracker = await agent.tracker_store.retrieve(sender_id)
    except Exception:
        logger.exception("could not read conversation %s to check a payload; taking it as text", sender_id)
        return set()
    if tracker is None:
        return set()
    return offered_payloads(event.as_dict() for event in tracker.events)


async def admit(on_new_message: OnNewMessage, *, text: Any, sender_id: Text, metadata: Any, client: str,
                output_channel: OutputChannel, input_channel: Text) -> None:
    """Apply the shop's rules to one message, then hand it to Rasa (or tell the shopper why not)."""
    if not CLIENT_MESSAGES.allow(client):
        logger.warning("a client is sending more than %d messages in %.0f s; refused one for %s",
                       MESSAGES_PER_CLIENT, MESSAGE_WINDOW_SECONDS, sender_id)
        await output_channel.send_text_message(sender_id, TOO_FAST_REPLY)
        return
    cleaned = clean_text(text)
    if cleaned is None:
        await output_channel.send_text_message(sender_id, NOT_TEXT_REPLY)
        return
    if is_too_long(cleaned):
        logger.info("refused a message of %d characters from %s", len(cleaned), sender_id)
        await output_channel.send_text_message(sender_id, TOO_LONG_REPLY)
        return
    typed = None
    if cleaned.strip().startswith("/"):
        words = as_text(cleaned, await _offered(sender_id))
        if words != cleaned:
            typed, cleaned = cleaned, words
    message = UserMessage(cleaned, output_channel, sender_id, input_channel=input_channel,
                          metadata=trusted_metadata(metadata, client=client, typed_text=typed))
    try:
        await on_new_message(message)
    except Exception:
        logger.exception("conversation %s: the message could not be processed or saved", sender_id)
        await output_channel.send_text_message(sender_id, FAULT_REPLY)


def _tracker_store_answers(agent) -> bool:
    store = getattr(agent.tracker_store, "_tracker_store", agent.tracker_store)  # inside Rasa's fail-safe wrapper
    engine = getattr(store, "engine", None)
    if engine is None:
        return True  # not a SQL store: nothing to check
    problem = database_problem(engine, "events")  # Rasa's table of conversation events
    if problem is not None:
        logger.error("readiness: the tracker store does not answer: %s", problem)
    return problem is None


def _json_error(status: int, message: str) -> response.HTTPResponse:
    return response.json({"error": message}, status=status)


class ShopRestInput(RestInput):
    """POST /webhooks/rest/webhook {"sender": "...", "message": "...", "metadata": {...}}."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        webhook = Blueprint("shop_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> response.HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/ready", methods=["GET"])
        async def ready(request: Request) -> response.HTTPResponse:
            """The model is loaded and the tracker store's database answers (a balancer's readiness check;
            Rasa's own `/` only says the process is up)."""
            agent = getattr(request.app.ctx, "agent", None)
            if agent is None or not agent.is_ready():
                return response.json({"status": "not ready", "problem": "no model loaded"}, status=503)
            if not await asyncio.get_running_loop().run_in_executor(None, _tracker_store_answers, agent):
                return response.json({"status": "not ready", "problem": "the tracker store does not answer"},
                                     status=503)
            return response.json({"status": "ready"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> response.HTTPResponse:
            # JSON only: a foreign page can send a text/plain form without asking, but not JSON.
            if (request.content_type or "").split(";")[0].strip().lower() != "application/json":
                return _json_error(415, "send JSON with Content-Type: application/json")
            try:
                body = json.loads(request.body or b"")
            except (ValueError, RecursionError):
                return _json_error(400, "the body must be a JSON object")
            if not isinstance(body, dict):
                return _json_error(400, "the body must be a JSON object")
            sender_id, text = body.get("sender"), body.get("message", "")
            if not isinstance(sender_id, str) or not SENDER_ID.fullmatch(sender_id):
                return _json_error(400, "sender must be 1 to 128 letters, digits or _.:@+-")
            collector = CollectingOutputChannel()
            await admit(on_new_message, text=text, sender_id=sender_id, metadata=body.get("metadata"),
                        client=client_address(request), output_channel=collector, input_channel=self.name())
            return response.json(collector.messages)

        return webhook


def client_address(request: Request) -> str:
    # remote_addr honours Sanic's proxy settings (SANIC_REAL_IP_HEADER, from CLIENT_IP_HEADER) behind a
    # balancer; without them it is empty and the peer address is used, so a client cannot choose it.
    return address_key(request.remote_addr or request.ip or "unknown")


def shop_origins():
    from bot.settings import get_settings

    return get_settings().shop_origins


class ShopSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel (same events, rooms and session persistence) with the shop's rules."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        # python-engineio reads an empty list as "no origin check at all": name the shop's origins, so that
        # no other site's page can hold a chat (and the per-client limits) through its visitors' browsers.
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=list(shop_origins()) or None,
                          max_http_buffer_size=MAX_SOCKET_PACKET_BYTES)
        webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio
        clients: Dict[str, str] = {}

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> response.HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            request = environ.get("sanic.request")
            clients[sid] = client_address(request) if request is not None else "unknown"
            return True

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: Text) -> None:
            clients.pop(sid, None)

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            session_id = data.get("session_id") if isinstance(data, dict) else None
            # Only widget ids (128 random bits): a socket cannot join a REST conversation ("me") by naming it.
            if not isinstance(session_id, str) or not is_widget_session(session_id):
                session_id = new_widget_session()
            if self.session_persistence:
                sio.enter_room(sid, session_id)
            await sio.emit("session_confirm", session_id, room=sid)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any) -> None:
            if not isinstance(data, dict):
                return
            if self.session_persistence:
                sender_id = data.get("session_id")
                if not isinstance(sender_id, str) or not is_widget_session(sender_id):
                    logger.warning("a socket.io message without a valid session_id was ignored")
                    return
            else:
                sender_id = sid
            metadata = data.get(self.metadata_key)
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except (ValueError, RecursionError):
                    metadata = {}
            await admit(on_new_message, text=data.get("message", ""), sender_id=sender_id, metadata=metadata,
                        client=clients.get(sid, "unknown"), output_channel=SocketIOOutput(sio, self.bot_message_evt),
                        input_channel=self.name())

        return webhook

