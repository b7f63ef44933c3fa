"""Reading texts from JSON Lines input for `quejas analyze --input`."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.errors import InputDataError


def read_texts(path: Path, text_field: str = "text") -> list[str]:
    """Every line must be an object with a non-empty string in ``text_field``; errors name the line.

    Output is one result per input line in order, so a skipped line would silently misalign the two
    files: a bad line stops the run with its line number instead.
    """
    texts: list[str] = []
    with open(path, encoding="utf-8", errors="strict") as fh:
        try:
            lines = list(fh)
        except UnicodeDecodeError as exc:
            raise InputDataError(f"{path} is not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            raise InputDataError(f"{path}:{number}: empty line; remove it so output lines match input lines")
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputDataError(f"{path}:{number}: invalid JSON ({exc.msg})") from None
        if not isinstance(item, dict) or text_field not in item:
            raise InputDataError(f"{path}:{number}: no {text_field!r} field (use --text-field to pick another)")
        text = item[text_field]
        if not isinstance(text, str) or not text.strip():
            raise InputDataError(f"{path}:{number}: {text_field!r} must be a non-empty string")
        texts.append(text)
    return texts
