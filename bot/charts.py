"""Charts as PNG files, drawn on matplotlib's Agg canvas: no display, no pyplot state, safe in a server
process.

The coaching overview, the politician map and the weekly digest share these helpers. matplotlib (with numpy
and Pillow, about 40 MB of the process's memory) is imported when the first chart is drawn, not when the bot
starts: most processes never draw one, and importing this module must stay cheap (tests/test_imports.py).
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

DPI = 100
GREEN = "#1F6F43"  # the embeds' green
# One colour per series of a stacked chart, green first; repeats when there are more series.
PALETTE = (GREEN, "#3E8ED0", "#F2B33D", "#D43D3D", "#8E5EA2", "#5AB3A8", "#A8A8A8")
# Held while importing matplotlib: maps are drawn in worker threads, other charts on the event loop, and two
# threads importing matplotlib's circular modules at once may each be handed the other's half-made module.
IMPORT_LOCK = threading.Lock()


def figure(width: float, height: float) -> Figure:
    """Return a figure (inches) on its own Agg canvas."""
    with IMPORT_LOCK:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

    drawing = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(drawing)
    return drawing


def png(drawing: Figure, *, description: Any = None) -> bytes:
    """Save a figure as PNG bytes; a description (JSON) travels as metadata, so a test can read what it
    shows."""
    buffer = io.BytesIO()
    metadata = (
        {"Description": json.dumps(description, ensure_ascii=False)} if description is not None else None
    )
    drawing.savefig(buffer, format="png", metadata=metadata)
    return buffer.getvalue()


def clip(label: str, limit: int) -> str:
    """Shorten a label to a limit, marking the cut with an ellipsis."""
    return label if len(label) <= limit else label[: limit - 1] + "…"


def stacked_columns(labels: Sequence[str], series: Sequence[tuple[str, Sequence[int]]], *, title: str,
                    ylabel: str, empty: str, description: Any = None) -> bytes:
    """Draw one column per label, stacked by series (name, one value per label), with the totals on top."""
    if any(len(values) != len(labels) for _, values in series):
        raise ValueError("one value per label in every series")
    drawing = figure(max(6.0, 0.9 * len(labels) + 2.5), 4.2)
    axes = drawing.add_subplot()
    positions = list(range(len(labels)))
    bottoms = [0] * len(labels)
    for number, (name, values) in enumerate(series):
        if not any(values):
            continue
        axes.bar(
            positions, values, bottom=bottoms, label=name, color=PALETTE[number % len(PALETTE)], width=0.65
        )
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    for x, total in zip(positions, bottoms, strict=True):
        if total:
            axes.text(x, total, str(total), ha="center", va="bottom", fontsize=9)
    if not any(bottoms):
        axes.text(0.5, 0.5, empty, ha="center", va="center", transform=axes.transAxes, color="#666666")
    axes.set_xticks(positions, labels)
    axes.set_title(title)
    axes.set_ylabel(ylabel)
    axes.set_ylim(0, max([*bottoms, 1]) * 1.2)
    # A linear axis's default locator is an AutoLocator (a MaxNLocator); the stubs only say Locator.
    cast("MaxNLocator", axes.yaxis.get_major_locator()).set_params(integer=True)
    axes.spines[["top", "right"]].set_visible(False)
    if any(any(values) for _, values in series):
        axes.legend(loc="upper left", fontsize=8, frameon=False, ncol=min(3, len(series)))
    drawing.tight_layout()
    return png(drawing, description=description)
