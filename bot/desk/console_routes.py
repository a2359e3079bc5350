"""The agent console and its JSON API: the queue, a ticket with its transcript and the verified order,
notes, claim, replies, hand back; knowledge search and canned replies. Customers' data lives here, so
every route is for STAFF (agents, supervisors, admins) and never for trainers."""
import logging
from pathlib import Path

from aiohttp import web

from bot.desk import attachments, inbox, inbox_routes, tickets
from bot.desk import conversation, timeline
from bot.desk.blocking import in_session, in_thread
from bot.desk.context import ENGINE, KNOWLEDGE, RASA, STOREFRONT, USER, now
from bot.desk.hygiene import BadRequest, error, json_object, optional_text, row_id, text_field
from bot.desk.rasa_client import RasaUnavailable
from bot.desk.routing import STAFF, Routes

logger = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
MAX_MESSAGE = 2000
HANDBACK_TEXT = "You're back with the assistant. Is there anything else I can help with?"

routes = Routes()


def _ticket_id(request: web.Request) -> int:
    return row_id(request.match_info["ticket_id"], "a ticket id")


def _message(request: web.Request, what: str) -> str:
    text = text_field(json_object(request), "text", limit=10 * MAX_MESSAGE).strip()
    if not text or len(text) > MAX_MESSAGE:
        raise BadRequest(f"{what} needs 1 to {MAX_MESSAGE} characters")
    return text


@routes.get("/console", roles=STAFF)
async def console_page(request: web.Request):
    return web.FileResponse(STATIC / "console.html")


@routes.get("/api/tickets", roles=STAFF)
async def api_tickets(request: web.Request):
    """A page of an inbox view with filters and search (bot/desk/inbox.py); ?status= names the older lists."""
    try:
        optional_text(request.query.get("q"))
        query = inbox.read_query(request.query)
    except inbox.BadQuery as problem:
        return error(400, str(problem))
    return web.json_response(await in_session(request.app[ENGINE], tickets.list_tickets, query=query,
                                              user_id=request[USER]["id"], now=now(request)))


@routes.get("/api/tickets/{ticket_id}", roles=STAFF)
async def api_ticket(request: web.Request):
    """The ticket with its conversation, read from the tracker store's table (bot/desk/tickets.py
    ticket_detail). When the agent holding it loads it, the shopper's messages it shows count as seen
    (the console sends seen=0 while its tab is hidden)."""
    ticket_id, user = _ticket_id(request), request[USER]
    seen = request.query.get("seen") != "0"
    try:
        body = await in_session(request.app[ENGINE], tickets.ticket_detail, ticket_id=ticket_id, now=now(request),
                                kb=request.app[KNOWLEDGE].kb, viewer=user,
                                identity_secret=request.app[STOREFRONT].identity_secret, seen=seen)
    except tickets.NoSuchTicket:
        return error(404, "no such ticket")
    if "transcript" not in body:  # a database Rasa never wrote to: ask Rasa's HTTP API
        await _conversation_from_rasa(request, body, seen=seen)
    return web.json_response(body)


async def _conversation_from_rasa(request: web.Request, body: dict, *, seen: bool) -> None:
    try:
        tracker = await in_thread(request.app[RASA].tracker, body["conversation_id"])
    except RasaUnavailable:
        body.update(transcript=[], rasa_unavailable=True, timeline=timeline.timeline([], body["events"]))
        return
    events = conversation.current_session(tracker.get("events") or [])
    body.update(conversation.view(events, attachment_ids=[a["id"] for a in body["attachments"]],
                                  history=body["events"]))
    body["paused"] = bool(tracker.get("paused"))
    if seen:
        await in_session(request.app[ENGINE], tickets.mark_seen, ticket_id=body["id"],
                         agent_id=request[USER]["id"], lines=body["transcript"])


@routes.get("/api/attachments/{attachment_id}", roles=STAFF)
async def api_attachment(request: web.Request):
    """A photo a shopper sent, for the console (any conversation's: staff read every ticket)."""
    attachment = await in_session(request.app[ENGINE], attachments.find, request.match_info["attachment_id"])
    return await attachments.photo_response(request.app, attachment)


