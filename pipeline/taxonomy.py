"""Labels, groups and display names, read from ``taxonomy.yaml``.

Every part of quejas (corpus validation, model heads, API, reports, reply drafts) asks this module
for labels instead of spelling them out, so the taxonomy can only be wrong in one place.

`TAXONOMY` is the built-in label set. An organisation may train on its own causes (`quejas train
--taxonomy FILE`, read by `load_taxonomy_file`); the model folder then carries that taxonomy and
everything downstream takes it from the loaded model (`Analyzer.taxonomy`), so functions that need labels
accept a ``taxonomy`` argument that defaults to the built-in one. Sentiments and risk signals are the
same in every taxonomy: their heads, cues and the reply rules depend on them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
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
class ToneWords:
    """The `tone:` section: regular expressions of anger and of calm words the intensity scorer counts.

    Data beside the risk cues rather than code, so the words can be read and changed without reading the
    scorer; they are not part of a label set, because every model's scorer is fitted on the same counts.
    """

    anger: tuple[str, ...]
    calm: tuple[str, ...]


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

    def cause_display(self, cause_id: str) -> str:
        """The Spanish name of a cause, or the id itself when this taxonomy does not know it."""
        return next((c.display for c in self.causes if c.id == cause_id), cause_id)

    def group_of(self, cause_ids: Iterable[str]) -> ComplaintGroup:
        """The complaint group is derived, never labelled, so it can't disagree with the causes."""
        groups = {self.cause(c).group for c in cause_ids}
        if not groups:
            return "none"
        if len(groups) == 2:
            return "mixed"
        return groups.pop()


class TaxonomyError(ConfigurationError):
    """A taxonomy file (pipeline/taxonomy.yaml or one given to `quejas train --taxonomy`) is not valid; the
    message names the file and the entry."""


CAUSE_ID_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,47}")
CAUSE_FIELDS = ("id", "group", "display", "description")


def _parse_cause(index: int, raw: object) -> Cause:
    """One entry of `causes:`, refused with its position and id when a field is missing or malformed."""
    if not isinstance(raw, dict):
        raise TaxonomyError(f"causes[{index}] must be a mapping with {', '.join(CAUSE_FIELDS)}")
    name = f"causes[{index}] ({raw['id']!r})" if "id" in raw else f"causes[{index}]"
    missing = [f for f in CAUSE_FIELDS if not isinstance(raw.get(f), str) or not raw[f].strip()]
    if missing:
        raise TaxonomyError(f"{name} lacks {', '.join(missing)} (each cause needs {', '.join(CAUSE_FIELDS)})")
    unknown = sorted(set(raw) - set(CAUSE_FIELDS))
    if unknown:
        raise TaxonomyError(f"{name} has unknown field(s) {', '.join(unknown)}; a cause has {', '.join(CAUSE_FIELDS)}")
    if not CAUSE_ID_PATTERN.fullmatch(raw["id"]):
        raise TaxonomyError(
            f"{name}: ids are lower-case snake_case of at most 48 characters (letters, digits, _), e.g. late_delivery"
        )
    if raw["group"] not in get_args(CauseGroup):
        raise TaxonomyError(f"{name} has group {raw['group']!r}; use operational or emotional")
    return Cause(id=raw["id"], group=raw["group"], display=raw["display"].strip(), description=raw["description"])


def _parse(raw: dict) -> Taxonomy:
    causes = tuple(_parse_cause(i, c) for i, c in enumerate(raw["causes"]))
    seen: set[str] = set()
    for cause in causes:
        if cause.id in seen:
            raise TaxonomyError(f"cause id {cause.id!r} is repeated; each cause needs its own id")
        seen.add(cause.id)
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
                raise TaxonomyError(message) from None
    priority = _parse_priority(raw["priority"], causes, risks) if raw.get("priority") else None
    return Taxonomy(
        causes=causes, risks=risks, groups=dict(raw["groups"]), sentiments=dict(raw["sentiments"]), priority=priority
    )


