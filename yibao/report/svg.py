"""Inline SVG charts, written by hand so the report needs no script and no network.

Entry points: ``line_chart`` (payout curves), ``histogram`` (the distribution of changes) and
``diverging_bars`` (winners and losers per group). Amounts come in as integer fen; coordinates are only for
drawing, so they may be floats. Text is escaped; every element a test looks for has a class.
"""

from __future__ import annotations

import math
from html import escape
from typing import Callable, Optional, Sequence

__all__ = ["line_chart", "histogram", "diverging_bars", "PALETTE", "short_yuan"]

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b")
WIDTH, HEIGHT = 380, 250
LEFT, RIGHT, TOP, BOTTOM = 62, 14, 30, 44


def short_yuan(fen: int) -> str:
    """Axis labels: 2000, 1.5万, 20万 (yuan)."""
    yuan = fen / 100
    if abs(yuan) >= 10000:
        value = yuan / 10000
        return f"{value:.0f}万" if value == int(value) else f"{value:.1f}万"
    return f"{yuan:.0f}"


def _nice_step(span: float, count: int = 5) -> float:
    raw = span / max(count, 1)
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def _text(x: float, y: float, text: str, anchor: str = "middle", size: int = 12, css: str = "", extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}"'
            f'{f" class={chr(34)}{css}{chr(34)}" if css else ""}{extra}>{escape(text)}</text>')


def _frame(title: str, x_label: str, y_label: str, css: str) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" viewBox="0 0 {WIDTH} {HEIGHT}" '
            f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(title)}">',
            _text(WIDTH / 2, 18, title, size=14, css="chart-title", extra=' font-weight="bold"'),
            _text((LEFT + WIDTH - RIGHT) / 2, HEIGHT - 8, x_label, size=11),
            _text(14, (TOP + HEIGHT - BOTTOM) / 2, y_label, size=11,
                  extra=f' transform="rotate(-90 14 {(TOP + HEIGHT - BOTTOM) / 2:.1f})"')]


