"""All the entities of a text at once, in the order that settles overlaps, with offsets into the original text.

The order matters: e-mails and URLs first, then amounts and dates, then references (a date inside a
reference is part of the code), then phones among the digits nobody claimed, then staff names before
the customer's name. Matching runs on the normalised text; spans are mapped back so that
``text[span.start:span.end] == span.text`` always holds for the text the customer sent.
"""

from __future__ import annotations

import datetime as dt
import re

from pipeline.entities.amounts import find_amounts
from pipeline.entities.contacts import find_emails, find_phones, find_urls, mask_found_contacts
from pipeline.entities.dates import find_dates
from pipeline.entities.names import customer_name, staff_names
from pipeline.entities.references import find_references
from pipeline.schema import Amount, Analysis, DateMention, Entities, Reference, Span
from pipeline.text import nlp, normalise_mapped


def extract_entities(text: str, reference_date: dt.date | None = None) -> Entities:
    """Customer name, staff names, references, dates, amounts, e-mails and phones; offsets into ``text``.

    ``reference_date`` (usually the day the complaint arrived) resolves relative and year-less dates
    ("ayer", "el lunes", "el 3 de marzo"); without it only dates that carry a year get a ``date``.
    """
    if not text or not text.strip():
        return Entities()
    mapped = normalise_mapped(text)
    norm = mapped.text
    doc = nlp()(norm)

    def span_of(start: int, end: int) -> tuple[int, int, str]:
        o_start, o_end = mapped.original(start, end)
        return o_start, o_end, text[o_start:o_end]

    emails = find_emails(doc, norm)
    urls = find_urls(doc)
    amounts = find_amounts(norm)
    dates = find_dates(norm, reference_date)
    amount_spans = [(s, e) for s, e, *_ in amounts]
    references = find_references(norm, emails + urls + amount_spans)
    ref_spans = [(s, e) for s, e, _ in references]
    dates = [d for d in dates if not any(d[0] < e and s < d[1] for s, e in ref_spans + amount_spans)]
    date_spans = [(s, e) for s, e, _ in dates]
    phones = find_phones(norm, emails + urls + ref_spans + amount_spans + date_spans)
    staff = staff_names(doc, norm)
    customer = customer_name(doc, norm, staff, ref_spans)

    def to_span(start: int, end: int) -> Span:
        s, e, t = span_of(start, end)
        return Span(text=t, start=s, end=e)

    entities = Entities(
        customer_name=" ".join(norm[customer[0] : customer[1]].split()) if customer else None,
        staff_names=[to_span(s, e) for s, e in staff],
        references=[],
        dates=[],
        amounts=[],
        emails=[to_span(s, e) for s, e in sorted(emails)],
        phones=[to_span(s, e) for s, e in phones],
    )
    seen: set[str] = set()
    for s, e, kind in references:
        o_s, o_e, t = span_of(s, e)
        key = re.sub(r"[\s#]", "", t).upper()
        if key in seen:
            continue
        seen.add(key)
        entities.references.append(Reference(text=t, start=o_s, end=o_e, kind=kind))
    for s, e, date in dates:
        o_s, o_e, t = span_of(s, e)
        entities.dates.append(DateMention(text=t, start=o_s, end=o_e, date=date))
    for s, e, value, currency in amounts:
        o_s, o_e, t = span_of(s, e)
        entities.amounts.append(Amount(text=t, start=o_s, end=o_e, value=value, currency=currency))
    return entities


def analysis_with_entities(analysis: Analysis, text: str, reference_date: dt.date | None = None) -> Analysis:
    """A copy of ``analysis`` whose ``entities`` come from ``text`` (the model itself predicts no entities)."""
    return analysis.model_copy(update={"entities": extract_entities(text, reference_date)})


def mask_contacts(text: str) -> str:
    """Hide e-mail addresses (``a***@dominio.com``) and phone numbers (all digits but the last two).

    Runs the whole extraction: a digit run is a phone only when no reference, date or amount claims it.
    """
    if not text:
        return text
    return mask_found_contacts(text, extract_entities(text))
