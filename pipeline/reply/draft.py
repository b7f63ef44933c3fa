"""`draft_reply`: read the complaint, plan and render the draft, and shorten it until the review accepts it.

The one entry point for CLI, batch and API; `analysis_from_causes` builds the analysis by hand
where no model runs (tests, the API when a client sends causes, demos).
"""

from __future__ import annotations

import datetime as dt

from pipeline.actions import DONE_ACTION_IDS, unknown_actions
from pipeline.channels import REPLY_CHANNELS
from pipeline.entities import analysis_with_entities, mask_contacts
from pipeline.errors import ConfigurationError
from pipeline.frame import (
    review_site,
)
from pipeline.policy import Policy
from pipeline.reply.context import _context, _read
from pipeline.reply.reading import _amount, looks_public
from pipeline.reply.render import _mask_customer_contacts, _render, _subject
from pipeline.review import review_draft
from pipeline.schema import (
    REPLY_STEPS,
    Analysis,
    CauseScore,
    Draft,
    Entities,
    ModelInfo,
    Risk,
    RiskScores,
    Sentiment,
)
from pipeline.taxonomy import TAXONOMY, Taxonomy
from pipeline.text import sentence_spans

CHANNELS = REPLY_CHANNELS


def draft_reply(
    analysis: Analysis,
    policy: Policy,
    channel: str = "email",
    today: dt.date | None = None,
    complaint_text: str | None = None,
    done_actions: list[str] | tuple[str, ...] = (),
) -> Draft:
    """A reply draft for ``analysis`` following ``policy``; ``channel`` is "email", "chat", "public" or "review".

    ``done_actions`` are what the agent confirms as already done (pipeline.actions): only those are
    said in the past tense. An e-mail answering a public post (an @account, a review with stars) whose
    analysis flags public exposure becomes a short public answer that moves to a private channel; a
    public answer to a review (stars, "reseña", no @account) becomes a "review" answer, which gives the
    company's e-mail and phone instead, since a review site has no private messages.
    When ``complaint_text`` is given and the analysis carries no entities yet, they are extracted
    from the text, so the draft can greet by name, cite references and quote the amount.
    """
    if channel not in CHANNELS:
        raise ConfigurationError(f"channel must be one of {', '.join(CHANNELS)}, not {channel!r}")
    unknown = unknown_actions(list(done_actions))
    if unknown:
        raise ConfigurationError(f"unknown done actions: {', '.join(unknown)}; known: {', '.join(DONE_ACTION_IDS)}")
    done = list(dict.fromkeys(done_actions))
    today = today or dt.date.today()
    if complaint_text and analysis.entities == Entities():
        analysis = analysis_with_entities(analysis, complaint_text, reference_date=today)
    if channel == "email" and analysis.risk.public and looks_public(complaint_text):
        channel = "public"
    if channel == "public" and review_site(complaint_text):
        channel = "review"  # stars or "reseña" and no @account: a review, with no private message to move to
    reading = _read(analysis, policy, complaint_text or "", channel)
    for level in range(7):
        context, follow = _context(analysis, reading, channel, today, complaint_text, done, level)
        body, parts = _render(context, channel)
        body = _mask_customer_contacts(body, policy)
        review = review_draft(body, analysis=analysis, channel=channel, done_actions=done, legal=analysis.risk.legal)
        if not any(f.kind in ("long_sentence", "too_long") for f in review.findings):
            break  # otherwise say less and try again
    subject = mask_contacts(_subject(context, analysis, policy, _amount(analysis, complaint_text), complaint_text))
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
    taxonomy: Taxonomy = TAXONOMY,
) -> Analysis:
    """An `Analysis` built by hand (no model): for tests, the API when a client sends causes, and demos."""
    found = [taxonomy.cause(c) for c in cause_ids]
    causes = [CauseScore(id=c.id, group=c.group, display=c.display, score=1.0) for c in found]
    label = sentiment or ("negative" if causes else "neutral")
    score = {"negative": -0.7, "neutral": 0.0, "positive": 0.8}[label]
    return Analysis(
        causes=causes,
        group=taxonomy.group_of(cause_ids),
        sentiment=Sentiment.model_validate({"label": label, "score": score}),
        risk=Risk(churn=False, legal=False, public=False, scores=RiskScores(churn=0.0, legal=0.0, public=0.0)),
        entities=entities or Entities(),
        model=ModelInfo(name="manual", version="0"),
    )


def chat_sentences(body: str) -> int:
    """How many sentences a chat body has (the same splitter the review uses)."""
    return len(sentence_spans(body))
