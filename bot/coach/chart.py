"""The coaching overview as a PNG bar chart, drawn on matplotlib's Agg canvas (no display, no pyplot
state)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from bot import charts

if TYPE_CHECKING:
    from matplotlib.ticker import MaxNLocator

BAR_COLOUR = charts.GREEN
MAX_LABEL = 32


def horizontal_bars(labels: Sequence[str], values: Sequence[int], *, title: str, xlabel: str) -> bytes:
    """Draw one horizontal bar per label, top to bottom in the given order, each with its value; return a
    PNG."""
    if len(labels) != len(values):
        raise ValueError("one value per label")
    # The object API with its own canvas: no pyplot, no global state, safe in a server process.
    figure = charts.figure(8, 1.2 + 0.5 * max(len(labels), 1))
    axes = figure.add_subplot()
    positions = list(range(len(labels)))
    bars = axes.barh(positions, values, color=BAR_COLOUR)
    axes.set_yticks(positions, [charts.clip(label, MAX_LABEL) for label in labels])
    axes.invert_yaxis()
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    axes.set_xlim(0, max([*values, 1]) * 1.15)
    # A linear axis's default locator is an AutoLocator (a MaxNLocator); the stubs only say Locator.
    cast("MaxNLocator", axes.xaxis.get_major_locator()).set_params(integer=True)
    axes.bar_label(bars, padding=3)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    return charts.png(figure)
