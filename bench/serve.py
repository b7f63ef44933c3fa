"""API latency and throughput: micro-batched service vs a naive one-pass-per-request baseline.

Both services run the same model in their own process (uvicorn on 127.0.0.1); the naive one has
``QUEJAS_MAX_BATCH_SIZE=1`` so every request is its own forward pass. The same request mix (test
split texts) is sent at concurrency 1, 8 and 32; then a single 60-word complaint is timed alone,
and a soak of 2,000 requests at concurrency 32 checks errors and server memory.

``--overload 64`` then drives the batched service with 64 clients, more than 2 cores can serve, once
with the bounded queue (``QUEJAS_MAX_QUEUE``, default setting) and once with an unbounded one, and
reports the latency of accepted requests and of the 503s that shed the rest. Clients wait
``Retry-After`` after a 503, as a well-behaved helpdesk tool does (``--no-honour-retry-after`` retries
at once instead).

    python bench/serve.py --model models/latest [--requests 256] [--soak 2000] [--overload 64]
    python bench/serve.py --model models/latest --levels "" --soak 0 --overload 64   # overload only
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import typer
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

console = Console()


def percentile_ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


@dataclass
class Run:
    latencies: list[float]
    seconds: float
    errors: int
    shed: list[float] = field(default_factory=list)  # latencies of 503 answers (load shedding)

    def pct(self, q: float) -> float:
        return percentile_ms(self.latencies, q)

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(model: Path, port: int, extra_env: dict[str, str]) -> subprocess.Popen:
    env = {**os.environ, "QUEJAS_MODEL_PATH": str(model), "QUEJAS_PORT": str(port), **extra_env}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "serve.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited: {process.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"{url}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("server did not become ready in time")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def load(url: str, texts: list[str], concurrency: int, honour_retry_after: bool = True) -> Run:
    """Each text is sent once by one of ``concurrency`` clients; a 503 counts as shed (its latency is kept)."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for text in texts:
        queue.put_nowait(text)
    latencies: list[float] = []
    shed: list[float] = []
    errors = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while True:
            try:
                text = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            started = time.perf_counter()
            try:
                response = await client.post(f"{url}/v1/classify", json={"text": text})
                status = response.status_code
            except httpx.HTTPError:
                status = 0
            elapsed = time.perf_counter() - started
            if status == 200:
                latencies.append(elapsed)
            elif status == 503:
                shed.append(elapsed)
                if honour_retry_after:
                    await asyncio.sleep(float(response.headers.get("retry-after", "1")))
            else:
                errors += 1

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        return Run(latencies, time.perf_counter() - started, errors, shed)


def request_mix(n: int, seed: int = 7) -> list[str]:
    from pipeline.corpus import load_records
    from pipeline.data import read_splits

    test_ids = set(read_splits()["test"])
    texts = [r.text for r in load_records() if r.id in test_ids]
    rng = random.Random(seed)
    return [rng.choice(texts) for _ in range(n)]


def sixty_word_complaint() -> str:
    from pipeline.corpus import load_records

    records = [r for r in load_records() if r.causes]
    return min(records, key=lambda r: (abs(len(r.text.split()) - 60), r.id)).text


def overload_table(
    model: Path, env: dict[str, str], clients: int, requests: int, max_queue: int | None, honour: bool
) -> None:
    """The batched service under ``clients`` concurrent clients: bounded queue (503s) against an unbounded one."""
    from serve.settings import Settings

    bounded = max_queue or Settings.model_fields["max_queue"].default
    table = Table(
        title=f"Overload: {clients} clients, {requests} requests, {os.cpu_count()} cores, "
        f"{'clients wait Retry-After' if honour else 'clients retry at once'} after a 503"
    )
    for column in (
        "queue",
        "accepted",
        "503",
        "other errors",
        "accepted p50 ms",
        "accepted p95 ms",
        "accepted p99 ms",
        "max ms",
        "503 p50 ms",
        "503 p99 ms",
        "accepted req/s",
    ):
        table.add_column(column, justify="right")
    for label, limit in ((f"bounded ({bounded} texts)", bounded), ("unbounded", 1_000_000)):
        port = free_port()
        server = start_server(model.resolve(), port, {**env, "QUEJAS_MAX_QUEUE": str(limit)})
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(url, server)
            asyncio.run(load(url, request_mix(16), 4))  # warm-up
            run = asyncio.run(load(url, request_mix(requests, seed=5), clients, honour))
        finally:
            server.terminate()
            server.wait(timeout=30)
        table.add_row(
            label,
            str(len(run.latencies)),
            str(len(run.shed)),
            str(run.errors),
            f"{run.pct(0.5):.0f}",
            f"{run.pct(0.95):.0f}",
            f"{run.pct(0.99):.0f}",
            f"{run.pct(1.0):.0f}",
            f"{percentile_ms(run.shed, 0.5):.1f}",
            f"{percentile_ms(run.shed, 0.99):.1f}",
            f"{run.rps:.1f}",
        )
        console.print(
            f"overload {label}: accepted {len(run.latencies)}, p99 {run.pct(0.99):.0f} ms, 503s "
            f"{len(run.shed)} (p99 {percentile_ms(run.shed, 0.99):.1f} ms)"
        )
    console.print(table)


