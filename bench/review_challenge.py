"""How well the review catches planted problems in reply drafts it never saw (data/review_challenge).

`bad_drafts.jsonl` was written apart from the generator and the review (see its README). Each draft
is reviewed with what an agent's tool would know: the complaint, its gold labels (causes, risks) as
the analysis, the sector, the channel and the actions the record says were done. Per problem kind,
recall is the share of drafts labelled with the kind that get a finding of that kind; precision the
share of drafts with such a finding that carry the label.

The set is cut in two fixed halves by the SHA-256 of each id (even: ``dev``, odd: ``held_out``),
chosen before any result was read. Rules may be tuned on ``dev`` only; ``held_out`` is the honest
figure, because a rule tuned on the drafts that score it measures memory, not the review.

    python bench/review_challenge.py [--half dev|held_out|all] [--path data/review_challenge/bad_drafts.jsonl]
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.entities import analysis_with_entities  # noqa: E402
from pipeline.reply import analysis_from_causes  # noqa: E402
from pipeline.review import review_draft  # noqa: E402
from pipeline.schema import Review, Risk, RiskScores  # noqa: E402

sys.path.insert(0, str(REPO / "data" / "review_challenge"))
from stats import KINDS  # noqa: E402  the planted-problem kinds, as the set's own validator defines them

HALVES = ("dev", "held_out")
# The set names one confirmed action differently from the catalogue (pipeline/actions.py).
ACTION_ALIASES = {"visit_rescheduled": "visit_booked"}


def half_of(record_id: str) -> str:
    """The fixed half a record belongs to: parity of the SHA-256 of its id, independent of the file's order."""
    return HALVES[int(hashlib.sha256(record_id.encode("utf-8")).hexdigest(), 16) % 2]


def review_record(record: dict) -> Review:
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
        done_actions=[ACTION_ALIASES.get(a, a) for a in record.get("done_actions", [])],
    )


def score(records: list[dict], title: str, console: Console, verbose: bool = False) -> None:
    labelled: dict[str, set[str]] = {kind: set() for kind in KINDS}
    flagged: dict[str, set[str]] = {kind: set() for kind in KINDS}
    below_100 = {"bad": 0, "good": 0}
    counts = {"bad": 0, "good": 0}
    good_findings: Counter[str] = Counter()
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
        if group == "good":
            good_findings.update({f.kind for f in review.findings})
        if verbose:
            wanted = {p["kind"] for p in record["problems"]}
            got = {f.kind for f in review.findings if f.kind in KINDS}
            if wanted != got:
                console.print(f"[bold]{record['id']}[/] missed {sorted(wanted - got)} extra {sorted(got - wanted)}")
    table = Table(title=f"{title}: {len(records)} drafts, {counts['bad']} with problems")
    for column in ("kind", "labelled", "flagged", "caught", "recall", "precision"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for kind in KINDS:
        caught = labelled[kind] & flagged[kind]
        recall = len(caught) / len(labelled[kind]) if labelled[kind] else float("nan")
        precision = len(caught) / len(flagged[kind]) if flagged[kind] else float("nan")
        sizes = [str(len(labelled[kind])), str(len(flagged[kind])), str(len(caught))]
        table.add_row(kind, *sizes, f"{recall:.2f}", f"{precision:.2f}")
    console.print(table)
    console.print(
        f"drafts with a planted problem scored below 100: {below_100['bad']}/{counts['bad']}; "
        f"good drafts with any finding (wording rules included): {below_100['good']}/{counts['good']}"
        + (f" ({', '.join(f'{k} {v}' for k, v in good_findings.most_common())})" if good_findings else "")
    )


def main(
    path: Path = typer.Option(REPO / "data/review_challenge/bad_drafts.jsonl", help="The challenge set (JSON lines)."),
    half: str = typer.Option("all", help="dev, held_out, or all (each half, then the whole set)."),
    verbose: bool = typer.Option(False, help="List every draft whose findings differ from its labels."),
) -> None:
    if not path.is_file():
        raise typer.BadParameter(f"no challenge set at {path}")
    if half not in (*HALVES, "all"):
        raise typer.BadParameter(f"--half must be dev, held_out or all, not {half!r}")
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    console = Console()
    for name in HALVES if half == "all" else (half,):
        score([r for r in records if half_of(r["id"]) == name], name, console, verbose)
    if half == "all":
        score(records, "whole set", console)


if __name__ == "__main__":
    typer.run(main)
