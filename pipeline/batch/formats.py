"""File formats by extension: what `quejas label` reads and writes, and what a labelled file can be."""

from __future__ import annotations

from pathlib import Path

from pipeline.batch.errors import BatchError

INPUT_FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "xlsx",
}
OUTPUT_FORMATS: dict[str, str] = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


def input_format(path: Path) -> str:
    fmt = INPUT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise BatchError(f"cannot read {path.name}: use one of {', '.join(sorted(INPUT_FORMATS))}")
    return fmt


def format_from(path: Path, formats: dict[str, str], override: str | None = None, what: str = "output") -> str:
    """The format ``override`` names (the --format option), else the one ``path``'s extension names in ``formats``."""
    names = list(dict.fromkeys(formats.values()))
    extensions = [next(ext for ext, name in formats.items() if name == fmt) for fmt in names]

    def either(items: list[str]) -> str:
        return ", ".join(items[:-1]) + " or " + items[-1]

    if override is not None:
        fmt = override.lower().lstrip(".")
        if fmt not in names:
            raise BatchError(f"--format must be {either(names)}, not {override!r}")
        return fmt
    by_extension = formats.get(path.suffix.lower())
    if by_extension is None:
        raise BatchError(
            f"cannot tell the {what} format from {path.name!r}; end it in {either(extensions)} or pass --format"
        )
    return by_extension


def output_format(path: Path, override: str | None = None) -> str:
    return format_from(path, OUTPUT_FORMATS, override)


def labelled_format(path: Path) -> str:
    """The format of a labelled file: one `quejas label` can write, named by any extension it reads."""
    fmt = INPUT_FORMATS.get(path.suffix.lower())
    if fmt not in set(OUTPUT_FORMATS.values()):
        raise BatchError(f"cannot read {path.name}: give the .csv, .jsonl or .parquet written by `quejas label`")
    return str(fmt)


def text_encoding(encoding: str) -> str:
    """The codec to open text input with; utf-8-sig reads plain UTF-8 too and drops the BOM Excel writes."""
    return "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
