"""Risk signals that a phrase makes certain, whatever the model's probability.

The taxonomy defines `legal` by naming things: a lawyer, a lawsuit, a consumer office (OMIC, Profeco,
SERNAC...), the hoja/libro de reclamaciones; and `public` much the same way (posting on a social
network or review site, going to the press). The model learns those from the corpus, where they sit
in long, angry letters (and `public` almost only as reviews and posts themselves); in a short message
whose only signal is the name it can stay far below its threshold ("Pediré la hoja de reclamaciones."
scored 0.07 against a cut of 0.15). These phrases are the definition, so they are matched literally
(patterns in taxonomy.yaml, `cues:` of each risk) and raise the flag beside the model. Each match is
returned with its position so agents see why the flag is up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import numpy as np

from pipeline.offsets import fold_mapped
from pipeline.taxonomy import TAXONOMY


@dataclass(frozen=True)
class CueMatch:
    risk: str
    text: str
    start: int
    end: int


def fold(text: str) -> str:
    """The text the cue patterns read: lower case without accents (see offsets.fold_mapped)."""
    return fold_mapped(text).text


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    alternatives = {risk.id: "|".join(f"(?:{cue})" for cue in risk.cues) for risk in TAXONOMY.risks if risk.cues}
    return tuple((risk, re.compile(pattern)) for risk, pattern in alternatives.items())


def find_cues(text: str) -> list[CueMatch]:
    """Every cue phrase in ``text``, in order of position."""
    folded = fold_mapped(text)
    matches = []
    for risk, pattern in _patterns():
        for m in pattern.finditer(folded.text):
            start, end = folded.original(m.start(), m.end())
            matches.append(CueMatch(risk=risk, text=text[start:end], start=start, end=end))
    return sorted(matches, key=lambda m: (m.start, m.risk))


def cue_matrix(texts: list[str], risks: list[str]) -> np.ndarray:
    """1.0 where a text contains a cue of that risk, else 0.0; columns in the order of ``risks``."""
    column = {risk: j for j, risk in enumerate(risks)}
    matrix = np.zeros((len(texts), len(risks)), dtype=np.float32)
    for i, text in enumerate(texts):
        for match in find_cues(text):
            if match.risk in column:
                matrix[i, column[match.risk]] = 1.0
    return matrix


def raise_cued_risks(risk: np.ndarray, texts: list[str], risks: list[str]) -> np.ndarray:
    """Risk probabilities with every cued signal set to 1: above any threshold, and visibly certain."""
    return np.maximum(risk, cue_matrix(texts, risks)).astype(risk.dtype)
