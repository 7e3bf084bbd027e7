"""Charts as PNG files, drawn on matplotlib's Agg canvas (no display, no pyplot state) in a worker process.

The coaching overview, the politician map and the weekly digest share these helpers. A service never draws on
the event loop: it awaits `render(session, fn, *args)`, which runs the drawing function (plain data in, PNG
bytes out) in the App's chart worker. matplotlib (with numpy and Pillow, about 40 MB of memory) is imported
only there, never in the bot's own process; importing this module must stay cheap (tests/test_imports.py).

Why a process and not a thread (measured with bench/never_block.py, a heartbeat task beside a chart of the
overview, two cores): both keep the loop's heartbeat within a few ms, and a warm draw takes about 100 ms
either way. But a thread draws under the bot's GIL, so every command the loop runs meanwhile shares the one
core with it (100 slices of 2 ms of loop work: 203 ms alone, 343 ms beside a thread drawing, 321 ms beside a
process), and the thread imports matplotlib into the bot for good (the 42 MB). A process draws on the other
core, keeps matplotlib out of the bot, and a crash in the drawing cannot take the bot down. Its price is the
start (spawn, then importing matplotlib there: about 1.2 s before the first chart, 0.1 s after), paid off the
loop on the first chart, and its memory (about 94 MB, its own interpreter with matplotlib, numpy and Pillow):
charts are rare, so a worker idle for IDLE_CLOSE is stopped and the memory given back.
"""

from __future__ import annotations

import asyncio
import functools
import io
import json
import logging
import multiprocessing
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

log = logging.getLogger(__name__)

# Where a session finds the App's chart worker (session.info; see bot.db.create_sessionmaker).
WORKER_KEY = "jobbskaparna.charts"
# A worker process that drew no chart for this long (seconds) is stopped; the next chart starts another.
IDLE_CLOSE = 600.0
DPI = 100
GREEN = "#1F6F43"  # the embeds' green
# One colour per series of a stacked chart, green first; repeats when there are more series.
PALETTE = (GREEN, "#3E8ED0", "#F2B33D", "#D43D3D", "#8E5EA2", "#5AB3A8", "#A8A8A8")
# Held while importing matplotlib: where charts are drawn in threads (Worker(processes=False), a session made
# by no App), two threads importing matplotlib's circular modules at once may each be handed the other's
# half-made module.
IMPORT_LOCK = threading.Lock()


class Worker:
    """Draw charts off the event loop: in one worker process, started on the first chart (spawned: a fork of a
    process with threads and an event loop is not safe) and shut down with the App; or, with
    processes=False, in a thread of the bot's own process."""

    def __init__(self, *, processes: bool = True, idle: float = IDLE_CLOSE) -> None:
        self.processes = processes
        self.idle = idle
        self._pool: ProcessPoolExecutor | None = None
        self._starting = asyncio.Lock()
        self._drawing = 0
        self._idle_close: asyncio.TimerHandle | None = None

    @property
    def started(self) -> bool:
        """Whether the worker process is running (it starts with the first chart)."""
        return self._pool is not None

    async def render(self, fn: Callable[..., bytes], *args: Any, **kwargs: Any) -> bytes:
        """Run a drawing function (a module-level function of plain data) in the worker; return its PNG."""
        call = functools.partial(fn, *args, **kwargs)
        if not self.processes:
            return await asyncio.to_thread(call)
        loop = asyncio.get_running_loop()
        self._drawing += 1
        if self._idle_close is not None:
            self._idle_close.cancel()
            self._idle_close = None
        try:
            try:
                return await loop.run_in_executor(await self._started(), call)
            except BrokenProcessPool:
                # The worker died (killed, out of memory): start another one for this chart and the next.
                log.warning("The chart worker stopped; starting another")
                self._shutdown()
                return await loop.run_in_executor(await self._started(), call)
        finally:
            self._drawing -= 1
            if not self._drawing and self._pool is not None:
                # Charts come seldom (a coordinator's command, the weekly digest): an idle worker is stopped
                # rather than kept, with its memory, until the next.
                self._idle_close = loop.call_later(self.idle, self._shutdown)

    async def _started(self) -> ProcessPoolExecutor:
        async with self._starting:
            if self._pool is None:
                # Started in a thread: making the pool's queues and spawning its process take tens of
                # milliseconds that the event loop would otherwise stall for.
                self._pool = await asyncio.to_thread(_start_pool)
            return self._pool

    def close(self) -> None:
        """Stop the worker process (a chart being drawn is dropped); the next chart starts another."""
        if self._idle_close is not None:
            self._idle_close.cancel()
            self._idle_close = None
        self._shutdown()

    def _shutdown(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


def _start_pool() -> ProcessPoolExecutor:
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    pool.submit(int).result()  # the process is running
    return pool


async def render(session: AsyncSession, fn: Callable[..., bytes], *args: Any, **kwargs: Any) -> bytes:
    """Draw a chart off the event loop, in the chart worker of the App whose session this is (a session made
    by no App draws in a thread)."""
    worker: Worker | None = session.info.get(WORKER_KEY)
    if worker is None:
        return await asyncio.to_thread(functools.partial(fn, *args, **kwargs))
    return await worker.render(fn, *args, **kwargs)


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
