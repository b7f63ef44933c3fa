"""The stored shape of a correction (SQLAlchemy 2.x declarative tables).

Label lists are JSON columns: the store keeps whatever taxonomy the correction was made against, and
every reader (stats, export, memory) maps ids to the loaded model's labels itself.
The Alembic migrations in ``migrations/versions`` create exactly these tables; change both together.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class CorrectionRow(Base):
    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    agent_id: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    masked: Mapped[bool] = mapped_column(default=True)
    model_name: Mapped[str] = mapped_column(String(200))
    model_version: Mapped[str] = mapped_column(String(100), index=True)
    predicted_causes: Mapped[list] = mapped_column(JSON)  # [{"id": ..., "score": ...}], as the model returned them
    predicted_sentiment: Mapped[str | None] = mapped_column(String(20))
    predicted_sentiment_score: Mapped[float | None]
    predicted_risks: Mapped[list | None] = mapped_column(JSON)
    causes: Mapped[list] = mapped_column(JSON)
    sentiment: Mapped[str] = mapped_column(String(20))
    risks: Mapped[list] = mapped_column(JSON)
    final_reply: Mapped[str | None] = mapped_column(Text)
    # store.text_hash of the stored text: what takes a seen complaint off the review queue once corrected.
    text_hash: Mapped[str | None] = mapped_column(String(64), index=True)


class CorrectionEmbedding(Base):
    """A correction's vector in one model's embedding space; another model re-embeds the stored text."""

    __tablename__ = "correction_embeddings"

    correction_id: Mapped[int] = mapped_column(ForeignKey("corrections.id", ondelete="CASCADE"), primary_key=True)
    model_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class SeenRow(Base):
    """A complaint the service analysed, kept so the ones the model was least sure of can be reviewed.

    One row per text (by hash): analysing the same complaint again refreshes it instead of adding a row.
    """

    __tablename__ = "seen_complaints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    text_hash: Mapped[str] = mapped_column(String(64), unique=True)
    text: Mapped[str] = mapped_column(Text)
    masked: Mapped[bool] = mapped_column(default=True)
    model_name: Mapped[str] = mapped_column(String(200))
    model_version: Mapped[str] = mapped_column(String(100))
    predicted_causes: Mapped[list] = mapped_column(JSON)  # [{"id": ..., "score": ...}], as the model returned them
    uncertainty: Mapped[float] = mapped_column(Float, index=True)
    seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