def line_chart(title: str, series: Sequence[tuple[str, str, Sequence[tuple[int, int]]]], x_max: int, y_max: int,
               x_label: str, y_label: str) -> str:
    """``series``: (name, colour, [(x fen, y fen)]). x on a square-root scale, so deductibles and caps both show."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    y_step = _nice_step(y_max or 100)
    y_top = max(y_step, math.ceil((y_max or 1) / y_step) * y_step)

    def sx(x: int) -> float:
        return LEFT + plot_w * math.sqrt(max(x, 0) / x_max)

    def sy(y: int) -> float:
        return TOP + plot_h * (1 - y / y_top)

    parts = _frame(title, x_label, y_label, "curve-chart")
    parts += _axes(sx, sy, [t for t in (0, 1000000, 5000000, 10000000, 20000000, 30000000, 40000000)
                            if t <= x_max], [round(i * y_step) for i in range(int(y_top / y_step) + 1)])
    for number, (name, colour, points) in enumerate(series):
        if not points:
            continue
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in points)
        parts.append(f'<polyline class="curve" data-city="{escape(name)}" fill="none" stroke="{colour}" '
                     f'stroke-width="2" points="{path}"/>')
        parts.append(_text(LEFT + 8, TOP + 14 + 15 * number, f"— {name}", anchor="start", size=11,
                           extra=f' fill="{colour}"'))
    parts.append("</svg>")
    return "\n".join(parts)


def _axes(sx: Callable[[int], float], sy: Callable[[int], float], x_ticks: list[int], y_ticks: list[int]) -> list[str]:
    parts = [f'<line x1="{LEFT}" y1="{sy(0):.1f}" x2="{WIDTH - RIGHT}" y2="{sy(0):.1f}" stroke="#333"/>',
             f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{sy(0):.1f}" stroke="#333"/>']
    for tick in x_ticks:
        parts.append(f'<line x1="{sx(tick):.1f}" y1="{sy(0):.1f}" x2="{sx(tick):.1f}" y2="{sy(0) + 4:.1f}" stroke="#333"/>')
        parts.append(_text(sx(tick), sy(0) + 16, short_yuan(tick), size=10))
    for tick in y_ticks:
        parts.append(f'<line x1="{LEFT}" y1="{sy(tick):.1f}" x2="{WIDTH - RIGHT}" y2="{sy(tick):.1f}" stroke="#ddd"/>')
        parts.append(_text(LEFT - 6, sy(tick) + 4, short_yuan(tick), anchor="end", size=10))
    return parts


def histogram(title: str, values: Sequence[int], x_label: str, bins: int = 12) -> str:
    """How many encounters changed by how much (fen), in equal-width bins."""
    parts = _frame(title, x_label, "就诊次数", "histogram")
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    if not values:
        parts += [_text(WIDTH / 2, HEIGHT / 2, "没有改变的就诊"), "</svg>"]
        return "\n".join(parts)
    low, high = min(values), max(values)
    if low == high:
        low, high = low - 50, high + 50
    width = (high - low) / bins
    counts = [0] * bins
    for value in values:
        counts[min(int((value - low) / width), bins - 1)] += 1
    top = max(counts)
    bar_w = plot_w / bins
    for index, count in enumerate(counts):
        height = plot_h * count / top
        x = LEFT + index * bar_w
        colour = "#2ca02c" if low + (index + 0.5) * width > 0 else "#d62728"
        parts.append(f'<rect class="bar" x="{x + 1:.1f}" y="{TOP + plot_h - height:.1f}" width="{bar_w - 2:.1f}" '
                     f'height="{height:.1f}" fill="{colour}"><title>{count}</title></rect>')
        if count:
            parts.append(_text(x + bar_w / 2, TOP + plot_h - height - 3, str(count), size=9))
    parts.append(f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" stroke="#333"/>')
    for fraction in (0, 0.5, 1):
        parts.append(_text(LEFT + plot_w * fraction, TOP + plot_h + 16, short_yuan(round(low + (high - low) * fraction)), size=10))
    parts.append("</svg>")
    return "\n".join(parts)


def diverging_bars(title: str, rows: Sequence[tuple[str, int, int]], note: Optional[str] = None) -> str:
    """``rows``: (group, winners, losers): winners to the right in green, losers to the left in red."""
    height = TOP + 24 * max(len(rows), 1) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart winners-losers" viewBox="0 0 {WIDTH} {height}" '
             f'width="{WIDTH}" height="{height}" role="img" aria-label="{escape(title)}">',
             _text(WIDTH / 2, 18, title, size=14, css="chart-title", extra=' font-weight="bold"')]
    middle, half = LEFT + (WIDTH - LEFT - RIGHT) / 2, (WIDTH - LEFT - RIGHT) / 2 - 24
    top = max([max(w, l) for _, w, l in rows] or [1]) or 1
    for index, (name, winners, losers) in enumerate(rows):
        y = TOP + 6 + 24 * index
        parts.append(_text(LEFT - 6, y + 13, name, anchor="end", size=11))
        for count, sign, colour, css in ((winners, 1, "#2ca02c", "winners"), (losers, -1, "#d62728", "losers")):
            length = half * count / top
            x = middle if sign > 0 else middle - length
            parts.append(f'<rect class="bar {css}" x="{x:.1f}" y="{y}" width="{length:.1f}" height="18" fill="{colour}">'
                         f'<title>{count}</title></rect>')
            if count:
                parts.append(_text(middle + sign * (length + 10), y + 13, str(count), size=10))
    parts.append(f'<line x1="{middle:.1f}" y1="{TOP}" x2="{middle:.1f}" y2="{height - 26}" stroke="#333"/>')
    parts.append(_text(middle - half / 2, height - 10, "← 受损（个人多付）", size=10, extra=' fill="#d62728"'))
    parts.append(_text(middle + half / 2, height - 10, "受益（个人少付）→", size=10, extra=' fill="#2ca02c"'))
    if note:
        parts.append(_text(WIDTH - RIGHT, TOP - 2, note, anchor="end", size=9))
    parts.append("</svg>")
    return "\n".join(parts)
