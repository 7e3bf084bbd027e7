"""The chart worker: charts drawn in a process of their own, started with the first chart and closed with the
App, give the same PNG as drawn directly."""

from __future__ import annotations

import asyncio
import io

import pytest
from PIL import Image

from bot import charts
from bot.app import App
from bot.clock import FrozenClock
from bot.coach import chart
from bot.config import Settings

LABELS = ["1. Presentera ditt företag", "2. Följ politikerna", "Klara"]
VALUES = [12, 7, 3]


def _size(png: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(png)) as image:
        return image.size


@pytest.mark.parametrize("processes", [True, False])
async def test_a_chart_drawn_in_the_worker_is_the_chart_drawn_directly(processes: bool):
    worker = charts.Worker(processes=processes)
    try:
        drawn = await worker.render(charts.stacked_columns, ["v1", "v2"], [("a", [1, 2]), ("b", [0, 3])],
                                    title="t", ylabel="y", empty="-", description={"weeks": ["v1", "v2"]})
        overview = await worker.render(chart.horizontal_bars, LABELS, VALUES, title="t", xlabel="x")
    finally:
        worker.close()

    assert drawn == charts.stacked_columns(["v1", "v2"], [("a", [1, 2]), ("b", [0, 3])], title="t",
                                           ylabel="y", empty="-", description={"weeks": ["v1", "v2"]})
    assert overview == chart.horizontal_bars(LABELS, VALUES, title="t", xlabel="x")
    assert _size(overview) == (800, int(100 * (1.2 + 0.5 * len(LABELS))))


async def test_the_worker_starts_with_the_first_chart_and_stops_with_the_app(settings: Settings,
                                                                             clock: FrozenClock):
    app = App(settings, clock)
    try:
        assert not app.charts.started
        async with app.deferred_sessionmaker() as session:
            png = await charts.render(session, chart.horizontal_bars, LABELS, VALUES, title="t", xlabel="x")
        assert png.startswith(b"\x89PNG") and app.charts.started
    finally:
        await app.close()

    assert not app.charts.started


async def test_a_worker_that_died_is_started_again():
    worker = charts.Worker()
    try:
        await worker.render(chart.horizontal_bars, LABELS, VALUES, title="t", xlabel="x")
        pool = worker._pool
        assert pool is not None
        for process in list(pool._processes.values()):
            process.kill()
            process.join()

        png = await worker.render(chart.horizontal_bars, LABELS, VALUES, title="t", xlabel="x")
    finally:
        worker.close()

    assert png == chart.horizontal_bars(LABELS, VALUES, title="t", xlabel="x")


async def test_an_idle_worker_is_stopped_and_the_next_chart_starts_another():
    worker = charts.Worker(idle=0.05)
    try:
        await worker.render(chart.horizontal_bars, LABELS, VALUES, title="t", xlabel="x")
        assert worker.started
        await asyncio.sleep(0.2)
        assert not worker.started

        png = await worker.render(chart.horizontal_bars, LABELS, VALUES, title="t", xlabel="x")
    finally:
        worker.close()

    assert png == chart.horizontal_bars(LABELS, VALUES, title="t", xlabel="x")
