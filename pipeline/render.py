"""Readable terminal output of an Analysis (rich), shared by `quejas analyze` and `quejas reply`."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipeline.priority import priority_display
from pipeline.schema import Analysis
from pipeline.taxonomy import TAXONOMY


def _bar(score: float, width: int = 20) -> str:
    filled = round(score * width)
    return "█" * filled + "░" * (width - filled)


def analysis_table(analysis: Analysis) -> Table:
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
    table.add_row("grupo", TAXONOMY.groups.get(analysis.group, analysis.group), "")
    sentiment = TAXONOMY.sentiments.get(analysis.sentiment.label, analysis.sentiment.label)
    kind = "intensidad" if analysis.sentiment.score_kind == "intensity" else "P(pos) - P(neg)"
    table.add_row("sentimiento", f"{sentiment} [dim]({kind})[/dim]", f"{analysis.sentiment.score:+.2f}")
    table.add_row("prioridad", f"{analysis.priority} · {priority_display(analysis.priority)}", "")
    scores = analysis.risk.scores.model_dump()
    for risk in TAXONOMY.risks:
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


def print_analysis(console: Console, analysis: Analysis) -> None:
    console.print(analysis_table(analysis))
