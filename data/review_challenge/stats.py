"""Validate the review challenge set and print its counts.

The set measures a draft reviewer, so a wrong label here would be charged to the reviewer:
every check below guards a way a label could silently disagree with its draft (evidence that
is not in the draft, a fault admission labelled without a legal threat, a length problem that
is not over the length, a clean draft that is). Standard library only, so it runs anywhere.

    python data/review_challenge/stats.py [path] [--markdown]

Exits 1 on any violation, after listing them all.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

KINDS = (
    "unconfirmed_action",
    "other_sector",
    "repeated_commitment",
    "asks_known_info",
    "fault_under_legal",
    "too_long",
)
SECTORS = (
    "banking",
    "hotels",
    "telecom",
    "ecommerce",
    "insurance",
    "utilities",
    "airlines",
    "transport",
    "delivery_apps",
    "clinics",
    "education",
    "public_services",
    "car_repair",
    "appliances",
    "retail",
)
CHANNELS = ("email", "chat", "public")
FIELDS = (
    "id",
    "sector",
    "channel",
    "variety",
    "complaint",
    "causes",
    "risk",
    "customer_name",
    "done_actions",
    "draft",
    "problems",
)
CAUSES = (
    "unanswered_contact",
    "transfer_runaround",
    "delay",
    "product_defect",
    "order_error",
    "opening_hours",
    "not_as_advertised",
    "billing_error",
    "bad_attitude",
    "no_solution",
    "poor_explanation",
    "no_admission",
    "no_follow_up",
    "broken_promise",
)
# Channel length limits from the brief the set was written to: (words a clean draft may have,
# words a too_long draft must exceed, sentences a clean draft may have or None).
LIMITS = {"email": (150, 200, None), "chat": (40, 40, 2), "public": (50, 50, None)}
MINIMA = {"per_kind": 25, "per_sector": 8, "good": 30}
WORD = re.compile(r"\w+(?:[-'’]\w+)*")
SENTENCE_END = re.compile(r"[.!?…]+(?=\s|$)")


def words(text: str) -> int:
    return len(WORD.findall(text))


def sentences(text: str) -> int:
    return max(1, len(SENTENCE_END.findall(text.strip())))


def check(record: dict, seen: set[str]) -> list[str]:
    """Every way this record could mislabel its draft; empty when it is consistent."""
    rid = record.get("id", "?")
    errors = []
    missing = [f for f in FIELDS if f not in record]
    if missing:
        return [f"{rid}: missing fields {missing}"]
    if not re.fullmatch(r"rc-\d{4}", rid):
        errors.append(f"{rid}: id must look like rc-0001")
    if rid in seen:
        errors.append(f"{rid}: duplicate id")
    seen.add(rid)
    if record["sector"] not in SECTORS:
        errors.append(f"{rid}: unknown sector {record['sector']!r}")
    if record["channel"] not in CHANNELS:
        errors.append(f"{rid}: unknown channel {record['channel']!r}")
    unknown = set(record["causes"]) - set(CAUSES)
    if unknown or not record["causes"]:
        errors.append(f"{rid}: causes must be 1+ taxonomy ids, got {record['causes']}")
    if set(record["risk"]) != {"churn", "legal", "public"}:
        errors.append(f"{rid}: risk needs exactly churn, legal, public")
    name = record["customer_name"]
    if name is not None and name not in record["complaint"]:
        errors.append(f"{rid}: customer_name {name!r} is not in the complaint")
    n_complaint = words(record["complaint"])
    if not 20 <= n_complaint <= 150:
        errors.append(f"{rid}: complaint has {n_complaint} words (20-150)")
    kinds = [p.get("kind") for p in record["problems"]]
    if len(kinds) > 3:
        errors.append(f"{rid}: at most 3 problems")
    for problem in record["problems"]:
        if problem.get("kind") not in KINDS:
            errors.append(f"{rid}: unknown kind {problem.get('kind')!r}")
        evidence = problem.get("evidence") or ""
        if not evidence or evidence not in record["draft"]:
            errors.append(f"{rid}: evidence not in draft: {evidence!r}")
    if "fault_under_legal" in kinds and not record["risk"].get("legal"):
        errors.append(f"{rid}: fault_under_legal without a legal threat")
    if record["channel"] in LIMITS:
        clean_words, long_words, max_sentences = LIMITS[record["channel"]]
        n, s = words(record["draft"]), sentences(record["draft"])
        too_many_sentences = max_sentences is not None and s > max_sentences
        if "too_long" in kinds and not (n > long_words or too_many_sentences):
            errors.append(f"{rid}: labelled too_long but {n} words, {s} sentences")
        if "too_long" not in kinds and (n > clean_words or too_many_sentences):
            errors.append(f"{rid}: {record['channel']} draft of {n} words, {s} sentences not labelled too_long")
    return errors


def counts(records: list[dict]) -> dict[str, str]:
    kinds = Counter(p["kind"] for r in records for p in r["problems"])
    drafts_per_kind = Counter(k for r in records for k in {p["kind"] for p in r["problems"]})
    per_draft = Counter(len(r["problems"]) for r in records)

    def fmt(counter: Counter) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted(counter.items()))

    return {
        "drafts": str(len(records)),
        "bad drafts": str(sum(1 for r in records if r["problems"])),
        "good drafts": str(sum(1 for r in records if not r["problems"])),
        "problems": str(sum(kinds.values())),
        "drafts per kind": fmt(drafts_per_kind),
        "problems per draft": fmt(per_draft),
        "channels": fmt(Counter(r["channel"] for r in records)),
        **{
            f"drafts per kind, {channel}": fmt(
                Counter(k for r in records if r["channel"] == channel for k in {p["kind"] for p in r["problems"]})
            )
            for channel in CHANNELS
        },
        "good drafts per channel": fmt(Counter(r["channel"] for r in records if not r["problems"])),
        "sectors": fmt(Counter(r["sector"] for r in records)),
        "varieties": fmt(Counter(r["variety"] for r in records)),
        "legal threat": str(sum(1 for r in records if r["risk"]["legal"])),
        "with done_actions": str(sum(1 for r in records if r["done_actions"])),
    }


def quota_errors(records: list[dict]) -> list[str]:
    drafts_per_kind = Counter(k for r in records for k in {p["kind"] for p in r["problems"]})
    sectors = Counter(r["sector"] for r in records)
    errors = [
        f"kind {k}: {drafts_per_kind[k]} drafts < {MINIMA['per_kind']}"
        for k in KINDS
        if drafts_per_kind[k] < MINIMA["per_kind"]
    ]
    errors += [
        f"sector {s}: {sectors[s]} drafts < {MINIMA['per_sector']}"
        for s in SECTORS
        if sectors[s] < MINIMA["per_sector"]
    ]
    good = sum(1 for r in records if not r["problems"])
    if good < MINIMA["good"]:
        errors.append(f"good drafts: {good} < {MINIMA['good']}")
    return errors


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    path = Path(args[0]) if args else Path(__file__).with_name("bad_drafts.jsonl")
    records, errors, seen = [], [], set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"line {number}: not JSON ({exc})")
            continue
        records.append(record)
        errors.extend(check(record, seen))
    quotas = [] if "--no-quota" in argv else quota_errors(records)
    table = counts(records)
    if "--markdown" in argv:
        print("| statistic | value |\n|---|---|")
        for key, value in table.items():
            print(f"| {key} | {value} |")
    else:
        for key, value in table.items():
            print(f"{key}: {value}")
    for error in errors + quotas:
        print("ERROR", error, file=sys.stderr)
    return 1 if errors or quotas else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
