"""Where corrections live: any SQLAlchemy database, an SQLite file unless told otherwise.

SQLite is the default because a single service needs nothing else; it runs in WAL mode with a busy
timeout and takes its write lock at the start of every transaction (``BEGIN IMMEDIATE``), so several
workers writing at once wait their turn instead of failing with "database is locked". PostgreSQL (any
``postgresql://`` URL, driven by psycopg 3) is for several replicas sharing one store. The schema is
versioned with the Alembic migrations shipped in ``migrations/``; the store upgrades to the newest
on first use, under a lock (the SQLite write lock, a PostgreSQL advisory lock) so that workers starting
together do not race to create the same tables.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, create_engine, delete, event, exists, func, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from pipeline.errors import QuejasError
from pipeline.feedback.models import Correction, PredictedCause, SeenComplaint, StoredCorrection, StoredSeenComplaint
from pipeline.feedback.privacy import mask_private
from pipeline.feedback.tables import CorrectionEmbedding, CorrectionRow, SeenRow
from pipeline.schema import ModelInfo

log = logging.getLogger("quejas.feedback")

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_MS = 30_000
MIGRATION_LOCK_ID = 0x71756A  # PostgreSQL advisory lock key while migrating ("quj")


class FeedbackStoreError(QuejasError, RuntimeError):
    """The store cannot be opened or written; the message names the database without its password."""


def text_hash(text: str) -> str:
    """The key that ties a seen complaint to its correction: SHA-256 of the stored text, whitespace collapsed.

    Taken of the stored (masked) text, so no hash of a customer's contact data is kept either; a client that
    re-wraps or trims the text it sends back with the correction still matches. Migration 0002 holds a copy.
    """
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def default_feedback_url() -> str:
    """An SQLite file in the user's data folder ($XDG_DATA_HOME/quejas, ~/.local/share/quejas)."""
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite:///{base / 'quejas' / 'feedback.db'}"


