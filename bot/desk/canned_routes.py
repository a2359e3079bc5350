"""The agent console's routes: canned replies: everyone on staff reads them, supervisors manage them.
The table is seeded from support/canned_replies.yml when the desk starts with it empty."""
import logging

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot.desk import canned
from bot.desk.blocking import in_session, in_thread
from bot.desk.context import CLOCK, ENGINE, USER, now
from bot.desk.hygiene import error, json_object, row_id
from bot.desk.routing import STAFF, SUPERVISORS, Routes

logger = logging.getLogger(__name__)
routes = Routes()


async def seed_at_start(app: web.Application) -> None:
    """The starting set of replies when the table is empty (the desk's first start); once it has rows,
    they are the supervisors' and the file is not read into it again."""
    replies = await in_thread(canned.load_seed)
    try:
        added = await in_session(app[ENGINE], canned.seed_if_empty, replies=replies, now=app[CLOCK]())
    except SQLAlchemyError:
        # The desk still starts and /health/ready says what is wrong; the next start seeds.
        logger.warning("could not seed the canned replies: the database refused", exc_info=True)
        return
    if added:
        logger.info("seeded %d canned replies from %s", added, canned.SEED_FILE)


def _reply_id(request: web.Request) -> int:
    return row_id(request.match_info["reply_id"], "a reply id")


@routes.get("/api/canned-replies", roles=STAFF)
async def api_canned(request: web.Request):
    replies = await in_session(request.app[ENGINE], canned.list_replies)
    return web.json_response({"replies": replies, "variables": list(canned.VARIABLES)})


@routes.post("/api/canned-replies", roles=SUPERVISORS)
async def api_canned_create(request: web.Request):
    fields = json_object(request)
    try:
        reply = await in_session(request.app[ENGINE], canned.create_reply, fields=fields,
                                 user_id=request[USER]["id"], now=now(request))
    except canned.DuplicateShortcode as problem:
        return error(409, str(problem))
    except canned.InvalidReply as problem:
        return error(400, str(problem))
    return web.json_response({"reply": reply}, status=201)


@routes.put("/api/canned-replies/{reply_id}", roles=SUPERVISORS)
async def api_canned_update(request: web.Request):
    reply_id, fields = _reply_id(request), json_object(request)
    try:
        reply = await in_session(request.app[ENGINE], canned.update_reply, reply_id=reply_id, fields=fields,
                                 user_id=request[USER]["id"], now=now(request))
    except canned.NoSuchReply:
        return error(404, "no such reply")
    except canned.DuplicateShortcode as problem:
        return error(409, str(problem))
    except canned.InvalidReply as problem:
        return error(400, str(problem))
    return web.json_response({"reply": reply})


@routes.delete("/api/canned-replies/{reply_id}", roles=SUPERVISORS)
async def api_canned_delete(request: web.Request):
    try:
        await in_session(request.app[ENGINE], canned.delete_reply, reply_id=_reply_id(request))
    except canned.NoSuchReply:
        return error(404, "no such reply")
    return web.json_response({"ok": True})
