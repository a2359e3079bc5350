"""Fixtures of the Rasa environment's tests: a private database, SQLite or PostgreSQL."""
import pytest

from bot.database_urls import for_application, for_rasa
from tests.postgres import private_postgres


@pytest.fixture()
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'var' / 'storefront.db'}"


@pytest.fixture()
def postgres_url():
    """A new, empty PostgreSQL database for one test, in the application's spelling (psycopg 3), which the
    Rasa side has to read too."""
    with private_postgres("sf_rasa", driver=for_rasa) as url:
        yield for_application(url)
