"""One labelling run: check the input, resume earlier progress, label the pending chunks, join the output."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from pipeline.batch.columns import ERROR_KINDS, added_columns, find_text_column, list_columns
from pipeline.batch.engines import Engine, LocalEngine, RayEngine
from pipeline.batch.errors import BatchError
from pipeline.batch.formats import input_format, output_format
from pipeline.batch.labelling import Chunk, chunk_stats, prepare_chunk, result_frame
from pipeline.batch.labelset import write_labelset
from pipeline.batch.readers import read_chunks, scan_input
from pipeline.batch.store import MANIFEST_VERSION, PartStore, output_lock
from pipeline.model_folder import ModelFolder
from pipeline.taxonomy import TAXONOMY, Taxonomy

log = logging.getLogger("quejas.batch")


@dataclass
class LabelOptions:
    """Options that decide what the output holds (recorded in the manifest) and how the run goes."""

    text_column: str | None = None
    output_format: str | None = None
    chunk_size: int = 1000
    max_chars: int = 5000
    encoding: str = "utf-8"
    restart: bool = False

    def __post_init__(self) -> None:
        if self.chunk_size < 1:
            raise BatchError("--chunk-size must be at least 1")
        if self.max_chars < 1:
            raise BatchError("--max-chars must be at least 1")


@dataclass
class LabelSummary:
    output: Path
    rows: int = 0
    labelled: int = 0
    errors: Counter = field(default_factory=Counter)
    causes: Counter = field(default_factory=Counter)
    priorities: Counter = field(default_factory=Counter)
    resumed_rows: int = 0  # rows labelled by an earlier, interrupted run
    seconds: float = 0.0
    engine: str = "local"
    taxonomy: Taxonomy = TAXONOMY  # the labelling model's, for the names of the causes counted
    labelset: Path | None = None  # its taxonomy beside the output, when it is not the built-in one

    @property
    def rows_this_run(self) -> int:
        return self.rows - self.resumed_rows

    @property
    def rows_per_second(self) -> float:
        return self.rows_this_run / self.seconds if self.seconds > 0 else 0.0

    def add(self, stats: dict) -> None:
        self.rows += stats["rows"]
        self.labelled += stats["labelled"]
        self.errors.update(stats["errors"])
        self.causes.update(stats["causes"])
        self.priorities.update(stats.get("priorities", {}))  # parts of runs before it was counted have none


def label_file(
    input_path: Path,
    output_path: Path,
    engine: Engine,
    model_info: dict,
    options: LabelOptions | None = None,
    console: Console | None = None,
    progress: bool = True,
    after_chunk: Callable[[int], None] | None = None,
) -> LabelSummary:
    """Label ``input_path`` into ``output_path``, resuming earlier progress; returns the run summary.

    ``model_info`` (name, version, path) goes into the manifest so a resumed run cannot mix models.
    ``after_chunk(number)`` is called after each part file is written (progress hooks, tests).
    """
    options = options or LabelOptions()
    started = time.perf_counter()
    input_path, output_path = Path(input_path), Path(output_path)
    if not input_path.is_file():
        raise BatchError(f"input file {input_path} does not exist")
    if input_path.resolve() == output_path.resolve():
        raise BatchError("the output must be a different file from the input")
    fmt_in = input_format(input_path)
    fmt_out = output_format(output_path, options.output_format)
    info = scan_input(input_path, fmt_in, options.encoding)
    text_column = find_text_column(info.columns, options.text_column)
    taxonomy = engine.taxonomy
    clash = [c for c in added_columns(taxonomy) if c in info.columns]
    if clash:
        raise BatchError(
            f"the input already has result column(s) {list_columns(clash)} (is it a labelled file?); "
            "rename them or label the original file"
        )
    stat = input_path.stat()
    manifest = {
        "version": MANIFEST_VERSION,
        "input": str(input_path.resolve()),
        "input_size": stat.st_size,
        "input_mtime_ns": stat.st_mtime_ns,
        "text_column": text_column,
        "chunk_size": options.chunk_size,
        "max_chars": options.max_chars,
        "encoding": options.encoding,
        "format": fmt_out,
        "model": model_info,
    }
    output_path.parent.mkdir(parents=True, exist_ok=True)
    with output_lock(output_path):
        store = PartStore(
            output_path, manifest, fmt_out, restart=options.restart, warn=_warner(console), taxonomy=taxonomy
        )
        done = store.done()
        summary = LabelSummary(output=output_path, engine=engine.name, taxonomy=taxonomy)
        for number in sorted(done):
            summary.add(store.stats(number))
        summary.resumed_rows = summary.rows
        chunk_count = 0

        def pending() -> Iterator[Chunk]:
            nonlocal chunk_count
            frames = read_chunks(input_path, fmt_in, info.columns, options.chunk_size, options.encoding)
            for number, frame in enumerate(frames):
                chunk_count = number + 1
                if number not in done:
                    yield prepare_chunk(number, frame, text_column, options.max_chars)

        bar = _ProgressBar(console, info.rows, summary.rows, input_path.name) if progress else None
        try:
            for chunk, records in engine.run(pending()):
                labelled = result_frame(chunk, records, taxonomy)
                stats = chunk_stats(labelled)
                store.write(chunk.number, labelled, stats)
                summary.add(stats)
                if bar is not None:
                    bar.advance(len(labelled))
                if after_chunk is not None:
                    after_chunk(chunk.number)
        finally:
            if bar is not None:
                bar.stop()
        store.finish(chunk_count, info.columns + added_columns(taxonomy))
        summary.labelset = write_labelset(output_path, taxonomy)
    summary.seconds = time.perf_counter() - started
    return summary


def _warner(console: Console | None) -> Callable[[str], None]:
    if console is None:
        return log.warning
    return lambda message: console.print(f"[yellow]warning:[/yellow] {message}", highlight=False)


class _RowsPerSecond(ProgressColumn):
    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:,.1f} rows/s" if task.speed else "- rows/s", style="progress.data.speed")


class _ProgressBar:
    """Rows done, rows per second and the time left, on the console the summary goes to."""

    def __init__(self, console: Console | None, total: int | None, done: int, name: str):
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            _RowsPerSecond(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.progress.start()
        self.task: TaskID = self.progress.add_task(name, total=total, completed=done)

    def advance(self, rows: int) -> None:
        self.progress.advance(self.task, rows)

    def stop(self) -> None:
        self.progress.stop()


def summary_table(summary: LabelSummary) -> Table:
    table = Table(title=f"quejas label → {summary.output}", show_header=False)
    table.add_column("", style="bold")
    table.add_column("", justify="right")
    table.add_row("rows", f"{summary.rows:,}")
    table.add_row("labelled", f"{summary.labelled:,}")
    if summary.resumed_rows:
        table.add_row("resumed from earlier run", f"{summary.resumed_rows:,}")
    error_total = sum(summary.errors.values())
    table.add_row("errors", f"{error_total:,}")
    for kind, count in summary.errors.most_common():
        table.add_row(f"  {kind}", f"{count:,}  [dim]{ERROR_KINDS.get(kind, '')}[/dim]")
    for cause_id, count in summary.causes.most_common(5):
        display = summary.taxonomy.cause_display(cause_id)
        table.add_row(f"cause: {display}", f"{count:,}")
    rule = summary.taxonomy.priority
    for level in rule.levels if rule is not None else ():
        table.add_row(f"priority: {level.id} · {level.display}", f"{summary.priorities[level.id]:,}")
    if summary.labelset is not None:
        table.add_row("label set (read by quejas report)", str(summary.labelset.name))
    table.add_row("engine", summary.engine)
    table.add_row("seconds", f"{summary.seconds:,.1f}")
    table.add_row("rows/s (this run)", f"{summary.rows_per_second:,.1f}")
    return table


def model_manifest(model_path: Path) -> dict:
    """What identifies the model in the manifest: a resumed run must use the same one."""
    config = ModelFolder(model_path).read_config()
    return {"name": config.name, "version": config.version, "path": str(Path(model_path).resolve())}


def make_engine(
    engine: str,
    model_path: Path,
    device: str = "auto",
    batch_size: int = 32,
    quantize: bool = False,
    bf16: bool = False,
    ray_address: str | None = None,
    ray_num_cpus: int | None = None,
    ray_actors: int | None = None,
    ray_cpus_per_actor: float = 1,
    ray_window: int | None = None,
) -> LocalEngine | RayEngine:
    """``local``: load the Analyzer here. ``ray``: start/connect Ray; each actor loads the Analyzer itself."""
    if batch_size < 1:
        raise BatchError("--batch-size must be at least 1")
    if engine == "local":
        # Deferred: the Analyzer loads torch and transformers (see model_manifest).
        from pipeline.analyzer import Analyzer

        return LocalEngine(Analyzer.load(model_path, device=device, quantize=quantize, bf16=bf16), batch_size)
    if engine == "ray":
        try:
            import ray  # noqa: F401 - optional extra; checked here to give the install hint
        except ImportError:
            raise BatchError('the ray engine needs Ray Data: pip install "quejas[ray]"') from None
        return RayEngine(
            model_path,
            device=device,
            batch_size=batch_size,
            quantize=quantize,
            bf16=bf16,
            address=ray_address,
            num_cpus=ray_num_cpus,
            actors=ray_actors,
            cpus_per_actor=ray_cpus_per_actor,
            window=ray_window,
        )
    raise BatchError(f"--engine must be local or ray, not {engine!r}")
