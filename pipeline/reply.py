"""Reply drafts: one letter (or chat message) for all the causes of a complaint, ready for an agent to edit.

`draft_reply` follows the seven steps of docs/TAXONOMY.md (section 5): greet by name, say what we
answer, apologise and admit our error, fix each cause (steps from ``pipeline/policy.yaml``), offer a
benefit, commit to a follow-up date counted in business days, and end with a clear call to action.
What to say comes from the policy and the analysis; how to say it comes from the Jinja templates in
``pipeline/templates``, which hold several phrasings per step. The phrasing is chosen from a hash of
the complaint, so the same complaint always gets the same draft and different complaints read
differently. Every draft is checked with `pipeline.review` before it is returned.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import holidays
import jinja2

from pipeline.policy import Policy, fill, normalise_tone
from pipeline.review import first_name as greeting_name
from pipeline.review import phrase_findings, word_count
from pipeline.schema import (
    REPLY_STEPS,
    Analysis,
    CauseScore,
    Draft,
    Entities,
    ModelInfo,
    Reference,
    Risk,
    RiskScores,
    Sentiment,
)
from pipeline.taxonomy import TAXONOMY
from pipeline.text import analysis_with_entities, mask_contacts, sentence_spans

TEMPLATES_DIR = Path(__file__).with_name("templates")

# How a reply names each kind of reference: "(pedido PED-48213)".
REFERENCE_NOUNS = {
    "order": "pedido",
    "ticket": "incidencia",
    "case": "caso",
    "invoice": "factura",
    "contract": "contrato",
    "account": "cuenta",
    "tracking": "envío",
    "reservation": "reserva",
    "policy": "póliza",
    "other": "referencia",
}
WEEKDAYS_ES = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
MONTHS_ES = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)

# Word budgets for the parts that grow with the number of causes; they keep every sentence of a draft
# under the review's 40-word limit (the loop in _render shrinks them further if a sentence still is not).
EMAIL_BUDGETS = {"issues": 18, "admitted": 28, "regrets": 18, "remedies": 2, "asks": 2}
CHAT_BUDGETS = {"issues": 10, "admitted": 0, "regrets": 0, "actions": 20, "remedies": 1, "asks": 1}


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------


def add_business_days(start: dt.date, days: int, country: str, subdivision: str | None = None) -> dt.date:
    """``start`` plus ``days`` business days: weekends and the country's public holidays do not count."""
    calendar = holidays.country_holidays(country, subdiv=subdivision, years=range(start.year, start.year + 2))
    day = start
    left = days
    while left > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in calendar:
            left -= 1
    return day


def format_date_es(day: dt.date, today: dt.date | None = None) -> str:
    """ "jueves 14 de marzo" (with the year when it is not the current one)."""
    text = f"{WEEKDAYS_ES[day.weekday()]} {day.day} de {MONTHS_ES[day.month - 1]}"
    if today is None or day.year != today.year:
        text += f" de {day.year}"
    return text


# --------------------------------------------------------------------------------------------
# Spanish lists
# --------------------------------------------------------------------------------------------


def join_es(items: list[str]) -> str:
    """ "a, b y c"; "y" becomes "e" before an /i/ sound ("rápido e inútil")."""
    items = [i for i in items if i]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    last = items[-1]
    conjunction = "e" if re.match(r"(?i)h?i(?![aeiouáéó])", last) else "y"
    return f"{', '.join(items[:-1])} {conjunction} {last}"


def join_within(items: list[str], budget: int, rest: str | None = None) -> str:
    """Join as many items as fit in ``budget`` words (at least one); ``rest`` stands for the ones left out."""
    chosen: list[str] = []
    for item in items:
        if chosen and word_count(join_es(chosen + [item])) > budget:
            break
        chosen.append(item)
    if rest and len(chosen) < len(items):
        chosen.append(rest)
    return join_es(chosen)


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


# --------------------------------------------------------------------------------------------
# Context handed to the templates
# --------------------------------------------------------------------------------------------


@dataclass
class ReplyContext:
    """Everything a template may print. ``pick`` and ``t`` are the only logic templates need."""

    seed: str
    tone: str
    channel: str
    name: str | None
    company: str
    agent_first: str
    signature: str
    ref_paren: str = ""
    issues: str = ""
    admitted: str = ""
    regrets: str = ""
    steps: list[str] = field(default_factory=list)
    chat_actions: str = ""
    remedies: list[str] = field(default_factory=list)
    follow_date: str = ""
    follow_time: str | None = None
    ask: str | None = None
    kind: str = "complaint"

    def pick(self, step: str, options: int) -> int:
        digest = hashlib.sha256(f"{self.seed}|{step}".encode()).hexdigest()
        return int(digest[:12], 16) % options

    def t(self, usted: str, tu: str) -> str:
        return tu if self.tone == "tú" else usted

    @property
    def su(self) -> str:
        return self.t("su", "tu")

    @property
    def Su(self) -> str:  # noqa: N802 - mirrors the {Su} placeholder of the policy
        return self.t("Su", "Tu")

    @property
    def le(self) -> str:
        return self.t("le", "te")

    @property
    def Le(self) -> str:  # noqa: N802
        return self.t("Le", "Te")


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
    )


