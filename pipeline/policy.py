"""The company's reply policy (``pipeline/policy.yaml``): signature, tone, what to do per cause, remedies.

`load_policy` validates the file against the taxonomy and against the reply rules, so a policy that
loads can only produce drafts that pass `pipeline.review`: every cause has steps and at least one
remedy, texts use only known placeholders, and no text contains a vague promise, self-praise, an
archaic formula or a sentence too long to read. Errors say which key to fix.
"""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Literal

import holidays
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipeline.taxonomy import TAXONOMY

POLICY_PATH = Path(__file__).with_name("policy.yaml")

RemedyId = Literal["refund", "discount", "priority", "callback"]
Tone = Literal["usted", "tú"]

# {su}/{Su}/{le}/{Le} address the customer; the reply fills them for the policy's tone.
TONE_FORMS: dict[str, dict[str, str]] = {
    "usted": {"su": "su", "Su": "Su", "le": "le", "Le": "Le"},
    "tú": {"su": "tu", "Su": "Tu", "le": "te", "Le": "Te"},
}
TONE_PLACEHOLDERS = frozenset(TONE_FORMS["usted"])
REMEDY_PLACEHOLDERS = {"refund": {"importe"}, "discount": {"percent"}}
SIGNATURE_PLACEHOLDERS = {"agent", "company"}

# Word limits keep every sentence of a draft under the review's long-sentence limit.
MAX_WORDS = {"issue": 12, "apology": 20, "step": 30, "chat": 18, "remedy": 20, "ask": 14}


class PolicyError(ValueError):
    """The policy file is missing, unreadable or invalid; the message says what to change."""


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


class CausePolicy(BaseModel):
    """What the company says and does about one cause of complaint."""

    model_config = ConfigDict(extra="forbid")

    issue: str = Field(description='Noun phrase for "su queja sobre <issue>".')
    admit_error: bool = Field(description='True: "Tiene razón, nos equivocamos: <apology>". False: "Siento <apology>".')
    apology: str
    steps: list[str] = Field(min_length=1, description="Resolution steps, first person, one sentence each.")
    chat: str = Field(description="The resolution as one short clause for chat replies.")
    remedies: list[RemedyId] = Field(min_length=1, description="Allowed remedies, preferred first.")
    follow_up_days: int = Field(ge=1, le=30, description="Business days until the follow-up.")
    ask: str | None = Field(default=None, description="What we need from the customer (noun phrase).")


class NonComplaintPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    follow_up_days: int = Field(default=1, ge=1, le=30)


class Policy(BaseModel):
    """The whole reply policy; see the comments in ``pipeline/policy.yaml`` for each field."""

    model_config = ConfigDict(extra="forbid")

    company: str = Field(min_length=1)
    agent: str = Field(min_length=1)
    signature: str = Field(min_length=1)
    tone: Tone = "usted"
    country: str = Field(min_length=2, description="ISO country code for business-day holidays.")
    subdivision: str | None = None
    follow_up_time: str | None = Field(default=None, description="HH:MM by which the follow-up happens.")
    discount_percent: int = Field(default=10, ge=1, le=100)
    refund_default: str = Field(min_length=1, description="{importe} when no amount is known.")
    ask_reference: str = Field(min_length=1, description="What we ask for when no reference is known.")
    remedies: dict[RemedyId, str]
    non_complaint: NonComplaintPolicy = Field(default_factory=NonComplaintPolicy)
    causes: dict[str, CausePolicy]

    @field_validator("tone", mode="before")
    @classmethod
    def _tone(cls, value: str) -> str:
        return normalise_tone(value)

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
                "(every cause in pipeline/taxonomy.yaml needs steps, remedies and follow_up_days)"
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
        for remedy in sorted({r for c in self.causes.values() for r in c.remedies} - set(self.remedies)):
            users = [cid for cid, c in self.causes.items() if remedy in c.remedies]
            problems.append(f"remedy {remedy!r} (used by {', '.join(users)}) has no text under 'remedies'")
        problems += self._text_problems()
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def texts(self) -> list[tuple[str, str, str, set[str]]]:
        """Every customer-facing text: (location, text, length kind, extra placeholders allowed)."""
        out: list[tuple[str, str, str, set[str]]] = [
            ("refund_default", self.refund_default, "remedy", set()),
            ("ask_reference", self.ask_reference, "ask", set()),
        ]
        for remedy, text in self.remedies.items():
            out.append((f"remedies.{remedy}", text, "remedy", REMEDY_PLACEHOLDERS.get(remedy, set())))
        for cause_id, cause in self.causes.items():
            where = f"causes.{cause_id}"
            out.append((f"{where}.issue", cause.issue, "issue", set()))
            out.append((f"{where}.apology", cause.apology, "apology", set()))
            out.append((f"{where}.chat", cause.chat, "chat", set()))
            out += [(f"{where}.steps[{i}]", step, "step", set()) for i, step in enumerate(cause.steps)]
            if cause.ask:
                out.append((f"{where}.ask", cause.ask, "ask", set()))
        return out

    def _text_problems(self) -> list[str]:
        from pipeline.review import phrase_findings, word_count

        problems: list[str] = []
        bad_signature = placeholders(self.signature) - SIGNATURE_PLACEHOLDERS
        if bad_signature:
            problems.append(f"signature uses {sorted(bad_signature)}; allowed placeholders: {{agent}}, {{company}}")
        for where, text, kind, extra in self.texts():
            allowed = TONE_PLACEHOLDERS | extra
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
            sample = fill(text, "usted", importe="95 €", percent=str(self.discount_percent))
            words = word_count(sample)
            if words > MAX_WORDS[kind]:
                limit = MAX_WORDS[kind] + 1
                problems.append(f"{where} has {words} words; keep it under {limit} so replies stay readable")
            for finding in phrase_findings(sample):
                if finding.kind == "long_sentence":
                    continue
                problems.append(f"{where}: {finding.message} {finding.suggestion}")
        return problems


def load_policy(path: str | Path | None = None) -> Policy:
    """Read and validate a policy file (default: ``pipeline/policy.yaml``)."""
    path = Path(path) if path is not None else POLICY_PATH
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PolicyError(f"no policy file at {path}; pass --policy FILE or copy pipeline/policy.yaml") from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise PolicyError(f"{path} must be a YAML mapping with company, agent, tone, remedies, causes...")
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
