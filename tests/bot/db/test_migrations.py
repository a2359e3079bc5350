"""The migrations, on SQLite and PostgreSQL: from an empty database they build exactly the models' schema
(so a model changed without a revision fails here), a database made before migrations keeps its rows,
Rasa's table in the same database is never touched, and each revision downgrades."""
import os
import subprocess
import sys
from datetime import datetime

import pytest
from sqlalchemy import MetaData, Table, create_engine, func, inspect, select, table, text

from bot.cli import main as cli_main
from bot.db import create_schema, get_engine, session_scope
from bot.db.migrations import (BASELINE, VERSION_TABLE, MigrationError, UpgradeResult, current_revision,
                               describe_difference, downgrade, head_revision, migration_connection,
                               schema_differences, upgrade)
from bot.db.models import Base, Order, OrderStatus
from bot.settings import PROJECT_ROOT
from tests.conftest import private_postgres
from tests.tracker import store_events, user_said

BASELINE_TABLES = {"customers", "orders", "order_lines", "shipments", "tracking_events", "users", "tickets",
                   "ticket_notes", "desk_sessions", "inbox_messages", "labels", "sync_marks"}


@pytest.fixture()
def sqlite_blank(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'blank.db'}")
    yield engine
    engine.dispose()


@pytest.fixture()
def postgres_blank():
    """A private, empty PostgreSQL database, dropped afterwards."""
    with private_postgres("sf_migrations") as engine:
        yield engine


@pytest.fixture(params=["sqlite", "postgres"])
def blank(request):
    return request.getfixturevalue(f"{request.param}_blank")


def differences(engine):
    with engine.connect() as connection:
        return [describe_difference(d) for d in schema_differences(connection)]


def revision(engine):
    with engine.connect() as connection:
        return current_revision(connection)


def tables(engine):
    return set(inspect(engine).get_table_names())


def add_rasa_tracker_table(engine):
    """Rasa's SQL tracker store's own table, made by Rasa's own code (in the Rasa environment), with one
    event in it."""
    store_events(engine, "shopper-1", [user_said("hi", {"intent": {"name": "greet", "confidence": 1.0}}, 1.0)])


def made_before_migrations(engine, template_path):
    """A database as create_all made it before migrations: the baseline's tables without a version
    table, holding the demo orders (copied from the seeded template) and a desk user with a ticket."""
    upgrade(engine, BASELINE)
    with engine.begin() as connection:
        connection.execute(text(f"DROP TABLE {VERSION_TABLE}"))
    source = create_engine(f"sqlite:///{template_path}")
    with source.connect() as reading, engine.begin() as writing:
        for name in ("customers", "orders", "order_lines", "shipments", "tracking_events"):
            target = Table(name, MetaData(), autoload_with=writing)
            # Only the columns the baseline has: later revisions may add some to the models.
            origin = Table(name, MetaData(), autoload_with=reading)
            rows = reading.execute(select(*[origin.c[column.name] for column in target.columns])).mappings()
            writing.execute(target.insert(), [dict(row) for row in rows])
        now = datetime(2026, 11, 23, 9, 0)
        writing.execute(text("INSERT INTO users (id, email, name, password_hash, role, active, created_at) "
                             "VALUES (1, 'ana@shop.example', 'Ana', 'x', 'agent', 1, :now)"), {"now": now})
        writing.execute(text("INSERT INTO tickets (id, conversation_id, reason, peak_anger, priority, summary, "
                             "status, created_at, assigned_agent_id) VALUES (1, 'c1', 'asked', 0, 0, '{}', "
                             "'assigned', :now, 1)"), {"now": now})
        writing.execute(text("INSERT INTO ticket_notes (id, ticket_id, author_id, text, created_at) "
                             "VALUES (1, 1, 1, 'called back', :now)"), {"now": now})
    source.dispose()


def row_counts(engine, names):
    with engine.connect() as connection:
        return {name: connection.execute(select(func.count()).select_from(table(name))).scalar_one()
                for name in names}


def test_upgrade_from_empty_builds_exactly_the_models_and_leaves_rasa_table_alone(blank):
    add_rasa_tracker_table(blank)

    result = upgrade(blank)

    assert result == UpgradeResult(before=None, after=head_revision())
    assert differences(blank) == [], "models changed without a migration: python -m bot.db.migrations " \
                                     "revision -m \"...\" --autogenerate"
    assert tables(blank) == set(Base.metadata.tables) | {VERSION_TABLE, "events"}
    assert upgrade(blank).describe() == f"schema: at revision {head_revision()}, nothing to do"
    # Every revision steps back, down to nothing of ours; Rasa's events stay.
    from alembic.script import ScriptDirectory

    from bot.db.migrations import alembic_config

    for script in ScriptDirectory.from_config(alembic_config()).walk_revisions():
        downgrade(blank, script.down_revision or "base")
        assert revision(blank) == script.down_revision
    assert tables(blank) == {"events", VERSION_TABLE}
    assert row_counts(blank, ["events"]) == {"events": 1}


