"""Prometheus metrics of the service, in a registry per app so several apps can live in one process."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class ServiceMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "quejas_requests_total", "HTTP requests by route and status.", ["route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "quejas_request_latency_seconds",
            "Request latency by route.",
            ["route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.02, 0.04, 0.08, 0.15, 0.3, 0.6, 1.2, 2.5, 5, 10),
        )
        self.batch_size = Histogram(
            "quejas_inference_batch_size",
            "Texts per forward pass.",
            registry=self.registry,
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
        )
        self.queue_wait = Histogram(
            "quejas_queue_wait_seconds",
            "Time a request waited for its batch to start.",
            registry=self.registry,
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        )
        self.texts = Counter("quejas_texts_analyzed_total", "Texts analysed.", registry=self.registry)
        self.queue_depth = Gauge(
            "quejas_queue_depth",
            "Texts waiting for or in the model now (requests are refused with 503 above QUEJAS_MAX_QUEUE).",
            registry=self.registry,
        )
        self.ready = Gauge("quejas_model_ready", "1 when the model is loaded and warmed.", registry=self.registry)

    def observe_batch(self, size: int, waits: list[float]) -> None:
        self.batch_size.observe(size)
        self.texts.inc(size)
        for wait in waits:
            self.queue_wait.observe(wait)