@routes.post("/api/tickets/{ticket_id}/claim", roles=STAFF)
async def api_claim(request: web.Request):
    user = request[USER]
    try:
        won, conversation_id = await in_session(request.app[ENGINE], tickets.claim_ticket,
                                                ticket_id=_ticket_id(request), agent_id=user["id"], now=now(request))
    except tickets.NoSuchTicket:
        return error(404, "no such ticket")
    if not won:
        return error(409, "someone else has already taken this conversation")
    await inbox_routes.announce(request.app, conversation_id, agent_id=user["id"], agent_name=user["name"])
    return web.json_response({"ok": True})


async def _held(request: web.Request):
    """(conversation id, None) when the logged-in agent holds the ticket, else (None, error response)."""
    try:
        return await in_session(request.app[ENGINE], tickets.held_conversation, ticket_id=_ticket_id(request),
                                agent_id=request[USER]["id"]), None
    except tickets.NoSuchTicket:
        return None, error(404, "no such ticket")
    except tickets.NotYours:
        return None, error(409, "claim the conversation first")


@routes.post("/api/tickets/{ticket_id}/messages", roles=STAFF)
async def api_message(request: web.Request):
    text = _message(request, "a message")
    conversation_id, problem = await _held(request)
    if problem is not None:
        return problem
    user = request[USER]
    try:
        await in_thread(request.app[RASA].say_as_agent, conversation_id, text, agent_id=user["id"],
                        agent_name=user["name"])
    except RasaUnavailable:
        return error(503, "the assistant's server is not answering; the message was not sent")
    await in_session(request.app[ENGINE], tickets.agent_replied, ticket_id=_ticket_id(request), agent_id=user["id"],
                     now=now(request))
    return web.json_response({"ok": True})


@routes.post("/api/tickets/{ticket_id}/notes", roles=STAFF)
async def api_note(request: web.Request):
    text = _message(request, "a note")
    try:
        await in_session(request.app[ENGINE], tickets.add_note, ticket_id=_ticket_id(request),
                         author_id=request[USER]["id"], text=text, now=now(request))
    except tickets.NoSuchTicket:
        return error(404, "no such ticket")
    return web.json_response({"ok": True})


@routes.post("/api/tickets/{ticket_id}/resolve", roles=STAFF)
async def api_resolve(request: web.Request):
    """Hand the conversation back to the assistant and close the ticket with a resolution tag
    ({"tag": one of GET /api/resolution-tags}; the console always sends one)."""
    tag = inbox_routes.resolution_tag(request)
    conversation_id, problem = await _held(request)
    if problem is not None:
        return problem
    try:
        await in_thread(request.app[RASA].hand_back, conversation_id, HANDBACK_TEXT)
    except RasaUnavailable:
        return error(503, "the assistant's server is not answering; the conversation is still yours")
    ticket = await in_session(request.app[ENGINE], tickets.resolve_ticket, ticket_id=_ticket_id(request),
                              agent_id=request[USER]["id"], now=now(request), tag=tag)
    if ticket is None:
        return error(409, "this conversation is no longer yours")
    await inbox_routes.auto_assign_now(request.app)  # the agent has room for another conversation
    return web.json_response({"ok": True, "ticket": ticket})


def _search(knowledge, query: str) -> list:
    """Knowledge-base articles ranked by relevance to the words typed (bot/knowledge/articles.py)."""
    return [{"question": hit.article.question, "answer": hit.article.answer, "topic": hit.article.topic,
             "score": hit.score} for hit in knowledge.articles.search(query)]


@routes.get("/api/knowledge", roles=STAFF)
async def api_kb_search(request: web.Request):
    query = optional_text(request.query.get("q"))[:300].strip()
    if not query:
        return web.json_response({"answers": []})
    return web.json_response({"answers": await in_thread(_search, request.app[KNOWLEDGE], query)})
