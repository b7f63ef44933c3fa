"""Alembic environment: always run by store.py on a connection it already holds (never from alembic.ini)."""

from __future__ import annotations

from alembic import context

from pipeline.feedback.tables import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
