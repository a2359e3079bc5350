"""Alembic's environment. The connection comes from bot.db.migrations (one transaction, one process
at a time); offline mode (--sql) writes the SQL for the configured URL's dialect instead."""
from alembic import context

from bot.db.migrations import include_name
from bot.db.models import Base

config = context.config
options = dict(
    target_metadata=Base.metadata,
    include_name=include_name,
    compare_type=True,
    # SQLite alters a table by copying it; batch operations do that there and plain ALTERs elsewhere.
    render_as_batch=True,
)

if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True, **options)
else:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("migrations run through bot.db.migrations (python -m bot.db.migrations ...), "
                           "which hands them a connection")
    context.configure(connection=connection, **options)

with context.begin_transaction():
    context.run_migrations()
