"""The widget's routes on the desk, keyed by its 128-bit session id (web-<32 hex>): the conversation
read back (status, history), photos the shopper sends, the offline form, and after the conversation the
rating (CSAT) and the transcript by email (bot/desk/aftercare.py). None needs a desk login
(roles=EVERYONE); the session id is the shopper's key. bot/desk/shop.py serves them with its routes.

Reads may come from any page (they carry no cookies and answer with "*"); writes only from the shop's
origins (SHOP_ORIGINS) or the desk's own pages, including the preflight a cross-origin fetch with an
image or JSON body sends first."""
import asyncio
import logging
from datetime import datetime, timezone
from typing import Dict, Optional, Tuple
from weakref import WeakKeyDictionary

from aiohttp import web
from sqlalchemy.exc import IntegrityError

from bot.chat.events import transcript
from bot.chat.limits import RateLimit
from bot.chat.session_ids import is_widget_session
from bot.chat.sessions import handoff_status, seen_until, shopper_view
from bot.desk import aftercare, attachments, offline_messages
from bot.desk.blocking import in_session, in_thread
from bot.desk.context import ENGINE, KNOWLEDGE, RASA, client_address, now
from bot.desk.hygiene import BadRequest, json_object
from bot.desk.rasa_client import RasaUnavailable
from bot.desk.routing import EVERYONE, Routes
from bot.images import MAX_BYTES, ONLY_PHOTOS, TOO_LARGE, RefusedImage
from bot.mail import MailUnavailable
from bot.settings import get_settings

logger = logging.getLogger(__name__)
READ_CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET", "Cache-Control": "no-store"}
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic", "image/heif")
UNKNOWN_SESSION = "unknown chat session"
WRONG_ORIGIN = "This page may not send to the chat."
NO_PHOTO = "Please choose a photo to send."
TOO_SLOW = "The photo took too long to arrive. Please try again."
MB = 1024 * 1024

# /history makes Rasa send the whole conversation: a few calls a minute are all a widget needs.
HISTORY_PER_MINUTE = 30
# Ratings and transcript requests per address (attempts, refused ones included); aftercare.py limits the
# mails themselves per conversation, recipient and day.
CSAT_PER_MINUTE = 20
TRANSCRIPT_REQUESTS_PER_HOUR = 5

routes = Routes()
# One limit per application (each test's desk starts afresh), made on first use.
_history_limits: "WeakKeyDictionary[web.Application, RateLimit]" = WeakKeyDictionary()


def _history_limit(app: web.Application) -> RateLimit:
    if app not in _history_limits:
        _history_limits[app] = RateLimit(limit=HISTORY_PER_MINUTE, window=60.0)
    return _history_limits[app]


_aftercare_limits: "WeakKeyDictionary[web.Application, Dict[str, RateLimit]]" = WeakKeyDictionary()


def _aftercare_limit(app: web.Application, name: str) -> RateLimit:
    limits = _aftercare_limits.setdefault(app, {"csat": RateLimit(limit=CSAT_PER_MINUTE, window=60.0),
                                                "transcript": RateLimit(limit=TRANSCRIPT_REQUESTS_PER_HOUR,
                                                                        window=3600.0)})
    return limits[name]


def _session_id(request: web.Request) -> Optional[str]:
    conversation_id = request.match_info["session_id"]
    return conversation_id if is_widget_session(conversation_id) else None


def _origin_allowed(request: web.Request) -> bool:
    """No Origin: not a browser's cross-site call. Else one of the shop's origins, or the desk's own
    (the demo storefront's pages are served by the desk)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    if origin.rstrip("/").lower() in get_settings().shop_origins:
        return True
    return origin.split("://", 1)[-1].rstrip("/").lower() == request.host.lower()


def _write_cors(request: web.Request) -> Dict[str, str]:
    headers = {"Vary": "Origin", "Cache-Control": "no-store"}
    origin = request.headers.get("Origin")
    if origin is not None and _origin_allowed(request):
        headers["Access-Control-Allow-Origin"] = origin
    return headers


def _read_error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=READ_CORS)


def _write_error(request: web.Request, status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=_write_cors(request))


def _epoch(moment: datetime) -> float:
    """The desk's clock gives naive UTC."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


