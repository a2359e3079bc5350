"""The desk web service. Routes live in modules grouped by audience, each declaring who may call it:
bot/desk/shop.py (shoppers), auth_routes.py (login), console_routes.py (agents, supervisors, admins),
workbench.py (trainers, admins), health_routes.py (monitoring); static files are public. create_app
puts the dependencies on the app (bot/desk/context.py) and refuses any route without a declaration."""
from datetime import datetime
from pathlib import Path
from typing import Callable, Optional

from aiohttp import web
from sqlalchemy.engine import Engine

from bot.desk import (aftercare_routes, auth_routes, canned_routes, console_routes, customer_routes, health_routes,
                      inbox_routes, live, shop, sla_routes, workbench)
from bot.desk.assignment import AutoAssign
from bot.desk.context import (AUTO_ASSIGN, CLIENT_IP_HEADER, CLOCK, ENGINE, KNOWLEDGE, RASA, SECURE_COOKIES,
                              STOREFRONT)
from bot.desk.hygiene import SECURITY_HEADERS, add_security_headers, bounded_bodies, json_errors
from bot.desk.rasa_client import RasaClient
from bot.desk.routing import EVERYONE, Routes, check_declared, guard, install
from bot.desk.storefront import Storefront
from bot.knowledge import Knowledge
from bot.trainer.paths import TrainingPaths

__all__ = ["create_app", "SECURITY_HEADERS"]
STATIC = Path(__file__).parent / "static"
# Large enough for a chat-log import in the workbench and a shopper's 10 MB photo; JSON bodies have their
# own, smaller limit.
CLIENT_MAX_SIZE = 11 * 1024 * 1024


def _utcnow() -> datetime:
    return datetime.utcnow()


def create_app(*, engine: Engine, rasa: RasaClient, knowledge: Knowledge,
               now: Callable[[], datetime] = _utcnow, secure_cookies: bool = False,
               storefront: Optional[Storefront] = None, training: Optional[TrainingPaths] = None,
               client_ip_header: str = "", sla_sweep_seconds: float = 0,
               auto_assign: Optional[AutoAssign] = None) -> web.Application:
    if storefront is None:
        storefront = Storefront(knowledge.kb, rasa_public_url="http://127.0.0.1:5005", identity_secret="",
                                demo_sign_in=False)
    app = web.Application(middlewares=[json_errors, bounded_bodies, guard], client_max_size=CLIENT_MAX_SIZE)
    app[ENGINE], app[RASA], app[KNOWLEDGE], app[STOREFRONT] = engine, rasa, knowledge, storefront
    app[CLOCK], app[SECURE_COOKIES], app[CLIENT_IP_HEADER] = now, secure_cookies, client_ip_header
    app[AUTO_ASSIGN] = auto_assign or AutoAssign()
    app.on_response_prepare.append(add_security_headers)

    assets = Routes()
    assets.static("/static", STATIC, roles=EVERYONE)
    # The shop's routes first: the widget's socket.io client is served from below /static.
    app[workbench.TRAINING] = training or TrainingPaths()
    app[workbench.INTENTS] = app[workbench.TRAINING].intents()
    install(app, shop.routes, health_routes.routes, auth_routes.routes, console_routes.routes, inbox_routes.routes,
            sla_routes.routes, canned_routes.routes, customer_routes.routes, live.routes, aftercare_routes.routes,
            workbench.routes, assets)
    check_declared(app)
    app.on_startup.append(_check_declared_at_start)
    live.attach(app)  # the live feed's watcher runs while the app does
    # The SLA sweep in the background every sla_sweep_seconds (serve-desk: SLA_SWEEP_SECONDS); 0: none.
    app[sla_routes.SWEEP_SECONDS] = sla_sweep_seconds
    app.cleanup_ctx.append(sla_routes.sweeper)
    app.on_startup.append(canned_routes.seed_at_start)
    return app


async def _check_declared_at_start(app: web.Application) -> None:
    """Routes added after create_app (by a caller) are checked again when the server starts."""
    check_declared(app)
