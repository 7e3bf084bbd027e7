"""Benchmark: what members write to the bot, answered by the rules (issue 17): CPU and wall time of one
answer, a burst of members writing at once, and the first answers after a restart.

The database is service_latency.py's (the same seeding, cached the same way): --members onboarded members
(10,000) with their history, 26 past weekly nudges by DM (a delivery per member who wants DMs). On top, this
week's nudge went out three hours ago (a delivery per member who wants DMs, with its buttons: "klart" is about
it) and an issue's alert an hour ago to a third of them (its buttons answer nothing: "klart" looks past it).

Then `conversation.answer` is called as the adapters call it (`App.converse`: one unit of work through
`App.run`, without a model: rules only), each call by another member (so the rate limit never answers), for
each kind of message: a greeting ("hej"), "klart" (marks the nudge's step: a write), a link (an offer that
waits in the conversation), "paus", "hjälp", "stopp" (turns off DMs, cancels what waits), anything else (the
menu); beside them `/coach done`, the command "klart" runs, as its baseline. Per kind: p50/p99 of the process
CPU time and of the wall time of one answer, and the SQL statements.

--burst: 50 members write "klart" or "hej" at the same instant (asyncio.gather), twice: the wall time each
waited for the answer (p50/p99) and the errors ("database is locked" among them). --restart: a new App (a new
engine: no pooled connection, no statement cache) on the same database answers 20 members, and the first
answer's wall time is printed beside the rest's p50.

    .venv/bin/python bench/conversation.py [--members 10000] [--calls 200] [--burst] [--restart] [--keep]

The issue's target for a member command: p99 of the CPU time ≤ 10 ms. It asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent
for path in (ROOT.parent, ROOT):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import service_latency as seeded
from sqlalchemy import select

from bot import db
from bot.app import App
from bot.delivery import SENT, nonce_for
from bot.models import Member, Workspace
from bot.replies import Button, Reply, reply_to_json
from bot.replies import text as catalog_text
from bot.services import conversation, follows, ladder, nudges
from tests.support.statements import counting

MESSAGES = {
    "greeting": "hej",
    "done": "klart!",
    "link": "https://x.com/medlem/status/123",
    "pause": "paus",
    "help": "hjälp",
    "stop": "stopp",
    "menu": "parkeringen i centrum",
    # The baseline beside "klart": the command it runs (/coach done), on the same machine at the same time.
    "/coach done": "",
}
COMMAND = ""
BURST = 50


async def recent_dms(app: App) -> int:
    """This week's nudge three hours ago to the members who want DMs (about each one's next step), an issue's
    alert an hour ago to a third of them."""
    alert = reply_to_json(Reply(body=catalog_text("conversation.menu"), buttons=follows.issue_buttons(1)))
    async with app.sessionmaker() as session, session.begin():
        workspace_id = await session.scalar(select(Workspace.id)
                                            .where(Workspace.external_id == seeded.WORKSPACE))
        members = (await session.execute(select(Member.id, Member.experience).where(
            Member.workspace_id == workspace_id, Member.dm_reminders.is_(True)))).all()
        steps = await ladder.steps_of(session, workspace_id)
        finished = await ladder.done_of(session, [member_id for member_id, _ in members])
        rows = []
        for index, (member_id, experience) in enumerate(members):
            _, _, current = ladder.standing(steps, finished[member_id], experience)
            step = current.key if current is not None else ""
            nudge = reply_to_json(Reply(body=catalog_text("coaching.nudge.body"), buttons=(
                ladder.next_button(), Button(catalog_text("coaching.button.done"), ladder.DONE_ACTION, step),
                Button(catalog_text("coaching.button.pause"), nudges.PAUSE_ACTION))))
            for name, message, ago in (("nudge", nudge, 3), ("alert", alert, 1)):
                if name == "alert" and index % 3:
                    continue
                key = f"bench-{name}:member:{member_id}"
                at = seeded.NOW - timedelta(hours=ago)
                rows.append({"workspace_id": workspace_id, "reminder_id": None, "member_id": member_id,
                             "channel": "announcements", "key": key, "nonce": nonce_for(key),
                             "message": message, "status": SENT, "not_before": at, "attempts": 1,
                             "created_at": at, "sent_at": at})
        await seeded.bulk(session, seeded.Delivery, rows)
    return len(rows)


async def writers(app: App) -> list[int]:
    """The indexes of the members who want DMs (member_identity(i)), in order."""
    async with app.sessionmaker() as session:
        names = list(await session.scalars(select(Member.external_id).where(Member.dm_reminders.is_(True))
                                           .order_by(Member.id)))
    return [int(name[1:]) for name in names if name.startswith("m")]


async def one(app: App, index: int, said: str) -> tuple[float, float]:
    cpu0, wall0 = time.process_time(), time.perf_counter()
    async with app.answering(then_carry_out=False):
        if said == COMMAND:
            await app.run(seeded.member_identity(index), ladder.done)
        else:
            await app.converse(seeded.member_identity(index), conversation.Said(said))
    return time.process_time() - cpu0, time.perf_counter() - wall0


def line(name: str, cpu: list[float], wall: list[float], statements: list[int]) -> str:
    p = seeded.percentile
    return (f"  {name:<11} CPU p50 {p(cpu, .5) * 1000:5.1f} ms, p99 {p(cpu, .99) * 1000:5.1f} ms; wall p50 "
            f"{p(wall, .5) * 1000:5.1f} ms, p99 {p(wall, .99) * 1000:5.1f} ms; statements "
            f"{p([float(s) for s in statements], .5):.0f}")


async def run(args: argparse.Namespace, url: str, workdir: Path, is_seeded: bool) -> None:
    if not is_seeded:
        await seeded.seed_only(args, url, workdir)
    await db.migrate(url)  # a file cached before the conversation's table gets it
    app, _ = seeded.make_app(url, workdir)
    try:
        print(f"recent DMs added: {await recent_dms(app):,}")
        people = await writers(app)
        used = iter(people)
        print(f"{args.calls} answers a kind, each by another of {len(people):,} members who want DMs:")
        with counting(app.engine) as counted:
            for name, said in MESSAGES.items():
                cpu, wall, statements = [], [], []
                for n in range(args.calls + 2):
                    counted.reset()
                    spent_cpu, spent_wall = await one(app, next(used), said)
                    if n >= 2:  # the first two warm up
                        cpu.append(spent_cpu)
                        wall.append(spent_wall)
                        statements.append(counted.count)
                print(line(name, cpu, wall, statements), flush=True)
        if args.burst:
            # Twice: the first opens the connections the burst needs, the second finds them in the pool.
            for _ in range(2):
                await burst(app, [next(used) for _ in range(BURST)])
    finally:
        await app.close()
    if args.restart:
        app, _ = seeded.make_app(url, workdir)
        try:
            waits = [(await one(app, next(used), "klart"))[1] for _ in range(20)]
            print(f"after a restart: the first answer {waits[0] * 1000:.1f} ms (wall), the next 19 p50 "
                  f"{seeded.percentile(waits[1:], .5) * 1000:.1f} ms")
        finally:
            await app.close()


async def burst(app: App, indexes: list[int]) -> None:
    """BURST members write at the same instant; how long each waits for the answer."""
    errors: list[str] = []

    async def timed(index: int, said: str) -> float:
        started = time.perf_counter()
        try:
            async with app.answering(then_carry_out=False):
                await app.converse(seeded.member_identity(index), conversation.Said(said))
        except Exception as error:  # noqa: BLE001 - counted and printed
            errors.append(type(error).__name__)
        return time.perf_counter() - started

    started, cpu = time.perf_counter(), time.process_time()
    waits = await asyncio.gather(*(timed(index, "klart" if n % 2 else "hej")
                                   for n, index in enumerate(indexes)))
    total, cpu = time.perf_counter() - started, time.process_time() - cpu
    p = seeded.percentile
    print(f"burst of {len(indexes)} at once: all answered in {total * 1000:.0f} ms "
          f"(CPU {cpu * 1000:.0f} ms); each waited p50 {p(list(waits), .5) * 1000:.0f} ms, "
          f"p99 {p(list(waits), .99) * 1000:.0f} ms; errors: {len(errors)} {sorted(set(errors))}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--members", type=int, default=10000)
    parser.add_argument("--calls", type=int, default=200, help="answers measured a kind of message (200)")
    parser.add_argument("--burst", action="store_true", help=f"also: {BURST} members write at once")
    parser.add_argument("--restart", action="store_true", help="also: the first answers of a new App")
    parser.add_argument("--keep", action="store_true", help="keep the seeded SQLite database (cached)")
    parser.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "jobbskaparna-bench")
    args = parser.parse_args(argv)
    # What service_latency's seeding reads.
    args.actions_per_member, args.delivery_weeks = 10, 26
    print(f"conversation: {args.members:,} members, sqlite, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    with tempfile.TemporaryDirectory(prefix="conversation-") as tmp:
        workdir = Path(tmp)
        name = f"v{seeded.SEED_VERSION}-m{args.members}-a{args.actions_per_member}-d{args.delivery_weeks}.db"
        cached = args.cache_dir / name
        path = workdir / "bench.db"
        if not cached.exists() and args.keep:
            args.cache_dir.mkdir(parents=True, exist_ok=True)
            asyncio.run(seeded.seed_only(args, f"sqlite+aiosqlite:///{cached}", workdir))
        if cached.exists():
            shutil.copy(cached, path)
        asyncio.run(run(args, f"sqlite+aiosqlite:///{path}", workdir, cached.exists()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