def support_now(knowledge, moment: datetime) -> dict:
    hours = knowledge.kb.store.support.schedule.hours()
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    open_now = hours.is_open(aware)
    return {"open": open_now, "next_opening": None if open_now else hours.describe_next_opening(aware)}


def attachment_url(conversation_id: str, attachment_id: str) -> str:
    return f"/chat/{conversation_id}/attachments/{attachment_id}"


@routes.get("/chat/{session_id}/status", roles=EVERYONE)
async def chat_status(request: web.Request):
    conversation_id = _session_id(request)
    if conversation_id is None:
        return _read_error(404, UNKNOWN_SESSION)

    moment = now(request)

    def read(session):
        return (handoff_status(session, conversation_id), seen_until(session, conversation_id),
                aftercare.csat_request(session, conversation_id=conversation_id, now=moment))

    state, seen, csat = await in_session(request.app[ENGINE], read)
    return web.json_response({"handoff": state, "seen_until": seen, "csat": csat,
                              "support": support_now(request.app[KNOWLEDGE], moment), "now": _epoch(moment)},
                             headers=READ_CORS)


@routes.get("/chat/{session_id}/history", roles=EVERYONE)
async def chat_history(request: web.Request):
    conversation_id = _session_id(request)
    if conversation_id is None:
        return _read_error(404, UNKNOWN_SESSION)
    if not _history_limit(request.app).allow(client_address(request)):
        return _read_error(429, "Too many requests for the conversation; please wait a minute.")
    try:
        tracker = await in_thread(request.app[RASA].tracker, conversation_id)
    except RasaUnavailable:
        return _read_error(503, "the assistant is not answering right now")

    def read(session):
        owned = [a["id"] for a in attachments.of_conversation(session, conversation_id)]
        return handoff_status(session, conversation_id), owned

    state, owned = await in_session(request.app[ENGINE], read)
    messages = attachments.own_ids(shopper_view(transcript(tracker)), owned)
    for message in messages:
        if "attachments" in message:
            message["attachments"] = [{"id": i, "url": attachment_url(conversation_id, i)}
                                      for i in message["attachments"]]
    return web.json_response({"messages": messages, "handoff": state}, headers=READ_CORS)


async def preflight(request: web.Request):
    """The browser's question before a cross-origin POST with an image or JSON body."""
    if _session_id(request) is None:
        return _write_error(request, 404, UNKNOWN_SESSION)
    if request.headers.get("Origin") is None or not _origin_allowed(request):
        return _write_error(request, 403, WRONG_ORIGIN)
    return web.Response(status=204, headers={**_write_cors(request), "Access-Control-Allow-Methods": "POST",
                                             "Access-Control-Allow-Headers": "Content-Type",
                                             "Access-Control-Max-Age": "600"})


routes.route("OPTIONS", "/chat/{session_id}/attachments", roles=EVERYONE)(preflight)
routes.route("OPTIONS", "/chat/{session_id}/offline-message", roles=EVERYONE)(preflight)
routes.route("OPTIONS", "/chat/{session_id}/csat", roles=EVERYONE)(preflight)
routes.route("OPTIONS", "/chat/{session_id}/transcript", roles=EVERYONE)(preflight)


async def _read_photo(request: web.Request) -> Optional[bytes]:
    """The body, or None once it passes MAX_BYTES (the rest is never read)."""
    chunks, total = [], 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        total += len(chunk)
        if total > MAX_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _writer(request: web.Request) -> Tuple[Optional[str], Optional[web.Response]]:
    """(conversation id, None) for a write from a widget session on an allowed page, else (None, refusal)."""
    conversation_id = _session_id(request)
    if conversation_id is None:
        return None, _write_error(request, 404, UNKNOWN_SESSION)
    if not _origin_allowed(request):
        return None, _write_error(request, 403, WRONG_ORIGIN)
    return conversation_id, None


