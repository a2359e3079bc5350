"""Readiness: whether the database can serve requests, and waiting until the Rasa server (model loaded)
and the action server answer. Used by both environments: SQLAlchemy is imported only where needed."""
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, Optional


def answers(url: str) -> bool:
    """The URL answers with a 2xx within 2 s."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return False


def servers_ready(rasa_url: str, token: str, action_port: int, desk_port: Optional[int] = None) -> bool:
    return (answers(f"{rasa_url}/status?token={token}")
            and answers(f"http://127.0.0.1:{action_port}/health")
            and (desk_port is None or answers(f"http://127.0.0.1:{desk_port}/health")))


def database_problem(engine, table: str) -> Optional[str]:
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
