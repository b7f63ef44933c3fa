"""corrections and their embeddings

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agent_id", sa.String(200), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("masked", sa.Boolean(), nullable=False),
        sa.Column("model_name", sa.String(200), nullable=False),
        sa.Column("model_version", sa.String(100), nullable=False),
        sa.Column("predicted_causes", sa.JSON(), nullable=False),
        sa.Column("predicted_sentiment", sa.String(20), nullable=True),
        sa.Column("predicted_sentiment_score", sa.Float(), nullable=True),
        sa.Column("predicted_risks", sa.JSON(), nullable=True),
        sa.Column("causes", sa.JSON(), nullable=False),
        sa.Column("sentiment", sa.String(20), nullable=False),
        sa.Column("risks", sa.JSON(), nullable=False),
        sa.Column("final_reply", sa.Text(), nullable=True),
    )
    op.create_index("ix_corrections_created_at", "corrections", ["created_at"])
    op.create_index("ix_corrections_model_version", "corrections", ["model_version"])
    op.create_index("ix_corrections_updated_at", "corrections", ["updated_at"])
    op.create_table(
        "correction_embeddings",
        sa.Column("correction_id", sa.Integer(), sa.ForeignKey("corrections.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("model_key", sa.String(300), primary_key=True),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("correction_embeddings")
    op.drop_index("ix_corrections_updated_at", "corrections")
    op.drop_index("ix_corrections_model_version", "corrections")
    op.drop_index("ix_corrections_created_at", "corrections")
    op.drop_table("corrections")
