"""Alembic environment: uses the connection the store hands over (see ``_migrate.py``),
or ``sqlalchemy.url`` when alembic is run by hand."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from storyline.store._engine import make_engine
from storyline.store._schema import Base
from storyline.store._url import database_url

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"),
                      target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(database_url(config.get_main_option("sqlalchemy.url") or ""))
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
