"""Alembic environment: runs against the connection handed over by bot.storage.migrate."""

from alembic import context
from sqlalchemy.engine import Connection

from bot.storage.dialects import dialect_named
from bot.storage.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from sqlalchemy import create_engine

        url = config.get_main_option("sqlalchemy.url")
        if url is None:
            raise RuntimeError("alembic: no connection and no sqlalchemy.url to migrate")
        engine = create_engine(url)
        with engine.connect() as connection:
            _migrate(connection)
        return
    _migrate(connection)


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=dialect_named(connection.dialect.name).batch_alter,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
