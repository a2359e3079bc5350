"""Inserts that several processes may attempt at once, where a unique constraint says which one wins."""
from sqlalchemy import Table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session


def insert_once(session: Session, table: Table, values: dict) -> bool:
    """Insert the row unless one with the same unique key exists (or another transaction is inserting it);
    True when this call inserted it. Never raises for the duplicate and leaves the session usable."""
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        # RETURNING says whether a row went in (psycopg reports no row count for ON CONFLICT DO NOTHING).
        inserted = session.execute(insert(table).values(**values).on_conflict_do_nothing()
                                   .returning(*table.primary_key.columns)).first()
        return inserted is not None
    try:
        with session.begin_nested():
            session.execute(table.insert().values(**values))
    except IntegrityError:
        return False
    return True