async def upload_attachment(request: web.Request):
    conversation_id, refusal = _writer(request)
    if refusal is not None:
        return refusal
    if request.content_length is not None and request.content_length > MAX_BYTES:
        return _write_error(request, 413, TOO_LARGE)
    if request.content_type not in IMAGE_TYPES:
        return _write_error(request, 415, ONLY_PHOTOS)
    settings, folder = get_settings(), attachments.folder_of(request.app)
    if not await in_thread(attachments.has_room, folder, settings.photo_min_free_mb * MB):
        logger.warning("photos refused: less than %s MB free for %s", settings.photo_min_free_mb, folder)
        return _write_error(request, 503, attachments.NO_ROOM)
    client = client_address(request)
    if not attachments.UPLOADING.enter(client):
        return _write_error(request, 429, attachments.TOO_MANY_AT_ONCE)
    try:
        return await _take_photo(request, conversation_id, client, folder)
    finally:
        attachments.UPLOADING.leave(client)


async def _take_photo(request: web.Request, conversation_id: str, client: str, folder) -> web.Response:
    """The upload once its slot is claimed: every way out but a stored photo marks the slot refused (it
    still counts for the address)."""
    engine, moment, settings = request.app[ENGINE], now(request), get_settings()
    upload_id, refused = await attachments.claim_slot(engine, conversation_id=conversation_id, client=client,
                                                      now=moment, bytes_per_client=settings.photo_mb_per_client * MB)
    if upload_id is None:
        return _write_error(request, 429, refused)
    stored = False
    try:
        try:
            async with asyncio.timeout(settings.photo_upload_seconds):
                data = await _read_photo(request)
        except TimeoutError:
            return _write_error(request, 408, TOO_SLOW)
        if data is None:
            return _write_error(request, 413, TOO_LARGE)
        if not data:
            return _write_error(request, 400, NO_PHOTO)
        try:
            photo = await attachments.decode(data)
        except attachments.QueueFull:
            return _write_error(request, 503, attachments.BUSY)
        except RefusedImage as refusal:
            return _write_error(request, 415 if str(refusal) == ONLY_PHOTOS else 413, str(refusal))
        del data  # the body is not needed any more while the file is written
        attachment_id = attachments.new_id()
        await in_thread(attachments.write_file, folder, attachment_id, photo.data)
        try:
            await in_session(engine, attachments.record, attachment_id=attachment_id, conversation_id=conversation_id,
                             photo=photo, client=client, now=moment, upload_id=upload_id)
        except Exception:
            await in_thread((folder / attachment_id).unlink, missing_ok=True)
            raise
        stored = True
    finally:
        if not stored:
            await asyncio.shield(in_session(engine, attachments.refuse, upload_id))
    return web.json_response({"id": attachment_id, "url": attachment_url(conversation_id, attachment_id),
                              "width": photo.width, "height": photo.height, "content_type": photo.content_type},
                             status=201, headers=_write_cors(request))


routes.add("POST", "/chat/{session_id}/attachments", upload_attachment, roles=EVERYONE, body="image")


@routes.get("/chat/{session_id}/attachments/{attachment_id}", roles=EVERYONE)
async def chat_attachment(request: web.Request):
    conversation_id = _session_id(request)
    if conversation_id is None:
        return _read_error(404, UNKNOWN_SESSION)
    attachment = await in_session(request.app[ENGINE], attachments.find, request.match_info["attachment_id"],
                                  conversation_id=conversation_id)
    return await attachments.photo_response(request.app, attachment)


@routes.post("/chat/{session_id}/offline-message", roles=EVERYONE)
async def offline_message(request: web.Request):
    conversation_id, refusal = _writer(request)
    if refusal is not None:
        return refusal
    try:
        form = offline_messages.read_form(json_object(request))
    except BadRequest:
        return _write_error(request, 400, "Please send the form as a JSON object.")
    except offline_messages.Refused as refusal:
        return _write_error(request, refusal.status, str(refusal))
    store = request.app[KNOWLEDGE].kb.store
    try:
        ticket_id = await in_session(request.app[ENGINE], offline_messages.leave_message,
                                     conversation_id=conversation_id, form=form, client=client_address(request),
                                     now=now(request), team_email=store.support.email)
    except offline_messages.Refused as refusal:
        return _write_error(request, refusal.status, str(refusal))
    sent = await _confirm(request, form, ticket_id, store)
    return web.json_response({"ok": True, "ticket": ticket_id, "confirmation_sent": sent}, status=201,
                             headers=_write_cors(request))


