"""What the desk's handlers need, kept on the aiohttp application under typed keys (set by create_app),
so that handlers can live at module level instead of as closures inside one factory."""
from datetime import datetime
from typing import Any, Callable

from aiohttp import web

from bot.chat.limits import address_key
from sqlalchemy.engine import Engine

ENGINE = web.AppKey("engine", Engine)
RASA = web.AppKey("rasa", Any)  # bot.desk.rasa_client.RasaClient or a stand-in with the same methods
KNOWLEDGE = web.AppKey("knowledge", Any)  # bot.knowledge.Knowledge
STOREFRONT = web.AppKey("storefront", Any)  # bot.desk.storefront.Storefront
CLOCK = web.AppKey("clock", Callable[[], datetime])
SECURE_COOKIES = web.AppKey("secure_cookies", bool)
# The header a trusted balancer puts the client's address in (CLIENT_IP_HEADER); empty: the peer address.
CLIENT_IP_HEADER = web.AppKey("client_ip_header", str)
# AUTO_ASSIGN / AGENT_OPEN_LIMIT as bot.desk.assignment.AutoAssign; absent: no automatic assignment.
AUTO_ASSIGN = web.AppKey("auto_assign", Any)
# The signed-in desk user of a request ({"id", "email", "name", "role"}), set by bot/desk/routing.py.
USER = web.RequestKey("user", dict)


def client_address(request: web.Request) -> str:
    header = request.app.get(CLIENT_IP_HEADER, "")
    forwarded = request.headers.get(header, "").strip() if header else ""
    return address_key(forwarded or request.remote or "unknown")


def engine_of(request: web.Request) -> Engine:
    return request.app[ENGINE]


def now(request: web.Request) -> datetime:
    return request.app[CLOCK]()
