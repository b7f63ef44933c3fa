"""Corrections count at once: a nearest-neighbour memory of corrected complaints, beside the store.

Retraining takes a while and needs many examples; a helpdesk sees the same complaint again the same
day. Every stored correction is embedded by the loaded model (its pooled vector, the space the
model's own neighbour vote uses, pipeline/neighbours.py) and the next complaint's cause probabilities
are mixed with the vote of the nearest corrections. The vote only counts when a correction is really
close: its share rises from 0 at ``min_similarity`` to 1 at ``full_similarity`` (cosine), so a
near-identical complaint takes the agreed causes and an unrelated one is untouched. The vectors live
in the store (keyed by model), never in the model folder, so another worker or a restart reuses
them, and a different model re-embeds the stored texts itself.

Given the model's own cause probabilities (``model_causes``), the memory also learns what the corrections
teach in general: once ``min_corrections`` exist, a per-cause calibration of the model's margins is fitted
on them (calibration.py) and moves every text like the company's corrections, not only near-identical ones.
The model's probabilities for each correction are kept in the store beside its vector, so a restart refits
in tens of milliseconds without the model reading a correction again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
from collections.abc import Callable

import numpy as np

from pipeline.errors import ConfigurationError
from pipeline.feedback.calibration import CompanyCalibration
from pipeline.feedback.store import FeedbackStore
from pipeline.neighbours import NeighbourVote, mix_votes

log = logging.getLogger("quejas.feedback")

CHANGE_MARGIN = dt.timedelta(minutes=2)
Embed = Callable[[list[str]], "np.ndarray | None"]
ModelCauses = Callable[[list[str]], np.ndarray]
CAUSES_SUFFIX = "/causes"  # the store keeps the model's probabilities for a correction under this model key


def model_key(config) -> str:
    """Name, version and a digest of the config (thresholds differ per training run): one embedding space."""
    digest = hashlib.sha1(config.model_dump_json().encode("utf-8")).hexdigest()[:12]
    return f"{config.name}@{config.version}#{digest}"


class CorrectionMemory:
    """Mixes the vote of nearby corrections into cause probabilities (``adjust``); refreshes from the store."""

    def __init__(
        self,
        store: FeedbackStore,
        key: str,
        cause_ids: list[str],
        embed: Embed,
        min_similarity: float = 0.9,
        full_similarity: float = 0.98,
        k: int = 5,
        temperature: float = 0.02,
        refresh_seconds: float = 2.0,
        model_causes: ModelCauses | None = None,
        cause_cut: np.ndarray | None = None,
        calibration_floor: float = 0.6,
        min_corrections: int = 20,
    ) -> None:
        if not 0.0 < min_similarity < full_similarity <= 1.0:
            raise ConfigurationError("correction memory needs 0 < min_similarity < full_similarity <= 1")
        if (model_causes is None) != (cause_cut is None):
            raise ConfigurationError("the company calibration needs both the model's probabilities and its thresholds")
        if not -1.0 <= calibration_floor < 1.0 or min_corrections < 2:
            raise ConfigurationError("correction memory needs -1 <= calibration_floor < 1 and min_corrections >= 2")
        self.store, self.key, self.cause_ids, self.embed = store, key, list(cause_ids), embed
        self.min_similarity, self.full_similarity = min_similarity, full_similarity
        self.k, self.temperature, self.refresh_seconds = k, temperature, refresh_seconds
        self.model_causes, self.min_corrections = model_causes, min_corrections
        self.calibration_floor = calibration_floor
        self.cause_cut = None if cause_cut is None else np.asarray(cause_cut, dtype=np.float64)
        self._index = {cause: j for j, cause in enumerate(self.cause_ids)}
        self._vectors: list[np.ndarray] = []
        self._labels: list[np.ndarray] = []
        self._model_causes: list[np.ndarray] = []  # the model's probabilities for each correction (if calibrating)
        self._vote: NeighbourVote | None = None
        self._calibration: CompanyCalibration | None = None
        self._last_id = 0
        self._seen_at: dt.datetime | None = None
        self._position: dict[int, int] = {}  # correction id -> row of the vote's arrays
        self._checked = float("-inf")
        self._stale = True
        self._lock = threading.Lock()
        self._warned = False

    def __len__(self) -> int:
        return len(self._vectors)

    def invalidate(self) -> None:
        """A correction was just stored here: look at the store before the next analysis."""
        self._stale = True

    def sync(self) -> None:
        """Take in corrections stored or changed since the last look (by any worker), embedding new ones.

        Changes are looked for a while before the newest change seen (``CHANGE_MARGIN``), so a worker
        whose clock runs a little behind another's still sees the other's edits; reading one twice is harmless.
        """
        with self._lock:
            now = time.monotonic()
            if not self._stale and now - self._checked < self.refresh_seconds:
                return
            self._stale, self._checked = False, now
            since = None if self._seen_at is None else self._seen_at - CHANGE_MARGIN
            rows = self.store.corrections(after_id=self._last_id, changed_since=since)
            if not rows:
                return
            new = [c for c in rows if c.id not in self._position]
            known = self._stored(self.key, new, self._embed_or_fail)
            scores = (
                None if self.model_causes is None else self._stored(self.key + CAUSES_SUFFIX, new, self.model_causes)
            )
            for correction in rows:
                if any(cause not in self._index for cause in correction.causes):
                    continue  # made for another label set (a model trained on other causes): no vote here
                labels = np.zeros(len(self.cause_ids), dtype=np.float32)
                for cause in correction.causes:
                    if cause in self._index:
                        labels[self._index[cause]] = 1.0
                if correction.id in self._position:
                    self._labels[self._position[correction.id]] = labels
                else:
                    self._position[correction.id] = len(self._vectors)
                    self._vectors.append(known[correction.id])
                    self._labels.append(labels)
                    if scores is not None:
                        self._model_causes.append(scores[correction.id])
            self._last_id = max(self._last_id, rows[-1].id)
            newest = max(c.updated_at for c in rows)
            self._seen_at = newest if self._seen_at is None else max(self._seen_at, newest)
            if self._vectors:
                self._vote = NeighbourVote(np.stack(self._vectors), np.stack(self._labels), self.k, self.temperature)
                self._calibration = self._fit_calibration()

    def _stored(self, key: str, new: list, compute: Callable[[list[str]], np.ndarray]) -> dict[int, np.ndarray]:
        """An array per new correction under ``key`` (its vector, or the model's probabilities for it): read from
        the store, else computed for the missing ones and stored, so no worker computes one twice."""
        known = self.store.embeddings(key, [c.id for c in new])
        missing = [c for c in new if c.id not in known]
        if missing:
            values = compute([c.text for c in missing])
            fresh = {c.id: np.asarray(v, dtype=np.float32) for c, v in zip(missing, values)}
            self.store.save_embeddings(key, fresh)
            known.update(fresh)
        return known

    def _embed_or_fail(self, texts: list[str]) -> np.ndarray:
        vectors = self.embed(texts)
        if vectors is None:
            raise RuntimeError("the model gives no pooled embedding, so corrections cannot be remembered")
        return vectors

    def _fit_calibration(self) -> CompanyCalibration | None:
        if self.cause_cut is None or len(self._model_causes) < self.min_corrections:
            return None
        return CompanyCalibration.fit(
            np.stack(self._vectors),
            np.stack(self._model_causes),
            np.stack(self._labels),
            self.cause_cut,
            self.calibration_floor,
        )

    @property
    def calibration(self) -> CompanyCalibration | None:
        """The company calibration fitted at the last sync (None below ``min_corrections`` or without scores)."""
        return self._calibration

    def prime(self) -> None:
        """Embed what the store holds now, so a new model's first request does not wait for every correction."""
        try:
            self.sync()
        except Exception as exc:  # noqa: BLE001 - analyses retry on their own, and say why if it keeps failing
            log.warning("correction memory not loaded yet (%s)", exc)

    def adjust(self, causes: np.ndarray, embeddings: np.ndarray | None) -> np.ndarray:
        """Cause probabilities moved toward the corrections close to each text; unchanged when none is.

        A store that cannot be read must not stop analyses: the failure is logged once and the model's
        own probabilities are returned.
        """
        if embeddings is None:
            if not self._warned:
                log.warning("this model gives no pooled embedding; corrections are stored but not remembered")
                self._warned = True
            return causes
        try:
            self.sync()
        except Exception as exc:  # noqa: BLE001 - the analysis goes on without the memory
            if not self._warned:
                log.warning("correction memory unavailable (%s); analysing without it", exc)
                self._warned = True
            return causes
        self._warned = False
        vote, calibration = self._vote, self._calibration
        if vote is None:
            return causes
        queries = np.asarray(embeddings, dtype=np.float32)
        if calibration is not None and self.cause_cut is not None:
            causes = calibration.adjust(causes, queries, self.cause_cut)
        closest = np.einsum("qd,nd->qn", queries, vote.embeddings).max(axis=1)
        share = np.clip((closest - self.min_similarity) / (self.full_similarity - self.min_similarity), 0.0, 1.0)
        if not share.any():
            return causes
        mixed = mix_votes(causes, vote.cause_probabilities(queries), share[:, None])
        return np.clip(mixed, 0.0, 1.0)  # float32 rounding of a mix of ones can pass 1 (1.0000001), not a score
