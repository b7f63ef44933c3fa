"""Terminal output shared by the commands: the consoles, and rich tables of an analysis, a review, corrections.

Builders return rich renderables and print nothing, so a command decides where its output goes (stdout
for results, stderr for errors and progress).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from pipeline.priority import priority_display
from pipeline.taxonomy import TAXONOMY, Taxonomy

if TYPE_CHECKING:
    from pipeline.feedback.models import StoredSeenComplaint
    from pipeline.feedback.stats import FeedbackStats
    from pipeline.schema import Analysis, Draft, Review

console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def _bar(score: float, width: int = 20) -> str:
    filled = round(score * width)
    return "█" * filled + "░" * (width - filled)


def analysis_table(analysis: Analysis, taxonomy: Taxonomy = TAXONOMY) -> Table:
    """``taxonomy`` is the analysing model's: its names for groups, sentiments and risks."""
    table = Table(title=f"Análisis ({analysis.model.name})", show_header=True)
    table.add_column("")
    table.add_column("resultado")
    table.add_column("puntuación", justify="right")
    if analysis.causes:
        for cause in analysis.causes:
            group = "operativa" if cause.group == "operational" else "emocional"
            table.add_row(
                f"causa ({group})", f"{cause.display} [dim]{cause.id}[/dim]", f"{_bar(cause.score)} {cause.score:.2f}"
            )
    else:
        table.add_row("causa", "ninguna (no es una queja)", "")
    table.add_row("grupo", taxonomy.groups.get(analysis.group, analysis.group), "")
    sentiment = taxonomy.sentiments.get(analysis.sentiment.label, analysis.sentiment.label)
    kind = "intensidad" if analysis.sentiment.score_kind == "intensity" else "P(pos) - P(neg)"
    table.add_row("sentimiento", f"{sentiment} [dim]({kind})[/dim]", f"{analysis.sentiment.score:+.2f}")
    table.add_row("prioridad", f"{analysis.priority} · {priority_display(analysis.priority, taxonomy.priority)}", "")
    scores = analysis.risk.scores.model_dump()
    for risk in taxonomy.risks:
        flag = getattr(analysis.risk, risk.id)
        cues = [cue.text for cue in analysis.risk.cues if cue.risk == risk.id]
        shown = f"{risk.display}: {'[bold red]sí[/bold red]' if flag else 'no'}"
        if cues:
            shown += f" [dim]({escape(', '.join(dict.fromkeys(cues)))})[/dim]"
        table.add_row("riesgo", shown, f"{scores[risk.id]:.2f}")
    entities = analysis.entities
    if entities.customer_name:
        table.add_row("cliente", entities.customer_name, "")
    if entities.references:
        table.add_row("referencias", ", ".join(r.text for r in entities.references), "")
    return table


def draft_panel(draft: Draft, sector: str) -> Panel:
    title = f"Borrador ({draft.channel}, {sector}) · pasos: {len(draft.steps_covered)}/7"
    return Panel(Text(draft.body), title=title, subtitle=Text(f"Asunto: {draft.subject}"), expand=False)


def review_table(review: Review, draft_text: str, title: str) -> Table:
    """One row per finding, quoting where in the draft it is (or "(falta)" for something missing)."""
    table = Table(title=title, show_header=True, show_lines=True)
    for column in ("problema", "dónde", "qué pasa", "cómo arreglarlo"):
        table.add_column(column, overflow="fold")
    for finding in review.findings:
        where = draft_text[finding.start : finding.end].strip() if finding.end > finding.start else "(falta)"
        where = where if len(where) <= 60 else where[:57] + "..."
        table.add_row(finding.kind, escape(where), escape(finding.message), escape(finding.suggestion))
    return table


def review_score(score: float) -> str:
    colour = "green" if score >= 80 else "yellow" if score >= 50 else "red"
    return f"Puntuación: [{colour}]{score:.0f}/100[/{colour}]"


def feedback_table(stats: FeedbackStats) -> Table:
    """Corrections per cause beside the model's precision, recall and F1 against them."""
    table = Table(title=f"{stats.n_corrections} corrections", show_header=True)
    for column in ("cause", "agreed", "added", "removed", "precision", "recall", "F1"):
        table.add_column(column, justify="left" if column == "cause" else "right")
    per_cause = stats.overall.per_cause if stats.overall else {}
    for cause, counts in stats.per_cause.items():
        quality = per_cause.get(cause)
        scores = [f"{v:.2f}" for v in (quality.precision, quality.recall, quality.f1)] if quality else ["-"] * 3
        table.add_row(cause, str(counts.corrected), str(counts.added), str(counts.removed), *scores)
    return table


def review_queue_table(items: list[StoredSeenComplaint], excerpt: int = 90) -> Table:
    """The least sure analysed complaints not corrected yet: what an agent should look at first."""
    table = Table(title=f"{len(items)} complaints to review (least sure first)", show_header=True)
    for column, justify in (("uncertainty", "right"), ("causes", "left"), ("model", "left"), ("seen", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    table.add_column("complaint", overflow="fold")
    for item in items:
        text = " ".join(item.text.split())
        table.add_row(
            f"{item.uncertainty:.2f}",
            ", ".join(c.id for c in item.causes) or "-",
            item.model.version,
            item.seen_at.strftime("%Y-%m-%d %H:%M"),
            Text(text if len(text) <= excerpt else text[: excerpt - 1] + "…"),
        )
    return table


def feedback_summary(stats: FeedbackStats) -> list[str]:
    """One line overall and one per model version: corrections and cause micro/macro-F1, exact set."""
    versions = [("overall", stats.overall)] if stats.overall else []
    versions += [(f"model {name}", quality) for name, quality in stats.by_model_version.items()]
    return [
        f"{name}: {quality.n_corrections} corrections, cause micro-F1 {quality.cause_micro_f1:.3f}, "
        f"macro-F1 {quality.cause_macro_f1:.3f}, exact set {quality.exact_match:.1%}"
        for name, quality in versions
    ]
