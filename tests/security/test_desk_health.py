"""Health checks that tell live from ready, and a desk that says so when its database is gone or
read-only instead of answering "ok" (or a bare 500 at login)."""
import os

from sqlalchemy import text

from bot.db.models import Role
from tests.conftest import _postgres_admin
from tests.security.desk_helpers import add_user, assert_security_headers, desk_app, login, run

AGENT = "ana@shop.example"


def test_live_and_ready_when_all_is_well(sqlite_engine, knowledge, tmp_path):
    async def scenario(client):
        for path in ("/health/live", "/health/ready", "/health"):
            response = await client.get(path)
            assert response.status == 200 and (await response.json())["status"] == "ok", path
    run(desk_app(sqlite_engine, knowledge, tmp_path), scenario)


def test_a_deleted_database_file_makes_the_desk_not_ready_but_still_live(sqlite_engine, knowledge, tmp_path):
    app = desk_app(sqlite_engine, knowledge, tmp_path)
    database = sqlite_engine.url.database

    async def scenario(client):
        assert (await client.get("/health/ready")).status == 200
        os.remove(database)
        live = await client.get("/health/live")
        assert live.status == 200
        for path in ("/health/ready", "/health"):
            response = await client.get(path)
            assert response.status == 503, path
            assert (await response.json())["status"] == "unavailable"
            assert_security_headers(response)
        assert not os.path.exists(database)  # the check did not create an empty file in its place
    run(app, scenario)


def test_a_read_only_database_is_not_ready_and_login_says_why(postgres_engine, knowledge, tmp_path):
    add_user(postgres_engine, AGENT, Role.agent)
    name = postgres_engine.url.database
    admin = _postgres_admin()
    with admin.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
    admin.dispose()
    postgres_engine.dispose()  # new connections pick the setting up

    async def scenario(client):
        assert (await client.get("/health/live")).status == 200
        ready = await client.get("/health/ready")
        assert ready.status == 503 and "database" in (await ready.json())["error"]
        response = await login(client, AGENT)
        assert response.status == 503
        assert "database" in (await response.json())["error"]
        assert_security_headers(response)
    run(desk_app(postgres_engine, knowledge, tmp_path), scenario)