def test_database_made_before_migrations_is_adopted_by_init_db_with_its_rows(blank, sqlite_template, capsys):
    made_before_migrations(blank, sqlite_template)
    with blank.begin() as connection:
        connection.execute(text("UPDATE orders SET status = 'cancelled' WHERE number = 'TS100001'"))
    before = row_counts(blank, BASELINE_TABLES)
    assert before["orders"] == 330 and before["ticket_notes"] == 1

    url = blank.url.render_as_string(hide_password=False)
    try:
        assert cli_main(["init-db", "--database-url", url]) == 0
    finally:
        get_engine(url).dispose()  # the command's engine, kept per URL

    out = capsys.readouterr().out
    assert "adopted 12 existing tables" in out and "database ready: 330 orders" in out  # not seeded again
    assert revision(blank) == head_revision()
    assert differences(blank) == []
    assert row_counts(blank, BASELINE_TABLES) == before
    with session_scope(blank) as session:
        order = session.execute(select(Order).where(Order.number == "TS100001")).scalar_one()
        assert order.status is OrderStatus.cancelled and order.lines and order.customer.email
    # On SQLite a downgrade may rebuild a table by copying it: the rows that refer to it stay.
    downgrade(blank, BASELINE)
    assert row_counts(blank, BASELINE_TABLES) == before


def test_database_of_an_older_version_gets_the_tables_it_lacked(blank, sqlite_template):
    made_before_migrations(blank, sqlite_template)
    with blank.begin() as connection:  # as before the trainer workbench
        for name in ("labels", "inbox_messages", "sync_marks"):
            connection.execute(text(f"DROP TABLE {name}"))

    upgrade(blank)

    assert differences(blank) == []
    assert row_counts(blank, ["orders", "tickets", "labels"]) == {"orders": 330, "tickets": 1, "labels": 0}


def test_database_that_matches_no_revision_is_left_unchanged_with_a_clear_error(blank, capsys):
    upgrade(blank, BASELINE)
    with blank.begin() as connection:  # a later table made by hand, and a baseline table missing
        connection.execute(text(f"DROP TABLE {VERSION_TABLE}"))
        connection.execute(text("DROP TABLE sync_marks"))
        connection.execute(text("CREATE TABLE login_attempts (id INTEGER PRIMARY KEY)"))
    before = tables(blank)

    url = blank.url.render_as_string(hide_password=False)
    try:
        assert cli_main(["init-db", "--database-url", url]) == 1
    finally:
        get_engine(url).dispose()

    assert "matches neither the baseline nor the models" in capsys.readouterr().err
    assert tables(blank) == before


def test_database_of_a_newer_version_is_refused_unchanged(sqlite_blank):
    upgrade(sqlite_blank)
    with sqlite_blank.begin() as connection:
        connection.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = '9999'"))
    with pytest.raises(MigrationError, match="made by a newer version"):
        upgrade(sqlite_blank)
    assert revision(sqlite_blank) == "9999"


def test_create_schema_on_an_empty_database_is_stamped_with_the_newest_revision(blank):
    create_schema(blank)
    assert revision(blank) == head_revision()
    assert differences(blank) == []
    create_schema(blank)  # and again: nothing to do
    assert revision(blank) == head_revision()


def test_two_processes_upgrading_at_once_both_succeed(blank):
    """Servers that start together each bring the schema up; the second waits for the first."""
    url = blank.url.render_as_string(hide_password=False)
    command = [sys.executable, "-m", "bot.db.migrations", "upgrade", "--database-url", url]
    environment = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    processes = [subprocess.Popen(command, cwd=PROJECT_ROOT, env=environment, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outputs = sorted(process.communicate(timeout=120)[0].strip() for process in processes)
    assert [process.returncode for process in processes] == [0, 0], outputs
    assert outputs == [f"schema: at revision {head_revision()}, nothing to do",
                       f"schema: revision none (empty database) -> {head_revision()}"]
    assert differences(blank) == []


def test_a_failed_migration_leaves_nothing_behind(sqlite_blank):
    """pysqlite on its own would commit each CREATE at once; the migration connection does not."""
    with pytest.raises(RuntimeError):
        with migration_connection(sqlite_blank) as connection:
            connection.execute(text("CREATE TABLE half_done (id INTEGER PRIMARY KEY)"))
            raise RuntimeError("a later step failed")
    assert "half_done" not in tables(sqlite_blank)
