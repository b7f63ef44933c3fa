"""Bar-chart geometry for the HTML report; the SVG markup is drawn by ``templates/report_charts.html.j2``.

The charts are inline SVG with no scripts, so the report stays one self-contained file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# (label, value, text shown after or over the bar)
Item = tuple[str, float, str]


@dataclass(frozen=True)
class Bar:
    label: str
    note: str
    fill: str
    x: float
    y: float
    width: float
    height: float

    @property
    def centre(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True)
class Chart:
    kind: str  # "h" (bars grow right, label on the left) or "v" (bars grow up, label underneath)
    width: int
    height: int
    bars: list[Bar] = field(default_factory=list)
    label_x: float = 0  # "h": where the labels end
    base: float = 0  # "v": the axis line


def _colours(colour: str | list[str], n: int) -> list[str]:
    return colour if isinstance(colour, list) else [colour] * n


def hbar(items: list[Item], colour: str | list[str] = "#2f6db5", width: int = 720) -> Chart | None:
    """Horizontal bars, one row per item, lengths relative to the largest value."""
    if not items:
        return None
    row, label_w, value_w = 26, 230, 110
    bar_w = width - label_w - value_w
    top = max(v for _, v, _ in items) or 1
    bars = [
        Bar(
            label,
            note,
            fill,
            x=label_w,
            y=i * row + 6,
            width=(max(1.0, bar_w * value / top) if value else 0),
            height=row - 8,
        )
        for i, ((label, value, note), fill) in enumerate(zip(items, _colours(colour, len(items))))
    ]
    return Chart("h", width, row * len(items) + 6, bars, label_x=label_w - 8)


def vbar(items: list[Item], colour: str | list[str] = "#2f6db5", height: int = 200) -> Chart | None:
    """Vertical bars (months, histogram bins) with the label under each bar."""
    if not items:
        return None
    slot = max(28, min(60, 720 // len(items)))
    width, base, top_pad = slot * len(items) + 10, height - 40, 18
    top = max(v for _, v, _ in items) or 1
    bars = []
    for i, ((label, value, note), fill) in enumerate(zip(items, _colours(colour, len(items)))):
        h = (base - top_pad) * value / top
        bars.append(Bar(label, note, fill, x=5 + i * slot + 4, y=base - h, width=slot - 8, height=h))
    return Chart("v", width, height, bars, base=base)
