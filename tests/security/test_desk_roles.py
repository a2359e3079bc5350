"""Least privilege in the desk: who may call each route is written down here, once, and the app must
agree, route by route and role by role, over real HTTP with real logged-in users."""
import asyncio
import re

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

import bot.desk.app
from bot.db.models import Role
from tests.security.desk_helpers import (HEADERS, add_ticket, add_user, assert_security_headers, desk_app, login,
                                         run)

A, T, S, D = "agent", "trainer", "supervisor", "admin"
ANYONE = {"anonymous", A, T, S, D}
LOGGED_IN = {A, T, S, D}
STAFF = {A, S, D}  # customers' data: emails, orders, tracking numbers, transcripts
TRAINERS = {T, D}  # masked data only
SUPERVISORS = {S, D}  # reassign anything, manage canned replies, alerts

# The table of record. A new route fails test_the_app_has_exactly_these_routes until it is added here.
EXPECTED = {
    ("GET", "/"): ANYONE,
    ("GET", "/products/{sku}"): ANYONE,
    ("GET", "/account"): ANYONE,
    ("POST", "/account/sign-in"): ANYONE,
    ("POST", "/account/sign-out"): ANYONE,
    ("GET", "/static/widget/socket.io.min.js"): ANYONE,
    ("GET", "/chat/{session_id}/status"): ANYONE,
    ("GET", "/chat/{session_id}/history"): ANYONE,
    ("OPTIONS", "/chat/{session_id}/attachments"): ANYONE,
    ("POST", "/chat/{session_id}/attachments"): ANYONE,
    ("GET", "/chat/{session_id}/attachments/{attachment_id}"): ANYONE,
    ("OPTIONS", "/chat/{session_id}/offline-message"): ANYONE,
    ("POST", "/chat/{session_id}/offline-message"): ANYONE,
    ("OPTIONS", "/chat/{session_id}/csat"): ANYONE,
    ("POST", "/chat/{session_id}/csat"): ANYONE,
    ("OPTIONS", "/chat/{session_id}/transcript"): ANYONE,
    ("POST", "/chat/{session_id}/transcript"): ANYONE,
    ("POST", "/api/tickets/{ticket_id}/email"): STAFF,
    ("GET", "/api/attachments/{attachment_id}"): STAFF,
    ("GET", "/health"): ANYONE,
    ("GET", "/health/live"): ANYONE,
    ("GET", "/health/ready"): ANYONE,
    ("GET", "/login"): ANYONE,
    ("POST", "/api/login"): ANYONE,
    ("GET", "/static/{path}"): ANYONE,
    ("POST", "/api/logout"): LOGGED_IN,
    ("GET", "/api/me"): LOGGED_IN,
    ("GET", "/console"): STAFF,
    ("GET", "/api/tickets"): STAFF,
    ("GET", "/api/tickets/{ticket_id}"): STAFF,
    ("POST", "/api/tickets/{ticket_id}/claim"): STAFF,
    ("POST", "/api/tickets/{ticket_id}/messages"): STAFF,
    ("POST", "/api/tickets/{ticket_id}/notes"): STAFF,
    ("POST", "/api/tickets/{ticket_id}/resolve"): STAFF,
    ("POST", "/api/tickets/{ticket_id}/assign"): STAFF,
    ("POST", "/api/tickets/{ticket_id}/unassign"): STAFF,
    ("GET", "/api/resolution-tags"): STAFF,
    ("GET", "/api/agents"): STAFF,
    ("POST", "/api/me/availability"): STAFF,
    ("GET", "/api/live"): STAFF,
    ("GET", "/api/sla/policies"): STAFF,
    ("GET", "/api/alerts"): SUPERVISORS,
    ("POST", "/api/alerts/{alert_id}/acknowledge"): SUPERVISORS,
    ("GET", "/api/follow-ups"): STAFF,
    ("POST", "/api/follow-ups/{follow_up_id}/done"): STAFF,
    ("GET", "/api/knowledge"): STAFF,
    ("GET", "/api/canned-replies"): STAFF,
    ("POST", "/api/canned-replies"): SUPERVISORS,
    ("PUT", "/api/canned-replies/{reply_id}"): SUPERVISORS,
    ("DELETE", "/api/canned-replies/{reply_id}"): SUPERVISORS,
    ("GET", "/api/tickets/{ticket_id}/customer"): STAFF,
    ("GET", "/workbench"): TRAINERS,
    ("GET", "/api/intents"): TRAINERS,
    ("GET", "/api/inbox"): TRAINERS,
    ("GET", "/api/inbox/conversations/{reference}"): TRAINERS,
    ("POST", "/api/labels"): TRAINERS,
    ("POST", "/api/inbox/import"): TRAINERS,
    ("POST", "/api/export"): TRAINERS,
    ("GET", "/api/reports"): TRAINERS,
    ("GET", "/api/reports/{folder}/{name}"): TRAINERS,
}
USERS = {A: "ana@shop.example", T: "tia@shop.example", S: "sam@shop.example", D: "dee@shop.example"}


