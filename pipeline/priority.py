"""Triage priority (P1 first): the `priority:` rule of taxonomy.yaml added up for one analysis.

The rule is data (docs/TAXONOMY.md section 7), so this module only counts points: a helpdesk that
wants legal threats always on top edits the YAML, not the code.
"""

from __future__ import annotations

from collections.abc import Iterable

from pipeline.errors import ConfigurationError
from pipeline.taxonomy import TAXONOMY, PriorityLevel, PriorityRule, ScoreKind


def _rule(rule: PriorityRule | None) -> PriorityRule:
    rule = rule or TAXONOMY.priority
    if rule is None:
        raise ConfigurationError("taxonomy.yaml has no `priority:` section; see docs/TAXONOMY.md section 7")
    return rule


def priority_points(
    score: float,
    score_kind: ScoreKind,
    causes: Iterable[str],
    risks: Iterable[str],
    rule: PriorityRule | None = None,
) -> int:
    """Points of one message: ``causes`` are detected cause ids, ``risks`` the risk signals raised.

    Intensity bands count only for a graded intensity: the polarity of older model folders sits near -1
    for almost every complaint, so it would push them all up together and rank nothing.
    """
    rule = _rule(rule)
    causes = list(causes)
    points = rule.complaint if causes else 0
    if score_kind == "intensity":
        points += next((p for at_most, p in rule.intensity if score <= at_most), 0)
    points += sum(rule.risks.get(r, 0) for r in set(risks))
    points += min(rule.causes_cap, sum(rule.causes.get(c, 0) for c in set(causes)))
    return points


def level_for(points: int, rule: PriorityRule | None = None) -> PriorityLevel:
    rule = _rule(rule)
    return next(level.id for level in rule.levels if points >= level.min_points)


def priority_of(
    score: float,
    score_kind: ScoreKind,
    causes: Iterable[str],
    risks: Iterable[str],
    rule: PriorityRule | None = None,
) -> PriorityLevel:
    """The level (P1..P4) the rule gives a message; see `priority_points` for the arguments."""
    return level_for(priority_points(score, score_kind, causes, risks, rule), rule)


def priority_display(level: str, rule: PriorityRule | None = None) -> str:
    """Spanish name of a level for agents ("Urgente"); the id itself when the rule does not know it.

    ``rule`` is the analysing model's (`Taxonomy.priority`): an organisation's taxonomy may name its levels
    its own way; without it, the built-in names.
    """
    rule = _rule(rule)
    return next((lv.display for lv in rule.levels if lv.id == level), level)
