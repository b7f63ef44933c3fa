"""The company's reply policy (``pipeline/policy.yaml``): sector, signature, tone, what to do per cause, remedies.

A policy ``extends:`` a sector preset (``pipeline/policies/<sector>.yaml``, which itself extends the
sector-neutral ``_common.yaml``) and overrides any part of it: mappings merge key by key, lists and
texts replace. Presets exist because a reply only reads right in its own business: a bank customer
must not be offered shipping, a hotel guest must not be asked for an order number.

`load_policy` validates the merged result against the taxonomy and against the reply rules, so a
policy that loads can only produce drafts that pass `pipeline.review`: every cause has steps, texts
use only known placeholders, and no text contains a vague promise, self-praise, an archaic formula
or a sentence too long to read. Errors say which key to fix.
"""

from __future__ import annotations

import re
import string
from functools import cache
from pathlib import Path
from typing import Any, Literal

import holidays
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipeline.actions import DONE_ACTION_IDS, REQUEST_PATTERNS
from pipeline.errors import QuejasError
from pipeline.offsets import fold_mapped
from pipeline.taxonomy import TAXONOMY
from pipeline.wording import phrase_findings, word_count

POLICY_PATH = Path(__file__).with_name("policy.yaml")
PRESETS_DIR = Path(__file__).with_name("policies")

Tone = Literal["usted", "tú"]
RequestKind = Literal["refund", "cancel", "status", "fix", "explanation", "callback"]
assert set(RequestKind.__args__) == set(REQUEST_PATTERNS)  # type: ignore[attr-defined]

# {su}/{Su}/{le}/{Le} address the customer; the reply fills them for the policy's tone.
TONE_FORMS: dict[str, dict[str, str]] = {
    "usted": {"su": "su", "Su": "Su", "le": "le", "Le": "Le"},
    "tú": {"su": "tu", "Su": "Tu", "le": "te", "Le": "Te"},
}
TONE_PLACEHOLDERS = frozenset(TONE_FORMS["usted"])
SIGNATURE_PLACEHOLDERS = {"agent", "company"}
# Every text may name the sector's thing ({item}: "su pedido", "su póliza") and an amount ({importe}:
# the one the complaint gives, else refund_default); {percent} is the discount.
TEXT_PLACEHOLDERS = {"item", "importe", "percent"}
SAMPLE_VALUES = {"importe": "95 €", "percent": "15", "item": "su pedido", "found": "el documento"}
# "[ACCIÓN: ...]" marks what the agent must fill in: a preset writes one where no step fits every case.
ACTION_PLACEHOLDER = re.compile(r"\[ACCI[ÓO]N:[^\]]+\]")

# Word limits keep every sentence of a draft under the review's long-sentence limit and e-mails short.
MAX_WORDS = {
    "issue": 12,
    "issue_fact": 14,
    "apology": 20,
    "step": 26,
    "chat": 16,
    "remedy": 18,
    "ask": 12,
    "done": 22,
    "answer": 26,
    "route": 20,
}


class PolicyError(QuejasError, ValueError):
    """The policy file is missing, unreadable or invalid; the message says what to change."""


def checked_pattern(value: str, where: str = "") -> str:
    """``value`` if it compiles as a regular expression, else a ValueError that quotes it (for pydantic)."""
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"{where}{value!r} is not a valid regular expression ({exc})") from None
    return value


def normalise_tone(tone: str) -> Tone:
    """Accept "usted", "tú" or "tu" in any case."""
    value = str(tone).strip().lower()
    if value == "usted":
        return "usted"
    if value in ("tú", "tu", "tutear", "tuteo"):
        return "tú"
    raise ValueError(f"tone must be 'usted' or 'tú', not {tone!r}")


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def fill(text: str, tone: str, **values: str) -> str:
    """Fill tone placeholders ({su}, {le}...) and any ``values`` into a policy text."""
    forms = TONE_FORMS[normalise_tone(tone)]
    return text.format_map({**forms, **values})


