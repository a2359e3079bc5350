"""The shop's input channels: Rasa's REST and socket.io channels, with the rules of bot/chat/limits.py
applied to every shopper message before Rasa reads it.

- Text is cleaned (invalid Unicode, control characters) and capped; a refusal is a clear reply.
- A typed "/intent{...}" is read as words unless the assistant offered that payload as a button in the
  conversation, so `/restart` or an injected entity cannot reset the conversation or its slots.
- A client (network address) sending more than 30 messages in 10 seconds is asked to slow down. Polls
  (empty REST messages, answered 429 when over the limit) and empty socket.io messages count too.
- The network address the channel saw is written into the metadata (`client`), overwriting what the
  client sent: the verification and handoff limits count per address across conversations.
- When Rasa fails to take a message in (the tracker store cannot be written, say), the shopper is told
  and the failure logged, instead of silence.
- Page context and identity come in `metadata`, or from rasa-webchat 1.x in `customData` (its names
  normalised to ours, bot/chat/limits.client_metadata). null and "" are empty text: on socket.io nothing to
  answer (acknowledged, not passed to Rasa), on REST a poll (below).
- A message whose `message_id` the conversation already holds is not processed again (a client resending
  after a lost connection); the socket.io acknowledgement still answers, so the client stops resending.
- A message written while the shopper waits for a person is acknowledged ("passed on", once per waiting
  period; bot/chat/acknowledgement.py): Rasa runs no actions while the conversation is paused.
- REST has no push: the desk's messages (agent, agent joined, hand-back) added since the client's previous
  call come first in the next response, and an empty message only collects them (polling). What was
  handed over is read from, and marked in, the tracker store, so any Rasa server can answer the next call.
  They are handed over only to the address that wrote the conversation's latest shopper message (its
  `client`): REST conversation ids are the client's to choose, and anyone may guess one.

Referenced from credentials.yml by module path; the names stay "rest" and "socketio", so URLs, the
widget and the desk's `output_channel=socketio` are unchanged.
"""
import asyncio
import json
import logging
import re
import time
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set, Text, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from rasa.shared.core.events import BotUttered, SlotSet
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from socketio import AsyncServer

from bot.chat.acknowledgement import acknowledgement, waiting_events
from bot.chat.events import as_custom, undelivered
from bot.chat.limits import (CLIENT_METADATA_KEY, MAX_MESSAGE_CHARS, MESSAGE_ID_KEY, MESSAGE_WINDOW_SECONDS, MESSAGES_PER_CLIENT,
                             NOT_TEXT_REPLY, TOO_FAST_REPLY, TOO_LONG_REPLY, RateLimit, address_key, as_text,
                             clean_text, client_metadata, is_too_long, offered_payloads, trusted_metadata)
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


# What admit() did with a message (also the socket.io acknowledgement's "status").
TAKEN, DUPLICATE, REFUSED = "taken", "duplicate", "refused"
# Set in the tracker when a REST call handed the desk's messages over without a message of its own (a poll).
REST_DELIVERED_SLOT = "rest_delivered"
# (conversation, message_id) being processed by this server: a resend arriving before the first copy is
# stored is a duplicate too. The stored conversation is the check that holds across servers.
IN_FLIGHT: Set[Tuple[str, str]] = set()


def _agent():
    return Sanic.get_app().ctx.agent


async def _stored_events(sender_id: Text) -> List[Dict[str, Any]]:
    """The conversation's current session as event dicts, oldest first (empty when new or unreadable).
    Read as stored when the tracker store can (bot/tracker_store.py): rebuilding a tracker replays every
    event, and this runs on every message."""
    store = _agent().tracker_store
    store = getattr(store, "_tracker_store", store)  # inside Rasa's fail-safe wrapper
    try:
        if hasattr(store, "event_dicts"):
            return store.event_dicts(sender_id)
        tracker = await store.retrieve(sender_id)
    except Exception:
        logger.exception("could not read conversation %s before a message; going on without it", sender_id)
        return []
    return [event.as_dict() for event in tracker.events] if tracker is not None else []


def _holds_message(events: List[Dict[str, Any]], key: str) -> bool:
    return any(event.get("event") == "user" and (event.get("metadata") or {}).get(MESSAGE_ID_KEY) == key
               for event in events)


