"""The shop's side of the desk: the demo storefront's pages, the widget's socket.io client, and the
routes the widget reads a conversation back from. None of them needs a desk login."""
from typing import Optional

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.chat.events import transcript
from bot.chat.sessions import handoff_status, is_widget_session, shopper_view
from bot.db import session_scope
from bot.db.models import Customer
from bot.desk.blocking import in_thread
from bot.desk.rasa_client import RasaUnavailable
from bot.desk.storefront import Storefront
from bot.settings import PROJECT_ROOT

PUBLIC_SHOP_PATHS = ("/products/", "/account", "/chat/")
# The socket.io client the widget loads, installed from npm by `make` (never fetched from a CDN).
SOCKET_IO_CLIENT = PROJECT_ROOT / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
# The demo storefront's signed-in customer (an email); only honoured when demo sign-in is on.
SHOP_COOKIE = "shop_customer"
# The widget's read-back routes are called from any shop's pages; they carry no cookies.
CHAT_CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET",
             "Cache-Control": "no-store"}


def storefront_csp(rasa_public_url: str) -> str:
    """The storefront's pages may talk to the desk and to the Rasa server's socket.io channel only."""
    socket = rasa_public_url.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
    return (f"default-src 'self'; connect-src 'self' {rasa_public_url} {socket}; img-src 'self' data: https:; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def add_shop_routes(app: web.Application, *, engine: Engine, rasa, storefront: Storefront, secure_cookies: bool,
                    security_headers: dict) -> None:
    shop_headers = {**security_headers, "Content-Security-Policy": storefront_csp(storefront.rasa_public_url)}

    def shop_customer(request) -> Optional[str]:
        return request.cookies.get(SHOP_COOKIE) if storefront.demo_sign_in else None

    def shop_page(body: str, status: int = 200) -> web.Response:
        return web.Response(text=body, status=status, content_type="text/html", headers=shop_headers)

    async def catalog(request):
        return shop_page(storefront.catalog_page(customer=shop_customer(request)))

    async def product(request):
        page = storefront.product_page(request.match_info["sku"], customer=shop_customer(request))
        if page is None:
            return shop_page("<!doctype html><title>Not found</title><p>No such product. <a href=\"/\">All products</a>",
                             status=404)
        return shop_page(page)

    async def account(request):
        return shop_page(storefront.account_page(customer=shop_customer(request)))

    async def sign_in(request):
        if not storefront.demo_sign_in:
            return shop_page(storefront.account_page(customer=None), status=403)
        email = str((await request.post()).get("email", "")).strip().lower()[:254]
        with session_scope(engine) as session:
            known = session.execute(select(Customer.id).where(Customer.email == email)).first() is not None
        if not known:
            return shop_page(storefront.account_page(customer=None, error="No demo customer has that email."),
                             status=400)
        response = web.HTTPSeeOther("/")
        response.set_cookie(SHOP_COOKIE, email, httponly=True, samesite="Lax", secure=secure_cookies, path="/")
        raise response

    async def sign_out(request):
        response = web.HTTPSeeOther("/")
        response.del_cookie(SHOP_COOKIE, path="/")
        raise response

    async def socket_io_client(request):
        if not SOCKET_IO_CLIENT.is_file():
            return web.Response(status=404, text="socket.io client not installed: run make install")
        return web.FileResponse(SOCKET_IO_CLIENT, headers={"Content-Type": "application/javascript"})

    def chat_error(status: int, message: str) -> web.Response:
        return web.json_response({"error": message}, status=status, headers=CHAT_CORS)

    async def chat_status(request):
        conversation_id = request.match_info["session_id"]
        if not is_widget_session(conversation_id):
            return chat_error(404, "unknown chat session")
        with session_scope(engine) as session:
            return web.json_response({"handoff": handoff_status(session, conversation_id)}, headers=CHAT_CORS)

    async def chat_history(request):
        conversation_id = request.match_info["session_id"]
        if not is_widget_session(conversation_id):
            return chat_error(404, "unknown chat session")
        try:
            tracker = await in_thread(rasa.tracker, conversation_id)
        except RasaUnavailable:
            return chat_error(503, "the assistant is not answering right now")
        with session_scope(engine) as session:
            state = handoff_status(session, conversation_id)
        return web.json_response({"messages": shopper_view(transcript(tracker)), "handoff": state},
                                 headers=CHAT_CORS)

    app.add_routes([
        web.get("/", catalog), web.get("/products/{sku}", product), web.get("/account", account),
        web.post("/account/sign-in", sign_in), web.post("/account/sign-out", sign_out),
        web.get("/chat/{session_id}/history", chat_history), web.get("/chat/{session_id}/status", chat_status),
        web.get("/static/widget/socket.io.min.js", socket_io_client),
    ])
