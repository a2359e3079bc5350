"""Desk login and logout, and who is logged in. Logins are throttled per email and per client address
(bot/desk/login_throttle.py); the password hash runs in its own thread pool, never on the event loop."""
from pathlib import Path

from aiohttp import web

from bot.desk.accounts import begin_login, finish_login, log_out, password_matches
from bot.desk.blocking import hashing, in_session
from bot.desk.context import ENGINE, SECURE_COOKIES, USER, client_address, now
from bot.desk.hygiene import error, json_object, text_field
from bot.desk.routing import COOKIE, EVERYONE, LOGGED_IN, Routes

STATIC = Path(__file__).parent / "static"
COOKIE_LIFETIME = 12 * 3600
MAX_PASSWORD = 1024

routes = Routes()


@routes.get("/login", roles=EVERYONE)
async def login_page(request: web.Request):
    return web.FileResponse(STATIC / "login.html")


@routes.post("/api/login", roles=EVERYONE)
async def api_login(request: web.Request):
    data = json_object(request)
    email = text_field(data, "email", limit=254)
    password = text_field(data, "password", limit=MAX_PASSWORD)
    engine, moment = request.app[ENGINE], now(request)
    start = await in_session(engine, begin_login, email=email, address=client_address(request), now=moment)
    if start.attempt.refused:
        minutes = -(-start.attempt.retry_after // 60)
        return web.json_response(
            {"error": f"too many login attempts; try again in {minutes} minute{'s' if minutes != 1 else ''}",
             "retry_after": start.attempt.retry_after},
            status=429, headers={"Retry-After": str(start.attempt.retry_after)})
    if not await hashing(password_matches, start, password):
        return error(401, "wrong email or password")
    token, user = await in_session(engine, finish_login, start=start, now=moment)
    response = web.json_response({**user, "role": user["role"].value})
    response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", secure=request.app[SECURE_COOKIES],
                        max_age=COOKIE_LIFETIME, path="/")
    return response


@routes.post("/api/logout", roles=LOGGED_IN)
async def api_logout(request: web.Request):
    await in_session(request.app[ENGINE], log_out, request.cookies.get(COOKIE))
    response = web.json_response({"ok": True})
    response.del_cookie(COOKIE, path="/")
    return response


@routes.get("/api/me", roles=LOGGED_IN)
async def api_me(request: web.Request):
    user = request[USER]
    return web.json_response({**user, "role": user["role"].value})