def _macros(name: str):
    return _environment().get_template(name).module


def _tidy(text: str) -> str:
    """One space between words, none before punctuation, no spaces at line ends."""
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r" +([,.;:)])", r"\1", text)
    text = re.sub(r" *\n *", "\n", text)
    return text.strip()


# --------------------------------------------------------------------------------------------
# Drafting
# --------------------------------------------------------------------------------------------


def _seed(analysis: Analysis, complaint_text: str | None) -> str:
    """Stable per complaint: its text when known, else what the analysis says about it."""
    if complaint_text:
        basis = complaint_text
    else:
        basis = json.dumps(
            {"causes": analysis.cause_ids, "entities": analysis.entities.model_dump(mode="json")}, sort_keys=True
        )
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()


def _reference_paren(references: list[Reference]) -> str:
    cited: list[str] = []
    seen: set[str] = set()
    for ref in references:
        key = re.sub(r"[\s#]", "", ref.text).upper()
        if key in seen or not ref.text.strip():
            continue
        seen.add(key)
        cited.append(f"{REFERENCE_NOUNS.get(ref.kind, 'referencia')} {ref.text.strip()}")
        if len(cited) == 2:
            break
    return f" ({join_es(cited)})" if cited else ""


def _message_kind(analysis: Analysis, complaint_text: str | None) -> str:
    if complaint_text and "?" in complaint_text:
        return "question"
    if analysis.sentiment.label == "positive":
        return "thanks"
    return "request"


def _amount_for_refund(analysis: Analysis, policy: Policy) -> str:
    amounts = analysis.entities.amounts
    if "billing_error" in analysis.cause_ids and len(amounts) == 1 and amounts[0].text.strip():
        return amounts[0].text.strip()
    return policy.refund_default


def _context(
    analysis: Analysis, policy: Policy, channel: str, today: dt.date, complaint_text: str | None, level: int = 0
) -> tuple[ReplyContext, dt.date]:
    """What the draft says. ``level`` > 0 asks for a shorter draft (fewer items listed in one sentence)."""
    budgets = dict(CHAT_BUDGETS if channel == "chat" else EMAIL_BUDGETS)
    for key in ("issues", "admitted", "regrets", "actions"):
        if budgets.get(key):
            budgets[key] = max(1, budgets[key] - 4 * level)
    tone = normalise_tone(policy.tone)
    entities = analysis.entities
    values = {"importe": _amount_for_refund(analysis, policy), "percent": str(policy.discount_percent)}

    def say(text: str) -> str:
        return fill(text, tone, **values)

    context = ReplyContext(
        seed=_seed(analysis, complaint_text),
        tone=tone,
        channel=channel,
        name=greeting_name(entities.customer_name),
        company=policy.company,
        agent_first=greeting_name(policy.agent) or policy.agent,
        signature=policy.signature.format(agent=policy.agent, company=policy.company).strip(),
        ref_paren=_reference_paren(entities.references),
        follow_time=policy.follow_up_time,
    )
    causes = [c for c in analysis.cause_ids if c in policy.causes]
    if not causes:
        context.kind = _message_kind(analysis, complaint_text)
        follow = add_business_days(today, policy.non_complaint.follow_up_days, policy.country, policy.subdivision)
        context.follow_date = format_date_es(follow, today)
        return context, follow

    rules = [policy.causes[c] for c in causes]
    rest = context.t("lo demás que nos cuenta", "lo demás que nos cuentas")
    context.issues = join_within([say(r.issue) for r in rules], budgets["issues"], rest)
    if budgets["admitted"]:
        context.admitted = join_within([say(r.apology) for r in rules if r.admit_error], budgets["admitted"])
        context.regrets = join_within([say(r.apology) for r in rules if not r.admit_error], budgets["regrets"])
    else:  # chat: the apology is one short clause; only whether we admit an error matters
        context.admitted = "yes" if any(r.admit_error for r in rules) else ""
    steps: list[str] = []
    for rule in rules:
        for step in rule.steps:
            text = _capitalise(say(step))
            if text not in steps:
                steps.append(text)
    context.steps = steps
    if "actions" in budgets:
        # Chat clauses already contain "y": separate them with semicolons so the sentence stays readable.
        actions: list[str] = []
        for rule in rules:
            if actions and word_count("; ".join(actions + [say(rule.chat)])) > budgets["actions"]:
                if level < 2:
                    actions.append(f"revisamos {rest}")
                break
            actions.append(say(rule.chat))
        context.chat_actions = _capitalise("; ".join(actions))
    # Round-robin over the causes: each cause's favourite remedy first, then second choices.
    remedies: list[str] = []
    for rank in range(max(len(r.remedies) for r in rules)):
        for rule in rules:
            if rank < len(rule.remedies) and rule.remedies[rank] not in remedies:
                remedies.append(rule.remedies[rank])
    texts = [say(policy.remedies[r]) for r in remedies]
    if level >= 3:  # short of space: the shortest remedy the causes allow
        texts.sort(key=word_count)
    context.remedies = texts[: budgets["remedies"]]
    asks = [say(r.ask) for r in rules if r.ask][:1]
    if not entities.references:
        asks.insert(0, say(policy.ask_reference))  # without a reference we cannot even find the case
    context.ask = join_es(asks[: budgets["asks"]]) if asks else None
    days = max(r.follow_up_days for r in rules)
    follow = add_business_days(today, days, policy.country, policy.subdivision)
    context.follow_date = format_date_es(follow, today)
    return context, follow


