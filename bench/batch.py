"""Batch labelling throughput and memory: rows/s and peak RSS of `quejas label` with the local engine.

Builds a CSV of ``--rows`` rows (default 5,000) from the corpus texts (data/complaints/*.jsonl, cycled)
with id, date, channel and sector columns in a temporary folder, loads the model once, then labels the
file exactly as `quejas label` does (chunks, part files, concatenation, entities). Memory is the
process resident set size: after loading the model, and the peak while labelling (sampled every
50 ms from /proc/self/status, plus the kernel's lifetime peak ru_maxrss).

    python bench/batch.py --model models/latest [--rows 5000] [--chunk-size 1000] [--quantize]
"""

from __future__ import annotations

import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd
import torch
import typer
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.batch import LabelOptions, LocalEngine, label_file, model_manifest  # noqa: E402
from pipeline.corpus import read_corpus  # noqa: E402

console = Console()


def rss_mb() -> float:
    """Current resident set size of this process (MB)."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


class PeakSampler:
    """Samples RSS in a background thread; ``peak`` is the highest value seen while running."""

    def __init__(self, interval: float = 0.05):
        self.interval, self.peak = interval, rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, rss_mb())

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb())


def build_input(folder: Path, rows: int) -> Path:
    records, problems = read_corpus()
    if not records:
        raise SystemExit(f"no corpus records ({len(problems)} unreadable lines); run data/validate.py")
    frame = pd.DataFrame(
        {
            "id": [f"Q{i:07d}" for i in range(rows)],
            "fecha": pd.date_range("2024-01-01", periods=rows, freq="37min").strftime("%Y-%m-%d %H:%M"),
            "canal": [records[i % len(records)].channel for i in range(rows)],
            "sector": [records[i % len(records)].sector for i in range(rows)],
            "texto": [records[i % len(records)].text for i in range(rows)],
        }
    )
    path = folder / "quejas.csv"
    frame.to_csv(path, index=False)
    return path


def main(
    model: Path = typer.Option(Path("models/latest"), "--model", "-m", help="Model folder to benchmark."),
    rows: int = typer.Option(5000, help="Rows in the generated CSV (corpus texts, cycled)."),
    chunk_size: int = typer.Option(1000, help="Rows per chunk / part file, as in `quejas label --chunk-size`."),
    batch_size: int = typer.Option(32, help="Texts per forward pass."),
    quantize: bool = typer.Option(False, "--quantize", help="int8 encoder (CPU), as `quejas label --quantize`."),
    bf16: bool = typer.Option(False, "--bf16", help="bfloat16 autocast, as `quejas label --bf16`."),
    output_format: str = typer.Option("csv", "--format", help="Output format: csv, jsonl or parquet."),
) -> None:
    """Print rows/s and peak RSS of the local batch engine on this machine."""
    from pipeline.analyzer import Analyzer

    with tempfile.TemporaryDirectory(prefix="quejas-bench-") as tmp:
        folder = Path(tmp)
        source = build_input(folder, rows)
        size_mb = source.stat().st_size / 1e6
        rss_start = rss_mb()
        started = time.perf_counter()
        analyzer = Analyzer.load(model, device="cpu", quantize=quantize, bf16=bf16)
        analyzer.analyze(["El pedido llegó tarde y nadie contesta."])  # warm-up: spaCy pipeline, first batch
        load_seconds = time.perf_counter() - started
        rss_loaded = rss_mb()
        engine = LocalEngine(analyzer, batch_size=batch_size)
        output = folder / f"quejas.labeled.{output_format}"
        with PeakSampler() as sampler:
            summary = label_file(
                source,
                output,
                engine,
                model_manifest(model),
                LabelOptions(chunk_size=chunk_size),
                console=Console(stderr=True),
            )
        output_mb = output.stat().st_size / 1e6

    precision = " (int8)" if quantize else " (bf16)" if bf16 else ""
    table = Table(title=f"quejas label, local engine: {analyzer.info.name}{precision}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("machine", f"{torch.get_num_threads()} torch threads, CPU")
    table.add_row("rows (input CSV)", f"{summary.rows:,} ({size_mb:.1f} MB)")
    table.add_row("labelled / errors", f"{summary.labelled:,} / {sum(summary.errors.values()):,}")
    table.add_row("chunk size / batch size", f"{chunk_size} / {batch_size}")
    table.add_row("model load + warm-up", f"{load_seconds:.1f} s")
    table.add_row("labelling time", f"{summary.seconds:.1f} s")
    table.add_row("throughput", f"{summary.rows_per_second:.1f} rows/s")
    table.add_row("RSS before model", f"{rss_start:,.0f} MB")
    table.add_row("RSS after model load", f"{rss_loaded:,.0f} MB")
    table.add_row("peak RSS while labelling", f"{sampler.peak:,.0f} MB (+{sampler.peak - rss_loaded:,.0f} MB)")
    table.add_row("peak RSS (process lifetime)", f"{max_rss_mb():,.0f} MB")
    table.add_row(f"output ({output_format})", f"{output_mb:.1f} MB")
    console.print(table)


if __name__ == "__main__":
    typer.run(main)