@pytest.fixture()
def desk(sqlite_engine, knowledge, tmp_path):
    for role, email in USERS.items():
        add_user(sqlite_engine, email, Role(role))
    return desk_app(sqlite_engine, knowledge, tmp_path), add_ticket(sqlite_engine)


@pytest.fixture()
def agent_and_trainer(sqlite_engine, knowledge, tmp_path):
    """Only the roles every version of the desk knew, so that these tests fail on their assertions."""
    for role in (A, T):
        add_user(sqlite_engine, USERS[role], Role(role))
    return desk_app(sqlite_engine, knowledge, tmp_path), add_ticket(sqlite_engine)


def app_routes(app):
    """(method, path template) of every route the app answers, HEAD folded into GET."""
    found = {}
    for route in app.router.routes():
        found.setdefault((route.method, route.resource.canonical), route)
    return found


def test_the_app_has_exactly_these_routes(desk):
    app, _ = desk
    routes = app_routes(app)
    for (method, path) in list(routes):
        if method == "HEAD":
            assert ("GET", path) in routes, f"HEAD {path} without GET"
            del routes[(method, path)]
    assert set(routes) == set(EXPECTED)


def concrete(path: str, ticket_id: int) -> str:
    values = {"sku": "TS-JKT-001", "session_id": "web-" + "b" * 32, "ticket_id": str(ticket_id), "reply_id": "1",
              "alert_id": "1", "follow_up_id": "1",
              "reference": "c" * 24, "attachment_id": "d" * 24, "folder": "20260101-000000-model", "name": "test_set_confusion.png"}
    if path == "/static/{path}":
        return "/static/desk.css"
    return re.sub(r"\{(\w+)\}", lambda match: values[match.group(1)], path)


def refusal(response, body) -> str:
    """What the route guard answered, or "" when the request reached the handler."""
    if response.status == 302 and response.headers.get("Location") == "/login":
        return "login"
    if response.status == 401 and isinstance(body, dict) and body.get("error") == "log in first":
        return "login"
    if response.status == 403 and isinstance(body, dict) and body.get("error") == "your role may not use this":
        return "role"
    return ""


async def call(client, method, path):
    response = await client.request(method, path, headers=HEADERS, allow_redirects=False,
                                    **({"json": {}} if method == "POST" else {}))
    body = await response.json() if response.content_type == "application/json" else None
    if response.content_type == "text/event-stream":
        response.close()  # the live feed streams until the console leaves
    return response, body


def test_every_route_with_every_role_against_the_table(desk):
    """Walks the routes of the built app (app.router), HEAD included, as each role."""
    app, ticket_id = desk
    # Logging out ends the session the rest of the walk needs: it goes last.
    walk = sorted(app_routes(app), key=lambda key: (key == ("POST", "/api/logout"), key[1], key[0]))
    mismatches = []

    async def scenario(anonymous):
        clients = {"anonymous": anonymous}
        for role, email in USERS.items():
            # One browser per role: its own cookie jar, the same server.
            clients[role] = aiohttp.ClientSession(base_url=str(anonymous.make_url("/")),
                                                  cookie_jar=aiohttp.CookieJar(unsafe=True))
            assert (await login(clients[role], email)).status == 200
        try:
            for method, path in walk:
                roles = EXPECTED.get(("GET" if method == "HEAD" else method, path))
                if roles is None:
                    mismatches.append(f"{method} {path} is not in the table")
                    continue
                for role, client in clients.items():
                    response, body = await call(client, method, concrete(path, ticket_id))
                    assert response.status < 500, f"{method} {path} as {role}: {response.status} {body}"
                    assert_security_headers(response)
                    got = refusal(response, body)
                    if method == "HEAD":
                        # No body to read: a refusal is 401 or the redirect to /login, or 403.
                        got = "login" if response.status in (401, 302) and role == "anonymous" else (
                            "role" if response.status == 403 and role != "anonymous" else "")
                    expected = "" if role in roles else ("login" if role == "anonymous" else "role")
                    if got != expected:
                        mismatches.append(f"{method} {path} as {role}: expected "
                                          f"{expected or 'allowed'}, got {response.status} {body}")
        finally:
            for role, client in clients.items():
                if role != "anonymous":
                    await client.close()
    run(app, scenario)
    assert len(walk) > len(EXPECTED)  # GET routes come with HEAD
    assert mismatches == []


