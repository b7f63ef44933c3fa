"""How well the review catches planted problems in reply drafts it never saw (data/review_challenge).

`bad_drafts.jsonl` was written apart from the generator and the review (see its README); nothing in
the review was tuned on it. Each draft is reviewed with what an agent's tool would know: the
complaint, its gold labels (causes, risks) as the analysis, the sector, the channel and the actions
the record says were done. Per problem kind, recall is the share of drafts labelled with the kind
that get a finding of that kind; precision the share of drafts with such a finding that carry the label.

    python bench/review_challenge.py [--path data/review_challenge/bad_drafts.jsonl]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.entities import analysis_with_entities  # noqa: E402
from pipeline.reply import analysis_from_causes  # noqa: E402
from pipeline.review import review_draft  # noqa: E402
from pipeline.schema import Risk, RiskScores  # noqa: E402

KINDS = (
    "unconfirmed_action", "other_sector", "repeated_commitment", "asks_known_info", "fault_under_legal", "too_long"
)


def review_record(record: dict):
    flags = {k: bool(record["risk"].get(k)) for k in ("churn", "legal", "public")}
    analysis = analysis_from_causes(record["causes"])
    analysis = analysis.model_copy(
        update={"risk": Risk(**flags, scores=RiskScores(**{k: float(v) for k, v in flags.items()}))}
    )
    analysis = analysis_with_entities(analysis, record["complaint"])
    return review_draft(
        record["draft"],
        analysis=analysis,
        customer_name=record.get("customer_name"),
        channel=record["channel"],
        sector=record["sector"],
        complaint=record["complaint"],
        done_actions=record.get("done_actions", []),
    )


def main(
    path: Path = typer.Option(REPO / "data/review_challenge/bad_drafts.jsonl", help="The challenge set (JSON lines)."),
) -> None:
    if not path.is_file():
        raise typer.BadParameter(f"no challenge set at {path}")
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    labelled = {kind: set() for kind in KINDS}
    flagged = {kind: set() for kind in KINDS}
    below_100 = {"bad": 0, "good": 0}
    counts = {"bad": 0, "good": 0}
    for record in records:
        review = review_record(record)
        for problem in record["problems"]:
            labelled[problem["kind"]].add(record["id"])
        for finding in review.findings:
            if finding.kind in flagged:
                flagged[finding.kind].add(record["id"])
        group = "bad" if record["problems"] else "good"
        counts[group] += 1
        below_100[group] += review.score < 100
    table = Table(title=f"Review on {path.name} ({len(records)} drafts: {counts['bad']} with problems)")
    for column in ("kind", "labelled", "flagged", "caught", "recall", "precision"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for kind in KINDS:
        caught = labelled[kind] & flagged[kind]
        recall = len(caught) / len(labelled[kind]) if labelled[kind] else float("nan")
        precision = len(caught) / len(flagged[kind]) if flagged[kind] else float("nan")
        sizes = [str(len(labelled[kind])), str(len(flagged[kind])), str(len(caught))]
        table.add_row(kind, *sizes, f"{recall:.2f}", f"{precision:.2f}")
    console = Console()
    console.print(table)
    console.print(
        f"drafts with a planted problem scored below 100: {below_100['bad']}/{counts['bad']}; "
        f"good drafts scored below 100 (any finding, wording rules included): {below_100['good']}/{counts['good']}"
    )


if __name__ == "__main__":
    typer.run(main)