class CauseVariant(BaseModel):
    """Another reading of a cause, taken when the complaint matches ``when``: the case's own thing and step.

    A cause means different things within one sector ("delay" at a bank is a slow transfer or a queue
    at the branch; a broken promise is a call back or a delivery); a step written for one reads wrong
    for the other. The first variant whose pattern matches the complaint (folded: lower case, no
    accents) replaces the fields it sets.
    """

    model_config = ConfigDict(extra="forbid")

    when: str = Field(min_length=1, description="Regular expression over the folded complaint text.")
    issue: str | None = None
    issue_fact: str | None = None
    apology: str | None = None
    steps: list[str] | None = Field(default=None, min_length=1)
    chat: str | None = None
    ask: str | None = None
    remedies: list[str] | None = None
    covers: list[RequestKind] | None = None
    needs_reference: bool | None = None

    @field_validator("when")
    @classmethod
    def _pattern(cls, value: str) -> str:
        return checked_pattern(value, "when: ")


class CausePolicy(BaseModel):
    """What the company says and does about one cause of complaint."""

    model_config = ConfigDict(extra="forbid")

    issue: str = Field(description='Noun phrase for "le escribo por <issue>".')
    issue_fact: str | None = Field(
        default=None, description="The issue with the customer's amount ({importe}); used when the complaint gives one."
    )
    admit_error: bool = Field(
        description='True: plainly our fault, "Tiene razón: <apology>" (never under a legal threat). '
        'False: "Siento <apology>".'
    )
    apology: str
    shown_apology: str | None = Field(
        default=None,
        description="The admission used when the customer shows the error (a receipt, the bank's word) and makes "
        'no legal threat: "Tiene razón: <shown_apology>", and the step\'s "si no corresponde" goes.',
    )
    steps: list[str] = Field(min_length=1, description="What we will do, first person, one sentence each.")
    chat: str = Field(description="The resolution as one short clause for chat replies.")
    remedies: list[str] = Field(default_factory=list, description="Allowed remedies, preferred first.")
    covers: list[RequestKind] = Field(
        default_factory=list, description="Customer requests the steps already answer (refund, status...)."
    )
    resolved_by: list[str] = Field(
        default_factory=list, description="Done actions that replace the steps when the caller confirms them."
    )
    follow_up_days: int = Field(ge=1, le=30, description="Business days until the follow-up.")
    ask: str | None = Field(default=None, description="What we need from the customer (noun phrase).")
    needs_reference: bool = Field(
        default=True,
        description="False: the step needs no record to look up (rude staff, opening hours), so no reference is asked.",
    )
    variants: list[CauseVariant] = Field(
        default_factory=list, description="Readings of the cause for particular cases, first match wins."
    )

    def for_complaint(self, complaint: str) -> CausePolicy:
        """This cause as the complaint reads it: the first matching variant's fields over the defaults.

        ``{found}`` in a variant's texts becomes the complaint's own words matched by a group of
        ``when`` named ``found...`` ("el presupuesto" that was promised), accents and all.
        """
        if not complaint.strip():
            return self  # nothing to read: the default reading
        folded = fold_mapped(complaint)
        for variant in self.variants:
            m = re.search(variant.when, folded.text)
            if not m:
                continue
            update = variant.model_dump(exclude={"when"}, exclude_none=True)
            if "issue" in update:  # the default's amount phrase names the default's thing
                update.setdefault("issue_fact", None)
            spans = [m.span(g) for g in sorted(m.re.groupindex) if g.startswith("found") and m.group(g)]
            if spans:
                start, end = folded.original(*spans[0])
                found = complaint[start:end].lower().replace("{", "").replace("}", "")
                update = {k: _put_found(v, found) for k, v in update.items()}
            return self.model_copy(update={**update, "variants": []})
        return self


def contract_articles(text: str) -> str:
    """ "de el asesor" -> "del asesor", "a el" -> "al": a noun phrase put after "de" or "a" in a text."""
    return re.sub(r"\b([Dd]e|[Aa]) el\b", lambda m: m.group(1) + "l", text)


def _put_found(value: Any, found: str) -> Any:
    if isinstance(value, str):
        return contract_articles(value.replace("{found}", found))
    if isinstance(value, list):
        return [_put_found(v, found) for v in value]
    return value


PLACEHOLDER_FOLLOW_UP_DAYS = 3


