"""Triage priority: the taxonomy's rule, evaluated from the YAML, documented, and on every Analysis."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from pipeline.priority import level_for, priority_of, priority_points
from pipeline.reply import analysis_from_causes
from pipeline.schema import Analysis
from pipeline.taxonomy import TAXONOMY, TAXONOMY_PATH, _parse

DOC = Path(__file__).resolve().parents[1] / "docs" / "TAXONOMY.md"


def raw_taxonomy() -> dict:
    return yaml.safe_load(TAXONOMY_PATH.read_text(encoding="utf-8"))


# What the rule means, case by case. A change of points or levels that moves any of these is a change of
# meaning: update docs/TAXONOMY.md section 7 and this table together.
CASES = [
    # (score, kind, causes, risks, level, why)
    (0.8, "intensity", [], [], "P4", "thanks: no complaint, nothing raised"),
    (-0.2, "intensity", [], [], "P4", "a neutral question"),
    (-0.45, "intensity", ["product_defect"], [], "P3", "a mild complaint"),
    (-0.6, "intensity", ["order_error"], [], "P3", "an annoyed complaint without aggravating factors"),
    (-0.85, "intensity", ["delay"], [], "P2", "furious about a delay: 1 + 3 + 1"),
    (-0.5, "intensity", ["billing_error"], ["legal"], "P2", "a calm legal threat: 1 + 3"),
    (-0.85, "intensity", ["product_defect"], ["legal"], "P1", "a furious legal threat: 1 + 3 + 3"),
    (-0.7, "intensity", ["not_as_advertised"], ["churn", "public"], "P1", "angry, leaving and going public: 1+2+2+2"),
    (-0.6, "intensity", ["broken_promise"], ["legal"], "P1", "a broken promise and a legal threat: 1+1+2+3"),
    (-0.3, "intensity", ["delay", "no_follow_up", "broken_promise"], [], "P3", "wait causes are capped at 2"),
    (-0.99, "polarity", ["delay"], [], "P3", "the saturated polarity of old folders adds no points"),
]


@pytest.mark.parametrize(("score", "kind", "causes", "risks", "level", "why"), CASES, ids=[c[-1] for c in CASES])
def test_the_rule_in_taxonomy_yaml_means_what_the_guide_says(score, kind, causes, risks, level, why):
    assert priority_of(score, kind, causes, risks) == level, why


def test_points_add_up_as_documented():
    assert priority_points(-0.85, "intensity", ["delay"], ["legal"]) == 1 + 3 + 1 + 3
    assert priority_points(-0.75, "intensity", [], []) == 2  # intensity counts without causes too
    assert priority_points(-0.55, "intensity", ["broken_promise"], []) == 1 + 1 + 2  # the band includes its bound
    assert priority_points(-0.5, "intensity", ["delay", "delay"], ["churn", "churn"]) == 1 + 1 + 2  # no double count
    assert [level_for(p) for p in (0, 1, 3, 4, 6, 7, 12)] == ["P4", "P3", "P3", "P2", "P2", "P1", "P1"]


def test_the_rule_is_read_from_the_yaml_not_the_code():
    raw = raw_taxonomy()
    assert priority_of(-0.3, "intensity", ["billing_error"], ["legal"]) == "P2"
    stricter = copy.deepcopy(raw)
    stricter["priority"]["risks"]["legal"] = 10
    rule = _parse(stricter).priority
    assert priority_of(-0.3, "intensity", ["billing_error"], ["legal"], rule) == "P1"
    calmer = copy.deepcopy(raw)
    calmer["priority"]["intensity"] = []
    assert priority_of(-0.95, "intensity", ["product_defect"], [], _parse(calmer).priority) == "P3"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda p: p["causes"].update({"late_delivery": 1}), "unknown labels: cause 'late_delivery'"),
        (lambda p: p["risks"].update({"fraud": 2}), "unknown labels: risk 'fraud'"),
        (lambda p: p["levels"].reverse(), "must be P1, P2, P3, P4 in that order"),
        (lambda p: p["levels"][-1].update({"min_points": 1}), "last level with 0"),
        (lambda p: p["levels"][1].update({"min_points": 9}), "highest min_points down"),
    ],
)
def test_a_broken_rule_is_refused_when_the_taxonomy_loads(edit, message):
    raw = raw_taxonomy()
    edit(raw["priority"])
    with pytest.raises(ValueError, match=re.escape(message)):
        _parse(raw)


def test_the_labeling_guide_documents_the_same_points():
    """docs/TAXONOMY.md section 7 lists every number of the rule; they cannot drift apart silently."""
    rule = TAXONOMY.priority
    doc = DOC.read_text(encoding="utf-8")
    section = doc[doc.index("## 7. Triage priority") :]
    assert f"| complaint (at least one cause) | {rule.complaint} |" in section
    for at_most, points in rule.intensity:
        assert f"| score ≤ {at_most} | {points} |" in section
    for risk, points in rule.risks.items():
        assert f"| risk `{risk}` | {points} |" in section
    for cause, points in rule.causes.items():
        assert f"| cause `{cause}` | {points} |" in section
    assert f"capped at {rule.causes_cap}" in section
    for level in rule.levels:
        assert f"| {level.id} | {level.display} | {level.min_points} |" in section


def test_every_analysis_carries_its_priority():
    furious = analysis_from_causes(["broken_promise"])  # built by hand: the priority is derived all the same
    assert furious.priority == priority_of(-0.7, "polarity", ["broken_promise"], [])
    data = furious.model_dump()
    data["sentiment"] = {"label": "negative", "score": -0.85, "score_kind": "intensity"}
    data["risk"]["legal"] = True
    data.pop("priority")
    assert Analysis.model_validate(data).priority == "P1"
    data["priority"] = "P3"  # a priority given explicitly (e.g. set by an agent) is kept
    assert Analysis.model_validate(data).priority == "P3"
    assert analysis_from_causes([], sentiment="positive").priority == "P4"
