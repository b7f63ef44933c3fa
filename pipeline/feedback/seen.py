"""Analysed complaints into the store, behind the request: the source of the "Por revisar" queue.

An agent's time is best spent on the complaints the model was least sure of (pipeline/confidence.py), so
the service keeps what it analysed. That must cost a request nothing and never fail it: `submit` only puts
the analyses on a bounded in-memory queue, and one background thread masks the texts and writes them in
batches. When the store is down the batch is logged and dropped; when the queue is full (the store far
slower than the traffic) new analyses are dropped and counted, never waited for.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence

from pipeline.feedback.models import PredictedCause, SeenComplaint
from pipeline.feedback.store import FeedbackStore
from pipeline.schema import Analysis

log = logging.getLogger("quejas.feedback")

BATCH = 64
_STOP = None


def seen_complaint(text: str, analysis: Analysis) -> SeenComplaint | None:
    """What the queue needs of one analysis; None for an analysis without an uncertainty (not the model's own)."""
    if analysis.uncertainty is None:
        return None
    causes = [PredictedCause(id=c.id, score=c.score) for c in analysis.causes]
    return SeenComplaint(text=text, model=analysis.model, causes=causes, uncertainty=analysis.uncertainty)


class SeenRecorder:
    """Writes analysed complaints to the store from one daemon thread; ``submit`` never blocks or raises."""

    def __init__(self, store: FeedbackStore, keep: int, max_pending: int = 1024) -> None:
        self.store, self.keep = store, keep
        self.dropped = 0
        self._queue: queue.Queue[SeenComplaint | None] = queue.Queue(maxsize=max_pending)
        self._thread: threading.Thread | None = None
        self._closed = False
        self._lock = threading.Lock()

    def _started(self) -> bool:
        """The writer thread starts with the first analysis, so an app that never analyses holds none."""
        with self._lock:
            if self._closed:
                return False
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="quejas-seen-complaints", daemon=True)
                self._thread.start()
            return True

    def submit(self, texts: Sequence[str], analyses: Sequence[Analysis]) -> None:
        self.submit_seen([seen_complaint(text, analysis) for text, analysis in zip(texts, analyses)])

    def submit_seen(self, items: Sequence[SeenComplaint | None]) -> None:
        """Queue complaints already in the stored shape (None entries are skipped)."""
        if not self._started():
            return
        for item in items:
            if item is None:
                continue
            try:
                self._queue.put_nowait(item)
            except queue.Full:
                self.dropped += 1
                if self.dropped == 1 or self.dropped % 1000 == 0:
                    log.warning("review queue: %d analyses not recorded (the store is not keeping up)", self.dropped)

    def flush(self) -> None:
        """Wait until everything submitted so far is written (or its failure logged): for tests and shutdown."""
        self._queue.join()

    def close(self, timeout: float = 5.0) -> None:
        """Write what is pending (for at most ``timeout`` seconds), then stop the thread."""
        with self._lock:
            self._closed, thread = True, self._thread
        if thread is None:
            return
        try:
            self._queue.put(_STOP, timeout=timeout)
        except queue.Full:
            return
        thread.join(timeout)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            batch = [first]
            while first is not _STOP and len(batch) < BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            items = [item for item in batch if item is not None]
            try:
                if items:
                    self.store.record_seen(items, self.keep)
            except Exception as exc:  # noqa: BLE001 - a lost queue entry must never reach a request
                log.warning("review queue: %d analyses not recorded: %s", len(items), exc)
            finally:
                for _ in batch:
                    self._queue.task_done()
            if any(item is None for item in batch):
                return