def placeholder_rule(cause_id: str, display: str) -> CausePolicy:
    """What a draft says about a cause the policy has no steps for (a model trained on an organisation's own
    causes): the cause by name and a visible ``[ACCIÓN: ...]`` step for the agent to fill in, as the presets
    do where no sentence fits every case; never an error, never a cause silently left out."""
    name = (display.strip() or cause_id).replace("{", "{{").replace("}", "}}")
    action = f"[ACCIÓN: qué haremos sobre «{name}»]"
    return CausePolicy(
        issue=f"«{name}»",
        admit_error=False,
        apology=f"lo ocurrido ({name})",
        steps=[action],
        chat=action,
        follow_up_days=PLACEHOLDER_FOLLOW_UP_DAYS,
    )


class NonComplaintPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    follow_up_days: int = Field(default=1, ge=1, le=30)


class Policy(BaseModel):
    """The whole reply policy; see the comments in ``pipeline/policy.yaml`` and the presets for each field."""

    model_config = ConfigDict(extra="forbid")

    sector: str = Field(min_length=1, description="The preset this policy builds on (corpus sector id).")
    company: str = Field(min_length=1)
    agent: str = Field(min_length=1)
    signature: str = Field(min_length=1)
    tone: Tone = "usted"
    country: str = Field(min_length=2, description="ISO country code for business-day holidays.")
    subdivision: str | None = None
    follow_up_time: str | None = Field(default=None, description="HH:MM by which the follow-up happens.")
    discount_percent: int = Field(default=10, ge=1, le=100)
    item: str = Field(min_length=1, description='The customer\'s thing in this sector: "{su} pedido", "{su} póliza".')
    item_nouns: list[str] = Field(
        default_factory=list,
        description='Specific names of the sector\'s thing ("nevera", "router"): the first one the complaint uses '
        'replaces the generic noun of `item` ("su nevera", not "su aparato").',
    )
    refund_default: str = Field(min_length=1, description="{importe} when no amount is known.")
    ask_reference: str = Field(min_length=1, description="What we ask for when the complaint cites no reference.")
    complaint_route: str = Field(
        min_length=1, description="The formal complaint route, named when the customer threatens legal action."
    )
    contact_email: str = Field(
        min_length=1, description="The address a public review's reply gives (no private message exists there)."
    )
    contact_phone: str = Field(min_length=1, description="The phone number a public review's reply gives.")
    reference_nouns: dict[str, str] = Field(
        default_factory=dict, description='How a draft names each kind of reference: "(pedido PED-1)", "(reserva QX7)".'
    )
    vocabulary: list[str] = Field(
        default_factory=list, description="Words that belong to this sector; the review flags them in other sectors."
    )
    remedies: dict[str, str]
    done: dict[str, str] = Field(default_factory=dict, description="Past-tense sentence per confirmed action id.")
    answers: dict[RequestKind, str] = Field(
        default_factory=dict, description="A sentence answering a customer request that no step covers."
    )
    non_complaint: NonComplaintPolicy = Field(default_factory=NonComplaintPolicy)
    causes: dict[str, CausePolicy]

    @field_validator("tone", mode="before")
    @classmethod
    def _tone(cls, value: str) -> str:
        return normalise_tone(value)

    def item_for(self, complaint: str | None, tone: str) -> str:
        """The customer's thing as they name it: "su nevera" reads as read, "su aparato" as a form letter.

        The earliest of ``item_nouns`` in the complaint (plural too) wins; none found, the generic ``item``.
        """
        generic = fill(self.item, tone)
        folded = fold_mapped(complaint or "").text
        found = [
            (m.start(), noun)
            for noun in self.item_nouns
            if (m := re.search(rf"\b{re.escape(fold_mapped(noun).text)}(?:e?s)?\b", folded))
        ]
        if not found:
            return generic
        return f"{generic.split()[0]} {min(found)[1]}"

    def rule_for(self, cause_id: str, display: str) -> CausePolicy:
        """The policy's rule for a cause, or a placeholder step when it has none (`placeholder_rule`)."""
        return self.causes.get(cause_id) or placeholder_rule(cause_id, display)

    @field_validator("follow_up_time")
    @classmethod
    def _time(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"(?:[01]\d|2[0-3]):[0-5]\d", str(value)):
            raise ValueError(f"follow_up_time must be HH:MM (24 h), e.g. '18:00', not {value!r}")
        return value

    @model_validator(mode="after")
    def _check(self) -> Policy:
        known = TAXONOMY.cause_ids
        unknown = [c for c in self.causes if c not in known]
        missing = [c for c in known if c not in self.causes]
        problems: list[str] = []
        if unknown:
            problems.append(
                f"unknown cause ids under 'causes': {', '.join(unknown)} (the taxonomy has: {', '.join(known)}); "
                "fix the spelling or remove them"
            )
        if missing:
            problems.append(
                f"causes missing from the policy: {', '.join(missing)}; add an entry for each under 'causes' "
                "(every cause in pipeline/taxonomy.yaml needs steps and follow_up_days)"
            )
        try:
            holidays.country_holidays(self.country, subdiv=self.subdivision)
        except NotImplementedError:
            problems.append(
                f"country {self.country!r} is not supported by the holidays package; use an ISO code such as ES, "
                "MX, AR, CO, CL, PE or US"
            )
        except Exception as exc:  # noqa: BLE001 - holidays raises several types for a bad subdivision
            problems.append(f"subdivision {self.subdivision!r} is not valid for {self.country}: {exc}")
        used = {cid: set(c.remedies).union(*(v.remedies or [] for v in c.variants)) for cid, c in self.causes.items()}
        for remedy in sorted(set().union(*used.values()) - set(self.remedies)):
            users = [cid for cid, names in used.items() if remedy in names]
            problems.append(f"remedy {remedy!r} (used by {', '.join(users)}) has no text under 'remedies'")
        for action in sorted(set(self.done) - set(DONE_ACTION_IDS)):
            problems.append(f"done.{action} is not a known action; known: {', '.join(DONE_ACTION_IDS)}")
        for cause_id, cause in self.causes.items():
            for action in cause.resolved_by:
                if action not in self.done:
                    problems.append(f"causes.{cause_id}.resolved_by names {action!r}, which has no text under 'done'")
        problems += self._text_problems()
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def texts(self) -> list[tuple[str, str, str, set[str]]]:
        """Every customer-facing text: (location, text, length kind, extra placeholders allowed)."""
        out: list[tuple[str, str, str, set[str]]] = [
            ("item", self.item, "issue", set()),
            ("refund_default", self.refund_default, "remedy", set()),
            ("ask_reference", self.ask_reference, "ask", set()),
            ("complaint_route", self.complaint_route, "route", set()),
        ]
        out += [(f"remedies.{rid}", text, "remedy", set()) for rid, text in self.remedies.items()]
        out += [(f"done.{aid}", text, "done", set()) for aid, text in self.done.items()]
        out += [(f"answers.{kind}", text, "answer", set()) for kind, text in self.answers.items()]
        for cause_id, cause in self.causes.items():
            where = f"causes.{cause_id}"
            out.append((f"{where}.issue", cause.issue, "issue", set()))
            if cause.issue_fact:
                out.append((f"{where}.issue_fact", cause.issue_fact, "issue_fact", set()))
            out.append((f"{where}.apology", cause.apology, "apology", set()))
            if cause.shown_apology:
                out.append((f"{where}.shown_apology", cause.shown_apology, "apology", set()))
            out.append((f"{where}.chat", cause.chat, "chat", set()))
            out += [(f"{where}.steps[{i}]", step, "step", set()) for i, step in enumerate(cause.steps)]
            if cause.ask:
                out.append((f"{where}.ask", cause.ask, "ask", set()))
            for n, variant in enumerate(cause.variants):
                at = f"{where}.variants[{n}]"
                found = {"found"} if any(g.startswith("found") for g in re.compile(variant.when).groupindex) else set()
                for key in ("issue", "issue_fact", "apology", "chat", "ask"):
                    value = getattr(variant, key)
                    if value:
                        out.append((f"{at}.{key}", value, key, found))
                out += [(f"{at}.steps[{i}]", step, "step", found) for i, step in enumerate(variant.steps or [])]
        return out

    def _text_problems(self) -> list[str]:
        problems: list[str] = []
        bad_signature = placeholders(self.signature) - SIGNATURE_PLACEHOLDERS
        if bad_signature:
            problems.append(f"signature uses {sorted(bad_signature)}; allowed placeholders: {{agent}}, {{company}}")
        item = fill(self.item, "usted")
        for where, text, kind, extra in self.texts():
            allowed: set[str] = set(TONE_PLACEHOLDERS | TEXT_PLACEHOLDERS | extra)
            if where == "item":
                allowed = set(TONE_PLACEHOLDERS)
            try:
                used = placeholders(text)
            except ValueError as exc:
                problems.append(f"{where}: broken braces in {text!r} ({exc})")
                continue
            if used - allowed:
                problems.append(
                    f"{where} uses {{{', '.join(sorted(used - allowed))}}}; allowed here: "
                    + ", ".join(f"{{{p}}}" for p in sorted(allowed))
                )
                continue
            sample = fill(text, "usted", **{**SAMPLE_VALUES, "item": item})
            words = word_count(ACTION_PLACEHOLDER.sub("X", sample))
            if words > MAX_WORDS[kind]:
                limit = MAX_WORDS[kind] + 1
                problems.append(f"{where} has {words} words; keep it under {limit} so replies stay short")
            for finding in phrase_findings(sample):
                if finding.kind == "long_sentence":
                    continue
                problems.append(f"{where}: {finding.message} {finding.suggestion}")
        return problems


