"""The frame of a reply, read from the customer's message: register, country, urgency, review site.

A draft that says the right things can still be unsendable because of how it addresses the customer:
"Hola, Claudio" to a letter addressed to a court, the Spanish "hoja de reclamaciones" to a customer
in Caracas, a follow-up date next week for a live cable on the pavement, "escríbanos por mensaje
privado" under a review where no private message exists. These are properties of the message, not of
the company's sector, so they live apart from the presets: the cues and the country data are in
``pipeline/policies/_frame.yaml`` and this module only reads them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from pipeline.errors import ConfigurationError
from pipeline.folding import fold
from pipeline.policy import PRESETS_DIR, Policy, checked_pattern, fill, resolve
from pipeline.schema import Sentiment

FRAME_PATH = PRESETS_DIR / "_frame.yaml"


class Country(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cues: list[str] = Field(min_length=1, description="Authorities, currencies, words: two points a match.")
    places: list[str] = Field(default_factory=list, description="Cities: one point (a trip names other countries).")
    routes: dict[str, str] = Field(description="Outside complaint body per sector; 'default' for the rest.")

    @field_validator("cues", "places")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        return [checked_pattern(v) for v in value]

    @field_validator("routes")
    @classmethod
    def _default(cls, value: dict[str, str]) -> dict[str, str]:
        if "default" not in value:
            raise ValueError("routes needs a 'default' entry")
        return value


class UrgentCue(BaseModel):
    """Something happening now: what to tell the customer to stay safe, and the step to ask for now."""

    model_config = ConfigDict(extra="forbid")

    id: str
    when: str
    safety: dict[str, str] | None = Field(default=None, description="Safety advice by tone (usted, tú).")
    act: str = Field(description='The immediate step as a commitment: "pido ahora ...".')
    confirm: str = Field(description="What the agent confirms in the [ACCIÓN: ...] placeholder.")

    @field_validator("when")
    @classmethod
    def _pattern(cls, value: str) -> str:
        return checked_pattern(value)


class Frame(BaseModel):
    """``_frame.yaml`` validated: a broken pattern is reported with its place, not at the first draft."""

    model_config = ConfigDict(extra="forbid")

    formal: list[str]
    gender_cues: dict[str, list[str]]
    first_names: dict[str, list[str]]
    countries: dict[str, Country]
    neutral_routes: dict[str, str]
    route: str
    terms: dict[str, dict[str, dict[str, str]]]
    urgent: list[UrgentCue]
    called: str
    blamed: str
    angry: str
    review_site: str
    social_post: str

    @field_validator("formal", "called", "blamed", "angry", "review_site", "social_post")
    @classmethod
    def _patterns(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, list):
            return [checked_pattern(v) for v in value]
        return checked_pattern(value)


@cache
def frame_data(path: Path = FRAME_PATH) -> Frame:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Frame.model_validate(raw)
    except (OSError, yaml.YAMLError, ValueError) as exc:
        raise ConfigurationError(f"{path} is not a valid reply frame file: {exc}") from None


def _search(patterns: list[str] | str, folded: str) -> bool:
    if isinstance(patterns, str):
        patterns = [patterns]
    return any(re.search(p, folded, re.MULTILINE) for p in patterns)


# --------------------------------------------------------------------------------------------
# Register: a formal letter gets a formal salutation
# --------------------------------------------------------------------------------------------


def is_formal(text: str | None) -> bool:
    """A letter in formal register ("Estimados señores", "Me dirijo a ustedes", "Atentamente")."""
    return bool(text) and _search(frame_data().formal, fold(text or ""))


# A line that addresses the reader ("Señor Rector", "Sra. Directora"): its title is the reader's, not the writer's.
_ADDRESSEE_LINE = re.compile(
    r"^\s*(?:senor(?:a|es|as)?|sr(?:a|es|as)?\.?|estimad[oa]s?|distinguid[oa]s?)\b.*$", re.MULTILINE
)


def _gender(text: str, name_words: list[str]) -> str | None:
    """The writer's gender: a known first name first (a title in the text may be someone else's: "el señor
    Díaz no contesta"), then the text's cues, then the first name's ending."""
    first = fold(name_words[0]) if name_words else ""
    by_name = {g for g, names in frame_data().first_names.items() if first in names}
    if len(by_name) == 1:
        return by_name.pop()
    folded = _ADDRESSEE_LINE.sub("", fold(text))
    found = {g for g, cues in frame_data().gender_cues.items() if _search(cues, folded)}
    if len(found) == 1:
        return found.pop()
    if first and not by_name and len(name_words) >= 2:
        return _gender_by_ending(first)
    return None


# Spanish first names ending in -a are women's and in -o men's, but for these few (the lists above hold
# Rocío, Rosario, Consuelo and the like, which they settle first).
_MALE_IN_A = {"borja", "luca", "bautista", "nicola", "josema", "garcilaso"}
_FEMALE_IN_O = {"rocio", "rosario", "consuelo", "amparo", "socorro", "sagrario"}


def _gender_by_ending(first: str) -> str | None:
    """ "Ignacia", "Mirta" -> female; "Renzo" -> male; a name ending otherwise ("Alex", "Katherin") -> None."""
    if len(first) < 3:
        return None
    if first.endswith("a") and first not in _MALE_IN_A:
        return "female"
    if first.endswith("o") and first not in _FEMALE_IN_O:
        return "male"
    return None


def _surname(words: list[str]) -> str | None:
    """The first surname: "Carolina Mejía Duarte" -> Mejía; "Gustavo Alejandro Rondón" -> Rondón."""
    if len(words) < 2:
        return None
    names = {n for group in frame_data().first_names.values() for n in group}
    if len(words) >= 3 and fold(words[1]) in names:
        return words[2]
    return words[1]


