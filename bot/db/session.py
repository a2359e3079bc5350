"""Engine and session helpers. Nothing connects at import: the engine is made on first use."""
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Optional

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.db.models import Base


def get_engine(url: Optional[str] = None) -> Engine:
    """The engine for `url`, or for the configured DATABASE_URL; one per URL and process."""
    if url is None:
        from bot.settings import get_settings

        url = get_settings().database_url
    return _engine_for(url)


@lru_cache(maxsize=8)
def _engine_for(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        from pathlib import Path

        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, future=True, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _record):
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")  # readers don't block the tracker store's writes
            cursor.close()

        return engine
    return create_engine(url, future=True, pool_pre_ping=True)


def create_schema(engine: Engine) -> None:
    """Bring the database to the newest schema, keeping its rows (bot/db/migrations).

    A database without any of our tables is made by create_all and stamped with the newest revision:
    quicker than running every migration, and the same schema, which tests/bot/db/test_migrations.py
    holds. Any other database is upgraded by the migrations.
    """
    from sqlalchemy import inspect

    from bot.db import migrations

    with migrations.migration_connection(engine) as connection:
        if not set(inspect(connection).get_table_names()) & set(Base.metadata.tables):
            from alembic import command

            Base.metadata.create_all(connection)
            command.stamp(migrations.alembic_config(connection), "head")
            return
    migrations.upgrade(engine)


@contextmanager
def session_scope(engine: Optional[Engine] = None) -> Iterator[Session]:
    """A short-lived session: committed on success, rolled back on error, always closed."""
    factory = sessionmaker(bind=engine or get_engine(), future=True, expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def database_problem(engine: Engine, table: str) -> Optional[str]:
    """Why the database cannot serve requests now, or None: the servers' readiness checks. It reads
    `table` (the schema is there; a deleted SQLite file would reconnect empty) and makes a write that
    changes no row, rolled back, so that a read-only database counts as down. `table` is one of ours, never
    input (it is written into the SQL)."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
            and not Path(url.database).is_file():
        return "the database file is missing"  # connecting would quietly create a new, empty one
    try:
        with engine.connect() as connection:
            transaction = connection.begin()  # explicit: Rasa's engine is not a "future" one
            connection.execute(text(f"SELECT 1 FROM {table} LIMIT 1"))
            connection.execute(text(f"UPDATE {table} SET id = id WHERE id = 0"))
            transaction.rollback()
    except SQLAlchemyError as problem:
        return str(problem).splitlines()[0][:200]
    return None
