"""Engine and session helpers. Nothing connects at import: the engine is made on first use."""
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Optional

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from bot.database_urls import for_application
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
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        # A connection per use, as SQLAlchemy 1.4 made them: a pooled one would keep reading and
        # writing a database file that was deleted or replaced, and the readiness checks would not see it.
        engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _record):
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")  # readers don't block the tracker store's writes
            cursor.close()

        return engine
    return create_engine(for_application(url), pool_pre_ping=True)


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
    factory = sessionmaker(bind=engine or get_engine(), expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
