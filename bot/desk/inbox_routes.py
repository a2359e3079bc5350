"""The agent console's routes for who works on what: assign, transfer and unassign a ticket, the
resolution tags, the team with its availability, and an agent's own availability. The inbox list
itself is GET /api/tickets (bot/desk/console_routes.py, queries in bot/desk/inbox.py)."""
import logging

from aiohttp import web

from bot.desk import assignment
from bot.desk.blocking import in_session, in_thread
from bot.desk.context import AUTO_ASSIGN, CLOCK, ENGINE, RASA, USER, now
from bot.desk.hygiene import BadRequest, error, json_object, row_id, text_field
from bot.desk.rasa_client import RasaUnavailable
from bot.desk.routing import STAFF, Routes
from bot.handoff.queue import RESOLUTION_TAGS

logger = logging.getLogger(__name__)

routes = Routes()


async def announce(app: web.Application, conversation_id: str, *, agent_id: int, agent_name: str) -> None:
    """Tell the shopper who has taken their conversation (claim, assign, transfer, automatic assignment)."""
    try:
        await in_thread(app[RASA].announce_agent, conversation_id, agent_id=agent_id, agent_name=agent_name)
    except RasaUnavailable:
        # The assignment stands; the shopper learns who answers from the agent's first message.
        logger.warning("could not tell conversation %s that an agent joined", conversation_id)


def policy(app: web.Application) -> assignment.AutoAssign:
    return app.get(AUTO_ASSIGN) or assignment.AutoAssign()


async def auto_assign_now(app: web.Application) -> list:
    """One pass of automatic assignment when it is switched on; the shoppers are told who joined."""
    settings = policy(app)
    if not settings.enabled:
        return []
    done = await in_session(app[ENGINE], assignment.auto_assign, limit=settings.open_limit, now=app[CLOCK]())
    for item in done:
        await announce(app, item.conversation_id, agent_id=item.agent_id, agent_name=item.agent_name)
    return done


def resolution_tag(request: web.Request):
    """The "tag" of a resolve request's body (None without a body); BadRequest for an unknown one."""
    if not request.body_exists:
        return None
    tag = json_object(request).get("tag")
    if tag is None:
        return None
    if not isinstance(tag, str) or tag not in RESOLUTION_TAGS:  # a list or object is not hashable
        raise BadRequest("tag must be one of: " + ", ".join(RESOLUTION_TAGS))
    return tag


def _agent_id(data: dict) -> int:
    value = data.get("agent_id")
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest("agent_id must be the id of an agent (GET /api/agents)")
    return row_id(str(value), "agent_id")


def _holder_seen(data: dict):
    """The holder the caller saw (`from_agent_id`, null for nobody), so that a transfer made from an old
    screen is refused instead of taking the conversation from whoever holds it now; absent: not checked."""
    if "from_agent_id" not in data:
        return assignment.NOT_CHECKED
    value = data["from_agent_id"]
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest("from_agent_id must be the id of the agent holding the conversation, or null")
    return row_id(str(value), "from_agent_id")


@routes.post("/api/tickets/{ticket_id}/assign", roles=STAFF)
async def api_assign(request: web.Request):
    """{"agent_id", "note"?, "from_agent_id"?}: assign a waiting ticket, or transfer one (its holder or a
    supervisor)."""
    data = json_object(request)
    agent_id = _agent_id(data)
    holder_seen = _holder_seen(data)
    note = text_field(data, "note", limit=assignment.MAX_NOTE).strip() or None
    user = request[USER]
    try:
        done = await in_session(request.app[ENGINE], assignment.assign,
                                ticket_id=row_id(request.match_info["ticket_id"], "a ticket id"), agent_id=agent_id,
                                actor_id=user["id"], actor_role=user["role"], now=now(request), note=note,
                                holder_seen=holder_seen)
    except assignment.Refused as refused:
        return error(refused.status, refused.message)
    await announce(request.app, done.conversation_id, agent_id=done.agent_id, agent_name=done.agent_name)
    return web.json_response({"ok": True, "kind": done.kind, "agent": {"id": done.agent_id, "name": done.agent_name}})


@routes.post("/api/tickets/{ticket_id}/unassign", roles=STAFF)
async def api_unassign(request: web.Request):
    """Back to the queue (the holder or a supervisor)."""
    user = request[USER]
    try:
        await in_session(request.app[ENGINE], assignment.unassign,
                         ticket_id=row_id(request.match_info["ticket_id"], "a ticket id"), actor_id=user["id"],
                         actor_role=user["role"], now=now(request))
    except assignment.Refused as refused:
        return error(refused.status, refused.message)
    await auto_assign_now(request.app)
    return web.json_response({"ok": True})


@routes.get("/api/resolution-tags", roles=STAFF)
async def api_resolution_tags(request: web.Request):
    return web.json_response({"tags": [{"value": value, "label": label} for value, label in RESOLUTION_TAGS.items()]})


@routes.get("/api/agents", roles=STAFF)
async def api_agents(request: web.Request):
    """The team (agents, supervisors, admins) with availability and open conversations, for assigning."""
    return web.json_response({"agents": await in_session(request.app[ENGINE], assignment.agents)})


@routes.post("/api/me/availability", roles=STAFF)
async def api_availability(request: web.Request):
    """{"availability": "available" | "away"}; automatic assignment gives work to available agents only."""
    value = json_object(request).get("availability")
    if value not in assignment.AVAILABILITY:
        raise BadRequest("availability must be available or away")
    await in_session(request.app[ENGINE], assignment.set_availability, user_id=request[USER]["id"],
                     availability=value)
    if value == "available":
        await auto_assign_now(request.app)
    return web.json_response({"ok": True, "availability": value})
