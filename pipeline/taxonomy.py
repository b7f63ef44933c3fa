"""Labels, groups and display names, read from ``taxonomy.yaml``.

Every part of quejas (corpus validation, model heads, API, reports, reply drafts) asks this module
for labels instead of spelling them out, so the taxonomy can only be wrong in one place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import yaml

TAXONOMY_PATH = Path(__file__).with_name("taxonomy.yaml")

CauseGroup = Literal["operational", "emotional"]
ComplaintGroup = Literal["operational", "emotional", "mixed", "none"]
SentimentLabel = Literal["negative", "neutral", "positive"]


@dataclass(frozen=True)
class Cause:
    id: str
    group: CauseGroup
    display: str
    description: str


@dataclass(frozen=True)
class RiskSignal:
    id: str
    display: str
    description: str
    cues: tuple[str, ...] = ()  # regular expressions that are this signal by definition (pipeline/cues.py)


@dataclass(frozen=True)
class Taxonomy:
    causes: tuple[Cause, ...]
    risks: tuple[RiskSignal, ...]
    groups: dict[str, str]
    sentiments: dict[str, str]

    @property
    def cause_ids(self) -> list[str]:
        return [c.id for c in self.causes]

    @property
    def risk_ids(self) -> list[str]:
        return [r.id for r in self.risks]

    @property
    def sentiment_ids(self) -> list[str]:
        return list(self.sentiments)

    def cause(self, cause_id: str) -> Cause:
        for cause in self.causes:
            if cause.id == cause_id:
                return cause
        raise KeyError(f"unknown cause id {cause_id!r}; known: {', '.join(self.cause_ids)}")

    def group_of(self, cause_ids: Iterable[str]) -> ComplaintGroup:
        """The complaint group is derived, never labelled, so it can't disagree with the causes."""
        groups = {self.cause(c).group for c in cause_ids}
        if not groups:
            return "none"
        if len(groups) == 2:
            return "mixed"
        return groups.pop()  # type: ignore[return-value]


def _parse(raw: dict) -> Taxonomy:
    causes = tuple(
        Cause(id=c["id"], group=c["group"], display=c["display"], description=c["description"]) for c in raw["causes"]
    )
    for cause in causes:
        if cause.group not in ("operational", "emotional"):
            raise ValueError(f"cause {cause.id!r} has group {cause.group!r}; use operational or emotional")
    if len({c.id for c in causes}) != len(causes):
        raise ValueError("taxonomy.yaml repeats a cause id")
    risks = tuple(
        RiskSignal(id=r["id"], display=r["display"], description=r["description"], cues=tuple(r.get("cues") or ()))
        for r in raw["risks"]
    )
    for risk in risks:
        for cue in risk.cues:
            try:
                re.compile(cue)
            except re.error as exc:
                message = f"risk {risk.id!r} has a cue that is not a valid regular expression: {cue!r} ({exc})"
                raise ValueError(message) from None
    return Taxonomy(causes=causes, risks=risks, groups=dict(raw["groups"]), sentiments=dict(raw["sentiments"]))


@cache
def load_taxonomy(path: Path = TAXONOMY_PATH) -> Taxonomy:
    """Parse the taxonomy once per process; it is read-only after start-up."""
    with open(path, encoding="utf-8") as fh:
        return _parse(yaml.safe_load(fh))


TAXONOMY = load_taxonomy()
CAUSE_IDS: list[str] = TAXONOMY.cause_ids
RISK_IDS: list[str] = TAXONOMY.risk_ids
SENTIMENT_IDS: list[str] = TAXONOMY.sentiment_ids
