"""Text normalisation and the spaCy Spanish pipeline every text feature shares.

Everything here runs without downloads: ``spacy.blank("es")`` gives the Spanish tokenizer, a
sentencizer splits sentences and an EntityRuler tags e-mail addresses and URLs. The entities a reply
is personalised with (names, references, contacts, amounts, dates) are found in pipeline.entities on
top of this.

The text is normalised (Unicode NFC, tidy whitespace) before matching, but the offset map
:func:`normalise_mapped` returns lets every span be reported in the ORIGINAL text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import cast

import spacy
from spacy.language import Language
from spacy.pipeline import EntityRuler

from pipeline.offsets import MappedText, clusters

# --------------------------------------------------------------------------------------------
# Normalisation with an offset map back to the original text
# --------------------------------------------------------------------------------------------

_ZERO_WIDTH = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"}


def normalise_mapped(text: str) -> MappedText:
    """NFC, CRLF -> LF, odd spaces -> one space, no spaces around line breaks, at most one blank line."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []

    def emit(chars: str, start: int, end: int) -> None:
        for ch in chars:
            out.append(ch)
            starts.append(start)
            ends.append(end)

    for start, end in clusters(text):
        piece = unicodedata.normalize("NFC", text[start:end])
        if piece in _ZERO_WIDTH:
            continue
        if piece in ("\r\n", "\r") or piece == "\n" or piece in ("\u2028", "\u2029", "\x0b", "\x0c", "\x85"):
            if piece == "\r" and end < len(text) and text[end] == "\n":
                continue  # the "\n" of a CRLF pair is emitted on its own
            while out and out[-1] == " ":  # no trailing spaces before a line break
                out.pop(), starts.pop(), ends.pop()
            if len(out) >= 2 and out[-1] == "\n" and out[-2] == "\n":
                continue  # at most one blank line
            if not out:
                continue
            emit("\n", start, end)
        elif piece.isspace():
            if not out or out[-1] in (" ", "\n"):
                continue
            emit(" ", start, end)
        else:
            emit(piece, start, end)
    while out and out[-1] in (" ", "\n"):
        out.pop(), starts.pop(), ends.pop()
    return MappedText("".join(out), starts, ends)


def normalise(text: str) -> str:
    """Unicode NFC and tidy whitespace: single spaces, LF line breaks, at most one blank line, stripped."""
    return normalise_mapped(text).text


# --------------------------------------------------------------------------------------------
# The spaCy pipeline
# --------------------------------------------------------------------------------------------


@cache
def nlp() -> Language:
    """The shared Spanish pipeline (blank tokenizer + sentencizer + EntityRuler); built once per process."""
    pipeline = spacy.blank("es")
    pipeline.add_pipe("sentencizer")
    ruler = cast(EntityRuler, pipeline.add_pipe("entity_ruler"))
    ruler.add_patterns(
        [
            {"label": "EMAIL", "pattern": [{"LIKE_EMAIL": True}]},
            {"label": "URL", "pattern": [{"LIKE_URL": True}]},
        ]
    )
    return pipeline


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentences as (start, end) offsets into ``text``; line breaks also end a sentence.

    A bracketed placeholder ("[RESPUESTA: ¿...? ¿...?]") stays inside one sentence, question marks and all.
    """
    spans: list[tuple[int, int]] = []
    for start, end in _raw_sentence_spans(text):
        if spans and text.count("[", spans[-1][0], spans[-1][1]) > text.count("]", spans[-1][0], spans[-1][1]):
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def _raw_sentence_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        chunk = line.group()
        if not chunk.strip():
            continue
        doc = nlp().make_doc(chunk)
        doc = nlp().get_pipe("sentencizer")(doc)
        for sent in doc.sents:
            start = line.start() + sent.start_char
            end = line.start() + sent.end_char
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if end > start:
                spans.append((start, end))
    return spans
