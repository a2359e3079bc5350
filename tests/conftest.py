"""Shared fixtures: the real knowledge base and a real, seeded database (SQLite file or PostgreSQL)."""
import os
import shutil
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Optional

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from bot.database_urls import for_application
from bot.db import create_schema, get_engine, session_scope
from bot.db.seed import seed
from bot.knowledge import Knowledge, get_knowledge, load_knowledge_base
from bot.settings import PROJECT_ROOT, get_settings
from tests import postgres
from tests.integration.servers import TOKEN, running_servers
from tests.postgres import POSTGRES_URL

# The suite runs in the test environment, which refuses short or missing secrets as production does;
# these values exist only for the tests and the servers they start (which inherit the environment).
TEST_SECRETS = {"STOREFRONT_ENV": "test", "RASA_TOKEN": TOKEN,
                "SHOP_IDENTITY_SECRET": "identity-secret-of-the-test-suite-only-0123456789"}
os.environ.update(TEST_SECRETS)

# tests/rasa runs in the Rasa environment's interpreter, with its own configuration (tests/rasa/pytest.ini).
collect_ignore = ["rasa"]

# Fixed so that tests about late orders and estimates do not depend on the day they run.
TODAY = date(2026, 11, 23)


@pytest.fixture(scope="session")
def kb():
    return load_knowledge_base(PROJECT_ROOT / "knowledge_base")


@pytest.fixture(scope="session")
def knowledge(kb) -> Knowledge:
    return Knowledge(kb)


def _seed(engine, kb) -> None:
    create_schema(engine)
    with session_scope(engine) as session:
        seed(session, kb, TODAY)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory, kb) -> Path:
    """Seeded once; each test gets a copy, which is much faster than seeding again."""
    path = tmp_path_factory.mktemp("template") / "orders.db"
    engine = create_engine(f"sqlite:///{path}")
    _seed(engine, kb)
    engine.dispose()
    return path


@pytest.fixture()
def sqlite_engine(tmp_path, sqlite_template):
    """A private seeded SQLite database for one test."""
    path = tmp_path / "orders.db"
    shutil.copyfile(sqlite_template, path)
    return get_engine(f"sqlite:///{path}")


def _postgres_admin():
    return create_engine(for_application(POSTGRES_URL), isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def postgres_template(kb):
    """A seeded PostgreSQL database used as the template of each test's private copy."""
    with postgres.private_postgres("sf_template", driver=for_application) as url:
        engine = create_engine(url)
        _seed(engine, kb)
        engine.dispose()
        yield make_url(url).database


@contextmanager
def private_postgres(prefix: str, template: Optional[str] = None):
    """An engine on a PostgreSQL database of its own (a copy of `template`, or empty), dropped afterwards."""
    with postgres.private_postgres(prefix, template, driver=for_application) as url:
        engine = create_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


@pytest.fixture()
def postgres_engine(postgres_template):
    """A private seeded PostgreSQL database for one test, copied from the template."""
    with private_postgres("sf_test", postgres_template) as engine:
        yield engine


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


def always_on_duty_knowledge_base(directory: Path) -> Path:
    """The store's knowledge base with the support team on duty around the clock, so that handoffs on
    the real servers reach the queue whatever the time of day (the offline reply has its unit tests)."""
    import yaml

    target = directory / "knowledge_base"
    shutil.copytree(PROJECT_ROOT / "knowledge_base", target)
    store = yaml.safe_load((target / "store.yml").read_text())
    store["support"]["schedule"].update(days=["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                                        opens="00:00", closes="24:00")
    (target / "store.yml").write_text(yaml.safe_dump(store, sort_keys=False))
    return target


@contextmanager
def seeded_servers(directory: Path, kb, knowledge_base: Path, extra_env: Optional[dict] = None):
    """The real Rasa, action and desk servers on a freshly seeded SQLite database (seeded for today), with
    the knowledge base in `knowledge_base` and mail going to a local SMTP server whose mailbox the tests
    read (`running.mailbox`)."""
    from tests.mailbox import smtp_server

    url = f"sqlite:///{directory / 'storefront.db'}"
    engine = create_engine(for_application(url))
    create_schema(engine)
    with session_scope(engine) as session:
        seed(session, kb, date.today())
    engine.dispose()
    with smtp_server() as (mailbox, smtp_url), \
            running_servers(url, directory, extra_env={"KNOWLEDGE_BASE_DIR": str(knowledge_base),
                                                       "SMTP_URL": smtp_url, **(extra_env or {})}) as running:
        running.database_url = url
        running.mailbox = mailbox
        yield running


@pytest.fixture(scope="session")
def servers(tmp_path_factory, kb):
    """The servers with the support team on duty around the clock. Demo sign-in on, as `make run` sets it
    for a newcomer: the browser journeys sign in on /account."""
    directory = tmp_path_factory.mktemp("servers")
    with seeded_servers(directory, kb, always_on_duty_knowledge_base(directory), {"DEMO_SIGN_IN": "1"}) as running:
        yield running


@pytest.fixture()
def mailbox(monkeypatch):
    """A local SMTP server the assistant mails to (SMTP_URL); the test reads what arrived."""
    from tests.mailbox import smtp_server

    with smtp_server() as (box, url):
        monkeypatch.setenv("SMTP_URL", url)
        get_settings.cache_clear()
        yield box
    get_settings.cache_clear()
