"""Health checks. /health/live: the process answers (no database, so a database outage does not get
the desk restarted). /health/ready: the database can be read and written; 503 otherwise. /health is
readiness, for callers that know only that one (bot/readiness.py, the test servers)."""
import logging

from aiohttp import web

from bot.db.models import LoginAttempt
from bot.desk.blocking import in_thread
from bot.desk.context import ENGINE
from bot.desk.routing import EVERYONE, Routes
from bot.readiness import database_problem

logger = logging.getLogger(__name__)
routes = Routes()


@routes.get("/health/live", roles=EVERYONE)
async def live(request: web.Request):
    return web.json_response({"status": "ok"})


@routes.get("/health/ready", roles=EVERYONE)
async def ready(request: web.Request):
    problem = await in_thread(database_problem, request.app[ENGINE], LoginAttempt.__tablename__)
    if problem is not None:
        logger.warning("not ready: %s", problem)
        return web.json_response({"status": "unavailable", "error": "the database is not available"}, status=503)
    return web.json_response({"status": "ok", "database": "ok"})


routes.add("GET", "/health", ready, roles=EVERYONE)
