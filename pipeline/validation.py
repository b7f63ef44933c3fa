"""Corpus quality checks: record rules, duplicates, diversity and the balance quotas.

Data is code: the corpus is only accepted when every rule here holds, so a bad edit to a JSONL file
fails CI the same way a bad edit to Python would.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

from pipeline.corpus import CorpusRecord, ParseProblem
from pipeline.folding import fold
from pipeline.taxonomy import TAXONOMY

MIN_WORDS, MAX_WORDS = 4, 250
MAX_CAUSES = 3
NEAR_DUPLICATE_JACCARD = 0.7
MAX_NEAR_DUPLICATE_SHARE = 0.01
MIN_DISTINCT_TRIGRAM_RATIO = 0.7

SECTORS = {
    "telecom",
    "utilities",
    "ecommerce",
    "delivery_apps",
    "banking",
    "insurance",
    "airlines",
    "hotels",
    "transport",
    "clinics",
    "public_services",
    "education",
    "appliances",
    "car_repair",
    "retail",
}
LATAM_VARIETIES = {"es-MX", "es-AR", "es-CO", "es-CL", "es-PE", "es-VE", "es-UY", "es-EC"}

# Quotas the full corpus must meet (issue: training corpus). Shares are of all records unless noted.
QUOTAS = {
    "records": 3000,
    "complaints": 2600,
    "non_complaints": 350,
    "per_cause": 180,
    "multi_cause_share_of_complaints": 0.40,
    "neutral_share": 0.08,
    "positive_share": 0.06,
    "churn": 300,
    "legal": 150,
    "public": 150,
    "name_or_reference_share": 0.40,
    "sectors": 12,
    "latam_varieties": 5,
    "per_contrast_side": 30,
}

Predicate = Callable[[CorpusRecord], bool]


def _has(cause: str) -> Predicate:
    return lambda r: cause in r.causes


def _lacks(cause: str) -> Predicate:
    return lambda r: cause not in r.causes


def _all(*preds: Predicate) -> Predicate:
    return lambda r: all(p(r) for p in preds)


# Each decision rule of the taxonomy, with what the labels must look like on each side of the line.
CONTRAST_SIDES: dict[str, dict[str, Predicate]] = {
    "promise_vs_delay": {
        "broken_promise": _has("broken_promise"),
        "delay": _all(_has("delay"), _lacks("broken_promise")),
        "no_follow_up": _all(_has("no_follow_up"), _lacks("broken_promise")),
    },
    "outage_vs_repair": {
        "product_defect": _all(_has("product_defect"), _lacks("delay")),
        "delay": _has("delay"),
    },
    "refund_promo_terms": {
        "refund": _has("billing_error"),
        "promo": _all(_has("billing_error"), _has("not_as_advertised")),
        "terms": _all(_has("poor_explanation"), _lacks("billing_error")),
    },
    "attitude_vs_no_solution": {
        "bad_attitude": _all(_has("bad_attitude"), _lacks("no_solution")),
        "no_solution": _all(_has("no_solution"), _lacks("bad_attitude")),
    },
    "reachability": {
        "unanswered": _has("unanswered_contact"),
        "transfer": _has("transfer_runaround"),
        "hours": _has("opening_hours"),
    },
    "past_solved": {
        "solved": lambda r: not r.causes,
        "still_broken": lambda r: bool(r.causes),
    },
    "staff_name": {
        "staff_only": lambda r: r.customer_name is None,
        "both": lambda r: r.customer_name is not None,
    },
    "churn": {
        "churn": lambda r: r.risk.churn,
        "no_churn": lambda r: not r.risk.churn,
    },
}


@dataclass
class Violation:
    record_id: str
    rule: str
    message: str


@dataclass
class Report:
    """Everything the validator found; ``ok`` is what the exit code reports."""

    violations: list[Violation] = field(default_factory=list)
    stats: dict[str, object] = field(default_factory=dict)
    quota_results: list[tuple[str, object, object, bool]] = field(default_factory=list)
    near_duplicates: list[tuple[str, str, float]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations and all(passed for *_, passed in self.quota_results)


def word_count(text: str) -> int:
    return len(text.split())


def _normalise_for_dedup(text: str) -> str:
    text = fold(text)
    return re.sub(r"\s+", " ", text).strip()


# The real set keeps whole public reviews (up to 400 words) and adds the sectors reviews come from.
REAL_MAX_WORDS = 400
REAL_SECTORS = SECTORS | {"restaurants", "other"}
# Contact data that must have been masked in real text ([EMAIL], [TELÉFONO], [NÚMERO]).
UNMASKED_CONTACT = re.compile(
    r"[\w.+-]+@[\w-]+\.[\w.]+"  # e-mail
    r"|(?<![\w/-])(?:\+?\d[\s.-]?){9,}(?![\w/-])"  # phone or long account/card number
)


def check_record(
    record: CorpusRecord, max_words: int = MAX_WORDS, sectors: set[str] | frozenset[str] = SECTORS
) -> list[Violation]:
    """Rules a single record must satisfy on its own."""
    found: list[Violation] = []

    def bad(rule: str, message: str) -> None:
        found.append(Violation(record.id, rule, message))

    known = set(TAXONOMY.cause_ids)
    unknown = [c for c in record.causes if c not in known]
    if unknown:
        bad("cause_id", f"unknown cause id(s) {unknown}")
    if len(set(record.causes)) != len(record.causes):
        bad("cause_id", "a cause is repeated")
    if len(record.causes) > MAX_CAUSES:
        bad("cause_count", f"{len(record.causes)} causes; at most {MAX_CAUSES}")
    if not unknown and record.group != TAXONOMY.group_of(record.causes):
        bad("group", f"group {record.group!r} but causes imply {TAXONOMY.group_of(record.causes)!r}")
    score = record.sentiment_score
    if record.sentiment == "negative" and score > -0.1:
        bad("sentiment_score", f"negative sentiment with score {score}; use <= -0.1")
    if record.sentiment == "positive" and score < 0.1:
        bad("sentiment_score", f"positive sentiment with score {score}; use >= 0.1")
    if record.sentiment == "neutral" and abs(score) > 0.4:
        bad("sentiment_score", f"neutral sentiment with score {score}; use -0.4..0.4")
    words = word_count(record.text)
    if not MIN_WORDS <= words <= max_words:
        bad("length", f"{words} words; allowed {MIN_WORDS}-{max_words}")
    if record.customer_name is not None and record.customer_name not in record.text:
        bad("customer_name", f"customer_name {record.customer_name!r} does not appear verbatim in the text")
    if record.customer_name is not None and not record.customer_name.strip():
        bad("customer_name", "customer_name is blank; use null")
    for reference in record.references:
        if not reference.strip() or reference not in record.text:
            bad("references", f"reference {reference!r} does not appear verbatim in the text")
    if record.sector not in sectors:
        bad("sector", f"unknown sector {record.sector!r}; known: {', '.join(sorted(sectors))}")
    if record.contrast is not None:
        rule, _, side = record.contrast.partition(":")
        sides = CONTRAST_SIDES.get(rule)
        if sides is None or side not in sides:
            bad("contrast", f"unknown contrast {record.contrast!r}")
        elif not sides[side](record):
            bad("contrast", f"labels do not match contrast side {record.contrast!r}")
    return found


def find_near_duplicates(
    records: list[CorpusRecord], threshold: float = NEAR_DUPLICATE_JACCARD
) -> list[tuple[str, str, float]]:
    """Pairs whose character 5-gram sets have Jaccard >= threshold (exact copies score 1.0).

    A sparse binary shingle matrix turns all-pairs Jaccard into one matrix product, which keeps the
    check to seconds on thousands of records.
    """
    if len(records) < 2:
        return []
    texts = [_normalise_for_dedup(r.text) for r in records]
    vectorizer = CountVectorizer(analyzer="char", ngram_range=(5, 5), binary=True, lowercase=False, dtype=np.float32)
    matrix = vectorizer.fit_transform(texts).tocsr()
    sizes = np.asarray(matrix.sum(axis=1)).ravel()
    pairs: list[tuple[str, str, float]] = []
    block = 512
    for start in range(0, len(records), block):
        stop = min(start + block, len(records))
        inter = (matrix[start:stop] @ matrix.T).toarray()
        union = sizes[start:stop, None] + sizes[None, :] - inter
        with np.errstate(divide="ignore", invalid="ignore"):
            jaccard = np.where(union > 0, inter / union, 1.0)
        rows, cols = np.nonzero(jaccard >= threshold)
        for row, col in zip(rows, cols):
            i = start + row
            if col > i:
                pairs.append((records[i].id, records[col].id, float(jaccard[row, col])))
    return pairs


def distinct_trigram_ratio(records: list[CorpusRecord]) -> float:
    """Distinct word 3-grams over all 3-grams: low values reveal templated, repetitive writing."""
    total = 0
    distinct: set[tuple[str, ...]] = set()
    for record in records:
        tokens = re.findall(r"\w+", record.text.lower())
        grams = list(zip(tokens, tokens[1:], tokens[2:]))
        total += len(grams)
        distinct.update(grams)
    return len(distinct) / total if total else 0.0


def compute_stats(records: list[CorpusRecord]) -> dict[str, object]:
    complaints = [r for r in records if r.causes]
    n = len(records) or 1
    words = [word_count(r.text) for r in records]
    contrast = Counter(r.contrast for r in records if r.contrast)
    return {
        "records": len(records),
        "complaints": len(complaints),
        "non_complaints": len(records) - len(complaints),
        "per_cause": Counter(c for r in records for c in r.causes),
        "multi_cause_share_of_complaints": sum(len(r.causes) >= 2 for r in complaints) / (len(complaints) or 1),
        "groups": Counter(r.group for r in records),
        "sentiment": Counter(r.sentiment for r in records),
        "neutral_share": sum(r.sentiment == "neutral" for r in records) / n,
        "positive_share": sum(r.sentiment == "positive" for r in records) / n,
        "churn": sum(r.risk.churn for r in records),
        "legal": sum(r.risk.legal for r in records),
        "public": sum(r.risk.public for r in records),
        "name_or_reference_share": sum(bool(r.customer_name or r.references) for r in records) / n,
        "varieties": Counter(r.variety for r in records),
        "channels": Counter(r.channel for r in records),
        "sectors": Counter(r.sector for r in records),
        "words_min": min(words, default=0),
        "words_median": float(np.median(words)) if words else 0.0,
        "words_max": max(words, default=0),
        "contrast": contrast,
        "distinct_trigram_ratio": distinct_trigram_ratio(records),
    }


def evaluate_quotas(stats: dict) -> list[tuple[str, object, object, bool]]:
    """(name, measured, required, passed) for every balance quota of the full corpus."""
    rows: list[tuple[str, object, object, bool]] = []

    def at_least(name: str, measured: float, required: float) -> None:
        rows.append((name, measured, required, measured >= required))

    for key in ("records", "complaints", "non_complaints", "churn", "legal", "public"):
        at_least(key, stats[key], QUOTAS[key])
    for cause in TAXONOMY.cause_ids:
        at_least(f"cause {cause}", stats["per_cause"].get(cause, 0), QUOTAS["per_cause"])
    for key in ("multi_cause_share_of_complaints", "neutral_share", "positive_share", "name_or_reference_share"):
        at_least(key, round(stats[key], 3), QUOTAS[key])
    at_least("sectors", len(stats["sectors"]), QUOTAS["sectors"])
    at_least("latam_varieties", len(LATAM_VARIETIES & set(stats["varieties"])), QUOTAS["latam_varieties"])
    at_least("es-ES records", stats["varieties"].get("es-ES", 0), 1)
    at_least("es-US records", stats["varieties"].get("es-US", 0), 1)
    for rule, sides in CONTRAST_SIDES.items():
        for side in sides:
            at_least(f"contrast {rule}:{side}", stats["contrast"].get(f"{rule}:{side}", 0), QUOTAS["per_contrast_side"])
    return rows


def validate(records: list[CorpusRecord], problems: list[ParseProblem], *, quotas: bool = True) -> Report:
    """Run every check. ``quotas=False`` checks records and duplicates only (for a partial corpus)."""
    report = Report()
    for problem in problems:
        report.violations.append(Violation(f"{problem.path.name}:{problem.line}", "parse", problem.message))
    seen_ids: Counter[str] = Counter(r.id for r in records)
    for record_id, count in seen_ids.items():
        if count > 1:
            report.violations.append(Violation(record_id, "duplicate_id", f"id used {count} times"))
    for record in records:
        report.violations.extend(check_record(record))

    report.near_duplicates = find_near_duplicates(records)
    with_duplicate = {i for a, b, _ in report.near_duplicates for i in (a, b)}
    for a, b, score in report.near_duplicates:
        if score >= 0.999:
            report.violations.append(Violation(a, "exact_duplicate", f"same text as {b}"))
    if records and len(with_duplicate) / len(records) > MAX_NEAR_DUPLICATE_SHARE:
        report.violations.append(
            Violation(
                "*",
                "near_duplicates",
                f"{len(with_duplicate)} records ({len(with_duplicate) / len(records):.1%}) have a near-duplicate "
                f"(5-gram Jaccard >= {NEAR_DUPLICATE_JACCARD}); at most {MAX_NEAR_DUPLICATE_SHARE:.0%} allowed",
            )
        )

    report.stats = compute_stats(records)
    report.stats["records_with_near_duplicate"] = len(with_duplicate)
    ratio = float(report.stats["distinct_trigram_ratio"])  # type: ignore[arg-type]
    if records and ratio < MIN_DISTINCT_TRIGRAM_RATIO:
        report.violations.append(
            Violation("*", "diversity", f"distinct word 3-gram ratio {ratio:.3f} < {MIN_DISTINCT_TRIGRAM_RATIO}")
        )
    if quotas:
        report.quota_results = evaluate_quotas(report.stats)
    return report


def validate_real(records: list[CorpusRecord], problems: list[ParseProblem], corpus: list[CorpusRecord]) -> Report:
    """The real set's checks: record rules (longer texts, review sectors), masked contacts, no duplicate
    within it or shared with the written corpus."""
    report = Report()
    for problem in problems:
        report.violations.append(Violation(f"{problem.path.name}:{problem.line}", "parse", problem.message))
    for record_id, count in Counter(r.id for r in records).items():
        if count > 1:
            report.violations.append(Violation(record_id, "duplicate_id", f"id used {count} times"))
    for record in records:
        report.violations.extend(check_record(record, max_words=REAL_MAX_WORDS, sectors=REAL_SECTORS))
        contact = UNMASKED_CONTACT.search(record.text)
        if contact:
            report.violations.append(Violation(record.id, "contact", f"unmasked contact data {contact.group()!r}"))
    corpus_texts = {_normalise_for_dedup(r.text): r.id for r in corpus}
    for record in records:
        twin = corpus_texts.get(_normalise_for_dedup(record.text))
        if twin:
            report.violations.append(Violation(record.id, "corpus_overlap", f"same text as corpus record {twin}"))
    report.near_duplicates = find_near_duplicates(records)
    for a, b, score in report.near_duplicates:
        if score >= 0.999:
            report.violations.append(Violation(a, "exact_duplicate", f"same text as {b}"))
    report.stats = compute_stats(records)
    return report
