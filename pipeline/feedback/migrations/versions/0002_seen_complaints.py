"""seen complaints (the review queue) and the text hash of corrections

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _text_hash(text: str) -> str:
    """store.text_hash as of this revision (a migration must not change when the code does)."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table("corrections") as batch:
        batch.add_column(sa.Column("text_hash", sa.String(64), nullable=True))
        batch.create_index("ix_corrections_text_hash", ["text_hash"])
    corrections = sa.table("corrections", sa.column("id", sa.Integer), sa.column("text", sa.Text))
    bind = op.get_bind()
    for row_id, text in bind.execute(sa.select(corrections.c.id, corrections.c.text)).all():
        bind.execute(
            sa.text("UPDATE corrections SET text_hash = :hash WHERE id = :id"), {"hash": _text_hash(text), "id": row_id}
        )
    op.create_table(
        "seen_complaints",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("text_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("masked", sa.Boolean(), nullable=False),
        sa.Column("model_name", sa.String(200), nullable=False),
        sa.Column("model_version", sa.String(100), nullable=False),
        sa.Column("predicted_causes", sa.JSON(), nullable=False),
        sa.Column("uncertainty", sa.Float(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_seen_complaints_uncertainty", "seen_complaints", ["uncertainty"])
    op.create_index("ix_seen_complaints_seen_at", "seen_complaints", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_seen_complaints_seen_at", "seen_complaints")
    op.drop_index("ix_seen_complaints_uncertainty", "seen_complaints")
    op.drop_table("seen_complaints")
    with op.batch_alter_table("corrections") as batch:
        batch.drop_index("ix_corrections_text_hash")
        batch.drop_column("text_hash")
