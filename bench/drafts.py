"""Reply drafts on the corpus test split, each with its own sector's preset and its GOLD labels.

The analysis of every draft is built from the record's labels (causes, sentiment, risks), so
classification errors play no part: what is measured is the drafting. Entities (name, references,
amounts) come from pipeline/entities/ as in production. Per sector it prints words per draft,
"[ACCIÓN: ...]" placeholders per draft, review findings per draft (the full review: sector, complaint,
channel) and the share of drafts using a word of another sector (target 0).

Channels follow the record: chat -> chat, social posts and reviews -> public, anything else -> e-mail.

    python bench/drafts.py                      # the table
    python bench/drafts.py --sample 30 --out s.md   # also a stratified sample to rate by hand
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path
from statistics import mean

import typer
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.corpus import CorpusRecord, load_records  # noqa: E402
from pipeline.data import read_splits  # noqa: E402
from pipeline.entities import analysis_with_entities  # noqa: E402
from pipeline.policy import ACTION_PLACEHOLDER, PRESETS_DIR, Policy, load_policy  # noqa: E402
from pipeline.reply import analysis_from_causes, draft_reply  # noqa: E402
from pipeline.review import review_draft  # noqa: E402
from pipeline.schema import Analysis, Draft, Review, Risk, RiskScores  # noqa: E402
from pipeline.wording import word_count  # noqa: E402

TODAY = dt.date(2024, 3, 1)
CHANNELS = {"chat": "chat", "social_post": "public", "review": "public"}


def gold_analysis(record: CorpusRecord) -> Analysis:
    """The record's labels as an Analysis (the model is not called)."""
    analysis = analysis_from_causes(record.causes, sentiment=record.sentiment)
    flags = record.risk.model_dump()
    scores = RiskScores(**{k: float(v) for k, v in flags.items()})
    return analysis.model_copy(update={"risk": Risk(**flags, scores=scores)})


def preset(sector: str) -> Policy:
    return load_policy(PRESETS_DIR / f"{sector}.yaml").model_copy(update={"company": "Aurora"})


def draft_record(record: CorpusRecord) -> tuple[Draft, Review, Analysis]:
    policy = preset(record.sector)
    channel = CHANNELS.get(record.channel, "email")
    analysis = analysis_with_entities(gold_analysis(record), record.text, reference_date=TODAY)
    draft = draft_reply(analysis, policy, channel=channel, today=TODAY, complaint_text=record.text)
    review = review_draft(
        draft.body, analysis=analysis, channel=draft.channel, sector=record.sector, complaint=record.text
    )
    return draft, review, analysis


def main(
    sample: int = typer.Option(0, help="Also write this many drafts, stratified by sector and channel."),
    out: Path = typer.Option(None, help="Markdown file for the sample (with --sample)."),
    seed: int = typer.Option(7, help="Seed of the sample."),
) -> None:
    records = {r.id: r for r in load_records()}
    test = [records[i] for i in read_splits()["test"]]
    rows: dict[str, list[dict]] = defaultdict(list)
    kinds: Counter[str] = Counter()
    done: list[tuple[CorpusRecord, Draft]] = []
    for record in test:
        draft, review, analysis = draft_record(record)
        for finding in review.findings:
            kinds[finding.kind] += 1
        rows[record.sector].append(
            {
                "words": word_count(draft.body),
                "channel": draft.channel,
                "placeholders": len(ACTION_PLACEHOLDER.findall(draft.body)),
                "findings": len(review.findings),
                "other": any(f.kind == "other_sector" for f in review.findings),
                "name_gold": bool(record.customer_name),
                "name_found": bool(analysis.entities.customer_name),
            }
        )
        done.append((record, draft))
    table = Table(title=f"Drafts on the test split ({len(test)} records, gold labels, each sector's preset)")
    for column in ("sector", "n", "words", "e-mail words", "placeholders", "findings", "other sector"):
        table.add_column(column, justify="right" if column != "sector" else "left")
    everything = [row for sector_rows in rows.values() for row in sector_rows]
    for sector, sector_rows in sorted(rows.items()) + [("all", everything)]:
        emails = [r["words"] for r in sector_rows if r["channel"] == "email"]
        table.add_row(
            sector,
            str(len(sector_rows)),
            f"{mean(r['words'] for r in sector_rows):.0f}",
            f"{mean(emails):.0f}" if emails else "-",
            f"{mean(r['placeholders'] for r in sector_rows):.2f}",
            f"{mean(r['findings'] for r in sector_rows):.2f}",
            f"{mean(r['other'] for r in sector_rows):.1%}",
        )
    console = Console()
    console.print(table)
    emails = [r["words"] for r in everything if r["channel"] == "email"]
    chats = [r["words"] for r in everything if r["channel"] == "chat"]
    console.print(
        f"e-mails under 150 words: {sum(w < 150 for w in emails) / len(emails):.1%} (max {max(emails)}); "
        f"chat max {max(chats)} words; findings by kind: {dict(kinds) or 'none'}"
    )
    named = [r for r in everything if r["name_gold"]]
    console.print(f"customer name found in {sum(r['name_found'] for r in named)}/{len(named)} signed records")
    if sample and out:
        write_sample(done, sample, out, seed)
        console.print(f"sample of {sample} drafts written to {out}")


def write_sample(done: list[tuple[CorpusRecord, Draft]], size: int, out: Path, seed: int) -> None:
    """Two drafts per sector (different channels where possible), then random ones up to ``size``."""
    rng = random.Random(seed)
    by_sector: dict[str, list[tuple[CorpusRecord, Draft]]] = defaultdict(list)
    for item in done:
        by_sector[item[0].sector].append(item)
    chosen: list[tuple[CorpusRecord, Draft]] = []
    for sector in sorted(by_sector):
        items = by_sector[sector][:]
        rng.shuffle(items)
        first = items[0]
        second = next((i for i in items[1:] if i[1].channel != first[1].channel), items[1])
        chosen += [first, second]
    rest = [i for i in done if i not in chosen]
    rng.shuffle(rest)
    chosen += rest[: max(0, size - len(chosen))]
    lines = []
    for n, (record, draft) in enumerate(chosen[:size], 1):
        lines += [
            f"## {n}. {record.id} · {record.sector} · {record.channel} -> {draft.channel}",
            f"causes: {', '.join(record.causes) or '-'}; legal: {record.risk.legal}; public: {record.risk.public}",
            "",
            "```text",
            record.text,
            "```",
            "",
            "```text",
            draft.body,
            "```",
            "",
        ]
    out.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    typer.run(main)
