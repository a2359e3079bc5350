from datetime import date

import pytest
from sqlalchemy import create_engine

from bot.db import create_schema, session_scope
from bot.db.seed import seed
from tests.integration.servers import running_servers


@pytest.fixture(scope="session")
def servers(tmp_path_factory, kb):
    """The real Rasa and action servers on a freshly seeded SQLite database (seeded for today)."""
    directory = tmp_path_factory.mktemp("servers")
    url = f"sqlite:///{directory / 'storefront.db'}"
    engine = create_engine(url, future=True)
    create_schema(engine)
    with session_scope(engine) as session:
        seed(session, kb, date.today())
    engine.dispose()
    with running_servers(url, directory) as running:
        running.database_url = url
        yield running
