"""Health checks. /health/live: the process answers (no database, so a database outage does not get
the desk restarted). /health/ready: the database can be read and written; 503 otherwise. /health is
readiness, for callers that know only that one (bot/readiness.py, the test servers)."""
import logging
from pathlib import Path

from aiohttp import web
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.db.models import LoginAttempt
from bot.desk.blocking import in_thread
from bot.desk.context import ENGINE
from bot.desk.routing import EVERYONE, Routes

logger = logging.getLogger(__name__)
routes = Routes()


class NotReady(RuntimeError):
    pass


def check_database(engine: Engine) -> None:
    """SELECT 1, a read of one of the desk's tables (the schema is there) and a write that changes no
    row, rolled back (a read-only database refuses it). NotReady with the reason otherwise."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
            and not Path(url.database).is_file():
        # Connecting would quietly create a new, empty file.
        raise NotReady("the database file is missing")
    try:
        with engine.connect() as connection:
            connection.execute(select(1))
            connection.execute(select(LoginAttempt.id).limit(1))
            connection.execute(update(LoginAttempt).where(LoginAttempt.id == 0).values(outcome="probe"))
            connection.rollback()
    except SQLAlchemyError as problem:
        raise NotReady(str(problem).splitlines()[0][:200]) from None


@routes.get("/health/live", roles=EVERYONE)
async def live(request: web.Request):
    return web.json_response({"status": "ok"})


@routes.get("/health/ready", roles=EVERYONE)
async def ready(request: web.Request):
    try:
        await in_thread(check_database, request.app[ENGINE])
    except NotReady as problem:
        logger.warning("not ready: %s", problem)
        return web.json_response({"status": "unavailable", "error": "the database is not available"}, status=503)
    return web.json_response({"status": "ok", "database": "ok"})


routes.add("GET", "/health", ready, roles=EVERYONE)
