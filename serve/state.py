"""What the running service holds: settings, the loaded analyzer, the batcher, the policy, readiness."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from pipeline.analyzer import Analyzer
from pipeline.model_folder import ModelFolder, ModelFolderError
from pipeline.policy import Policy, load_policy
from pipeline.schema import Analysis
from pipeline.taxonomy import TAXONOMY, Taxonomy
from serve.batching import MicroBatcher
from serve.metrics import ServiceMetrics
from serve.settings import Settings

log = logging.getLogger("quejas.serve")

WARMUP_TEXT = "Llevo dos semanas esperando el pedido y nadie me contesta."


@dataclass
class ServiceState:
    settings: Settings
    metrics: ServiceMetrics = field(default_factory=ServiceMetrics)
    analyzer: Analyzer | None = None
    batcher: MicroBatcher | None = None
    ready: bool = False
    load_error: str | None = None
    policy: Policy | None = None
    sector_policies: dict[str, Policy] = field(default_factory=dict)
    folder_taxonomy: Taxonomy | None = None

    @property
    def taxonomy(self) -> Taxonomy:
        """The served model's labels: the loaded model's, or read from its folder while it loads (cheap, no
        weights), so /v1/labels and the checks of /v1/feedback answer with the right causes from the start."""
        if self.analyzer is not None:
            return self.analyzer.taxonomy
        if self.folder_taxonomy is None:
            try:
                self.folder_taxonomy = ModelFolder(self.settings.model_path).read_taxonomy()
            except ModelFolderError:
                return TAXONOMY  # a damaged folder: loading reports it; the names fall back meanwhile
        return self.folder_taxonomy

    def policy_for(self, sector: str | None) -> Policy:
        """The loaded policy, or the same file on another sector preset (loaded once per sector)."""
        if self.policy is None:
            self.policy = load_policy(self.settings.policy_path)
        if sector is None or sector == self.policy.sector:
            return self.policy
        if sector not in self.sector_policies:
            self.sector_policies[sector] = load_policy(self.settings.policy_path, sector=sector)
        return self.sector_policies[sector]

    def analyze(self, texts: list[str]) -> list[Analysis]:
        """Runs in the batcher's worker thread, which only exists once `load` has set the analyzer."""
        if self.analyzer is None:
            raise RuntimeError("ServiceState.analyze() called before the model was loaded")
        return self.analyzer.analyze(texts, batch_size=self.settings.max_batch_size)

    async def load(self, analyzer: Analyzer | None = None) -> None:
        """Load (unless given) and warm the model off the event loop, so /health/live answers meanwhile."""
        try:
            if analyzer is None:
                analyzer = await asyncio.to_thread(
                    Analyzer.load,
                    self.settings.model_path,
                    self.settings.device,
                    True,
                    self.settings.quantize,
                    self.settings.runtime,
                    self.settings.bf16,
                )
            self.policy = await asyncio.to_thread(load_policy, self.settings.policy_path)
            if self.settings.warmup:
                await asyncio.to_thread(analyzer.analyze, [WARMUP_TEXT])
            self.analyzer = analyzer
            self.batcher = MicroBatcher(
                self.analyze,
                self.settings.max_batch_size,
                self.settings.max_wait_ms,
                self.metrics.observe_batch,
                max_queue=self.settings.max_queue,
                on_depth=self.metrics.queue_depth.set,
            )
            await self.batcher.start()
            self.ready = True
            self.metrics.ready.set(1)
            log.info("model %s ready on %s", analyzer.info.name, analyzer.device)
        except Exception as exc:  # noqa: BLE001 - reported by /health/ready and every /v1 call
            self.load_error = f"{type(exc).__name__}: {exc}"
            log.error("model could not be loaded: %s", self.load_error)

    async def close(self) -> None:
        if self.batcher:
            await self.batcher.stop()
