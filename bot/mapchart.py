"""The politician map as a PNG, drawn with matplotlib's Agg backend (no display, no pyplot global state).

matplotlib is imported when a map is drawn, not with this module (see bot.charts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot import charts, i18n
from bot.replies import Renderable, text

if TYPE_CHECKING:
    from matplotlib.artist import Artist

    from bot.services.stances import MapModel

STANCE_COLOURS = {"for": "#2e9e44", "against": "#d43d3d", "undecided": "#f2b33d", "unknown": "#a8a8a8"}
NAME_CHARS = 24


@dataclass(frozen=True)
class MapLabels:
    """Every text the map picture shows, already in the reader's language."""

    title: str
    subtitle: str
    stances: dict[str, str]
    reported: str
    priority: str
    seats: str
    projection: str
    majority: str
    empty: str

    @classmethod
    def build(
        cls, language: str, model: MapModel, *, title: str, body: Renderable, when: Renderable
    ) -> MapLabels:
        """Translate the labels for a map."""
        from bot.services.stances import (
            map_summary,  # the summary text is the table's, word for word
        )

        def r(item: Renderable) -> str:
            return i18n.render(item, language)

        return cls(
            title=title,
            subtitle=r(text("map.chart.subtitle", body=body, when=when)),
            stances={s: r(text(f"stance.{s}")) for s in STANCE_COLOURS},
            reported=r(text("map.chart.reported")),
            priority=r(text("map.chart.priority")),
            seats=r(text("map.chart.seats")),
            projection=r(map_summary(model)),
            majority=r(text("map.chart.majority")),
            empty=r(text("map.chart.empty")),
        )


def draw_map(model: MapModel, labels: MapLabels) -> bytes:
    """Draw the politician map: one column per party, a dot per politician in its stance's colour.

    A hollow dot is a member's report not yet confirmed; a black ring and a star mark a priority target.
    With seats entered, a bar below shows the projected vote against the majority line. The PNG carries the
    model's summary as metadata, so a test can check that the picture shows what the table says.
    """
    with charts.IMPORT_LOCK:
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

    groups = model.parties
    columns = max(1, len(groups))
    rows = max((len(g.rows) for g in groups), default=0)
    width = min(max(7.0, 2.5 * columns), 32.0)
    grid_height = 1.2 + 0.34 * max(rows, 1)
    bar_height = 1.5 if model.has_seats else 0.0
    figure = charts.figure(width, grid_height + bar_height + 1.6)
    figure.suptitle(charts.clip(labels.title, 90), fontsize=14, fontweight="bold", y=0.985)
    figure.text(0.5, 1 - 0.5 / (grid_height + bar_height + 1.6), labels.subtitle, ha="center", va="top",
                fontsize=9, color="#444444")
    total_height = grid_height + bar_height + 1.6
    grid = figure.add_axes((0.01, (bar_height + 0.9) / total_height, 0.98, grid_height / total_height))
    grid.set_axis_off()
    grid.set_xlim(0, columns)
    grid.set_ylim(-(max(rows, 1) - 0.4), 1.6)

    if not groups:
        grid.text(columns / 2, -0.5, labels.empty, ha="center", va="center", fontsize=11, color="#666666")
    for x, group in enumerate(groups):
        grid.text(x + 0.06, 1.05, charts.clip(group.party, 20), fontsize=11, fontweight="bold", va="bottom")
        if group.seats is not None:
            grid.text(x + 0.06, 0.95, f"{group.seats} {labels.seats} → {labels.stances[group.projected]}",
                      fontsize=8, va="top", color="#444444")
        for y, row in enumerate(group.rows):
            colour = STANCE_COLOURS[row.stance]
            grid.scatter([x + 0.1], [-y], s=150, marker="o", zorder=3,
                         facecolors="white" if row.reported else colour, edgecolors=colour,
                         linewidths=2.5 if row.reported else 0.5, gid=f"politician-{row.politician_id}")
            if row.priority:
                grid.scatter([x + 0.1], [-y], s=330, marker="o", facecolors="none", edgecolors="black",
                             linewidths=1.4, zorder=2)
            name = charts.clip(row.name, NAME_CHARS) + (" ★" if row.priority else "")
            grid.text(
                x + 0.2, -y, name, fontsize=8, va="center", fontweight="bold" if row.priority else "normal"
            )

    if model.has_seats and model.seats_total:
        assert model.majority is not None  # set whenever there are seats
        bar = figure.add_axes((0.08, 0.55 / total_height, 0.84, (bar_height - 0.5) / total_height))
        left = 0
        for stance in ("for", "undecided", "against"):
            seats = model.projected.get(stance, 0)
            if seats:
                bar.barh([0], [seats], left=[left], color=STANCE_COLOURS[stance], edgecolor="white")
                bar.text(
                    left + seats / 2, 0, str(seats), ha="center", va="center", fontsize=10, color="black"
                )
            left += seats
        bar.axvline(model.majority, color="black", linestyle="--", linewidth=1.2)
        bar.text(model.majority, 0.5, f" {labels.majority} {model.majority}", fontsize=8, va="bottom")
        bar.set_xlim(0, model.seats_total)
        bar.set_ylim(-0.5, 0.9)
        bar.set_yticks([])
        bar.set_title(labels.projection, fontsize=9, loc="left")
        for side in ("top", "right", "left"):
            bar.spines[side].set_visible(False)

    legend: list[Artist] = [Patch(facecolor=STANCE_COLOURS[s], label=labels.stances[s])
                            for s in STANCE_COLOURS]
    legend += [Line2D([0], [0], marker="o", color="white", markerfacecolor="white", markeredgecolor="#555555",
                      markeredgewidth=2.5, markersize=10, label=labels.reported),
               Line2D([0], [0], marker="o", color="white", markerfacecolor="none", markeredgecolor="black",
                      markeredgewidth=1.4, markersize=13, label=labels.priority)]
    figure.legend(handles=legend, loc="lower center", ncol=6, fontsize=8, frameon=False,
                  bbox_to_anchor=(0.5, 0.0))

    return charts.png(figure, description=model.summary())
