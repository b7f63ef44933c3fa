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
from typing import Literal, get_args

import yaml

from pipeline.errors import ConfigurationError

TAXONOMY_PATH = Path(__file__).with_name("taxonomy.yaml")

CauseGroup = Literal["operational", "emotional"]
ComplaintGroup = Literal["operational", "emotional", "mixed", "none"]
SentimentLabel = Literal["negative", "neutral", "positive"]
PriorityLevel = Literal["P1", "P2", "P3", "P4"]
# What `Sentiment.score` is: a graded intensity on the labelled sentiment_score scale, or the older
# P(positive) - P(negative) of model folders trained before the intensity existed.
ScoreKind = Literal["intensity", "polarity"]


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
class PriorityLevelRule:
    id: PriorityLevel
    min_points: int
    display: str
    description: str


@dataclass(frozen=True)
class PriorityRule:
    """The `priority:` section of taxonomy.yaml: points per finding and the level each total reaches.

    Kept as data beside the labels it reads, so a helpdesk can see (and change) why a message is urgent;
    pipeline/priority.py only adds the points up.
    """

    complaint: int
    intensity: tuple[tuple[float, int], ...]  # (at_most, points), most upset first
    risks: dict[str, int]
    causes: dict[str, int]
    causes_cap: int
    levels: tuple[PriorityLevelRule, ...]  # highest min_points first; the last has min_points 0


@dataclass(frozen=True)
class Taxonomy:
    causes: tuple[Cause, ...]
    risks: tuple[RiskSignal, ...]
    groups: dict[str, str]
    sentiments: dict[str, str]
    priority: PriorityRule | None = None

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
        return groups.pop()


def _parse(raw: dict) -> Taxonomy:
    causes = tuple(
        Cause(id=c["id"], group=c["group"], display=c["display"], description=c["description"]) for c in raw["causes"]
    )
    for cause in causes:
        if cause.group not in ("operational", "emotional"):
            raise ConfigurationError(f"cause {cause.id!r} has group {cause.group!r}; use operational or emotional")
    if len({c.id for c in causes}) != len(causes):
        raise ConfigurationError("taxonomy.yaml repeats a cause id")
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
                raise ConfigurationError(message) from None
    priority = _parse_priority(raw["priority"], causes, risks) if raw.get("priority") else None
    return Taxonomy(
        causes=causes, risks=risks, groups=dict(raw["groups"]), sentiments=dict(raw["sentiments"]), priority=priority
    )


def _parse_priority(raw: dict, causes: tuple[Cause, ...], risks: tuple[RiskSignal, ...]) -> PriorityRule:
    """Refuse a rule that names unknown labels or leaves a message without a level."""
    cause_ids, risk_ids = {c.id for c in causes}, {r.id for r in risks}
    unknown = [f"cause {c!r}" for c in raw.get("causes", {}) if c not in cause_ids]
    unknown += [f"risk {r!r}" for r in raw.get("risks", {}) if r not in risk_ids]
    if unknown:
        raise ConfigurationError(f"the priority rule names unknown labels: {', '.join(unknown)}")
    bands = sorted(((float(b["at_most"]), int(b["points"])) for b in raw.get("intensity", [])), key=lambda b: b[0])
    levels = tuple(
        PriorityLevelRule(
            id=lv["id"], min_points=int(lv["min_points"]), display=lv["display"], description=lv["description"]
        )
        for lv in raw["levels"]
    )
    if tuple(level.id for level in levels) != get_args(PriorityLevel):
        names = ", ".join(get_args(PriorityLevel))
        raise ConfigurationError(f"priority levels must be {names} in that order (the API names them)")
    minimums = [level.min_points for level in levels]
    if not levels or minimums != sorted(minimums, reverse=True) or minimums[-1] != 0:
        raise ConfigurationError(
            "priority levels must be listed from the highest min_points down to a last level with 0"
        )
    return PriorityRule(
        complaint=int(raw.get("complaint", 0)),
        intensity=tuple(bands),
        risks={k: int(v) for k, v in raw.get("risks", {}).items()},
        causes={k: int(v) for k, v in raw.get("causes", {}).items()},
        causes_cap=int(raw.get("causes_cap", 10**6)),
        levels=levels,
    )


@cache
def load_taxonomy(path: Path = TAXONOMY_PATH) -> Taxonomy:
    """Parse the taxonomy once per process; it is read-only after start-up."""
    with open(path, encoding="utf-8") as fh:
        return _parse(yaml.safe_load(fh))


TAXONOMY = load_taxonomy()
CAUSE_IDS: list[str] = TAXONOMY.cause_ids
RISK_IDS: list[str] = TAXONOMY.risk_ids
SENTIMENT_IDS: list[str] = TAXONOMY.sentiment_ids