def formal_salutation(text: str, customer_name: str | None) -> str:
    """ "Estimado señor Rondón:" when name and gender are clear, else "Buenos días, <full name>:" or "Buenos días:".

    No "Estimado/a cliente": a slash reads as a form letter, and "cliente" is wrong for a citizen
    writing to a court. "Buenos días" is formal and never wrong about who is reading.
    """
    words = [w for w in (customer_name or "").split() if w.strip(".") and w.replace("-", "").isalpha()]
    words = [w.capitalize() if w.isupper() else w for w in words]
    surname = _surname(words)
    gender = _gender(text, words)
    if surname and gender:
        return f"Estimado señor {surname}:" if gender == "male" else f"Estimada señora {surname}:"
    if words:
        return f"Buenos días, {' '.join(words[:3])}:"
    return "Buenos días:"


# --------------------------------------------------------------------------------------------
# Country: the formal complaint route and Spain-only preset words
# --------------------------------------------------------------------------------------------


def detect_country(text: str | None) -> str | None:
    """The customer's country (ISO code) when the message shows it; None when unclear or tied."""
    if not text:
        return None
    folded = fold(text)
    scores = {
        code: 2 * sum(len(re.findall(p, folded, re.MULTILINE)) for p in country.cues)
        + sum(len(re.findall(p, folded, re.MULTILINE)) for p in country.places)
        for code, country in frame_data().countries.items()
    }
    best = max(scores.values(), default=0)
    leaders = [code for code, score in scores.items() if score == best]
    return leaders[0] if best > 0 and len(leaders) == 1 else None


def complaint_route(policy: Policy, country: str | None, tone: str, text: str | None = None) -> str:
    """The formal complaint route for this customer: the policy's own where the company is, else the country's body.

    A message that does not show its country gets a body named without a country: a route that exists
    only in Spain would send a customer in Lima nowhere. Without any message (a draft from causes
    alone) there is nothing to read, and the company's own route stands.
    """
    frame = frame_data()
    if (country is not None and country == policy.country) or not (text or "").strip():
        return fill(policy.complaint_route, tone)
    known = frame.countries.get(country or "")
    if known is not None:
        body = known.routes.get(policy.sector) or frame.neutral_routes.get(policy.sector) or known.routes["default"]
    else:
        body = frame.neutral_routes.get(policy.sector) or frame.neutral_routes["default"]
    return fill(frame.route, tone, body=fill(body, tone))


@cache
def _preset_text(sector: str, key: str) -> str | None:
    path = PRESETS_DIR / f"{sector}.yaml"
    if not path.exists():
        return None
    value = resolve(path).get(key)
    return value if isinstance(value, str) else None


def localise(policy: Policy, country: str | None) -> Policy:
    """``policy`` with the sector preset's Spain-only words ("matrícula", "CUPS") in the customer's country's words.

    Only texts the company left as the preset wrote them change: an override in the company's own
    policy file is its choice and stays.
    """
    if country == policy.country:
        return policy
    update: dict[str, str] = {}
    for key, by_countries in frame_data().terms.get(policy.sector, {}).items():
        for countries, text in by_countries.items():
            if (country or "unknown") in countries.split() and getattr(policy, key, None) == _preset_text(
                policy.sector, key
            ):
                update[key] = text
    return policy.model_copy(update=update) if update else policy


# --------------------------------------------------------------------------------------------
# Urgency, the channel the customer used, review sites
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Urgency:
    id: str
    safety: str | None  # advice in the draft's tone, None when no hazard is named
    act: str
    confirm: str


def urgency(text: str | None, tone: str = "usted") -> Urgency | None:
    """A hazard or a person waiting right now (the first cue of ``_frame.yaml`` that matches), else None."""
    if not text:
        return None
    folded = fold(text)
    for cue in frame_data().urgent:
        if re.search(cue.when, folded):
            safety = cue.safety.get(tone) if cue.safety else None
            return Urgency(id=cue.id, safety=safety, act=fill(cue.act, tone), confirm=fill(cue.confirm, tone))
    return None


def customer_called(text: str | None) -> bool:
    """The customer phoned (says so, or the message is a call transcript): never thank them for writing."""
    return bool(text) and bool(re.search(frame_data().called, fold(text or ""), re.MULTILINE))


def customer_blamed(text: str | None) -> bool:
    """Our staff told the customer it was their fault: "siento lo ocurrido" then reads as agreeing with them."""
    return bool(text) and bool(re.search(frame_data().blamed, fold(text or ""), re.MULTILINE))


# An intensity at or below this reads as angry (the corpus labels an angry complaint near -0.8, a grumble near -0.4).
ANGRY_INTENSITY = -0.7


def angry(sentiment: Sentiment, text: str | None) -> bool:
    """The customer is angry: the graded intensity says so, or the text shows it.

    "Entiendo su enfado" to a calm customer who states a fact reads as a form letter (and a little
    patronising); a polarity score sits near -1 for every complaint, so only an intensity is trusted.
    """
    if sentiment.score_kind == "intensity" and sentiment.score <= ANGRY_INTENSITY:
        return True
    return bool(text) and bool(re.search(frame_data().angry, fold(text or "")))


def review_site(text: str | None) -> bool:
    """A review (stars, "reseña") and not a social post: a reply there cannot move to a private message."""
    if not text:
        return False
    folded = fold(text)
    return bool(re.search(frame_data().review_site, folded)) and not re.search(frame_data().social_post, text)


__all__ = [
    "ANGRY_INTENSITY",
    "Urgency",
    "angry",
    "complaint_route",
    "customer_blamed",
    "customer_called",
    "detect_country",
    "formal_salutation",
    "frame_data",
    "is_formal",
    "localise",
    "review_site",
    "urgency",
]
