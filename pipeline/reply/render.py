"""Rendering: the Jinja templates turn a reply context into the body, and the subject line is written.

How a draft is said lives here and in ``pipeline/templates``; what it says is decided before, so a
change of phrasing never changes a commitment.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import jinja2

from pipeline.cancelled import as_cancellation
from pipeline.channels import is_public
from pipeline.entities import mask_contacts
from pipeline.policy import Policy, fill
from pipeline.reply.context import ReplyContext
from pipeline.schema import (
    REPLY_STEPS,
    Analysis,
)

TEMPLATES_DIR = Path(__file__).parent.with_name("templates")


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
    text = re.sub(r"\b(de|a) el\b", lambda m: "del" if m.group(1) == "de" else "al", text)  # "avisarnos de el retraso"
    return text.strip()


def _render(context: ReplyContext, channel: str) -> tuple[str, dict[str, str]]:
    complaint = context.kind == "complaint"
    if complaint:
        template = "public_steps.j2" if is_public(channel) else {"chat": "chat_steps.j2"}.get(channel, "email_steps.j2")
        macros = _macros(template)
        steps = [s for s in REPLY_STEPS if hasattr(macros, s)]
    else:
        macros = _macros("other_steps.j2")
        steps = ["greeting", "purpose", "resolution", "follow_up", "call_to_action"]
    parts = {step: _tidy(str(getattr(macros, step)(context))) for step in steps}
    if channel == "email":
        parts["closing"] = str(macros.closing(context)).strip()
    layout = _environment().get_template("email.j2" if channel == "email" else "chat.j2")
    body = layout.render(parts={**{s: "" for s in REPLY_STEPS}, **parts})
    if channel == "email":
        body = "\n".join(line.rstrip() for line in body.strip().splitlines())
        body = re.sub(r"\n{3,}", "\n\n", body)
    else:
        body = _tidy(body)
        # Each sentence starts with a capital letter (fragments are written in lower case).
        body = re.sub(r"([.!?] )(\w)", lambda m: m.group(1) + m.group(2).upper(), body)
    return body, parts


def _mask_customer_contacts(body: str, policy: Policy) -> str:
    """Mask contact details the draft quotes from the complaint, but not the company's own (``contact_*``)."""
    own = [c for c in (policy.contact_email, policy.contact_phone) if c and c in body]
    for n, value in enumerate(own):
        body = body.replace(value, f"\ue000{n}\ue001")
    body = mask_contacts(body)
    for n, value in enumerate(own):
        body = body.replace(f"\ue000{n}\ue001", value)
    return body


def _subject(
    context: ReplyContext, analysis: Analysis, policy: Policy, amount: str | None, complaint_text: str | None
) -> str:
    if context.kind != "complaint":
        topic = {"thanks": "mensaje", "question": "consulta", "request": "solicitud"}[context.kind]
        return f"{context.Su} {topic}{context.ref_paren}"
    causes = analysis.causes
    item = policy.item_for(complaint_text, context.tone)
    rule = as_cancellation(policy.rule_for(causes[0].id, causes[0].display), causes[0].id, complaint_text)
    text = rule.issue_fact if rule.issue_fact and amount else rule.issue
    issue = fill(text, context.tone, item=item, importe=amount or "", percent="")
    more = " y otros puntos" if len(causes) > 1 else ""
    return f"{context.Su} queja sobre {issue}{more}{context.ref_paren}"
