"""Rewritten text that still knows where each of its characters came from.

Entities and cue phrases are matched on a cleaned-up copy of the text (NFC, tidy spaces; or lower
case without accents), but every span we report must point into the text the customer sent. Both
rewrites work one grapheme cluster (a base character and its combining marks) at a time and keep,
for each output character, the original [start, end) it came from. No spaCy here, so the analyzer
can fold text without loading the NLP pipeline.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class MappedText:
    """Rewritten text plus, for each of its characters, the original [start, end) it came from."""

    text: str
    starts: list[int]
    ends: list[int]

    def original(self, start: int, end: int) -> tuple[int, int]:
        """Map a rewritten span [start, end) to the original text."""
        if end <= start:
            position = self.starts[start] if start < len(self.starts) else (self.ends[-1] if self.ends else 0)
            return position, position
        return self.starts[start], self.ends[end - 1]


def clusters(text: str) -> Iterator[tuple[int, int]]:
    """Yield (start, end) of a base character and the combining marks that follow it."""
    i = 0
    n = len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        yield i, j
        i = j


def fold_mapped(text: str) -> MappedText:
    """Lower case without accents, one character per cluster: "Reclamació\\u0301n" and "RECLAMACIÓN" both
    read "reclamacion", whether the accent came precomposed or as a combining mark."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for start, end in clusters(text):
        base = text[start]
        out.append(unicodedata.normalize("NFD", base.lower()[:1] or base)[:1])
        starts.append(start)
        ends.append(end)
    return MappedText("".join(out), starts, ends)
