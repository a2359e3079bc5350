"""Private PostgreSQL databases for tests, made and dropped through SQLAlchemy alone, so that both
environments' tests use them (SQLAlchemy 2 with psycopg 3, and the Rasa environment's 1.4 with psycopg2)."""
import os
import uuid
from contextlib import contextmanager
from typing import Callable, Iterator, Optional

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

# The server the PostgreSQL tests use, in any spelling of bot/database_urls.py.
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def private_postgres(prefix: str, template: Optional[str] = None, *,
                     driver: Callable[[str], str]) -> Iterator[str]:
    """The URL (in `driver`'s spelling) of a PostgreSQL database of its own, a copy of `template` or
    empty, dropped afterwards with whatever is still connected to it."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(driver(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    try:
        yield make_url(driver(POSTGRES_URL)).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
