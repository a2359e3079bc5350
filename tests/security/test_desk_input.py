"""Bad input to the desk gets a 400 (or 404 for a well-formed unknown id) with a JSON error, never a 500
or a traceback; an unexpected failure is a bare JSON 500, logged; every response carries the security
headers, errors, redirects and static files included."""
import logging

import pytest

from bot.db.models import Role
from tests.security.desk_helpers import (HEADERS, FakeRasa, add_ticket, add_user, assert_security_headers, desk_app,
                                         login, run)

AGENT = "ana@shop.example"
JSON = {**HEADERS, "Content-Type": "application/json"}


@pytest.fixture()
def desk(sqlite_engine, knowledge, tmp_path):
    add_user(sqlite_engine, AGENT, Role.agent)
    return desk_app(sqlite_engine, knowledge, tmp_path), add_ticket(sqlite_engine)


async def assert_json_error(response, status):
    text = await response.text()
    assert response.status == status, f"{response.method} {response.url.path}: {response.status} {text[:300]}"
    assert response.content_type == "application/json"
    assert "error" in await response.json()
    assert "Traceback" not in text and "File \"" not in text
    assert_security_headers(response)


@pytest.mark.parametrize("ticket", ["99999999999999999999999", "-1", "abc", "0", "1.5", "%FF", "１"])
def test_ids_that_are_not_ids_get_400(desk, ticket):
    app, _ = desk

    async def scenario(client):
        await login(client, AGENT)
        await assert_json_error(await client.get(f"/api/tickets/{ticket}"), 400)
        await assert_json_error(await client.post(f"/api/tickets/{ticket}/notes", json={"text": "x"},
                                                  headers=HEADERS), 400)
        await assert_json_error(await client.post(f"/api/tickets/{ticket}/claim", headers=HEADERS), 400)
    run(app, scenario)


def test_a_well_formed_unknown_id_is_404(desk):
    app, _ = desk

    async def scenario(client):
        await login(client, AGENT)
        await assert_json_error(await client.get("/api/tickets/2147483647"), 404)
    run(app, scenario)


BAD_BODIES = {
    "nested 100,000 deep": ("[" * 100_000 + "]" * 100_000).encode(),
    "nested object 100,000 deep": ('{"text":' * 100_000 + '"x"' + "}" * 100_000).encode(),
    "empty": b"",
    "a list": b'["text", "hello"]',
    "a string": b'"hello"',
    "not JSON": b"text=hello",
    "invalid UTF-8": b'{"text": "\xff\xfe hello"}',
    "a lone surrogate": b'{"text": "\\ud800 hello"}',
    "a lone surrogate in a key": b'{"\\udfff": 1, "text": "hello"}',
    "text that is not text": b'{"text": {"$gt": ""}}',
}


@pytest.mark.parametrize("name", list(BAD_BODIES))
def test_bad_bodies_get_400(desk, name):
    app, ticket_id = desk

    async def scenario(client):
        await login(client, AGENT)
        await client.post(f"/api/tickets/{ticket_id}/claim", headers=HEADERS)
        for path in (f"/api/tickets/{ticket_id}/notes", f"/api/tickets/{ticket_id}/messages"):
            await assert_json_error(await client.post(path, data=BAD_BODIES[name], headers=JSON), 400)
        detail = await (await client.get(f"/api/tickets/{ticket_id}")).json()
        assert detail["notes"] == []  # nothing was stored
    run(app, scenario)


@pytest.mark.parametrize("name", ["nested 100,000 deep", "invalid UTF-8", "a lone surrogate", "a list", "empty"])
def test_bad_login_bodies_get_400(desk, name):
    app, _ = desk

    async def scenario(client):
        await assert_json_error(await client.post("/api/login", data=BAD_BODIES[name], headers=JSON), 400)
    run(app, scenario)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                                          "application/xml", "application/jsonp"])
def test_writes_in_other_content_types_get_400(desk, content_type):
    app, ticket_id = desk

    async def scenario(client):
        await login(client, AGENT)
        response = await client.post(f"/api/tickets/{ticket_id}/notes", data=b'{"text": "hello"}',
                                     headers={**HEADERS, "Content-Type": content_type})
        await assert_json_error(response, 400)
    run(app, scenario)


def test_unknown_routes_and_methods_are_json_with_the_headers(desk):
    app, _ = desk

    async def scenario(client):
        await assert_json_error(await client.get("/api/no-such-thing"), 404)
        await assert_json_error(await client.get("/no/such/page"), 404)
        await assert_json_error(await client.get("/static/no-such-file.js"), 404)
        not_allowed = await client.get("/api/login")
        await assert_json_error(not_allowed, 405)
        assert "POST" in not_allowed.headers["Allow"]
    run(app, scenario)


def test_redirects_static_files_and_pages_carry_the_headers(desk):
    app, _ = desk

    async def scenario(client):
        redirect = await client.get("/console", allow_redirects=False)
        assert redirect.status == 302
        assert_security_headers(redirect)
        for path in ("/static/console.js", "/login", "/", "/health", "/health/live", "/health/ready"):
            response = await client.get(path)
            assert response.status == 200, path
            assert_security_headers(response)
    run(app, scenario)


def test_an_unexpected_failure_is_a_bare_json_500_and_is_logged(sqlite_engine, knowledge, tmp_path, caplog):
    add_user(sqlite_engine, AGENT, Role.agent)
    ticket_id = add_ticket(sqlite_engine)
    app = desk_app(sqlite_engine, knowledge, tmp_path, rasa=FakeRasa(broken=True))

    async def scenario(client):
        await login(client, AGENT)
        response = await client.get(f"/api/tickets/{ticket_id}")
        await assert_json_error(response, 500)
        assert (await response.json()) == {"error": "internal error"}
    with caplog.at_level(logging.ERROR):
        run(app, scenario)
    assert "secret internal detail" in caplog.text  # logged on the server, not sent to the caller


# Bodies are checked before aiohttp reads them: nothing compressed, nothing without a length, no path
# probing. A second fence in front of whatever aiohttp's own parser may get wrong next.
def test_compressed_and_unmeasured_bodies_are_refused_before_reading(desk):
    import gzip

    app, _ = desk
    bomb = gzip.compress(b"{" + b" " * 5_000_000 + b"}")

    body = b'{"email": "a@b.example", "password": "x"}'
    chunked = (b"POST /api/login HTTP/1.1\r\nHost: desk\r\nContent-Type: application/json\r\n"
               b"X-Requested-With: desk\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
               + f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")

    async def scenario(client):
        import asyncio

        await assert_json_error(await client.post("/api/login", data=bomb,
                                                  headers={**JSON, "Content-Encoding": "gzip"}), 415)
        reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
        writer.write(chunked)
        await writer.drain()
        status_line = await reader.readline()
        writer.close()
        assert status_line.split()[1] == b"411", status_line
    run(app, scenario)


def test_static_files_answer_only_for_files_that_ship(desk):
    app, _ = desk

    async def scenario(client):
        assert (await client.get("/static/desk.css")).status == 200
        for probe in ("/static/../bot/settings.py", "/static/%2e%2e/%2e%2e/etc/passwd", "/static//etc/passwd",
                      "/static/widget/../../../../etc/hostname", "/static/nothing.css", "/static/%2Fetc%2Fpasswd"):
            response = await client.get(probe)
            assert response.status == 404, probe
            assert "root:" not in await response.text()
    run(app, scenario)