def test_refusals_say_log_in_on_the_api_and_redirect_pages(agent_and_trainer):
    app, ticket_id = agent_and_trainer

    async def scenario(client):
        api = await client.get(f"/api/tickets/{ticket_id}")
        assert api.status == 401 and (await api.json()) == {"error": "log in first"}
        page = await client.get("/console", allow_redirects=False)
        assert page.status == 302 and page.headers["Location"] == "/login"
        assert_security_headers(page)
    run(app, scenario)


def test_a_trainer_sees_no_ticket_writes_no_note_and_opens_no_console(agent_and_trainer):
    """Tickets carry unmasked emails, order and tracking numbers: not for trainers."""
    app, ticket_id = agent_and_trainer

    async def scenario(client):
        assert (await login(client, USERS[T])).status == 200
        detail = await client.get(f"/api/tickets/{ticket_id}")
        assert detail.status == 403
        assert "TS100004" not in await detail.text()
        assert (await client.get("/api/tickets")).status == 403
        note = await client.post(f"/api/tickets/{ticket_id}/notes", json={"text": "seen it"}, headers=HEADERS)
        assert note.status == 403
        assert (await client.get("/console", allow_redirects=False)).status == 403
    run(app, scenario)


def test_a_supervisor_uses_the_console_but_not_the_workbench(desk):
    app, ticket_id = desk

    async def scenario(client):
        assert (await login(client, USERS[S])).status == 200
        assert (await client.get(f"/api/tickets/{ticket_id}")).status == 200
        assert (await client.get("/console")).status == 200
        assert (await client.get("/api/inbox")).status == 403
        assert (await client.get("/workbench", allow_redirects=False)).status == 403
    run(app, scenario)


def test_writes_without_the_desk_header_are_refused(agent_and_trainer):
    app, ticket_id = agent_and_trainer

    async def scenario(client):
        assert (await login(client, USERS[A])).status == 200
        for path in (f"/api/tickets/{ticket_id}/claim", f"/api/tickets/{ticket_id}/notes", "/api/logout"):
            response = await client.post(path, json={"text": "x"})
            assert response.status == 403 and "X-Requested-With" in (await response.json())["error"]
        assert (await client.get("/api/me")).status == 200  # still logged in: the logout was refused
    run(app, scenario)


def test_a_route_without_a_declaration_stops_the_desk(sqlite_engine, knowledge, tmp_path, monkeypatch):
    from bot.desk.routing import UndeclaredRoute

    async def sneaky(request):
        return web.json_response({"orders": "all of them"})

    declared_install = bot.desk.app.install

    def install_and_sneak_one_in(app, *groups):
        declared_install(app, *groups)
        app.router.add_get("/api/everything", sneaky)  # a route added beside the declarations
    monkeypatch.setattr(bot.desk.app, "install", install_and_sneak_one_in)
    with pytest.raises(UndeclaredRoute, match="/api/everything"):
        desk_app(sqlite_engine, knowledge, tmp_path)


def test_a_route_added_after_create_app_stops_the_server_at_start(desk):
    from bot.desk.routing import UndeclaredRoute

    app, _ = desk

    async def sneaky(request):
        return web.json_response({})
    app.router.add_post("/api/late", sneaky)

    async def start():
        server = TestServer(app)
        try:
            await server.start_server()
        finally:
            await server.close()
    with pytest.raises(UndeclaredRoute, match="/api/late"):
        asyncio.run(start())