async def _confirm(request: web.Request, form, ticket_id: int, store) -> bool:
    """The confirmation mail, if the ticket and the address have not had theirs; the message stands
    whether or not it could be sent."""
    mailer = offline_messages.mailer_of(request.app)
    if mailer is None:
        return False
    try:
        allowed = await in_session(request.app[ENGINE], offline_messages.may_confirm, ticket_id=ticket_id,
                                   email=form.email, now=now(request))
    except IntegrityError:  # a parallel message to the same ticket recorded its confirmation first
        allowed = False
    if not allowed:
        return False
    message = offline_messages.confirmation(form=form, ticket_id=ticket_id, sender=get_settings().mail_from,
                                            store=store.name, hours=store.support.hours)
    try:
        await in_thread(mailer.send, message)
    except MailUnavailable:
        logger.warning("could not mail the confirmation of ticket %s", ticket_id)
        return False
    return True


@routes.post("/chat/{session_id}/csat", roles=EVERYONE)
async def chat_csat(request: web.Request):
    """The shopper's rating of the ticket an agent resolved (or its skip), once per ticket."""
    conversation_id, refusal = _writer(request)
    if refusal is not None:
        return refusal
    if not _aftercare_limit(request.app, "csat").allow(client_address(request)):
        return _write_error(request, 429, "Too many requests; please wait a minute.")
    try:
        answer = aftercare.read_csat(json_object(request))
        await in_session(request.app[ENGINE], aftercare.record_csat, conversation_id=conversation_id, answer=answer,
                         now=now(request))
    except BadRequest:
        return _write_error(request, 400, "Please send the rating as a JSON object.")
    except aftercare.Refused as refusal:
        return _write_error(request, refusal.status, str(refusal))
    return web.json_response({"ok": True}, headers=_write_cors(request))


@routes.post("/chat/{session_id}/transcript", roles=EVERYONE)
async def chat_transcript(request: web.Request):
    """This session's conversation (and no other) mailed to the address the shopper gives, within limits."""
    conversation_id, refusal = _writer(request)
    if refusal is not None:
        return refusal
    if not _aftercare_limit(request.app, "transcript").allow(client_address(request)):
        return _write_error(request, 429, aftercare.TOO_MANY_TRANSCRIPTS)
    try:
        data = json_object(request)
        email = aftercare.read_address(data.get("email"))
    except BadRequest:
        return _write_error(request, 400, "Please send the address as a JSON object.")
    except aftercare.Refused as refusal:
        return _write_error(request, refusal.status, str(refusal))
    mailer = offline_messages.mailer_of(request.app)
    if mailer is None:
        return _write_error(request, 503, aftercare.TRANSCRIPTS_CLOSED)
    try:
        tracker = await in_thread(request.app[RASA].tracker, conversation_id)
    except RasaUnavailable:
        return _write_error(request, 503, "The conversation can't be read right now; please try again later.")
    left = await in_session(request.app[ENGINE], aftercare.offline_lines, conversation_id=conversation_id)
    lines = aftercare.with_offline_lines(shopper_view(transcript(tracker)), left)
    if not aftercare.has_shopper_lines(lines):
        return _write_error(request, 409, aftercare.NOTHING_TO_SEND)
    engine, settings, store = request.app[ENGINE], get_settings(), request.app[KNOWLEDGE].kb.store
    try:
        mail_id = await in_thread(aftercare.claim_mail_committed, engine, kind="transcript",
                                  conversation_id=conversation_id, email=email, now=now(request))
    except aftercare.Refused as refusal:
        if refusal.status == 429 and str(refusal) == aftercare.TRANSCRIPTS_CLOSED:
            logger.warning("transcripts by email closed for today: %s sent", aftercare.TRANSCRIPTS_PER_DAY)
        return _write_error(request, refusal.status, str(refusal))
    message = aftercare.transcript_mail(to=email, lines=lines, language=data.get("language"), sender=settings.mail_from,
                                        store=store.name, support_email=store.support.email,
                                        time_zone=store.support.schedule.timezone)
    try:
        await in_thread(mailer.send, message)
    except MailUnavailable:
        logger.warning("could not mail the transcript of a conversation")
        await in_session(engine, aftercare.release_mail, mail_id)
        return _write_error(request, 503, "The email couldn't be sent right now; please try again later.")
    return web.json_response({"ok": True}, status=201, headers=_write_cors(request))
