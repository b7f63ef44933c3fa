"""The reply context: everything a template may print, built from the analysis, the policy and the text.

The register, country and urgency of a message are read once (`_Reading`); `_context` then fills the
context for a given length ``level``, so `draft_reply` can ask for a shorter draft without reading
the complaint again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field

from pipeline.actions import customer_requests
from pipeline.cancelled import as_cancellation
from pipeline.channels import is_public
from pipeline.checks import commitment_keys, fold, known_info
from pipeline.demands import customer_demands, demands_placeholder
from pipeline.frame import (
    Urgency,
    angry,
    complaint_route,
    customer_blamed,
    customer_called,
    detect_country,
    formal_salutation,
    is_formal,
    localise,
    review_site,
    urgency,
)
from pipeline.policy import Policy, fill, normalise_tone
from pipeline.questions import customer_questions, questions_placeholder, situation
from pipeline.reply.dates import follow_up, format_date_es
from pipeline.reply.plan import _BLAME_CAUSES, GOODWILL_STEP, _ask, _mends, _open_demands, _plan, as_shown
from pipeline.reply.reading import (
    _CHARGE_FACT,
    _amount,
    _charged,
    _mentions_item,
    _message_kind,
    _reference_paren,
    customer_words,
    data_needed,
    live_chat,
    moment_passed,
)
from pipeline.reply.spanish import _capitalise, join_within
from pipeline.review import first_name as greeting_name
from pipeline.schema import (
    Analysis,
)
from pipeline.wording import word_count

# Word budgets for the parts that grow with the number of causes; the loop in draft_reply shrinks the
# draft further (fewer items, no remedy) until it fits the review's sentence and channel limits.
EMAIL_BUDGETS = {"issues": 22, "admitted": 24, "regrets": 14}
CHAT_BUDGETS = {"issues": 10, "actions": 18}
PUBLIC_BUDGETS = {"issues": 14}


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
    legal: bool = False
    route: str = ""
    steps: list[str] = field(default_factory=list)
    answer: str = ""
    chat_actions: str = ""
    remedy: str | None = None
    follow_date: str = ""
    follow_soon: str | None = None  # "hours" or "today": the follow-up is today, said without a date (follow_up)
    follow_time: str | None = None
    ask: str | None = None
    kind: str = "complaint"
    needs: str | None = None  # what a requested change needs before it can start ("la nueva dirección completa")
    live: bool = False  # a chat about something happening now: the follow-up is within the hour, in the chat
    salutation: str | None = None  # a formal letter's greeting ("Estimado señor Rondón:"); None: "Hola, X"
    called: bool = False  # the customer phoned: never "gracias por escribirnos"
    angry: bool = False  # the sentiment or the text shows anger: only then "entiendo su enfado"
    safety: str | None = None  # advice for a hazard happening now ("no se acerque al cable")
    urgent_step: str | None = None  # the step asked for now, with the agent's placeholder to confirm it
    answers: str = ""  # [RESPUESTA: ...] quoting the customer's questions for the agent to answer
    situation: str | None = None  # what the customer says about someone of theirs ("su hijo es diabético")
    contact: str | None = None  # under a review (no private message there): the policy's e-mail and phone
    blamed: bool = False  # our staff blamed the customer: the apology says it was not their fault

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


def _seed(analysis: Analysis, complaint_text: str | None) -> str:
    """Stable per complaint: its text when known, else what the analysis says about it."""
    if complaint_text:
        basis = complaint_text
    else:
        basis = json.dumps(
            {"causes": analysis.cause_ids, "entities": analysis.entities.model_dump(mode="json")}, sort_keys=True
        )
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class _Reading:
    """How the message asks to be answered (register, country, review site, urgency): it does not depend on how
    short the draft must be, so `draft_reply` reads it once instead of once per shortening."""

    formal: bool
    tone: str
    country: str | None
    policy: Policy  # the company's policy in the customer's country's words
    review_site: bool
    called: bool
    angry: bool
    urgency: Urgency | None


def _read(analysis: Analysis, policy: Policy, text: str, channel: str = "email") -> _Reading:
    formal = is_formal(text)
    tone = "usted" if formal else normalise_tone(policy.tone)  # a letter to a court is never answered with tú
    country = detect_country(text)
    on_review_site = channel == "review" or review_site(text)
    # A review is written after the fact, and a happy customer reports no emergency.
    recounted = analysis.sentiment.label == "positive" or on_review_site
    return _Reading(
        formal=formal,
        tone=tone,
        country=country,
        policy=localise(policy, country),
        review_site=on_review_site,
        called=customer_called(text),
        angry=angry(analysis.sentiment, text),
        urgency=None if recounted else urgency(text, tone),
    )


def _context(
    analysis: Analysis,
    reading: _Reading,
    channel: str,
    today: dt.date,
    complaint_text: str | None,
    done: list[str],
    level: int = 0,
) -> tuple[ReplyContext, dt.date]:
    """What the draft says. ``level`` > 0 asks for a shorter draft (fewer items, no remedy, no extra answer)."""
    budgets = dict(CHAT_BUDGETS if channel == "chat" else PUBLIC_BUDGETS if is_public(channel) else EMAIL_BUDGETS)
    for key in budgets:
        budgets[key] = max(1, budgets[key] - 4 * level)
    text = complaint_text or ""
    tone, country, policy = reading.tone, reading.country, reading.policy
    entities = analysis.entities
    amount = _amount(analysis, complaint_text)
    values = {
        "importe": amount or policy.refund_default,
        "percent": str(policy.discount_percent),
        "item": policy.item_for(complaint_text, tone),
    }

    def say(text: str, **override: str) -> str:
        return fill(text, tone, **{**values, **override})

    legal = analysis.risk.legal
    context = ReplyContext(
        seed=_seed(analysis, complaint_text),
        tone=tone,
        channel=channel,
        name=greeting_name(entities.customer_name),
        company=policy.company,
        agent_first=greeting_name(policy.agent) or policy.agent,
        signature=policy.signature.format(agent=policy.agent, company=policy.company).strip(),
        ref_paren=""
        if is_public(channel)
        else _reference_paren(entities.references, policy.reference_nouns, complaint_text),
        follow_time=policy.follow_up_time,
        legal=legal,
        route=complaint_route(policy, country, tone, text),
        salutation=formal_salutation(text, entities.customer_name) if reading.formal and channel == "email" else None,
        called=reading.called,
        angry=reading.angry,
    )
    if channel == "review":  # no private message on a review site: the company's own e-mail and phone
        context.contact = f"{policy.contact_email} o {context.t('llámenos', 'llámanos')} al {policy.contact_phone}"
    known = known_info(entities, complaint_text)
    folded = fold(complaint_text or "")
    context.live = channel == "chat" and live_chat(complaint_text)
    if not analysis.causes:
        context.kind = _message_kind(analysis, complaint_text)
        needs = data_needed(complaint_text) if context.kind == "request" else None
        context.needs = say(needs) if needs else None
        context.live = channel == "chat" and context.kind == "question"  # the customer waits for the answer
        questions = customer_questions(complaint_text) if context.kind == "question" else []
        if questions:  # answered now, through the agent: a standard question never waits for a later date
            context.answers = questions_placeholder(questions)
            context.situation = situation(complaint_text, tone) if channel == "email" else None
            return context, today
        if context.live:
            return context, today  # answered in the same chat, not on a later day
        follow, context.follow_soon = follow_up(
            policy.non_complaint.follow_up_days, today, complaint_text, channel, policy
        )
        context.follow_date = format_date_es(follow, today)
        return context, follow

    all_rules = [
        as_shown(
            as_cancellation(policy.rule_for(c.id, c.display).for_complaint(complaint_text or ""), c.id, complaint_text),
            complaint_text,
            legal,
        )
        for c in analysis.causes
    ]
    rules = all_rules[:2] if level >= 4 else all_rules
    context.blamed = (
        not legal and any(c.id in _BLAME_CAUSES for c in analysis.causes) and customer_blamed(complaint_text)
    )
    rest = "lo demás" if channel == "email" else None
    if channel != "email" and level >= 1:
        context.ref_paren = ""
    charged = None if amount else _charged(analysis, complaint_text)
    issues = [
        say(r.issue_fact)
        if r.issue_fact and amount
        # only a phrase naming the charge itself takes the charged sum ("el cargo de"), not "la diferencia de"
        else say(r.issue_fact, importe=charged)
        if r.issue_fact and charged and _CHARGE_FACT.match(r.issue_fact)
        else say(r.issue)
        for r in rules
    ]
    context.issues = join_within(issues, budgets["issues"], rest) if channel == "email" or level < 3 else ""
    if not legal and channel == "email":
        context.admitted = join_within([say(r.apology) for r in rules if r.admit_error], budgets["admitted"])
        if level < 3 and not context.admitted:  # one apology sentence: what we got wrong, else what went wrong
            context.regrets = join_within([say(r.apology) for r in rules if not r.admit_error], budgets["regrets"])
    elif not legal:
        context.admitted = "yes" if any(r.admit_error for r in rules) else ""
    requests = customer_requests(fold(customer_words(complaint_text or "")))
    demands, redundant = _open_demands(rules, customer_demands(customer_words(text)) if channel != "public" else [])
    placed: list[str] = []
    if demands:
        placed.append(f"Sobre lo que nos {context.t('pide', 'pides')}: {demands_placeholder(demands)}.")
        requests = [kind for kind in requests if not any(kind in d.kinds for d in demands)]
    over = channel != "public" and moment_passed(customer_words(text))
    if over:  # nothing left to correct: the gesture the company decides, instead of "corrijo la reserva"
        placed.append(say(GOODWILL_STEP))
        redundant = redundant | {i for i, rule in enumerate(rules) if _mends(rule)}
    plan = _plan(
        rules,
        policy,
        say,
        done,
        requests,
        legal,
        churn=analysis.risk.churn,
        amount=amount,
        complaint=complaint_text,
        placed=tuple(placed),
        redundant=redundant,
    )
    context.steps = plan.steps if level < 5 else plan.steps[:2]
    context.answer = plan.answer if level < 2 else ""
    context.remedy = plan.remedy if level < 1 and channel == "email" and not over else None
    if channel == "chat":
        actions: list[str] = []
        if demands:  # the customer's own requests, where the causes' generic clauses would be
            asked = context.t("pide", "pides")
            actions.append(f"{context.le} contesto a lo que nos {asked}: {demands_placeholder(demands)}")
        for index, rule in enumerate(rules):
            if index in redundant:
                continue
            clause = say(rule.chat)
            if context.live:  # the customer is waiting: what we start now, not later today
                clause = re.sub(r"^hoy\b|\bhoy\b", "ahora mismo", clause, count=1)
            if actions and word_count("; ".join(actions + [clause])) > budgets["actions"]:
                break
            if not commitment_keys(clause) & {k for a in actions for k in commitment_keys(a)}:
                actions.append(clause)
        context.chat_actions = "; ".join(actions)
        context.live = context.live or bool(re.search(r"\bahora\b", context.chat_actions))
    if not is_public(channel) and level < 3:
        # The customer's own questions that no step or answer already covers, for the agent to answer now.
        answered = {kind for rule in rules for kind in rule.covers}
        if plan.answer:
            answered |= {kind for kind in requests if kind in policy.answers}
        open_questions = [
            q for q in customer_questions(complaint_text, strict=True) if not set(customer_requests(fold(q))) & answered
        ]
        context.answers = questions_placeholder(open_questions)
    now = reading.urgency
    if now is not None:  # something happening right now: safety first, a step asked for now, news within hours
        context.safety = now.safety
        context.urgent_step = f"{_capitalise(now.act)}: [ACCIÓN: {now.confirm}]"
        context.remedy = None
        if channel == "chat":
            context.chat_actions = f"{now.act} [ACCIÓN: {now.confirm}]"
            context.live = True
    need_reference = any(r.needs_reference for r in rules) and not over  # no record left to look up
    if is_public(channel):  # a public answer asks for the reference only when the post is about the thing
        need_reference = need_reference and _mentions_item(policy, folded)
    context.ask = _ask(
        policy,
        rules if channel == "email" or (channel == "chat" and level < 1) else [],
        say,
        known,
        complaint_text,
        need_reference,
    )
    if channel != "email" and level >= 2:
        context.ask = None
    if context.live or now is not None:
        context.live = context.live or now is not None
        return context, today
    follow, context.follow_soon = follow_up(
        max(r.follow_up_days for r in all_rules), today, complaint_text, channel, policy
    )
    context.follow_date = format_date_es(follow, today)
    return context, follow
