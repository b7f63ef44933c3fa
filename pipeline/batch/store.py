"""Resumable output: finished chunks as checksummed part files, joined into the output at the end.

Every finished chunk is written atomically as a part file in a sidecar folder ``<output>.parts/`` next
to a manifest (input path, size, mtime and the options that change the result). A run that is
interrupted (Ctrl-C, kill -9, a crash) is resumed by running the same command again: chunks with a part
file are skipped, the rest are labelled, then the parts are concatenated into the output and the sidecar
is removed. No row is lost or written twice: each part's row count and SHA-256 are recorded before it is
written and checked before it is trusted (a damaged part is named and labelled again), and a lock next
to the output stops a second run on the same output. CSV output escapes cells a spreadsheet would run as
formulas (`pipeline.spreadsheet_safety`).
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import math
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from filelock import FileLock, Timeout

from pipeline.batch.columns import added_arrow_schema, added_columns
from pipeline.batch.errors import BatchError
from pipeline.spreadsheet_safety import escape_cell, escape_frame
from pipeline.taxonomy import TAXONOMY, Taxonomy

PARTS_SUFFIX = ".parts"
MANIFEST = "manifest.json"
MANIFEST_VERSION = 2  # 2: parts carry a checksum; CSV cells are escaped against formula injection
log = logging.getLogger("quejas.batch")


def parts_folder(output: Path) -> Path:
    return output.with_name(output.name + PARTS_SUFFIX)


def _atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    _fsync(tmp)
    os.replace(tmp, path)


def _fsync(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


class PartStore:
    """Finished chunks as part files in ``<output>.parts/`` plus a manifest that says what they belong to.

    Each part has an entry ``part-N.stats.json`` (its summary counts, row count and SHA-256), written before
    the part file appears. A resumed run checks every part against its entry before trusting it: a part
    that was truncated, overwritten or has an unreadable entry is reported by name and labelled again, so
    the joined output never misses or garbles a row.
    """

    def __init__(
        self,
        output: Path,
        manifest: dict,
        fmt: str,
        restart: bool = False,
        warn: Callable[[str], None] | None = None,
        taxonomy: Taxonomy = TAXONOMY,
    ):
        self.output = output
        self.taxonomy = taxonomy  # the result columns (score_<cause>) are the labelling model's
        self.folder = parts_folder(output)
        self.fmt = fmt
        self.manifest = manifest
        self.warn = warn or log.warning
        if restart and self.folder.exists():
            shutil.rmtree(self.folder)
        if self.folder.exists():
            self._check_manifest()
            for leftover in self.folder.glob("*.tmp"):
                leftover.unlink()  # a part that was being written when the run stopped
        else:
            self.folder.mkdir(parents=True)
            _atomic_write(self.folder / MANIFEST, lambda p: p.write_text(json.dumps(manifest, indent=2) + "\n"))

    def _check_manifest(self) -> None:
        path = self.folder / MANIFEST
        try:
            previous = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(previous, dict):
                raise ValueError("not a JSON object")
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise BatchError(
                f"the progress manifest {path} is missing or damaged ({type(exc).__name__}); pass "
                "--restart to start over (or remove the folder)"
            ) from None
        if previous != self.manifest:
            changed = sorted(k for k in set(previous) | set(self.manifest) if previous.get(k) != self.manifest.get(k))
            raise BatchError(
                f"{self.folder} holds progress from a run with a different {', '.join(changed)}; "
                "run the same command as before to resume, or pass --restart to start over"
            )

    def _part(self, number: int) -> Path:
        return self.folder / f"part-{number:06d}.{self.fmt}"

    def _stats(self, number: int) -> Path:
        return self.folder / f"part-{number:06d}.stats.json"

    def done(self) -> set[int]:
        """Numbers of the chunks whose part file matches its entry; damaged parts are removed (and redone)."""
        done = set()
        for path in sorted(self.folder.glob(f"part-*.{self.fmt}")):
            try:
                number = int(path.name.split(".")[0].removeprefix("part-"))
            except ValueError:
                continue  # not a part of ours
            problem = self._verify(number)
            if problem is None:
                done.add(number)
                continue
            self.warn(f"{problem}; chunk {number} will be labelled again (pass --restart to redo every chunk)")
            path.unlink(missing_ok=True)
            self._stats(number).unlink(missing_ok=True)
        return done

    def _verify(self, number: int) -> str | None:
        """Why part ``number`` cannot be trusted, or None when its size, checksum and row count match its entry."""
        part, entry = self._part(number), self._stats(number)
        try:
            stats = json.loads(entry.read_text(encoding="utf-8"))
            expected = (int(stats["rows"]), str(stats["sha256"]), int(stats["bytes"]))
        except FileNotFoundError:
            return f"part {part} has no entry {entry.name}"
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            return f"the entry {entry} is damaged ({type(exc).__name__})"
        rows, digest, size = expected
        if part.stat().st_size != size or _sha256(part) != digest:
            return f"part {part} does not match its checksum (truncated or changed since it was written)"
        try:
            counted = _count_rows(part, self.fmt)
        except Exception as exc:  # noqa: BLE001 - any reader error means the part cannot be used
            return f"part {part} cannot be read ({type(exc).__name__})"
        if counted != rows:
            return f"part {part} holds {counted} rows, its entry says {rows}"
        return None

    def stats(self, number: int) -> dict:
        return json.loads(self._stats(number).read_text(encoding="utf-8"))

    def write(self, number: int, labelled: pd.DataFrame, stats: dict) -> None:
        # Entry first, data second: a part file that exists always has the entry that verifies it.
        part = self._part(number)
        tmp = part.with_name(part.name + ".tmp")
        _write_part(labelled, tmp, self.fmt, self.taxonomy)
        _fsync(tmp)
        entry = {**stats, "sha256": _sha256(tmp), "bytes": tmp.stat().st_size}
        _atomic_write(self._stats(number), lambda p: p.write_text(json.dumps(entry), encoding="utf-8"))
        os.replace(tmp, part)

    def finish(self, chunks: int, columns: list[str]) -> None:
        """Concatenate parts 0..chunks-1 into the output (atomically), then remove the sidecar folder."""
        missing = [n for n in range(chunks) if not self._part(n).exists()]
        if missing:
            raise RuntimeError(f"parts {missing[:5]} are missing in {self.folder}; run again to label them")
        parts = [self._part(n) for n in range(chunks)]
        _atomic_write(self.output, lambda p: _concatenate(parts, p, self.fmt, columns, self.taxonomy))
        shutil.rmtree(self.folder)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _count_rows(path: Path, fmt: str) -> int:
    if fmt == "csv":
        with open(path, encoding="utf-8", newline="") as fh:
            return sum(1 for _ in csv.reader(fh))
    if fmt == "jsonl":
        with open(path, encoding="utf-8") as fh:
            return sum(1 for line in fh if line.strip())

    return pq.ParquetFile(path).metadata.num_rows


@contextmanager
def output_lock(output: Path) -> Iterator[None]:
    """Held for a whole run on ``output``: a second `quejas label` on the same output stops with a clear message.

    The lock file sits next to the output (not in the parts folder, which --restart deletes) and is
    removed when the run leaves no progress behind.
    """
    lock = FileLock(str(output.with_name(output.name + ".lock")), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise BatchError(
            f"another `quejas label` is writing {output} (it holds {lock.lock_file}); wait for it to "
            "finish or stop it, or write to another output"
        ) from None
    try:
        yield
    finally:
        lock.release()
        if not parts_folder(output).exists():
            Path(lock.lock_file).unlink(missing_ok=True)


def _write_part(labelled: pd.DataFrame, path: Path, fmt: str, taxonomy: Taxonomy = TAXONOMY) -> None:
    if fmt == "csv":
        # CRLF line ends (RFC 4180, what spreadsheets write): a cell holding a bare "\r" is then quoted, so no
        # spreadsheet can read it as a line break that starts a new row with a formula.
        escape_frame(labelled).to_csv(path, header=False, index=False, lineterminator="\r\n")
    elif fmt == "jsonl":
        with open(path, "w", encoding="utf-8") as fh:
            columns = list(labelled.columns)
            for row in labelled.itertuples(index=False, name=None):
                item = {c: _json_value(v) for c, v in zip(columns, row)}
                fh.write(json.dumps(item, ensure_ascii=False, default=_json_default) + "\n")
    elif fmt == "parquet":
        pq.write_table(_to_arrow(labelled, taxonomy), path)
    else:
        raise BatchError(f"unknown output format {fmt!r}")


def _to_arrow(labelled: pd.DataFrame, taxonomy: Taxonomy = TAXONOMY) -> pa.Table:
    added = added_arrow_schema(taxonomy)
    original = labelled.drop(columns=added.names)
    try:
        table = pa.Table.from_pandas(original, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise BatchError(
            f"cannot write Parquet: a column mixes value types ({exc}); write .csv or .jsonl instead"
        ) from None
    for target in added:
        values = [_json_value(v) for v in labelled[target.name].tolist()]
        table = table.append_column(target, pa.array(values, type=target.type))
    return table


def _json_value(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _concatenate(parts: list[Path], target: Path, fmt: str, columns: list[str], taxonomy: Taxonomy = TAXONOMY) -> None:
    if fmt in ("csv", "jsonl"):
        with open(target, "wb") as out:
            if fmt == "csv":
                header = pd.DataFrame(columns=[escape_cell(c) for c in columns])
                out.write(header.to_csv(index=False, lineterminator="\r\n").encode("utf-8"))
            for part in parts:
                with open(part, "rb") as fh:
                    shutil.copyfileobj(fh, out, length=1 << 20)
        return

    if not parts:
        added = added_columns(taxonomy)
        original = pa.schema([pa.field(c, pa.string()) for c in columns if c not in set(added)])
        schema = pa.unify_schemas([original, added_arrow_schema(taxonomy)])
        pq.write_table(schema.empty_table(), target)
        return
    try:
        schema = pa.unify_schemas([pq.read_schema(p) for p in parts], promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise BatchError(
            f"cannot write Parquet: a column changes type between chunks ({exc}); write .csv or .jsonl instead"
        ) from None
    schema = schema.remove_metadata()
    with pq.ParquetWriter(target, schema) as writer:
        for part in parts:
            for batch in pq.ParquetFile(part).iter_batches():
                writer.write_table(pa.Table.from_batches([batch]).cast(schema))
