"""python -m bot.db.migrations <command>: the schema's history for developers and operators.

    revision -m "add gift cards" --autogenerate   write the next revision from the models' changes
    upgrade [REV]      to the newest revision (what `python -m bot init-db` does, without the seeding)
    downgrade REV      back to REV (e.g. -1 for one step)
    stamp REV          record REV as the database's revision without running anything
    current            the database's revision
    history            every revision, newest first
    check              exit 1 when the models and the migrations differ
"""
import argparse
import sys
import tempfile
from pathlib import Path
from typing import List, Optional


def _engine(url: Optional[str]):
    from bot.db.session import get_engine

    return get_engine(url)


def _scratch_or(url: Optional[str], scratch: str):
    """The database at `url`, or a new SQLite file in `scratch` brought to the newest revision."""
    from sqlalchemy import create_engine

    from bot.db.migrations import upgrade
    from bot.database_urls import for_application

    if url:
        return create_engine(for_application(url))
    engine = create_engine(f"sqlite:///{Path(scratch) / 'scratch.db'}")
    upgrade(engine)
    return engine


def _revision(args) -> int:
    """Autogenerate compares the models with a scratch SQLite database brought to the newest revision,
    so it needs no server and never sees anyone's data or Rasa's tables; --database-url compares with
    that database instead (which must be at the newest revision)."""
    from alembic import command

    from bot.db.migrations import alembic_config, head_revision, migration_connection

    head = head_revision()
    rev_id = f"{int(head) + 1:04d}" if head and head.isdigit() else None
    if not args.autogenerate:
        script = command.revision(alembic_config(), message=args.message, rev_id=rev_id)
        print(f"wrote {script.path}")
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        engine = _scratch_or(args.database_url, scratch)
        with migration_connection(engine) as connection:
            script = command.revision(alembic_config(connection), message=args.message, autogenerate=True,
                                      rev_id=rev_id)
        engine.dispose()
    print(f"wrote {script.path}: read it before committing (autogenerate misses renames and data moves)")
    return 0


def _upgrade(args) -> int:
    from bot.db.migrations import upgrade

    print(upgrade(_engine(args.database_url), args.revision).describe())
    return 0


def _downgrade(args) -> int:
    from bot.db.migrations import downgrade

    print(downgrade(_engine(args.database_url), args.revision).describe())
    return 0


def _stamp(args) -> int:
    from bot.db.migrations import stamp

    result = stamp(_engine(args.database_url), args.revision)
    print(f"schema: recorded as revision {result.after} (was {result.before or 'none'}), nothing run")
    return 0


def _current(args) -> int:
    from bot.db.migrations import current_revision, head_revision

    with _engine(args.database_url).connect() as connection:
        current = current_revision(connection)
    head = head_revision()
    print(f"{current or 'none'}{' (newest)' if current == head else f' (newest is {head})'}")
    return 0


def _history(args) -> int:
    from alembic.script import ScriptDirectory

    from bot.db.migrations import alembic_config

    for script in ScriptDirectory.from_config(alembic_config()).walk_revisions():
        title = (script.doc or "").splitlines()[0] if script.doc else ""
        print(f"{script.revision}  {title}")
    return 0


def _check(args) -> int:
    """The models against a scratch database built by the migrations alone."""
    from bot.db.migrations import describe_difference, migration_connection, schema_differences

    with tempfile.TemporaryDirectory() as scratch:
        engine = _scratch_or(args.database_url, scratch)
        with migration_connection(engine) as connection:
            differences = schema_differences(connection)
        engine.dispose()
    if differences:
        print("the models differ from the migrations; write a revision "
              "(python -m bot.db.migrations revision -m \"...\" --autogenerate):")
        for difference in differences:
            print(f"  {describe_difference(difference)}")
        return 1
    print("the migrations match the models")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.db.migrations", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database-url", default=None, help="defaults to DATABASE_URL or var/storefront.db "
                        "(revision and check: a scratch SQLite database built by the migrations)")
    commands = parser.add_subparsers(dest="command", required=True)

    def add(name, handler, text):
        sub = commands.add_parser(name, help=text, parents=[common])
        sub.set_defaults(handler=handler)
        return sub

    revision = add("revision", _revision, "write the next revision")
    revision.add_argument("-m", "--message", required=True)
    revision.add_argument("--autogenerate", action="store_true", help="from the differences with the models")
    add("upgrade", _upgrade, "to the newest revision, or to REV").add_argument("revision", nargs="?", default="head")
    add("downgrade", _downgrade, "back to REV (a revision id, -1, or base)").add_argument("revision")
    add("stamp", _stamp, "record REV as the database's revision, running nothing").add_argument("revision")
    add("current", _current, "the database's revision")
    add("history", _history, "every revision, newest first")
    add("check", _check, "exit 1 when the models and the migrations differ")

    args = parser.parse_args(argv)
    from sqlalchemy.exc import SQLAlchemyError

    from bot.db.migrations import MigrationError

    try:
        return args.handler(args)
    except (MigrationError, SQLAlchemyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
