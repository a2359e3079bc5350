"""The desk web service: agent console pages and the JSON API under /api that they use; the shop's
pages (bot/desk/shop.py) and the trainer workbench (bot/desk/workbench.py) add their routes."""
import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Callable, Optional

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.db import session_scope
from bot.db.models import Role, Ticket, TicketNote, TicketStatus
from bot.desk.accounts import log_in, log_out, user_for_token
from bot.chat.events import transcript
from bot.desk.blocking import in_thread
from bot.desk.rasa_client import RasaClient, RasaUnavailable
from bot.desk.shop import PUBLIC_SHOP_PATHS, add_shop_routes
from bot.desk.storefront import Storefront
from bot.desk.workbench import add_workbench_routes
from bot.trainer.paths import TrainingPaths
from bot.handoff.queue import claim, resolve, waiting_tickets
from bot.knowledge import Knowledge
from bot.orders.lookup import find_order_view
from bot.orders.masking import mask_email

logger = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
COOKIE = "desk_session"
MAX_MESSAGE = 2000
# Waiting longer than this is highlighted in the queue (seconds).
LONG_WAIT = 15 * 60
HANDBACK_TEXT = "You're back with the assistant. Is there anything else I can help with?"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
PUBLIC_PATHS = ("/login", "/api/login", "/static/", "/health") + PUBLIC_SHOP_PATHS


def is_public(path: str) -> bool:
    return path == "/" or path.startswith(PUBLIC_PATHS)


def _utcnow() -> datetime:
    return datetime.utcnow()


def ticket_json(ticket: Ticket, now: datetime) -> dict:
    waited = int(((ticket.assigned_at or now) - ticket.created_at).total_seconds())
    return {
        "id": ticket.id, "conversation_id": ticket.conversation_id, "reason": ticket.reason,
        "peak_anger": ticket.peak_anger, "priority": ticket.priority, "status": ticket.status.value,
        "created_at": ticket.created_at.isoformat() + "Z", "waiting_seconds": waited,
        "long_wait": ticket.status == TicketStatus.waiting and waited > LONG_WAIT,
        "assigned_agent": ticket.assigned_agent.name if ticket.assigned_agent else None,
        "assigned_agent_id": ticket.assigned_agent_id,
        "handle_seconds": ticket.handle_seconds, "summary": json.loads(ticket.summary or "{}"),
    }


def verified_order_details(session, slots: dict) -> Optional[dict]:
    """The order the shopper proved is theirs in the chat, for the agent; None if none was verified."""
    number = slots.get("verified_order")
    if not number or not slots.get("order_verified"):
        return None
    order = find_order_view(session, number=number)
    if order is None:
        return None
    return {
        "number": order.number, "status": order.status.value, "email": mask_email(order.email),
        "items": [f"{line.quantity} x {line.name} ({line.size})" for line in order.lines],
        "carrier": order.carrier, "tracking_number": order.tracking_number,
        "estimated_delivery": order.estimated_delivery.isoformat() if order.estimated_delivery else None,
        "latest_event": order.latest_event.description if order.latest_event else None,
    }


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _body(request: web.Request) -> dict:
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise web.HTTPBadRequest(text=json.dumps({"error": "the body must be JSON"}), content_type="application/json")
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text=json.dumps({"error": "the body must be a JSON object"}),
                                 content_type="application/json")
    return data


