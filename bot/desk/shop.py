"""The shop's side of the desk: the demo storefront's pages, the widget's socket.io client, and the
widget's routes (bot/desk/chat_routes.py). None of them needs a desk login (roles=EVERYONE)."""
from typing import Optional

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import Customer
from bot.desk import chat_routes
from bot.desk.blocking import in_session
from bot.desk.context import ENGINE, SECURE_COOKIES, STOREFRONT
from bot.desk.hygiene import SECURITY_HEADERS
from bot.desk.routing import EVERYONE, Routes
from bot.settings import PROJECT_ROOT

# The socket.io client the widget loads, installed from npm by `make` (never fetched from a CDN).
SOCKET_IO_CLIENT = PROJECT_ROOT / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
# The demo storefront's signed-in customer (an email); only honoured when demo sign-in is on.
SHOP_COOKIE = "shop_customer"

NOT_FOUND_PAGE = '<!doctype html><title>Not found</title><p>No such product. <a href="/">All products</a>'

routes = Routes()


def storefront_csp(rasa_public_url: str) -> str:
    """The storefront's pages may talk to the desk and to the Rasa server's socket.io channel only."""
    socket = rasa_public_url.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
    return (f"default-src 'self'; connect-src 'self' {rasa_public_url} {socket}; img-src 'self' data: https:; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def is_demo_customer(session: Session, email: str) -> bool:
    return session.execute(select(Customer.id).where(Customer.email == email)).first() is not None


def _customer(request: web.Request) -> Optional[str]:
    return request.cookies.get(SHOP_COOKIE) if request.app[STOREFRONT].demo_sign_in else None


def _page(request: web.Request, body: str, status: int = 200) -> web.Response:
    headers = {**SECURITY_HEADERS, "Content-Security-Policy": storefront_csp(request.app[STOREFRONT].rasa_public_url)}
    return web.Response(text=body, status=status, content_type="text/html", headers=headers)


@routes.get("/", roles=EVERYONE)
async def catalog(request: web.Request):
    return _page(request, request.app[STOREFRONT].catalog_page(customer=_customer(request)))


@routes.get("/products/{sku}", roles=EVERYONE)
async def product(request: web.Request):
    page = request.app[STOREFRONT].product_page(request.match_info["sku"], customer=_customer(request))
    if page is None:
        return _page(request, NOT_FOUND_PAGE, status=404)
    return _page(request, page)


@routes.get("/account", roles=EVERYONE)
async def account(request: web.Request):
    return _page(request, request.app[STOREFRONT].account_page(customer=_customer(request)))


@routes.post("/account/sign-in", roles=EVERYONE, body="form")
async def sign_in(request: web.Request):
    storefront = request.app[STOREFRONT]
    if not storefront.demo_sign_in:
        return _page(request, storefront.account_page(customer=None), status=403)
    email = str((await request.post()).get("email", "")).strip().lower()[:254]
    if not await in_session(request.app[ENGINE], is_demo_customer, email):
        return _page(request, storefront.account_page(customer=None, error="No demo customer has that email."),
                     status=400)
    response = web.HTTPSeeOther("/")
    response.set_cookie(SHOP_COOKIE, email, httponly=True, samesite="Lax", secure=request.app[SECURE_COOKIES],
                        path="/")
    raise response


@routes.post("/account/sign-out", roles=EVERYONE, body="form")
async def sign_out(request: web.Request):
    response = web.HTTPSeeOther("/")
    response.del_cookie(SHOP_COOKIE, path="/")
    raise response


@routes.get("/static/widget/socket.io.min.js", roles=EVERYONE)
async def socket_io_client(request: web.Request):
    if not SOCKET_IO_CLIENT.is_file():
        return web.json_response({"error": "socket.io client not installed: run make install"}, status=404)
    return web.FileResponse(SOCKET_IO_CLIENT, headers={"Content-Type": "application/javascript"})


# The widget's own routes (/chat/...), served with the shop's.
routes.declarations.extend(chat_routes.routes.declarations)