# --------------------------------------------------------------------------------------------
# Presets and `extends:`
# --------------------------------------------------------------------------------------------


def sector_ids() -> list[str]:
    """The sector presets shipped in ``pipeline/policies`` (files starting with "_" are shared parts)."""
    return sorted(p.stem for p in PRESETS_DIR.glob("*.yaml") if not p.stem.startswith("_"))


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` on top of ``base``: mappings merge key by key, anything else replaces."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PolicyError(f"no policy file at {path}; pass --policy FILE or copy pipeline/policy.yaml") from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise PolicyError(f"{path} must be a YAML mapping with extends, company, agent, tone...")
    return raw


def _parent_path(name: str, child: Path) -> Path:
    """A preset id ("banking") names a shipped preset; anything else is a file relative to the child."""
    if re.fullmatch(r"_?[a-z_]+", name):
        path = PRESETS_DIR / f"{name}.yaml"
        if path.exists():
            return path
        raise PolicyError(f"{child}: extends: {name!r} is not a sector preset; choose one of {', '.join(sector_ids())}")
    return (child.parent / name).resolve()


def resolve(path: Path, sector: str | None = None, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The policy at ``path`` with its ``extends:`` chain merged in; ``sector`` replaces what it extends."""
    if path.resolve() in _seen:
        raise PolicyError(f"{path}: extends goes round in a circle ({' -> '.join(p.name for p in _seen)})")
    raw = _read_yaml(path)
    parent = raw.pop("extends", None)
    if sector is not None:
        if sector not in sector_ids():
            raise PolicyError(f"unknown sector {sector!r}; choose one of {', '.join(sector_ids())}")
        parent = sector
    if parent is None:
        return raw
    base = resolve(_parent_path(str(parent), path), None, (*_seen, path.resolve()))
    return merge(base, raw)


def load_policy(path: str | Path | None = None, sector: str | None = None) -> Policy:
    """Read, merge and validate a policy file (default: ``pipeline/policy.yaml``).

    ``sector`` swaps the preset the file extends, keeping the file's own settings (company, agent,
    tone...), so one company file serves as a quick way to try another sector.
    """
    path = Path(path) if path is not None else POLICY_PATH
    raw = resolve(path, sector)
    try:
        return Policy.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]) or "policy"
            message = str(error["msg"]).removeprefix("Value error, ")
            given = error.get("input")
            if isinstance(given, (str, int, float)) and error["type"] not in ("value_error", "assertion_error"):
                message += f" (got {given!r})"
            lines.append(f"  - {where}: {message}" if where != "policy" else f"  - {message}")
        raise PolicyError(f"{path} is not a valid reply policy:\n" + "\n".join(lines)) from None


@cache
def sector_vocabulary() -> dict[str, tuple[str, ...]]:
    """Each shipped preset's own words, for the review's other-sector check."""
    out: dict[str, tuple[str, ...]] = {}
    for sector in sector_ids():
        raw = resolve(PRESETS_DIR / f"{sector}.yaml")
        out[sector] = tuple(str(w).lower() for w in raw.get("vocabulary", []))
    return out