async def _append(sender_id: Text, decide: Callable[[List[Dict[str, Any]]], Tuple[Any, Any]]) -> Any:
    """Under the conversation's lock: read it, let `decide(events)` return (result, event to store or
    None), store the event. The result, or None when the conversation could not be read or written."""
    agent = _agent()
    try:
        async with agent.lock_store.lock(sender_id):
            tracker = await agent.tracker_store.retrieve(sender_id)
            if tracker is None:
                return None
            result, event = decide([e.as_dict() for e in tracker.events])
            if event is not None:
                tracker.update(event)
                await agent.tracker_store.save(tracker)
            return result
    except Exception:
        logger.exception("conversation %s could not be read or written after a message", sender_id)
        return None


async def _acknowledge(sender_id: Text, text: str, key: Optional[str], output_channel: OutputChannel) -> None:
    """Store and send the "passed on" acknowledgement when the shopper is waiting for a person."""
    def decide(events):
        message = acknowledgement(events, text=text, message_id=key)
        return message, (BotUttered(data={"custom": as_custom(message)}) if message is not None else None)

    message = await _append(sender_id, decide)
    if message is not None:
        await output_channel.send_custom_json(sender_id, as_custom(message))


def within_rate(client: str, sender_id: Text) -> bool:
    """Count one message (polls and empty messages included: each reads the conversation) for `client`."""
    if CLIENT_MESSAGES.allow(client):
        return True
    logger.warning("a client is sending more than %d messages in %.0f s; refused one for %s",
                   MESSAGES_PER_CLIENT, MESSAGE_WINDOW_SECONDS, sender_id)
    return False


async def admit(on_new_message: OnNewMessage, *, text: Any, sender_id: Text, metadata: Any, client: str,
                output_channel: OutputChannel, input_channel: Text) -> str:
    """Apply the shop's rules to one message, then hand it to Rasa (or tell the shopper why not).
    Returns TAKEN, DUPLICATE or REFUSED."""
    if not within_rate(client, sender_id):
        await output_channel.send_text_message(sender_id, TOO_FAST_REPLY)
        return REFUSED
    cleaned = clean_text(text)
    if cleaned is None:
        await output_channel.send_text_message(sender_id, NOT_TEXT_REPLY)
        return REFUSED
    if is_too_long(cleaned):
        logger.info("refused a message of %d characters from %s", len(cleaned), sender_id)
        await output_channel.send_text_message(sender_id, TOO_LONG_REPLY)
        return REFUSED
    trusted = trusted_metadata(metadata, client=client)
    key = trusted.get(MESSAGE_ID_KEY)
    before = await _stored_events(sender_id)
    if key is not None and ((sender_id, key) in IN_FLIGHT or _holds_message(before, key)):
        logger.info("conversation %s: message %s was taken in before; not processed again", sender_id, key)
        return DUPLICATE
    if cleaned.strip().startswith("/"):
        words = as_text(cleaned, offered_payloads(before))
        if words != cleaned:
            trusted = trusted_metadata(metadata, client=client, typed_text=cleaned)
            cleaned = words
    message = UserMessage(cleaned, output_channel, sender_id, input_channel=input_channel, metadata=trusted)
    if key is not None:
        IN_FLIGHT.add((sender_id, key))
    try:
        await on_new_message(message)
    except Exception:
        logger.exception("conversation %s: the message could not be processed or saved", sender_id)
        await output_channel.send_text_message(sender_id, FAULT_REPLY)
        return REFUSED
    finally:
        IN_FLIGHT.discard((sender_id, key))
    if waiting_events(before) is not None:  # paused for a person before this message: Rasa stayed silent
        await _acknowledge(sender_id, cleaned, key, output_channel)
    return TAKEN


class ShopCollectingOutputChannel(CollectingOutputChannel):
    """The REST response's messages. A custom payload {"data": X} (the shape Rasa's socket.io channel
    emits as X) is returned as X, so REST clients get the same messages as socket.io clients."""

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        inner = json_message.get("data") if isinstance(json_message, dict) and len(json_message) == 1 else None
        if isinstance(inner, dict):
            await self._persist_message({"recipient_id": recipient_id, **inner})
        else:
            await super().send_custom_json(recipient_id, json_message, **kwargs)


def _is_delivery_mark(event: Dict[str, Any]) -> bool:
    return event.get("event") == "slot" and event.get("name") == REST_DELIVERED_SLOT


def _shopper_client(events: List[Dict[str, Any]], until: Optional[int] = None) -> Optional[str]:
    """The address that wrote the latest shopper message among `events[:until]` (written by the channel)."""
    window = events[:until] if until is not None else events
    for event in reversed(window):
        if event.get("event") == "user":
            return (event.get("metadata") or {}).get(CLIENT_METADATA_KEY)
    return None


