"""Label files of historical complaints: `quejas label INPUT -o OUTPUT`.

The input (CSV, TSV, JSONL, Parquet or XLSX) is read in chunks of ``chunk_size`` rows, so a file of a
million rows never sits in memory whole; finished chunks are kept as checksummed part files, so an
interrupted run resumes where it stopped. Each output row is the input row unchanged (same columns, same
order, same values) plus the result columns from `added_columns()`.

One module per job:

- ``columns``: the labelled-file schema (result columns, text column detection), also read by `quejas report`;
- ``formats``: formats by file extension; ``tables``: the CSV/XLSX parsing core shared with the page's upload;
- ``readers``: streaming readers of every input format;
- ``labelling``: which rows go to the model and their result columns;
- ``engines``: the local and Ray engines; ``store``: part files, checksums, the output lock;
- ``labelset``: the labelling model's taxonomy beside the output, read by `quejas report`;
- ``run``: one run (options, summary, progress).
"""

from pipeline.batch.columns import (
    CORE_RESULT_COLUMNS,
    ERROR_KINDS,
    TEXT_COLUMN_CANDIDATES,
    added_arrow_schema,
    added_columns,
    find_column,
    find_text_column,
    fold_name,
    risk_column,
    score_column,
)
from pipeline.batch.engines import Engine, LocalEngine, RayAnalyzerActor, RayEngine
from pipeline.batch.errors import BatchError, CellTooLarge, EmptyTable, RowTooWide, TableError, TooManyRows
from pipeline.batch.formats import INPUT_FORMATS, OUTPUT_FORMATS, input_format, labelled_format, output_format
from pipeline.batch.labelling import (
    Chunk,
    chunk_stats,
    label_texts,
    label_texts_safely,
    prepare_chunk,
    result_frame,
    text_problem,
)
from pipeline.batch.labelset import LABELSET_SUFFIX, labelset_file, read_labelset, write_labelset
from pipeline.batch.readers import InputInfo, read_chunks, scan_input
from pipeline.batch.run import LabelOptions, LabelSummary, label_file, make_engine, model_manifest, summary_table
from pipeline.batch.store import PartStore, output_lock, parts_folder

__all__ = [
    "CORE_RESULT_COLUMNS",
    "ERROR_KINDS",
    "INPUT_FORMATS",
    "LABELSET_SUFFIX",
    "OUTPUT_FORMATS",
    "TEXT_COLUMN_CANDIDATES",
    "BatchError",
    "CellTooLarge",
    "Chunk",
    "EmptyTable",
    "Engine",
    "InputInfo",
    "LabelOptions",
    "LabelSummary",
    "LocalEngine",
    "PartStore",
    "RayAnalyzerActor",
    "RayEngine",
    "RowTooWide",
    "TableError",
    "TooManyRows",
    "added_arrow_schema",
    "added_columns",
    "chunk_stats",
    "find_column",
    "find_text_column",
    "fold_name",
    "input_format",
    "label_file",
    "label_texts",
    "label_texts_safely",
    "labelled_format",
    "labelset_file",
    "make_engine",
    "model_manifest",
    "output_format",
    "output_lock",
    "parts_folder",
    "prepare_chunk",
    "read_chunks",
    "read_labelset",
    "result_frame",
    "risk_column",
    "scan_input",
    "score_column",
    "summary_table",
    "text_problem",
    "write_labelset",
]