def parse_url(url: str) -> URL:
    """A plain ``postgresql://`` URL means psycopg 3, the driver quejas ships (not SQLAlchemy's psycopg2)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise FeedbackStoreError(
            f"QUEJAS_FEEDBACK_URL is not a database URL: {url!r} (e.g. sqlite:///feedback.db or "
            "postgresql://user:password@host/db)"
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str) -> Engine:
    parsed = parse_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # transactions are begun below, not by the driver
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; everything in the store is UTC."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _stored(row: CorrectionRow) -> StoredCorrection:
    """The columns hold plain strings; pydantic checks them against the label types as it builds the record."""
    return StoredCorrection.model_validate(
        {
            "id": row.id,
            "text": row.text,
            "masked": row.masked,
            "created_at": _utc(row.created_at),
            "updated_at": _utc(row.updated_at),
            "agent_id": row.agent_id,
            "prediction": {
                "model": {"name": row.model_name, "version": row.model_version},
                "causes": row.predicted_causes,
                "sentiment": row.predicted_sentiment,
                "sentiment_score": row.predicted_sentiment_score,
                "risks": row.predicted_risks,
            },
            "causes": list(row.causes),
            "sentiment": row.sentiment,
            "risks": list(row.risks),
            "final_reply": row.final_reply,
        }
    )


class FeedbackStore:
    """Corrections and their embeddings in one database; opened and migrated on first use.

    Every database failure (unreachable server, a lock held past the busy timeout, a value the
    backend refuses) comes out as `FeedbackStoreError`, so callers handle one exception.
    """

    def __init__(self, url: str | None = None, mask: bool = True) -> None:
        self.url = url or default_feedback_url()
        self.mask = mask
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    @property
    def where(self) -> str:
        """The URL without its password, for messages and logs."""
        try:
            return parse_url(self.url).render_as_string(hide_password=True)
        except FeedbackStoreError:
            return "(invalid URL)"

    def require_existing(self) -> None:
        """Reading an SQLite store that is not there would create an empty one and report nothing: say so instead."""
        if self.url.startswith("sqlite:///") and not Path(self.url.removeprefix("sqlite:///")).exists():
            raise FeedbackStoreError(
                f"no corrections store at {self.where}; corrections are stored by POST /v1/feedback"
            )

    @property
    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                engine = make_engine(self.url)
                try:
                    upgrade(engine)
                except SQLAlchemyError as exc:
                    engine.dispose()
                    reason = getattr(exc, "orig", None) or exc
                    raise FeedbackStoreError(f"feedback store {self.where} cannot be opened: {reason}") from None
                self._engine = engine
            return self._engine

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

    @contextmanager
    def _session(self, write: bool = False) -> Iterator[Session]:
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                if write:
                    with session.begin():
                        yield session
                else:
                    yield session
        except IntegrityError:
            raise
        except SQLAlchemyError as exc:
            reason = getattr(exc, "orig", None) or exc
            raise FeedbackStoreError(f"feedback store {self.where} failed: {reason}") from None

    def add(self, correction: Correction) -> StoredCorrection:
        """Store one correction (contact and payment data masked unless the store was opened with mask=False)."""
        hide = mask_private if self.mask else str
        created = _utc(correction.created_at or dt.datetime.now(dt.UTC))
        row = CorrectionRow(
            created_at=created,
            updated_at=_utc(dt.datetime.now(dt.UTC)),
            agent_id=correction.agent_id,
            text=hide(correction.text),
            masked=self.mask,
            model_name=correction.prediction.model.name,
            model_version=correction.prediction.model.version,
            predicted_causes=[c.model_dump() for c in correction.prediction.causes],
            predicted_sentiment=correction.prediction.sentiment,
            predicted_sentiment_score=correction.prediction.sentiment_score,
            predicted_risks=correction.prediction.risks,
            causes=list(correction.causes),
            sentiment=correction.sentiment,
            risks=list(correction.risks),
            final_reply=hide(correction.final_reply) if correction.final_reply else correction.final_reply,
        )
        row.text_hash = text_hash(row.text)
        with self._session(write=True) as session:
            session.add(row)
        return _stored(row)

    def update(self, correction_id: int, changes: dict) -> StoredCorrection | None:
        """Change the agreed labels or record the reply finally sent; None when there is no such correction.

        The page saves once and then keeps its record current (a second look at the labels, the reply
        copied afterwards) instead of leaving two corrections of one complaint to be counted twice.
        """
        allowed = {"causes", "sentiment", "risks", "final_reply"}
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"cannot change {', '.join(sorted(unknown))}; only {', '.join(sorted(allowed))}")
        with self._session(write=True) as session:
            row = session.get(CorrectionRow, correction_id)
            if row is None:
                return None
            for name, value in changes.items():
                if name == "final_reply" and value and self.mask:
                    value = mask_private(value)
                setattr(row, name, list(value) if isinstance(value, list) else value)
            row.updated_at = _utc(dt.datetime.now(dt.UTC))
        return _stored(row)

    def corrections(self, after_id: int = 0, changed_since: dt.datetime | None = None) -> list[StoredCorrection]:
        """Corrections with an id above ``after_id`` or, if given, changed since ``changed_since``; oldest first."""
        where = CorrectionRow.id > after_id
        if changed_since is not None:
            where = or_(where, CorrectionRow.updated_at >= changed_since)
        with self._session() as session:
            rows = session.scalars(select(CorrectionRow).where(where).order_by(CorrectionRow.id))
            return [_stored(row) for row in rows]

    def count(self) -> int:
        with self._session() as session:
            return int(session.scalar(select(func.count(CorrectionRow.id))) or 0)

    def latest_id(self) -> int:
        with self._session() as session:
            return int(session.scalar(select(func.max(CorrectionRow.id))) or 0)

    def embeddings(self, model_key: str, ids: Iterable[int]) -> dict[int, np.ndarray]:
        ids = list(ids)
        if not ids:
            return {}
        query = select(CorrectionEmbedding).where(
            CorrectionEmbedding.model_key == model_key, CorrectionEmbedding.correction_id.in_(ids)
        )
        with self._session() as session:
            return {e.correction_id: np.frombuffer(e.vector, dtype=np.float32) for e in session.scalars(query)}

    def save_embeddings(self, model_key: str, vectors: dict[int, np.ndarray]) -> None:
        """Keep each vector so other workers (and restarts) with the same model need not embed it again."""
        for correction_id, vector in vectors.items():
            blob = np.asarray(vector, dtype=np.float32).tobytes()
            try:
                with self._session(write=True) as session:
                    session.add(CorrectionEmbedding(correction_id=correction_id, model_key=model_key, vector=blob))
            except IntegrityError:
                pass  # another worker stored the same vector first

    def record_seen(self, seen: Iterable[SeenComplaint], keep: int) -> None:
        """Keep analysed complaints for the review queue: one row per text, at most ``keep``, oldest dropped.

        A text seen again is refreshed (model, causes, uncertainty, time) rather than added twice. Texts are
        masked like corrections, and hashed after masking, so a correction of the same text matches.
        """
        hide = mask_private if self.mask else str
        now = dt.datetime.now(dt.UTC)
        rows: dict[str, dict] = {}
        for item in seen:
            stored_text = hide(item.text)
            key = text_hash(stored_text)
            rows[key] = {  # the last of one text in a batch wins (PostgreSQL refuses two updates of one row)
                "text_hash": key,
                "text": stored_text,
                "masked": self.mask,
                "model_name": item.model.name,
                "model_version": item.model.version,
                "predicted_causes": [c.model_dump() for c in item.causes],
                "uncertainty": float(item.uncertainty),
                "seen_at": _utc(item.seen_at or now),
            }
        if not rows:
            return
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(SeenRow).values(list(rows.values()))
        refreshed = {name: statement.excluded[name] for name in rows[next(iter(rows))] if name != "text_hash"}
        statement = statement.on_conflict_do_update(index_elements=[SeenRow.text_hash], set_=refreshed)
        with self._session(write=True) as session:
            session.execute(statement)
            over = int(session.scalar(select(func.count(SeenRow.id))) or 0) - keep
            if over > 0:
                oldest = select(SeenRow.id).order_by(SeenRow.seen_at, SeenRow.id).limit(over)
                session.execute(delete(SeenRow).where(SeenRow.id.in_(oldest.scalar_subquery())))

    def review_queue(self, limit: int) -> list[StoredSeenComplaint]:
        """Seen complaints that no correction covers yet (by text hash), the least sure first, newest on ties."""
        corrected = exists().where(CorrectionRow.text_hash == SeenRow.text_hash)
        query = (
            select(SeenRow)
            .where(~corrected)
            .order_by(SeenRow.uncertainty.desc(), SeenRow.seen_at.desc(), SeenRow.id.desc())
            .limit(limit)
        )
        with self._session() as session:
            return [
                StoredSeenComplaint(
                    id=row.id,
                    text=row.text,
                    masked=row.masked,
                    model=ModelInfo(name=row.model_name, version=row.model_version),
                    causes=[PredictedCause.model_validate(c) for c in row.predicted_causes],
                    uncertainty=row.uncertainty,
                    seen_at=_utc(row.seen_at),
                )
                for row in session.scalars(query)
            ]

    def seen_count(self) -> int:
        with self._session() as session:
            return int(session.scalar(select(func.count(SeenRow.id))) or 0)


def upgrade(engine: Engine) -> None:
    """Alembic ``upgrade head`` on ``engine``, serialised against other processes doing the same."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_ID})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