def _render(context: ReplyContext, channel: str) -> tuple[str, dict[str, str]]:
    complaint = context.kind == "complaint"
    if complaint:
        macros = _macros("chat_steps.j2" if channel == "chat" else "email_steps.j2")
        steps = REPLY_STEPS
    else:
        macros = _macros("other_steps.j2")
        steps = ("greeting", "purpose", "follow_up", "call_to_action")
    parts = {step: _tidy(str(getattr(macros, step)(context))) for step in steps}
    if channel == "email":
        parts["closing"] = str(macros.closing(context)).strip()
    layout = _environment().get_template("chat.j2" if channel == "chat" else "email.j2")
    body = layout.render(parts={**{s: "" for s in REPLY_STEPS}, **parts})
    if channel == "chat":
        body = _tidy(body)
        # Each sentence starts with a capital letter (fragments are written in lower case).
        body = re.sub(r"([.!?] )(\w)", lambda m: m.group(1) + m.group(2).upper(), body)
    else:
        body = "\n".join(line.rstrip() for line in body.strip().splitlines())
        body = re.sub(r"\n{3,}", "\n\n", body)
    return body, parts


def _subject(context: ReplyContext, analysis: Analysis, policy: Policy) -> str:
    if context.kind != "complaint":
        topic = {"thanks": "mensaje", "question": "consulta", "request": "solicitud"}[context.kind]
        return f"{context.Su} {topic}{context.ref_paren}"
    first = next(c for c in analysis.cause_ids if c in policy.causes)
    issue = fill(policy.causes[first].issue, context.tone)
    more = " y otros puntos" if len([c for c in analysis.cause_ids if c in policy.causes]) > 1 else ""
    return f"{context.Su} queja sobre {issue}{more}{context.ref_paren}"


def draft_reply(
    analysis: Analysis,
    policy: Policy,
    channel: str = "email",
    today: dt.date | None = None,
    complaint_text: str | None = None,
) -> Draft:
    """A reply draft for ``analysis`` following ``policy``; ``channel`` is "email" or "chat".

    When ``complaint_text`` is given and the analysis carries no entities yet (the model predicts
    none), they are extracted from the text, so the draft can greet by name and cite references.
    """
    if channel not in ("email", "chat"):
        raise ValueError(f"channel must be 'email' or 'chat', not {channel!r}")
    today = today or dt.date.today()
    if complaint_text and analysis.entities == Entities():
        analysis = analysis_with_entities(analysis, complaint_text, reference_date=today)
    for level in range(6):
        context, follow = _context(analysis, policy, channel, today, complaint_text, level)
        body, parts = _render(context, channel)
        body = mask_contacts(body)
        if not any(f.kind == "long_sentence" for f in phrase_findings(body)):
            break  # otherwise list fewer items per sentence and try again
    subject = mask_contacts(_subject(context, analysis, policy))
    covered = [step for step in REPLY_STEPS if parts.get(step)]
    return Draft(
        subject=subject,
        body=body,
        channel=channel,  # type: ignore[arg-type]
        steps_covered=covered,  # type: ignore[arg-type]
        follow_up_date=follow if parts.get("follow_up") else None,
    )


def analysis_from_causes(
    cause_ids: list[str],
    entities: Entities | None = None,
    sentiment: str | None = None,
) -> Analysis:
    """An `Analysis` built by hand (no model): for tests, the API when a client sends causes, and demos."""
    causes = [
        CauseScore(id=c, group=TAXONOMY.cause(c).group, display=TAXONOMY.cause(c).display, score=1.0) for c in cause_ids
    ]
    label = sentiment or ("negative" if causes else "neutral")
    score = {"negative": -0.7, "neutral": 0.0, "positive": 0.8}[label]
    return Analysis(
        causes=causes,
        group=TAXONOMY.group_of(cause_ids),
        sentiment=Sentiment(label=label, score=score),
        risk=Risk(churn=False, legal=False, public=False, scores=RiskScores(churn=0.0, legal=0.0, public=0.0)),
        entities=entities or Entities(),
        model=ModelInfo(name="manual", version="0"),
    )


def chat_sentences(body: str) -> int:
    """How many sentences a chat body has (the same splitter the review uses)."""
    return len(sentence_spans(body))


__all__ = [
    "add_business_days",
    "analysis_from_causes",
    "analysis_with_entities",
    "chat_sentences",
    "draft_reply",
    "format_date_es",
    "join_es",
]
