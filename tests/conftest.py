"""Shared fixtures: the real knowledge base and a real, seeded database (SQLite file or PostgreSQL)."""
import os
import uuid
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.db import create_schema, get_engine, session_scope
from bot.db.seed import seed
from bot.knowledge import Knowledge, get_knowledge, load_knowledge_base
from bot.settings import PROJECT_ROOT, get_settings

# Fixed so that tests about late orders and estimates do not depend on the day they run.
TODAY = date(2026, 11, 23)
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def kb():
    return load_knowledge_base(PROJECT_ROOT / "knowledge_base")


@pytest.fixture(scope="session")
def knowledge(kb) -> Knowledge:
    return Knowledge(kb)


@pytest.fixture(scope="session")
def seeded_sqlite_url(tmp_path_factory, kb) -> str:
    path = tmp_path_factory.mktemp("db") / "orders.db"
    url = f"sqlite:///{path}"
    engine = get_engine(url)
    create_schema(engine)
    with session_scope(engine) as session:
        seed(session, kb, TODAY)
    return url


@pytest.fixture()
def sqlite_engine(tmp_path, kb):
    """A private seeded database for tests that change orders."""
    engine = get_engine(f"sqlite:///{tmp_path / 'orders.db'}")
    create_schema(engine)
    with session_scope(engine) as session:
        seed(session, kb, TODAY)
    return engine


@pytest.fixture()
def postgres_engine(kb):
    """A private schema in the local PostgreSQL, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, future=True)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine = create_engine(POSTGRES_URL, future=True,
                           connect_args={"options": f"-csearch_path={schema}"})
    create_schema(engine)
    with session_scope(engine) as session:
        seed(session, kb, TODAY)
    yield engine
    engine.dispose()
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request):
    return request.getfixturevalue(f"{request.param}_engine")


@pytest.fixture()
def app_database(monkeypatch, sqlite_engine):
    """Point the actions (which use the configured database) at a private seeded SQLite file."""
    monkeypatch.setenv("DATABASE_URL", str(sqlite_engine.url))
    get_settings.cache_clear()
    get_knowledge.cache_clear()
    yield sqlite_engine
    get_settings.cache_clear()


def project_path(*parts: str) -> Path:
    return PROJECT_ROOT.joinpath(*parts)
