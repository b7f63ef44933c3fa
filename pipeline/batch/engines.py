"""Two engines that label chunks and give the same rows: the Analyzer here, or inside Ray Data actors.

``local`` runs the `Analyzer` in this process. ``ray`` runs the same `Analyzer` inside Ray Data
``map_batches`` with an actor pool (one model load per actor), on a local Ray instance or a cluster.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from pipeline.batch.columns import added_columns
from pipeline.batch.labelling import Chunk, label_texts_safely
from pipeline.model_folder import ModelFolder
from pipeline.taxonomy import Taxonomy

if TYPE_CHECKING:
    from pipeline.analyzer import Analyzer


class Engine(Protocol):
    name: str
    taxonomy: Taxonomy  # the labels of the model that labels: the result columns follow them

    def run(self, chunks: Iterator[Chunk]) -> Iterator[tuple[Chunk, list[dict]]]: ...

    def close(self) -> None: ...


class LocalEngine:
    """The Analyzer in this process, one chunk at a time."""

    name = "local"

    def __init__(self, analyzer: Analyzer, batch_size: int = 32):
        self.analyzer = analyzer
        self.taxonomy = analyzer.taxonomy
        self.batch_size = batch_size

    def run(self, chunks: Iterator[Chunk]) -> Iterator[tuple[Chunk, list[dict]]]:
        for chunk in chunks:
            yield chunk, label_texts_safely(self.analyzer, chunk.texts, self.batch_size)

    def close(self) -> None:
        pass


class RayAnalyzerActor:
    """Ray Data actor: loads the Analyzer once, then labels the texts of whole chunks."""

    def __init__(self, model_path: str, device: str, batch_size: int, quantize: bool, threads: int, bf16: bool = False):
        import torch  # heavy; the actor process needs it, the driver may not

        # Deferred: the Analyzer loads torch and transformers, which the users of this package's schema
        # (`quejas report`, the page's upload route) do not need.
        from pipeline.analyzer import Analyzer

        torch.set_num_threads(max(1, threads))
        self.analyzer = Analyzer.load(model_path, device=device, quantize=quantize, bf16=bf16)
        self.batch_size = batch_size

    def __call__(self, batch: pd.DataFrame) -> pd.DataFrame:
        # One model call per chunk, as in the local engine, so batching (and hence every float) is the same.
        frames = []
        for number, group in batch.groupby("_chunk", sort=False):
            records = label_texts_safely(self.analyzer, group["_text"].tolist(), self.batch_size)
            out = pd.DataFrame(records, columns=added_columns(self.analyzer.taxonomy))
            out.insert(0, "_chunk", number)
            out.insert(1, "_pos", group["_pos"].to_numpy())
            frames.append(out)
        return pd.concat(frames, ignore_index=True)


class RayEngine:
    """The same Analyzer inside Ray Data ``map_batches`` with an actor pool, a window of chunks at a time.

    The driver reads the file (bounded memory, same readers as the local engine) and sends only the texts
    of ``window`` chunks per Ray Dataset, one block per chunk; results come back and are joined to the
    input rows here, so output content and order are those of the local engine.
    """

    name = "ray"

    def __init__(
        self,
        model_path: Path,
        device: str = "cpu",
        batch_size: int = 32,
        quantize: bool = False,
        bf16: bool = False,
        address: str | None = None,
        num_cpus: int | None = None,
        actors: int | None = None,
        cpus_per_actor: float = 1,
        window: int | None = None,
    ):
        import ray  # optional extra (quejas[ray]); only this engine needs it

        self._started = False
        self.taxonomy = ModelFolder(model_path).read_taxonomy()
        if not ray.is_initialized():
            init: dict[str, Any] = {
                "address": address,
                "include_dashboard": False,
                "log_to_driver": False,
                "logging_level": logging.WARNING,
            }
            if address is None and num_cpus is not None:
                init["num_cpus"] = num_cpus
            ray.init(**init)
            self._started = True
        cluster_cpus = ray.cluster_resources().get("CPU", 1)
        self.actors = actors or max(1, int(cluster_cpus // cpus_per_actor))
        self.cpus_per_actor = cpus_per_actor
        self.window = window or 4 * self.actors
        self.constructor = {
            "model_path": str(Path(model_path).resolve()),
            "device": device,
            "batch_size": batch_size,
            "quantize": quantize,
            "bf16": bf16,
            "threads": max(1, int(cpus_per_actor)),
        }

    def run(self, chunks: Iterator[Chunk]) -> Iterator[tuple[Chunk, list[dict]]]:
        window: list[Chunk] = []
        for chunk in chunks:
            window.append(chunk)
            if len(window) >= self.window:
                yield from self._run_window(window)
                window = []
        if window:
            yield from self._run_window(window)

    def _run_window(self, window: list[Chunk]) -> Iterator[tuple[Chunk, list[dict]]]:
        import ray.data  # optional extra (quejas[ray])

        blocks = [
            pd.DataFrame({"_chunk": chunk.number, "_pos": np.arange(len(chunk.texts)), "_text": chunk.texts})
            for chunk in window
            if chunk.texts
        ]
        by_chunk: dict[int, list[dict]] = {}
        if blocks:
            context = ray.data.DataContext.get_current()
            context.execution_options.preserve_order = True
            context.enable_progress_bars = False
            _quiet_ray_data_console()
            dataset = ray.data.from_pandas(blocks).map_batches(
                RayAnalyzerActor,
                batch_size=None,  # a whole block (one chunk) per call
                batch_format="pandas",
                compute=ray.data.ActorPoolStrategy(size=min(self.actors, len(blocks))),
                num_cpus=self.cpus_per_actor,
                fn_constructor_kwargs=self.constructor,
            )
            results = dataset.to_pandas().sort_values(["_chunk", "_pos"], kind="stable")
            for number, group in results.groupby("_chunk", sort=False):
                records = group[added_columns(self.taxonomy)].astype(object).to_dict("records")
                by_chunk[int(number)] = [{k: _from_ray(v) for k, v in r.items()} for r in records]
        for chunk in window:
            yield chunk, by_chunk.get(chunk.number, [])

    def close(self) -> None:
        if self._started:
            import ray  # optional extra (quejas[ray])

            ray.shutdown()


def _quiet_ray_data_console() -> None:
    """Ray Data logs a few INFO lines per Dataset to the console; keep them in its log file only."""
    for handler in logging.getLogger("ray.data").handlers:
        if not isinstance(handler, logging.FileHandler) and "File" not in type(handler).__name__:
            handler.setLevel(logging.WARNING)


def _from_ray(value: Any) -> Any:
    """Arrow round trips turn None into NaN in float columns and numpy scalars into numpy types."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.floating):
        return float(value)
    return value
