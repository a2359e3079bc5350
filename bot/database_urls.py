"""One DATABASE_URL for both environments: the application reaches PostgreSQL through psycopg 3, the
Rasa environment's tracker store through psycopg2 (SQLAlchemy 1.4's default driver, and the spelling Rasa
checks for). Each side rewrites a PostgreSQL URL's scheme to its own driver, so any spelling works on both;
other URLs (SQLite) pass unchanged. Pure string work: importable from both environments."""

POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2")


def _with_scheme(url: str, scheme: str) -> str:
    given, separator, rest = url.partition("://")
    return f"{scheme}://{rest}" if separator and given in POSTGRES_SCHEMES else url


def for_application(url: str) -> str:
    """`url` as the application's SQLAlchemy 2 opens it (psycopg 3)."""
    return _with_scheme(url, "postgresql+psycopg")


def for_rasa(url: str) -> str:
    """`url` as the Rasa environment's SQLAlchemy 1.4 opens it (psycopg2)."""
    return _with_scheme(url, "postgresql")
