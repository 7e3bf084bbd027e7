"""The board's charts as inline SVG, drawn here in a few lines of Python.

Why not matplotlib's SVG through the chart worker (bot.charts), as the PNGs in chat are drawn: its SVG styles
every shape with `style="…"` attributes, which the board's content security policy (style-src 'self', no
inline styles) does not apply, so the chart would show unstyled; and it costs the worker (a process of about
90 MB, 1.2 s to start). Measured on the members page's weekly chart (12 weeks, 7 kinds): matplotlib drew its
SVG in about 170 ms, 41 kB with 119 style attributes; this module in about 0.4 ms, 12 kB. These charts take
their colours from presentation attributes (which the policy allows) and their text colour from the page
(currentColor).

Each chart is an image to assistive technology (role="img", named by its <title> and described by its
<desc>); the page puts the same numbers in a table beside it. All text is escaped for XML.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

# Colours with at least 3:1 contrast against white (WCAG 1.4.11), green first as in the chat's charts.
PALETTE = ("#1F6F43", "#0B5CAD", "#B35900", "#A4161A", "#6A3D9A", "#00796B", "#555F6D")
WIDTH = 400
FONT = 12
SMALL = 10


def _number(value: float) -> str:
    """A coordinate, short: 12, 12.5."""
    return f"{value:.1f}".removesuffix(".0")


def _frame(chart_id: str, title: str, description: str, height: float, body: list[str]) -> Markup:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} '
            f'{_number(height)}" width="{WIDTH}" height="{_number(height)}" '
            f'aria-labelledby="{chart_id}-title {chart_id}-desc" font-size="{FONT}" fill="currentColor">'
            f'<title id="{chart_id}-title">{escape(title)}</title>'
            f'<desc id="{chart_id}-desc">{escape(description)}</desc>')
    return Markup(head + "".join(body) + "</svg>")


def _nice_top(largest: int) -> int:
    """The top of a value axis: the largest value rounded up to 1, 2 or 5 times a power of ten (at least
    1)."""
    if largest <= 1:
        return 1
    power = 10 ** math.floor(math.log10(largest))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= largest)


def horizontal_bars(chart_id: str, labels: Sequence[str], values: Sequence[int], *, title: str,
                    description: str) -> Markup:
    """One bar a label, each label above its bar and the value after it (long labels fit a phone this way)."""
    row = 40
    top = 8
    bar_width = WIDTH - 48
    largest = max(values, default=0) or 1
    body: list[str] = []
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + index * row
        length = bar_width * value / largest
        body.append(f'<text x="0" y="{_number(y + FONT)}">{escape(label)}</text>')
        body.append(f'<rect x="0" y="{_number(y + FONT + 4)}" width="{_number(max(length, 1))}" height="16" '
                    f'fill="{PALETTE[0]}"><title>{escape(label)}: {value}</title></rect>')
        body.append(f'<text x="{_number(max(length, 1) + 6)}" y="{_number(y + FONT + 17)}">{value}</text>')
    return _frame(chart_id, title, description, top + len(values) * row + 4, body)


def stacked_columns(chart_id: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[int]]], *,
                    title: str, description: str) -> Markup:
    """One column a label, stacked by series, with a value axis and a legend under it."""
    left, plot_top, plot_height = 28, 8, 180
    plot_width = WIDTH - left - 4
    totals = [sum(values[index] for _, values in series) for index in range(len(labels))]
    axis_top = _nice_top(max(totals, default=0))
    scale = plot_height / axis_top
    base = plot_top + plot_height
    body: list[str] = []
    for tick in (0, axis_top // 2, axis_top) if axis_top > 1 else (0, axis_top):
        y = base - tick * scale
        body.append(f'<line x1="{left}" x2="{WIDTH - 4}" y1="{_number(y)}" y2="{_number(y)}" '
                    f'stroke="#C9D0D9"/>')
        body.append(f'<text x="{left - 4}" y="{_number(y + 4)}" text-anchor="end" font-size="{SMALL}">'
                    f'{tick}</text>')
    slot = plot_width / max(len(labels), 1)
    column = slot * 0.7
    for index, label in enumerate(labels):
        x = left + slot * index + (slot - column) / 2
        height_so_far = 0.0
        for number, (name, values) in enumerate(series):
            value = values[index]
            if not value:
                continue
            height = value * scale
            y = base - height_so_far - height
            body.append(f'<rect x="{_number(x)}" y="{_number(y)}" width="{_number(column)}" '
                        f'height="{_number(height)}" fill="{PALETTE[number % len(PALETTE)]}" '
                        f'stroke="#FFFFFF" stroke-width="1">'
                        f'<title>{escape(label)}: {escape(name)} {value}</title></rect>')
            height_so_far += height
        body.append(f'<text x="{_number(x + column / 2)}" y="{_number(base + 14)}" text-anchor="middle" '
                    f'font-size="{SMALL}">{escape(label)}</text>')
    legend_top = base + 30
    per_row = 2
    for number, (name, _) in enumerate(series):
        x = (WIDTH / per_row) * (number % per_row)
        y = legend_top + (number // per_row) * 18
        body.append(f'<rect x="{_number(x)}" y="{_number(y)}" width="12" height="12" '
                    f'fill="{PALETTE[number % len(PALETTE)]}"/>')
        body.append(f'<text x="{_number(x + 18)}" y="{_number(y + 10)}">{escape(name)}</text>')
    rows = -(-len(series) // per_row)
    return _frame(chart_id, title, description, legend_top + rows * 18 + 4, body)