def main(
    model: Path = typer.Option(Path("models/latest"), help="Model folder for both services."),
    requests: int = typer.Option(256, help="Requests per concurrency level."),
    soak: int = typer.Option(2000, help="Requests in the soak run at concurrency 32 (0 to skip)."),
    levels: str = typer.Option("1,8,32", help="Concurrency levels."),
    quantize: bool = typer.Option(False, help="Serve the int8 encoder (QUEJAS_QUANTIZE=1) in both services."),
    runtime: str = typer.Option("torch", help="torch or onnx (QUEJAS_RUNTIME) in both services."),
    bf16: bool = typer.Option(False, help="bfloat16 autocast (QUEJAS_BF16=1, PyTorch runtime) in both services."),
    max_wait_ms: float = typer.Option(8.0, help="QUEJAS_MAX_WAIT_MS of the batched service."),
    overload: int = typer.Option(0, help="Clients of the overload run (bounded vs unbounded queue); 0 skips it."),
    overload_requests: int = typer.Option(1000, help="Requests sent in each overload run."),
    max_queue: int = typer.Option(None, help="QUEJAS_MAX_QUEUE of the bounded overload run (default: the setting's)."),
    honour_retry_after: bool = typer.Option(True, help="Overload clients wait Retry-After after a 503."),
) -> None:
    """Benchmark the micro-batched API against a naive one-request-per-forward-pass baseline, and under overload."""
    if not (model / "config.json").exists():
        raise SystemExit(f"no model at {model}; run `make train` first")
    concurrency = [int(c) for c in levels.split(",") if c.strip()]
    texts = request_mix(requests)
    results: dict[tuple[str, int], Run] = {}
    extra: dict[str, object] = {}
    common = {
        "QUEJAS_QUANTIZE": "1" if quantize else "0",
        "QUEJAS_RUNTIME": runtime,
        "QUEJAS_BF16": "1" if bf16 else "0",
    }
    services = (
        ("batched", {"QUEJAS_MAX_WAIT_MS": str(max_wait_ms)}),
        ("naive", {"QUEJAS_MAX_BATCH_SIZE": "1", "QUEJAS_MAX_WAIT_MS": "0"}),
    )
    if overload:
        overload_table(
            model,
            {**common, "QUEJAS_MAX_WAIT_MS": str(max_wait_ms)},
            overload,
            overload_requests,
            max_queue,
            honour_retry_after,
        )
    if not concurrency:
        return
    for name, env in services:
        env = {**common, **env}
        port = free_port()
        server = start_server(model.resolve(), port, env)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(url, server)
            asyncio.run(load(url, texts[:16], 4))  # warm-up
            for c in concurrency:
                results[(name, c)] = run = asyncio.run(load(url, texts, c))
                console.print(
                    f"{name:8s} c={c:<3d} p50 {run.pct(0.5):7.1f} ms  {run.rps:6.1f} req/s  errors {run.errors}"
                )
            if name == "batched":
                single = asyncio.run(load(url, [sixty_word_complaint()] * 100, 1))
                extra["single_p50"] = single.pct(0.5)
                extra["single_p95"] = single.pct(0.95)
                if soak:
                    before = rss_mb(server.pid)
                    soak_run = asyncio.run(load(url, request_mix(soak, seed=11), 32))
                    extra["soak"] = (soak_run, before, rss_mb(server.pid))
        finally:
            server.terminate()
            server.wait(timeout=30)

    precision = "int8" if quantize else "bfloat16" if bf16 else "float32"
    table = Table(
        title=f"API benchmark ({model.resolve().name}, {runtime} {precision}, batched max wait {max_wait_ms:g} ms, "
        f"{os.cpu_count()} cores, {requests} requests/level)"
    )
    for column in ("concurrency", "service", "p50 ms", "p95 ms", "p99 ms", "req/s", "errors", "throughput vs naive"):
        table.add_column(column, justify="right")
    for c in concurrency:
        naive = results[("naive", c)]
        for name in ("batched", "naive"):
            run = results[(name, c)]
            ratio = run.rps / naive.rps if naive.rps else float("nan")
            table.add_row(
                str(c),
                name,
                f"{run.pct(0.5):.1f}",
                f"{run.pct(0.95):.1f}",
                f"{run.pct(0.99):.1f}",
                f"{run.rps:.1f}",
                str(run.errors),
                f"{ratio:.2f}x",
            )
    console.print(table)
    console.print(
        f"single 60-word complaint, concurrency 1: p50 {extra['single_p50']:.1f} ms, p95 {extra['single_p95']:.1f} ms"
    )
    if "soak" in extra:
        run, before, after = extra["soak"]
        console.print(
            f"soak: {len(run.latencies) + run.errors} requests at concurrency 32, {run.errors} errors, "
            f"{run.rps:.1f} req/s, p99 {run.pct(0.99):.0f} ms; server RSS {before:.0f} MB -> {after:.0f} MB"
        )
    if 32 in concurrency:
        naive, batched = (statistics.median(results[(n, 32)].latencies) for n in ("naive", "batched"))
        console.print(f"median latency ratio at c=32 (naive / batched): {naive / batched:.2f}")


if __name__ == "__main__":
    typer.run(main)
