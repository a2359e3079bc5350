"""Schema migrations of the project's tables (Alembic, configured from code: there is no alembic.ini).

`upgrade(engine)` brings any database to the newest revision: an empty one gets every table; one made
before migrations existed (create_all, no alembic_version table) joins the history at the baseline
without losing rows; one already under migrations gets the revisions it lacks. Rasa keeps its own
tables in the same database ("events", from its SQL tracker store); the migrations and autogenerate
never look at them.

Developers: `python -m bot.db.migrations --help` (revision, upgrade, downgrade, current, history, check).
"""
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, List, Optional, Tuple

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

if TYPE_CHECKING:
    from alembic.config import Config

DIRECTORY = Path(__file__).resolve().parent
BASELINE = "0001"
VERSION_TABLE = "alembic_version"
# Tables that other programs keep in our database: Rasa's SQL tracker store (and its SQL event broker)
# write "events". Autogenerate must never propose to drop or alter them.
FOREIGN_TABLES = frozenset({"events"})
# Any fixed number: the PostgreSQL advisory lock that lets one process at a time migrate.
_POSTGRES_LOCK = 7_311_200_001


class MigrationError(RuntimeError):
    """The database cannot be brought to the newest schema as it is; the message says why."""


def include_name(name: Optional[str], type_: str, parent_names) -> bool:
    """Only our tables are reflected, compared and migrated."""
    if type_ == "table":
        return name not in FOREIGN_TABLES
    return True


def alembic_config(connection: Optional[Connection] = None, url: Optional[str] = None) -> "Config":
    """Alembic's configuration, built in code; `connection` is the one env.py migrates on."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(DIRECTORY))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.set_main_option("truncate_slug_length", "60")
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> Optional[str]:
    from alembic.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def schema_differences(connection: Connection) -> List[tuple]:
    """What autogenerate would change to make this database match the models ([] when they match)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bot.db.models import Base

    context = MigrationContext.configure(connection, opts={"include_name": include_name, "compare_type": True})
    return compare_metadata(context, Base.metadata)


def describe_difference(difference) -> str:
    """One line for one item of schema_differences(), e.g. "add_column tickets.client_key"."""
    if isinstance(difference, list):  # modify_* items come as a list of changes to one column
        return "; ".join(describe_difference(item) for item in difference)
    kind, *rest = difference
    if kind.startswith("modify_"):
        _schema, table, column, _existing, old, new = rest
        return f"{kind} {table}.{column}: {old!r} -> {new!r}"
    if kind.endswith("_column"):
        _schema, table, column = rest
        return f"{kind} {table}.{column.name}"
    thing = rest[0]
    table = getattr(thing, "table", None)
    return f"{kind} {getattr(thing, 'name', thing)}" + (f" on {table.name}" if table is not None else "")


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """One connection, in one transaction, that alone migrates the database.

    SQLite: a connection of its own, with foreign keys off (a batch migration rebuilds a table by
    copying it, and dropping the old copy must not cascade into the rows that refer to it) and a real
    BEGIN IMMEDIATE (pysqlite would not begin before DDL), so that a failed migration leaves nothing
    half done and a second process waits. PostgreSQL: DDL is transactional; an advisory lock makes a
    second process wait for the first and then find the work done.
    """
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        own = create_engine(engine.url, poolclass=NullPool, connect_args={"timeout": 30})

        @event.listens_for(own, "connect")
        def _connect(dbapi_connection, _record):
            dbapi_connection.isolation_level = None
            dbapi_connection.execute("PRAGMA foreign_keys=OFF")

        @event.listens_for(own, "begin")
        def _begin(connection):
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        try:
            with own.begin() as connection:
                yield connection
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise MigrationError(f"the migration would leave {len(broken)} rows whose foreign key "
                                         f"points nowhere (first: {tuple(broken[0])}); nothing was changed")
        finally:
            own.dispose()
        return
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _POSTGRES_LOCK})
        yield connection


@dataclass(frozen=True)
class UpgradeResult:
    before: Optional[str]  # None: the database had no migration history
    after: Optional[str]
    adopted: Tuple[str, ...] = ()  # our tables found in a database without history, kept with their rows

    def describe(self) -> str:
        if self.adopted:
            return (f"schema: adopted {len(self.adopted)} existing tables (made before migrations), "
                    f"now at revision {self.after}")
        if self.before == self.after:
            return f"schema: at revision {self.after}, nothing to do"
        return f"schema: revision {self.before or 'none (empty database)'} -> {self.after}"


def upgrade(engine: Engine, revision: str = "head") -> UpgradeResult:
    """Bring the database to `revision` (the newest by default), keeping every row."""
    from alembic import command
    from alembic.util import CommandError

    from bot.db.models import Base

    with migration_connection(engine) as connection:
        config = alembic_config(connection)
        before = current_revision(connection)
        adopted: Tuple[str, ...] = ()
        if before is None:
            adopted = tuple(sorted(set(inspect(connection).get_table_names()) & set(Base.metadata.tables)))
            # Made by create_all with today's models: it is the newest schema already.
            if adopted and revision == "head" and not schema_differences(connection):
                command.stamp(config, "head")
                return UpgradeResult(before, current_revision(connection), adopted)
        # Otherwise the baseline creates whichever of its tables are missing and keeps the others, and
        # the later revisions follow; a table they add that exists already stops here with its name.
        try:
            command.upgrade(config, revision)
        except CommandError as error:
            raise MigrationError(f"{error}: the database is at revision {before}, and this code knows "
                                 f"revisions up to {head_revision()} (was it made by a newer version?); "
                                 f"nothing was changed") from error
        except Exception as error:
            if adopted:
                raise MigrationError(
                    f"this database was made without migrations and matches neither the baseline nor the "
                    f"models ({error.__class__.__name__}: {str(error).splitlines()[0]}); nothing was changed. "
                    f"A development database can be deleted and made again; for another, find the revision "
                    f"it matches and record it with: python -m bot.db.migrations stamp REV") from error
            raise
        return UpgradeResult(before, current_revision(connection), adopted)


def stamp(engine: Engine, revision: str) -> UpgradeResult:
    """Record `revision` as the database's own without running anything (for a database whose schema
    is known to be that revision's)."""
    from alembic import command

    with migration_connection(engine) as connection:
        before = current_revision(connection)
        command.stamp(alembic_config(connection), revision, purge=True)
        return UpgradeResult(before, current_revision(connection))


def downgrade(engine: Engine, revision: str) -> UpgradeResult:
    from alembic import command

    with migration_connection(engine) as connection:
        before = current_revision(connection)
        command.downgrade(alembic_config(connection), revision)
        return UpgradeResult(before, current_revision(connection))