PRIORITY_FIELDS = ("complaint", "intensity", "risks", "causes", "causes_cap", "levels")
LEVEL_FIELDS = ("id", "min_points", "display", "description")


def _points(value: object, where: str) -> int:
    """A whole number of points; a bool or a text is refused rather than read as 1 or 0."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TaxonomyError(f"{where} must be a whole number of points, not {value!r}")
    return value


def _points_by_id(raw: object, name: str, known: list[str], kind: str) -> dict[str, int]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise TaxonomyError(f"priority.{name} must map {kind} ids to points, e.g. {known[0]}: 1")
    unknown = [str(k) for k in raw if k not in known]
    if unknown:
        raise TaxonomyError(
            f"the priority rule names unknown labels: {', '.join(f'{kind} {k!r}' for k in unknown)} "
            f"(priority.{name} takes this taxonomy's {kind} ids: {', '.join(known)})"
        )
    return {k: _points(v, f"priority.{name}.{k}") for k, v in raw.items()}


def _intensity_band(index: int, raw: object) -> tuple[float, int]:
    where = f"priority.intensity[{index}]"
    if not isinstance(raw, dict) or set(raw) != {"at_most", "points"}:
        raise TaxonomyError(f"{where} must be {{at_most: SCORE, points: N}} (SCORE from -1 to 1)")
    at_most = raw["at_most"]
    if isinstance(at_most, bool) or not isinstance(at_most, int | float) or not -1 <= at_most <= 1:
        raise TaxonomyError(f"{where}.at_most must be a score from -1 to 1, not {at_most!r}")
    return float(at_most), _points(raw["points"], f"{where}.points")


def _level(index: int, raw: object) -> PriorityLevelRule:
    if not isinstance(raw, dict):
        raise TaxonomyError(f"priority.levels[{index}] must be a mapping with {', '.join(LEVEL_FIELDS)}")
    where = f"priority.levels[{index}] ({raw['id']!r})" if "id" in raw else f"priority.levels[{index}]"
    missing = [f for f in LEVEL_FIELDS if raw.get(f) is None or (isinstance(raw[f], str) and not raw[f].strip())]
    if missing:
        raise TaxonomyError(f"{where} lacks {', '.join(missing)} (each level needs {', '.join(LEVEL_FIELDS)})")
    unknown = sorted(set(raw) - set(LEVEL_FIELDS))
    if unknown:
        raise TaxonomyError(f"{where} has unknown field(s) {', '.join(unknown)}; a level has {', '.join(LEVEL_FIELDS)}")
    return PriorityLevelRule(
        id=raw["id"],
        min_points=_points(raw["min_points"], f"{where}.min_points"),
        display=str(raw["display"]).strip(),
        description=str(raw["description"]),
    )


def _parse_priority(raw: object, causes: tuple[Cause, ...], risks: tuple[RiskSignal, ...]) -> PriorityRule:
    """Refuse a rule that names unknown labels or leaves a message without a level, naming the bad entry.

    Level ids stay P1..P4 (the API and the page sort by them); their names, thresholds and the points are
    the taxonomy's own.
    """
    if not isinstance(raw, dict):
        raise TaxonomyError("`priority:` must be a mapping with levels (and points); see pipeline/taxonomy.yaml")
    unknown = sorted(str(k) for k in set(raw) - set(PRIORITY_FIELDS))
    if unknown:
        raise TaxonomyError(f"priority has unknown field(s) {', '.join(unknown)}; known: {', '.join(PRIORITY_FIELDS)}")
    cause_points = _points_by_id(raw.get("causes"), "causes", [c.id for c in causes], "cause")
    risk_points = _points_by_id(raw.get("risks"), "risks", [r.id for r in risks], "risk")
    if not isinstance(raw.get("intensity") or [], list):
        raise TaxonomyError("priority.intensity must be a list of {at_most: SCORE, points: N}")
    bands = sorted((_intensity_band(i, b) for i, b in enumerate(raw.get("intensity") or [])), key=lambda b: b[0])
    if not isinstance(raw.get("levels"), list) or not raw["levels"]:
        raise TaxonomyError(f"priority.levels must list the levels {', '.join(get_args(PriorityLevel))}")
    levels = tuple(_level(i, lv) for i, lv in enumerate(raw["levels"]))
    if tuple(level.id for level in levels) != get_args(PriorityLevel):
        names = ", ".join(get_args(PriorityLevel))
        raise TaxonomyError(f"priority levels must be {names} in that order (the API names them)")
    for before, level in zip(levels, levels[1:]):
        if level.min_points > before.min_points:
            raise TaxonomyError(
                f"priority level {level.id} has min_points {level.min_points}, more than {before.id}'s "
                f"{before.min_points}: list levels from the highest min_points down to a last level with 0"
            )
    if levels[-1].min_points != 0:
        raise TaxonomyError(
            f"priority level {levels[-1].id} has min_points {levels[-1].min_points}: list levels from the highest "
            "min_points down to a last level with 0, so every message gets a level"
        )
    return PriorityRule(
        complaint=_points(raw.get("complaint", 0), "priority.complaint"),
        intensity=tuple(bands),
        risks=risk_points,
        causes=cause_points,
        causes_cap=_points(raw.get("causes_cap", 10**6), "priority.causes_cap"),
        levels=levels,
    )


@cache
def _builtin_raw() -> dict:
    with open(TAXONOMY_PATH, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@cache
def load_taxonomy(path: Path = TAXONOMY_PATH) -> Taxonomy:
    """Parse the taxonomy once per process; it is read-only after start-up."""
    with open(path, encoding="utf-8") as fh:
        return _parse(yaml.safe_load(fh))


def _parse_tone(raw: object) -> ToneWords:
    """Each list non-empty and each entry a valid regular expression, refused naming the entry."""
    if not isinstance(raw, dict) or set(raw) != {"anger", "calm"}:
        raise TaxonomyError("`tone:` must map anger and calm to lists of regular expressions")
    for name, words in raw.items():
        if not isinstance(words, list) or not words or not all(isinstance(w, str) and w for w in words):
            raise TaxonomyError(f"tone.{name} must be a non-empty list of regular expressions")
        for index, word in enumerate(words):
            try:
                re.compile(word)
            except re.error as exc:
                raise TaxonomyError(
                    f"tone.{name}[{index}] {word!r} is not a valid regular expression ({exc})"
                ) from None
    return ToneWords(anger=tuple(raw["anger"]), calm=tuple(raw["calm"]))


TAXONOMY = load_taxonomy()
TONE_WORDS = _parse_tone(_builtin_raw().get("tone"))
CAUSE_IDS: list[str] = TAXONOMY.cause_ids
RISK_IDS: list[str] = TAXONOMY.risk_ids
SENTIMENT_IDS: list[str] = TAXONOMY.sentiment_ids
SECTIONS = ("groups", "causes", "sentiments", "risks", "priority", "tone")


def _read_yaml(text: str, source: str) -> dict:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TaxonomyError(f"{source} is not valid YAML ({first})") from None
    if not isinstance(raw, dict):
        raise TaxonomyError(f"{source} must hold a mapping with a `causes:` list (see pipeline/taxonomy.yaml)")
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise TaxonomyError(f"{source} has unknown section(s) {', '.join(unknown)}; known: {', '.join(SECTIONS)}")
    return raw


def _same_heads(raw: dict, source: str) -> None:
    """Sentiments and risks may be renamed, never changed: their heads, cues and reply rules are built in."""
    sentiments = list(raw["sentiments"]) if isinstance(raw["sentiments"], dict) else None
    if sentiments != SENTIMENT_IDS:
        raise TaxonomyError(
            f"{source}: `sentiments:` must map exactly {', '.join(SENTIMENT_IDS)}, in this order, to display names "
            "(or be left out)"
        )
    risks = raw["risks"] if isinstance(raw["risks"], list) else None
    ids = [str(r.get("id")) for r in risks if isinstance(r, dict)] if risks is not None else None
    if ids != RISK_IDS:
        raise TaxonomyError(
            f"{source}: `risks:` must list exactly {', '.join(RISK_IDS)}, in this order (or be left out)"
        )


def _builtin_priority_for(cause_ids: set[str]) -> dict:
    """The built-in priority rule without the causes a custom taxonomy lacks: those simply add no points."""
    rule = dict(_builtin_raw()["priority"])
    rule["causes"] = {c: v for c, v in (rule.get("causes") or {}).items() if c in cause_ids}
    return rule


def parse_taxonomy(text: str, source: str = "taxonomy") -> Taxonomy:
    """A taxonomy from YAML text; sections left out (groups, sentiments, risks, priority) are the built-in ones.

    So are the fields left out of a `priority:` section (a file may only rename the levels), minus the
    built-in points for causes this taxonomy lacks; points it names itself must be for its own causes.

    Errors name ``source`` and the bad entry, so `quejas train --taxonomy` can print them as one line.
    """
    raw = _read_yaml(text, source)
    builtin = _builtin_raw()
    merged = {
        name: raw[name] if raw.get(name) is not None else builtin[name]
        for name in SECTIONS
        if name not in ("priority", "tone")
    }
    try:
        if raw.get("tone") is not None and raw["tone"] != builtin["tone"]:
            raise TaxonomyError(
                "`tone:` holds the words the intensity scorer of every model counts; leave it out (it is not a label)"
            )
        if not isinstance(merged["causes"], list) or not merged["causes"]:
            raise TaxonomyError("the taxonomy needs a non-empty list under `causes:`")
        if not isinstance(merged["groups"], dict) or set(merged["groups"]) != set(get_args(ComplaintGroup)):
            raise TaxonomyError(f"`groups:` must name exactly {', '.join(get_args(ComplaintGroup))}")
        _same_heads(merged, source)
        ids = {str(c.get("id")) for c in raw.get("causes") or [] if isinstance(c, dict)}
        merged["priority"] = _builtin_priority_for(ids)
        if isinstance(raw.get("priority"), dict):
            merged["priority"] = {**merged["priority"], **raw["priority"]}
        elif raw.get("priority") is not None:
            merged["priority"] = raw["priority"]  # refused with its message by _parse_priority
        return _parse(merged)
    except TaxonomyError as exc:
        message = str(exc)
        raise TaxonomyError(message if message.startswith(source) else f"{source}: {message}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise TaxonomyError(
            f"{source}: malformed entry ({type(exc).__name__}: {exc}); see pipeline/taxonomy.yaml"
        ) from None


def load_taxonomy_file(path: str | Path) -> Taxonomy:
    """An organisation's own taxonomy file (the format of pipeline/taxonomy.yaml), checked entry by entry."""
    path = Path(path)
    if not path.is_file():
        raise TaxonomyError(f"taxonomy file {path} does not exist")
    return parse_taxonomy(path.read_text(encoding="utf-8"), str(path))


def taxonomy_yaml(taxonomy: Taxonomy) -> str:
    """The whole taxonomy as YAML (every section written out), as a model folder stores it."""
    raw: dict = {
        "groups": dict(taxonomy.groups),
        "causes": [asdict(c) for c in taxonomy.causes],
        "sentiments": dict(taxonomy.sentiments),
        "risks": [{**asdict(r), "cues": list(r.cues)} for r in taxonomy.risks],
    }
    rule = taxonomy.priority
    if rule is not None:
        raw["priority"] = {
            "complaint": rule.complaint,
            "intensity": [{"at_most": at_most, "points": points} for at_most, points in rule.intensity],
            "risks": dict(rule.risks),
            "causes": dict(rule.causes),
            "causes_cap": rule.causes_cap,
            "levels": [asdict(level) for level in rule.levels],
        }
    header = "# The labels this model was trained on (quejas taxonomy format; see pipeline/taxonomy.yaml).\n"
    return header + yaml.safe_dump(raw, allow_unicode=True, sort_keys=False, width=120)