def create_app(*, engine: Engine, rasa: RasaClient, knowledge: Knowledge,
               now: Callable[[], datetime] = _utcnow, secure_cookies: bool = False,
               storefront: Optional[Storefront] = None, training: Optional[TrainingPaths] = None) -> web.Application:
    if storefront is None:
        storefront = Storefront(knowledge.kb, rasa_public_url="http://127.0.0.1:5005", identity_secret="",
                                demo_sign_in=False)

    @web.middleware
    async def security(request: web.Request, handler):
        if not is_public(request.path):
            with session_scope(engine) as session:
                user = user_for_token(session, request.cookies.get(COOKIE), now())
                if user is not None:
                    request["user"] = {"id": user.id, "name": user.name, "email": user.email, "role": user.role}
            if "user" not in request:
                if request.path.startswith("/api/"):
                    return _error(401, "log in first")
                raise web.HTTPFound("/login")
            # The session cookie is SameSite=Strict; a custom header on writes also stops cross-site forms.
            if request.method != "GET" and request.headers.get("X-Requested-With") != "desk":
                return _error(403, "missing X-Requested-With: desk header")
        response = await handler(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    def agent_only(request: web.Request) -> Optional[web.Response]:
        if request["user"]["role"] not in (Role.agent, Role.admin):
            return _error(403, "agents only")
        return None

    async def health(request):
        return web.json_response({"status": "ok"})

    async def login_page(request):
        return web.FileResponse(STATIC / "login.html")

    async def console_page(request):
        return web.FileResponse(STATIC / "console.html")

    async def api_login(request):
        data = await _body(request)
        with session_scope(engine) as session:
            result = log_in(session, email=str(data.get("email", "")), password=str(data.get("password", "")),
                            now=now())
            if result is None:
                return _error(401, "wrong email or password")
            token, user = result
            body = {"id": user.id, "name": user.name, "email": user.email, "role": user.role.value}
        response = web.json_response(body)
        response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", secure=secure_cookies,
                            max_age=12 * 3600, path="/")
        return response

    async def api_logout(request):
        with session_scope(engine) as session:
            log_out(session, request.cookies.get(COOKIE))
        response = web.json_response({"ok": True})
        response.del_cookie(COOKIE, path="/")
        return response

    async def api_me(request):
        user = request["user"]
        return web.json_response({**user, "role": user["role"].value})

    async def api_tickets(request):
        status = request.query.get("status", "waiting")
        with session_scope(engine) as session:
            if status == "waiting":
                tickets = waiting_tickets(session)
            elif status in ("assigned", "resolved", "abandoned"):
                tickets = list(session.execute(select(Ticket).where(Ticket.status == TicketStatus(status))
                                               .order_by(Ticket.created_at.desc()).limit(200)).scalars())
            elif status == "mine":
                tickets = list(session.execute(select(Ticket).where(
                    Ticket.assigned_agent_id == request["user"]["id"], Ticket.status == TicketStatus.assigned)
                    .order_by(Ticket.assigned_at)).scalars())
            else:
                return _error(400, "status must be waiting, mine, assigned, resolved or abandoned")
            moment = now()
            return web.json_response({"tickets": [ticket_json(t, moment) for t in tickets]})

    def _ticket(session, request) -> Optional[Ticket]:
        try:
            return session.get(Ticket, int(request.match_info["ticket_id"]))
        except ValueError:
            return None

    async def api_ticket(request):
        with session_scope(engine) as session:
            ticket = _ticket(session, request)
            if ticket is None:
                return _error(404, "no such ticket")
            body = ticket_json(ticket, now())
            body["notes"] = [{"author": n.author.name, "text": n.text, "at": n.created_at.isoformat() + "Z"}
                             for n in ticket.notes]
            body["order"] = verified_order_details(session, body["summary"].get("slots") or {})
            conversation_id = ticket.conversation_id
        try:
            tracker = await in_thread(rasa.tracker, conversation_id)
            body["transcript"] = transcript(tracker)
            body["paused"] = bool(tracker.get("paused"))
        except RasaUnavailable:
            body["transcript"], body["rasa_unavailable"] = [], True
        return web.json_response(body)

    async def api_claim(request):
        refused = agent_only(request)
        if refused is not None:
            return refused
        with session_scope(engine) as session:
            ticket = _ticket(session, request)
            if ticket is None:
                return _error(404, "no such ticket")
            if not claim(session, ticket_id=ticket.id, agent_id=request["user"]["id"], now=now()):
                return _error(409, "someone else has already taken this conversation")
            conversation_id = ticket.conversation_id
        try:
            await in_thread(rasa.announce_agent, conversation_id, agent_id=request["user"]["id"],
                            agent_name=request["user"]["name"])
        except RasaUnavailable:
            # The claim stands; the shopper learns who answers from the agent's first message.
            logger.warning("could not tell conversation %s that an agent joined", conversation_id)
        return web.json_response({"ok": True})

    def own_conversation(request):
        """(conversation id, None) when the logged-in agent holds the ticket, else (None, error response)."""
        with session_scope(engine) as session:
            ticket = _ticket(session, request)
            if ticket is None:
                return None, _error(404, "no such ticket")
            if ticket.status != TicketStatus.assigned or ticket.assigned_agent_id != request["user"]["id"]:
                return None, _error(409, "claim the conversation first")
            return ticket.conversation_id, None

    async def api_message(request):
        refused = agent_only(request)
        if refused is not None:
            return refused
        text = str((await _body(request)).get("text", "")).strip()
        if not text:
            return _error(400, "the message is empty")
        if len(text) > MAX_MESSAGE:
            return _error(400, f"the message is longer than {MAX_MESSAGE} characters")
        conversation_id, problem = own_conversation(request)
        if problem is not None:
            return problem
        try:
            await in_thread(rasa.say_as_agent, conversation_id, text, agent_id=request["user"]["id"],
                            agent_name=request["user"]["name"])
        except RasaUnavailable:
            return _error(503, "the assistant's server is not answering; the message was not sent")
        return web.json_response({"ok": True})

    async def api_note(request):
        text = str((await _body(request)).get("text", "")).strip()
        if not text or len(text) > MAX_MESSAGE:
            return _error(400, f"a note needs 1 to {MAX_MESSAGE} characters")
        with session_scope(engine) as session:
            ticket = _ticket(session, request)
            if ticket is None:
                return _error(404, "no such ticket")
            session.add(TicketNote(ticket_id=ticket.id, author_id=request["user"]["id"], text=text,
                                   created_at=now()))
        return web.json_response({"ok": True})

    async def api_resolve(request):
        refused = agent_only(request)
        if refused is not None:
            return refused
        conversation_id, problem = own_conversation(request)
        if problem is not None:
            return problem
        try:
            await in_thread(rasa.hand_back, conversation_id, HANDBACK_TEXT)
        except RasaUnavailable:
            return _error(503, "the assistant's server is not answering; the conversation is still yours")
        with session_scope(engine) as session:
            resolve(session, ticket_id=int(request.match_info["ticket_id"]), agent_id=request["user"]["id"],
                    now=now())
        return web.json_response({"ok": True})

    async def api_kb_search(request):
        query = request.query.get("q", "")[:300].strip()
        if not query:
            return web.json_response({"answers": []})
        hit = knowledge.search(query)
        answers = [{"question": hit.question, "answer": hit.answer}] if hit is not None else []
        for name, compose in (("returns", knowledge.returns), ("shipping", knowledge.shipping),
                              ("sizing", knowledge.sizing)):
            answers.append({"question": f"{name}: {query}", "answer": compose(query).text})
        return web.json_response({"answers": answers})

    async def api_canned(request):
        return web.json_response({"replies": canned_replies(knowledge)})

    # Large enough for a chat-log import in the workbench; every route checks its own limits.
    app = web.Application(middlewares=[security], client_max_size=9 * 1024 * 1024)
    # The shop's routes first: the widget's socket.io client is served from below /static.
    add_shop_routes(app, engine=engine, rasa=rasa, storefront=storefront, secure_cookies=secure_cookies,
                    security_headers=SECURITY_HEADERS)
    app.add_routes([
        web.get("/health", health), web.get("/login", login_page), web.get("/console", console_page),
        web.post("/api/login", api_login), web.post("/api/logout", api_logout), web.get("/api/me", api_me),
        web.get("/api/tickets", api_tickets), web.get("/api/tickets/{ticket_id}", api_ticket),
        web.post("/api/tickets/{ticket_id}/claim", api_claim),
        web.post("/api/tickets/{ticket_id}/messages", api_message),
        web.post("/api/tickets/{ticket_id}/notes", api_note),
        web.post("/api/tickets/{ticket_id}/resolve", api_resolve),
        web.get("/api/knowledge", api_kb_search), web.get("/api/canned-replies", api_canned),
        web.static("/static", STATIC),
    ])
    add_workbench_routes(app, engine=engine, rasa=rasa, paths=training or TrainingPaths(), now=now)
    return app


def canned_replies(knowledge: Knowledge) -> list:
    """Quick replies per topic, composed from the knowledge base so they stay in line with it."""
    kb = knowledge.kb
    return [
        {"topic": "greeting", "text": "Hi, I'm from the Trailhead team and I've read your conversation. Let me "
                                      "look into this for you right now."},
        {"topic": "late parcel", "text": "I'm sorry your parcel is late. " + kb.shipping.late_parcel},
        {"topic": "lost parcel", "text": kb.shipping.lost_parcel},
        {"topic": "damaged item", "text": kb.returns.damaged},
        {"topic": "wrong item", "text": kb.returns.wrong_item},
        {"topic": "refund timing", "text": kb.returns.refunds.timing},
        {"topic": "returns", "text": kb.returns.how_to_start},
        {"topic": "address change", "text": kb.shipping.address_change},
        {"topic": "closing", "text": "Is there anything else I can help you with today?"},
    ]
