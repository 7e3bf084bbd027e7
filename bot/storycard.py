"""A public story's share preview image (og:image): a PNG card with the group, the story's title and its
author as they chose to be named. Link previewers (Facebook, LinkedIn, X, Slack) show a PNG large and refuse
SVG.

Drawn like the charts, in the chart worker (bot.charts.render): plain text in, PNG bytes out. Importing this
module must stay cheap (tests/test_imports.py): matplotlib is imported only while drawing.
"""

from __future__ import annotations

import textwrap
from typing import Any

from bot import charts

# 1200 × 630 pixels at charts.DPI: the size previewers show as a large image.
WIDTH, HEIGHT = 12.0, 6.3
TITLE_WIDTH = 28
TITLE_LINES = 5
TITLE_SIZE = 40
INK, MUTED, ACCENT, PAPER = "#1b1f24", "#4a5360", "#0b5cad", "#ffffff"


def title_lines(title: str) -> list[str]:
    """The title wrapped for the card, the last line cut with an ellipsis when it is longer."""
    lines = textwrap.wrap(title, TITLE_WIDTH) or [""]
    if len(lines) > TITLE_LINES:
        lines = lines[:TITLE_LINES]
        lines[-1] = charts.clip(lines[-1] + " …", TITLE_WIDTH)
    return lines


def _title(drawing: Any, lines: list[str]) -> None:
    """The title's lines at even steps, the type made smaller when a line of wide letters would not fit."""
    size = TITLE_SIZE
    renderer = drawing.canvas.get_renderer()
    # On baselines: a line's top depends on its letters (an å stands taller), its baseline does not.
    texts = [drawing.text(0.07, 0.0, line, fontsize=size, fontweight="bold", color=INK, va="baseline",
                          parse_math=False) for line in lines]
    widest = max(text.get_window_extent(renderer).width for text in texts)
    room = 0.86 * WIDTH * charts.DPI
    if widest > room:
        size = size * room / widest
    step = size * 1.25 / 72 / HEIGHT  # a line's height in points, as a part of the card's height
    for number, text in enumerate(texts):
        text.set_fontsize(size)
        text.set_y(0.74 - 0.8 * size / 72 / HEIGHT - number * step)


def draw_card(heading: str, title: str, byline: str, footer: str) -> bytes:
    """The card: the group's heading, the story's title large, its byline, and where it comes from."""
    drawing = charts.figure(WIDTH, HEIGHT)
    with charts.IMPORT_LOCK:
        from matplotlib.patches import Rectangle

    drawing.patch.set_facecolor(PAPER)
    drawing.add_artist(Rectangle((0, 0), 0.02, 1, transform=drawing.transFigure, color=ACCENT))
    # parse_math=False: a member's "$" is a dollar, not the start of a formula.
    drawing.text(0.07, 0.88, charts.clip(heading, 60), fontsize=24, color=MUTED, va="top", parse_math=False)
    _title(drawing, title_lines(title))
    drawing.text(0.07, 0.1, charts.clip(byline, 50), fontsize=24, color=INK, va="bottom", parse_math=False)
    drawing.text(0.95, 0.1, charts.clip(footer, 30), fontsize=20, color=MUTED, va="bottom", ha="right",
                 parse_math=False)
    return charts.png(drawing, description={"heading": heading, "title": title, "byline": byline})
