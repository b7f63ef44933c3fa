"""Reply drafts on the corpus test split, each with its own sector's preset and its GOLD labels.

The analysis of every draft is built from the record's labels (causes, sentiment, risks), so
classification errors play no part: what is measured is the drafting. Entities (name, references,
amounts) come from pipeline/entities/ as in production. Per sector it prints words per draft,
bracketed placeholders for the agent per draft ("[ACCIÓN: ...]", "[RESPUESTA: ...]", "[CORREO: ...]",
"[COMPENSACIÓN: ...]"), review findings per draft (the full review: sector, complaint, channel) and the
share of drafts using a word of another sector (target 0).

Channels follow the record (pipeline.channels): chat -> chat, social posts -> public, reviews -> review,
anything else -> e-mail.

    python bench/drafts.py                      # the table
    python bench/drafts.py --sample 30 --seed 7 --out s.md      # also a stratified sample to read
    python bench/drafts.py --sample 30 --seed 7 --out s.jsonl   # ... as JSON lines for blind raters
"""

from __future__ import annotations

import datetime as dt
import json
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

from pipeline.channels import is_public, reply_channel_for  # noqa: E402
from pipeline.corpus import CorpusRecord, load_records  # noqa: E402
from pipeline.data import read_splits  # noqa: E402
from pipeline.entities import analysis_with_entities  # noqa: E402
from pipeline.policy import PRESETS_DIR, Policy, load_policy  # noqa: E402
from pipeline.reply import analysis_from_causes, draft_reply  # noqa: E402
from pipeline.review import review_draft  # noqa: E402
from pipeline.schema import Analysis, Draft, Review, Risk, RiskScores, Sentiment  # noqa: E402
from pipeline.taxonomy import TAXONOMY  # noqa: E402
from pipeline.wording import AGENT_PLACEHOLDER, word_count  # noqa: E402

TODAY = dt.date(2024, 3, 1)


def gold_analysis(record: CorpusRecord) -> Analysis:
    """The record's labels as an Analysis (the model is not called), its sentiment_score as the intensity."""
    analysis = analysis_from_causes(record.causes, sentiment=record.sentiment)
    flags = record.risk.model_dump()
    scores = RiskScores(**{k: float(v) for k, v in flags.items()})
    sentiment = Sentiment(label=record.sentiment, score=record.sentiment_score, score_kind="intensity")
    return analysis.model_copy(update={"risk": Risk(**flags, scores=scores), "sentiment": sentiment})


def preset(sector: str) -> Policy:
    return load_policy(PRESETS_DIR / f"{sector}.yaml").model_copy(update={"company": "Aurora"})


def draft_record(record: CorpusRecord) -> tuple[Draft, Review, Analysis]:
    policy = preset(record.sector)
    channel = reply_channel(record)
    analysis = analysis_with_entities(gold_analysis(record), record.text, reference_date=TODAY)
    draft = draft_reply(analysis, policy, channel=channel, today=TODAY, complaint_text=record.text)
    review = review_draft(
        draft.body, analysis=analysis, channel=draft.channel, sector=record.sector, complaint=record.text
    )
    return draft, review, analysis


def main(
    sample: int = typer.Option(0, help="Also write this many drafts, stratified by sector and channel."),
    out: Path = typer.Option(None, help="File for the sample (with --sample): .jsonl for raters, else Markdown."),
    seed: int = typer.Option(7, help="Seed of the sample."),
) -> None:
    records = {r.id: r for r in load_records()}
    test = [records[i] for i in read_splits()["test"]]
    rows: dict[str, list[dict]] = defaultdict(list)
    kinds: Counter[str] = Counter()
    done: dict[str, tuple[CorpusRecord, Draft]] = {}
    for record in test:
        draft, review, analysis = draft_record(record)
        for finding in review.findings:
            kinds[finding.kind] += 1
        rows[record.sector].append(
            {
                "words": word_count(draft.body),
                "channel": draft.channel,
                "placeholders": len(AGENT_PLACEHOLDER.findall(draft.body)),
                "findings": len(review.findings),
                "other": any(f.kind == "other_sector" for f in review.findings),
                "name_gold": bool(record.customer_name),
                "name_found": bool(analysis.entities.customer_name),
            }
        )
        done[record.id] = (record, draft)
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


def reply_channel(record: CorpusRecord) -> str:
    """The channel a record is answered on (chat, public, review or email), from the record alone."""
    return reply_channel_for(getattr(record, "genre", None) or record.channel)


def _stratum(record: CorpusRecord) -> str:
    """Posts and reviews are one stratum (both answered in public), so a seed picks the records it always did."""
    channel = reply_channel(record)
    return "public" if is_public(channel) else channel


def pick_sample(records: list[CorpusRecord], size: int, seed: int) -> list[CorpusRecord]:
    """Two records per sector (answered on different channels where possible), then random ones up to ``size``.

    The pick reads the records only, never the drafts, so one seed names the same records whatever
    code drafts them: a rating of two versions can use one sample.
    """
    rng = random.Random(seed)
    by_sector: dict[str, list[CorpusRecord]] = defaultdict(list)
    for record in records:
        by_sector[record.sector].append(record)
    chosen: list[CorpusRecord] = []
    for sector in sorted(by_sector):
        items = by_sector[sector][:]
        rng.shuffle(items)
        first = items[0]
        second = next((r for r in items[1:] if _stratum(r) != _stratum(first)), items[1])
        chosen += [first, second]
    rest = [r for r in records if r not in chosen]
    rng.shuffle(rest)
    chosen += rest[: max(0, size - len(chosen))]
    return chosen[:size]


def rating_row(record: CorpusRecord, draft: Draft) -> dict:
    """One line of the file for blind raters: the case as labelled and the draft, nothing else."""
    return {
        "id": record.id,
        "sector": record.sector,
        "channel": record.channel,
        "reply_channel": draft.channel,
        "complaint": record.text,
        "causes": [{"id": c, "display": TAXONOMY.cause(c).display} for c in record.causes],
        "sentiment": record.sentiment,
        "risks": [name for name, flag in record.risk.model_dump().items() if flag],
        "draft": draft.body,
    }


def write_sample(done: dict[str, tuple[CorpusRecord, Draft]], size: int, out: Path, seed: int) -> None:
    """The sample as JSON lines (``.jsonl``: for raters) or Markdown (anything else: to read)."""
    chosen = [done[r.id] for r in pick_sample([record for record, _ in done.values()], size, seed)]
    if out.suffix == ".jsonl":
        lines = [json.dumps(rating_row(record, draft), ensure_ascii=False) for record, draft in chosen]
        out.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return
    lines = []
    for n, (record, draft) in enumerate(chosen, 1):
        lines += [
            f"## {n}. {record.id} · {record.sector} · {record.channel} -> {draft.channel}",
            f"causes: {', '.join(record.causes) or '-'}; sentiment: {record.sentiment}; "
            f"legal: {record.risk.legal}; public: {record.risk.public}",
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
