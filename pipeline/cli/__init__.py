"""The `quejas` command line: thin commands over the library's plain functions.

- ``app.py``: the Typer app, the global ``--debug`` flag and the one error handler (which errors are the
  user's to fix is listed there);
- one module per command or group: ``model.py`` (import-base, train, blend, intensity, export-onnx,
  eval), ``data.py`` (split), ``analyze.py`` (analyze, reply, review), ``label.py``, ``report.py``,
  ``serve.py``, ``feedback.py`` (stats, export);
- ``render.py``: the consoles and the rich tables commands share.

A command checks its options, calls library functions and prints; it raises `QuejasError` for a bad
option and lets library errors through to the handler, never catching them itself. Library modules
that load torch, transformers or spaCy are imported inside the command that needs them, so
``quejas --help`` (and a mistyped option) answers in about a second instead of after 20-30 seconds of
imports.
"""

# Importing a command module registers its commands on `app`.
from pipeline.cli import analyze, data, feedback, label, model, report, serve  # noqa: F401
from pipeline.cli.app import app

__all__ = ["app"]
