"""Benchmark: what the browser tests (tests/browser) pay for Chromium and for one coordinator's login.

    .venv/bin/python bench/browser.py [--rounds 5]

Debian's Chromium (/usr/bin/chromium) is driven by Playwright with the browser tests' own flags. It measures,
in this one process:
- the Chromium start: cold (the first one: Playwright's driver and the browser start from nothing) and warm
  (--rounds launches more, with the driver and the files the browser reads already in memory), and what every
  test pays on top, a fresh context and page;
- one login flow as tests/browser/test_login.py goes through it: the board's web server over an App on a
  freshly migrated SQLite database (frozen clock), a one-time link from the board's service, the link opened,
  its button pressed, the board's first page shown; cold (the first one in the process: the templates
  compiled, the first connection) and warm (--rounds more, each with a new link and a fresh context);
- the accessibility check (axe-core injected and run) of the board's first page, cold and warm.

It prints the median and the largest wall time of each. It asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.async_api import Browser, async_playwright

from bot import db
from bot.app import App
from bot.clock import FrozenClock
from bot.config import load_settings
from bot.web.server import WebServer
from tests.browser.support import CHROMIUM, CHROMIUM_FLAGS, DESKTOP, accessibility_violations, sign_in
from tests.conftest import START
from tests.web.board.conftest import BOARD_URL, COORDINATOR


def show(label: str, cold: float | None, warm: list[float]) -> None:
    cold_text = f"{cold * 1000:7.0f} ms" if cold is not None else " " * 10
    print(f"{label:<40} cold {cold_text}   warm median {statistics.median(warm) * 1000:6.0f} ms, "
          f"max {max(warm) * 1000:6.0f} ms ({len(warm)} runs)")


async def bench_chromium(rounds: int) -> None:
    started = time.perf_counter()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_FLAGS))
        cold = time.perf_counter() - started
        print(f"Chromium {browser.version} through Playwright's driver, flags {' '.join(CHROMIUM_FLAGS)}")
        await browser.close()
        warm: list[float] = []
        for _ in range(rounds):
            started = time.perf_counter()
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_FLAGS))
            warm.append(time.perf_counter() - started)
            await browser.close()
        show("Chromium start (cold: with the driver)", cold, warm)

        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_FLAGS))
        fresh: list[float] = []
        for _ in range(rounds):
            started = time.perf_counter()
            context = await browser.new_context(**DESKTOP.context_options())
            await context.new_page()
            fresh.append(time.perf_counter() - started)
            await context.close()
        show("a fresh context and page (every test)", None, fresh)
        await bench_login(browser, rounds)
        await browser.close()


async def bench_login(browser: Browser, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        await db.migrate(url)
        settings = load_settings(database_url=url, data_dir=workdir / "data", output_dir=workdir / "out",
                                 board_url=BOARD_URL, _env_file=None)
        app = App(settings, FrozenClock(START))
        server = WebServer(app, "127.0.0.1", 0)
        await server.start()
        try:
            logins: list[float] = []
            checks: list[float] = []
            for _ in range(rounds + 1):
                context = await browser.new_context(**DESKTOP.context_options(), locale="sv-SE")
                page = await context.new_page()
                started = time.perf_counter()
                await sign_in(page, app, server, COORDINATOR)
                logins.append(time.perf_counter() - started)
                started = time.perf_counter()
                await accessibility_violations(page)
                checks.append(time.perf_counter() - started)
                await context.close()
        finally:
            await server.close()
            await app.close()
    show("login flow (link, page, button, board)", logins[0], logins[1:])
    show("accessibility check of the first page", checks[0], checks[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="warm runs of each step (5)")
    arguments = parser.parse_args()
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} is missing: apt-get install chromium")
    asyncio.run(bench_chromium(arguments.rounds))


if __name__ == "__main__":
    main()