async def _hand_over_pending(sender_id: Text, client: str) -> List[Dict[str, Any]]:
    """The desk's messages since the client's previous call, marked as handed over (a poll); nothing, and
    nothing marked, for an address other than the one that wrote the conversation's latest message."""
    def decide(events):
        if _shopper_client(events) != client:
            return [], None
        pending = undelivered(events, is_mark=_is_delivery_mark)
        return pending, (SlotSet(REST_DELIVERED_SLOT, time.time()) if pending else None)

    return await _append(sender_id, decide) or []


async def _pending_before_message(sender_id: Text, client: str) -> List[Dict[str, Any]]:
    """The desk's messages stored between the client's previous call and the message just taken in:
    the shopper's message is itself the mark, so nothing is written. Only when the same address wrote the
    message before: the team's replies were meant for whoever wrote that one."""
    events = await _stored_events(sender_id)
    last_user = max((i for i, event in enumerate(events) if event.get("event") == "user"), default=None)
    if last_user is None or _shopper_client(events, until=last_user + 1) != client \
            or _shopper_client(events, until=last_user) != client:
        return []
    return undelivered(events, is_mark=_is_delivery_mark, until=last_user)


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
            sender_id, text = body.get("sender"), body.get("message")
            if not isinstance(sender_id, str) or not SENDER_ID.fullmatch(sender_id):
                return _json_error(400, "sender must be 1 to 128 letters, digits or _.:@+-")
            client = client_address(request)
            if text is None or (isinstance(text, str) and not text.strip()):
                # Nothing to say: a poll for the desk's messages; Rasa does not see it.
                if not within_rate(client, sender_id):
                    return _json_error(429, TOO_FAST_REPLY)
                return response.json(_with_recipient(sender_id, await _hand_over_pending(sender_id, client)))
            collector = ShopCollectingOutputChannel()
            outcome = await admit(on_new_message, text=text, sender_id=sender_id,
                                  metadata=client_metadata(body.get("metadata"), body.get("customData")),
                                  client=client, output_channel=collector, input_channel=self.name())
            if outcome == TAKEN:
                pending = await _pending_before_message(sender_id, client)
            else:
                pending = await _hand_over_pending(sender_id, client)
            return response.json(_with_recipient(sender_id, pending) + collector.messages)

        return webhook


def _with_recipient(sender_id: Text, messages: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [{"recipient_id": sender_id, **message} for message in messages]


def client_address(request: Request) -> str:
    # remote_addr honours Sanic's proxy settings (SANIC_REAL_IP_HEADER, from CLIENT_IP_HEADER) behind a
    # balancer; without them it is empty and the peer address is used, so a client cannot choose it.
    return address_key(request.remote_addr or request.ip or "unknown")


def shop_origins():
    from bot.settings import get_settings

    return get_settings().shop_origins


def _json_object(value: Any) -> Any:
    """rasa-webchat may send its metadata as a JSON string."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return None
    return value


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
        async def handle_message(sid: Text, data: Any) -> Optional[Dict[str, Any]]:
            if not isinstance(data, dict):
                return None
            if self.session_persistence:
                sender_id = data.get("session_id")
                if not isinstance(sender_id, str) or not is_widget_session(sender_id):
                    logger.warning("a socket.io message without a valid session_id was ignored")
                    return None
            else:
                sender_id = sid
            metadata = client_metadata(_json_object(data.get(self.metadata_key)), _json_object(data.get("customData")))
            text, client = data.get("message"), clients.get(sid, "unknown")
            if text is None or (isinstance(text, str) and not text.strip()):
                # Nothing to answer (rasa-webchat's `initPayload: null` sends one when the chat opens): an
                # answer would be the assistant saying it did not understand, unprompted. Still counted.
                status = "empty" if within_rate(client, sender_id) else REFUSED
                return {"status": status, MESSAGE_ID_KEY: metadata.get(MESSAGE_ID_KEY)}
            outcome = await admit(on_new_message, text=text, sender_id=sender_id, metadata=metadata,
                                  client=client,
                                  output_channel=SocketIOOutput(sio, self.bot_message_evt), input_channel=self.name())
            # The socket.io acknowledgement (when the client asks for one): the message is stored, or was
            # before, so the client can stop resending it.
            return {"status": outcome, MESSAGE_ID_KEY: metadata.get(MESSAGE_ID_KEY)}

        return webhook

