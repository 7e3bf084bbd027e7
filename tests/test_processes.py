"""More than one process on one PostgreSQL database: each delivery sent once, only dead processes' claims
given back, the global budget shared.

Two Apps with their own engines stand for two processes; each registers in the process registry as a running
bot does (bot.processes), and their dispatchers run at the same moment.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, insert, select, update

from bot import delivery, reminders
from bot.app import App
from bot.clock import FrozenClock
from bot.config import load_settings
from bot.contributions import Feature
from bot.discordbot.ratelimits import Pacer
from bot.models import BotProcess, Delivery, Member, Reminder
from bot.processes import DEAD_AFTER, Registry
from bot.replies import Literal, Reply, reply_to_json
from bot.scheduling import DueListener
from bot.services.context import get_or_create_workspace
from tests.conftest import START, RecordingNotifier
from tests.postgres import PostgresCluster
from tests.support.features import plus

BROADCAST = "test.processes.broadcast"
IN_BATCHES = "test.processes.in_batches"
FAN_OUT = 2000


async def _plan_broadcast(session, reminder, now):
    members = await session.scalars(select(Member.id).where(Member.workspace_id == reminder.workspace_id)
                                    .order_by(Member.id))
    return [reminders.Planned(Reply(body=Literal("Hej!")), member_id=m) for m in members]


async def _plan_in_batches(session, reminder, now):
    async def batch(session, after):
        members = list(await session.scalars(
            select(Member.id).where(Member.workspace_id == reminder.workspace_id, Member.id > after)
            .order_by(Member.id).limit(250)))
        planned = [reminders.Planned(Reply(body=Literal("Hej!")), member_id=m) for m in members]
        return planned, (members[-1] if len(members) == 250 else None)
    return reminders.InBatches(batch)


FEATURES = plus(Feature("test processes",
                        planners={BROADCAST: _plan_broadcast, IN_BATCHES: _plan_in_batches}))


class SlowNotifier(RecordingNotifier):
    """A recording notifier whose DMs take a turn of the event loop, so that two processes' sends
    interleave."""

    async def send_direct(self, workspace, member, reply, *, nonce=None):
        await asyncio.sleep(0)
        return await super().send_direct(workspace, member, reply, nonce=nonce)


@pytest.fixture
def shared_url(postgres: PostgresCluster) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database that both processes use."""
    name = postgres.new_database("p_")
    yield postgres.url(name)
    postgres.finished(name)


async def _process(url: str, tmp_path: Path, name: str, clock: FrozenClock) -> tuple[App, SlowNotifier]:
    """A bot process: its own App (engine, dispatcher), registered in the registry, with a notifier that
    records what it sent."""
    settings = load_settings(database_url=url, data_dir=tmp_path / name, output_dir=tmp_path / name,
                             _env_file=None)
    app = App(settings, clock, FEATURES)
    notifier = SlowNotifier()
    app.notifier = app.dispatcher.notifier = notifier
    app.dispatcher.process_id = await app.processes.register(("test",))
    return app, notifier


@pytest.fixture
async def two(shared_url: str, tmp_path: Path, clock: FrozenClock
              ) -> AsyncIterator[tuple[tuple[App, SlowNotifier], tuple[App, SlowNotifier]]]:
    first = await _process(shared_url, tmp_path, "first", clock)
    second = await _process(shared_url, tmp_path, "second", clock)
    yield first, second
    for app, _ in (first, second):
        await app.close()


async def _members(app: App, count: int) -> None:
    now = app.clock.now()
    async with app.sessionmaker() as session, session.begin():
        workspace = await get_or_create_workspace(session, "test", "guild-1", "Testgruppen", now)
        if count:
            await session.execute(insert(Member), [
                {"workspace_id": workspace.id, "external_id": f"m{i:05d}", "joined_at": now,
                 "display_name": ""} for i in range(count)])
            await reminders.schedule(session, workspace_id=workspace.id, kind=BROADCAST, key="b", due_at=now,
                                     now=now)


async def _schedule(app: App, kind: str, key: str) -> None:
    now = app.clock.now()
    async with app.sessionmaker() as session, session.begin():
        workspace = await get_or_create_workspace(session, "test", "guild-1", "Testgruppen", now)
        await reminders.schedule(session, workspace_id=workspace.id, kind=kind, key=key, due_at=now, now=now)


def _dms(*notifiers: RecordingNotifier) -> Counter[str]:
    return Counter(s.to for n in notifiers for s in n.sent)


async def _statuses(app: App) -> Counter[str]:
    async with app.sessionmaker() as session:
        return Counter(dict((await session.execute(select(Delivery.status, func.count())
                                                   .group_by(Delivery.status))).all()))


async def test_two_processes_send_a_fan_out_of_thousands_each_to_its_member_once(two):
    (first, first_sent), (second, second_sent) = two
    await _members(first, FAN_OUT)

    await asyncio.gather(first.dispatcher.run_due(), second.dispatcher.run_due())
    await asyncio.gather(first.dispatcher.run_due(), second.dispatcher.run_due())

    sent = _dms(first_sent, second_sent)
    assert len(sent) == FAN_OUT and set(sent.values()) == {1}
    assert first_sent.dropped_repeats == second_sent.dropped_repeats == 0
    assert await _statuses(first) == Counter({delivery.SENT: FAN_OUT})


async def test_two_processes_running_a_fan_out_in_batches_at_once_plan_it_once(two):
    (first, first_sent), (second, second_sent) = two
    await _members(first, 0)
    async with first.sessionmaker() as session, session.begin():
        await session.execute(insert(Member), [
            {"workspace_id": 1, "external_id": f"b{i:05d}", "joined_at": START, "display_name": ""}
            for i in range(1000)])
    await _schedule(first, IN_BATCHES, "batches")

    await asyncio.gather(first.dispatcher.run_due(), second.dispatcher.run_due())
    await asyncio.gather(first.dispatcher.run_due(), second.dispatcher.run_due())

    sent = _dms(first_sent, second_sent)
    assert len(sent) == 1000 and set(sent.values()) == {1}
    async with first.sessionmaker() as session:
        assert await session.scalar(select(Reminder.status).where(Reminder.kind == IN_BATCHES)) == \
            reminders.FANNED_OUT


async def test_a_process_that_starts_while_another_sends_takes_nothing_from_it(two):
    (first, first_sent), (second, second_sent) = two
    await _members(first, 300)
    started = asyncio.Event()
    go_on = asyncio.Event()
    send_direct = first_sent.send_direct

    async def held(workspace, member, reply, *, nonce=None):
        started.set()
        await go_on.wait()  # the first process is in the middle of its sends
        return await send_direct(workspace, member, reply, nonce=nonce)

    first_sent.send_direct = held
    running = asyncio.create_task(first.dispatcher.run_due())
    await started.wait()
    async with first.sessionmaker() as session:
        held_before = set(await session.scalars(select(Delivery.id).where(
            Delivery.status.in_((delivery.CLAIMED, delivery.SENDING)))))
    assert held_before

    # The second process starts (as App.start does: register, then resume) and dispatches.
    assert await second.dispatcher.resume(("test",)) == 0
    await second.dispatcher.run_due()
    async with first.sessionmaker() as session:
        still_held = set(await session.scalars(select(Delivery.id).where(
            Delivery.id.in_(held_before), Delivery.claimed_by == first.dispatcher.process_id)))
    assert still_held == held_before  # none of the first's claims was taken

    go_on.set()
    await running
    await asyncio.gather(first.dispatcher.run_due(), second.dispatcher.run_due())
    sent = _dms(first_sent, second_sent)
    assert len(sent) == 300 and set(sent.values()) == {1}


async def test_a_dead_processes_claims_go_to_another_after_the_timeout_and_nobody_gets_two(
        two, clock: FrozenClock):
    (first, first_sent), (second, second_sent) = two
    await _members(first, 200)
    sends = 0
    send_direct = first_sent.send_direct

    class Killed(BaseException):
        """Stands for kill -9: nothing in the bot catches it, and no cleanup runs."""

    async def dying(workspace, member, reply, *, nonce=None):
        nonlocal sends
        sends += 1
        if sends > 50:
            raise Killed
        return await send_direct(workspace, member, reply, nonce=nonce)

    async def no_cleanup(*args) -> None:
        return None  # a killed process gives nothing back

    first_sent.send_direct = dying
    first.dispatcher._release = no_cleanup  # type: ignore[method-assign]
    with pytest.raises(BaseExceptionGroup):
        await first.dispatcher.run_due()
    statuses = await _statuses(first)
    assert statuses[delivery.SENDING] > 0 and statuses[delivery.CLAIMED] > 0

    # Alive a moment ago: its claims stay its own.
    await second.processes.beat()
    await second.dispatcher.give_back_dead(clock.now())
    assert await _statuses(second) == statuses

    # Its heartbeat stops; past the timeout the second process's beat gives its rows back.
    clock.advance(DEAD_AFTER + timedelta(seconds=1))
    asked: list[str] = []
    find_sent = second_sent.find_sent

    async def asking(workspace, member, channel, reply, *, since):
        asked.append(member.external_id)
        # The first process's notifier is the platform it sent to: it knows what went out.
        return await first_sent.find_sent(workspace, member, channel, reply, since=since) or \
            await find_sent(workspace, member, channel, reply, since=since)

    second_sent.find_sent = asking
    await second.processes.beat()
    given_back = await _statuses(second)
    assert given_back[delivery.CLAIMED] == given_back[delivery.SENDING] == 0
    await second.dispatcher.run_due()

    in_doubt = statuses[delivery.SENDING]
    assert len(asked) == in_doubt  # only those in flight are asked about
    sent = _dms(first_sent, second_sent)
    assert len(sent) == 200 and set(sent.values()) == {1}


async def test_a_fan_out_a_dead_process_was_planning_is_finished_by_another(two, clock: FrozenClock):
    (first, _), (second, second_sent) = two
    await _members(first, 0)
    await _schedule(first, IN_BATCHES, "dead")
    async with first.sessionmaker() as session, session.begin():
        await session.execute(insert(Member), [
            {"workspace_id": 1, "external_id": f"d{i:05d}", "joined_at": START, "display_name": ""}
            for i in range(300)])
        # The first process was fanning it out when it died.
        await session.execute(update(Reminder).where(Reminder.kind == IN_BATCHES).values(
            status=reminders.FANNING, claimed_by=first.dispatcher.process_id, fired_at=START))

    await second.dispatcher.run_due()
    assert _dms(second_sent) == Counter()  # alive: it is still planning

    clock.advance(DEAD_AFTER + timedelta(seconds=1))
    await second.processes.beat()
    await second.dispatcher.run_due()
    sent = _dms(second_sent)
    assert len(sent) == 300 and set(sent.values()) == {1}


async def test_a_write_marks_as_being_sent_only_what_this_process_still_holds(two):
    (first, _), (second, _) = two
    await _members(first, 3)
    await first.dispatcher._fan_out_due(first.clock.now(), delivery.DispatchReport())
    async with first.sessionmaker() as session, session.begin():
        ids = list(await session.scalars(select(Delivery.id).order_by(Delivery.id)))
        # Two claimed by the first process, and one of them given back and claimed by the second meanwhile.
        await session.execute(update(Delivery).where(Delivery.id.in_(ids[:2])).values(
            status=delivery.CLAIMED, claimed_by=first.dispatcher.process_id))
        await session.execute(update(Delivery).where(Delivery.id == ids[1]).values(
            claimed_by=second.dispatcher.process_id))

    started = await first.dispatcher._mark([], first.clock.now(), starting=ids[:2])

    assert started == {ids[0]}
    async with first.sessionmaker() as session:
        statuses = dict((await session.execute(select(Delivery.id, Delivery.status))).all())
    assert statuses == {ids[0]: delivery.SENDING, ids[1]: delivery.CLAIMED, ids[2]: delivery.PENDING}


async def test_a_start_gives_back_its_previous_runs_claims_and_a_clean_stop_leaves_the_registry(
        shared_url: str, tmp_path: Path, clock: FrozenClock):
    app, _ = await _process(shared_url, tmp_path, "once", clock)
    await _members(app, 4)
    await app.dispatcher._fan_out_due(clock.now(), delivery.DispatchReport())
    previous = app.dispatcher.process_id
    async with app.sessionmaker() as session, session.begin():
        await session.execute(update(Delivery).values(status=delivery.SENDING, claimed_by=previous))
        # The previous run was killed: its registry row is still there, beating recently.
    app.dispatcher.process_id = None
    await app.processes.stop()  # a clean stop: the row goes
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(BotProcess)) == 0

    app.dispatcher.process_id = await app.processes.register(("test",))
    assert await app.dispatcher.resume() == 4
    assert await _statuses(app) == Counter({delivery.PENDING: 4})
    await app.close()


async def test_the_global_rate_is_shared_by_the_live_processes_of_a_platform(two, clock: FrozenClock):
    (first, _), (second, _) = two
    pacer = Pacer(48.0)
    first.processes.share("test", pacer, 48.0)

    await first.processes.beat()
    # Two live processes of the platform: half of the rate, less the other's burst (together they never go
    # over what one pacer at 48 allows in a second: 2 · (23.25 + 1.5) = 48 + 1.5).
    assert pacer.rate == (48.0 - Pacer.BURST) / 2

    await second.processes.stop()
    await first.processes.beat()
    assert pacer.rate == 48.0

    other = Registry(first.engine, clock)
    await other.register(("slack",))  # another platform's process takes nothing of this budget
    await first.processes.beat()
    assert pacer.rate == 48.0
    await other.stop()


async def test_a_process_that_joins_paces_at_its_share_from_its_start_not_its_first_beat(
        shared_url: str, tmp_path: Path, clock: FrozenClock):
    first, _ = await _process(shared_url, tmp_path, "first", clock)
    settings = load_settings(database_url=shared_url, data_dir=tmp_path / "late",
                             output_dir=tmp_path / "late", _env_file=None)
    late = App(settings, clock, FEATURES)
    # Two processes of one machine never share a pid (a start takes its own pid's other row for its last
    # run): this stand-in for a second process gives its registry another running one.
    late.processes.pid = os.getppid()
    pacer = Pacer(48.0)
    late.processes.share("test", pacer, 48.0)  # as the Discord bot's setup does, before the App starts

    await late.start(RecordingNotifier(), platform="test")

    assert pacer.rate == (48.0 - Pacer.BURST) / 2  # before any beat: the first process is live
    await late.close()
    await first.close()


def test_a_pacer_whose_rate_changes_spaces_its_turns_by_the_new_rate():
    pacer = Pacer(1000.0)
    assert pacer._take(0.0)
    pacer.set_rate(10.0)
    assert pacer._take(0.001)  # the turn planned at the old rate
    # From then on a turn every tenth of a second (the loop's times are given, not waited for).
    assert not pacer._take(0.05)
    assert pacer._take(0.101)


async def test_a_fan_out_on_one_process_wakes_the_other_and_a_dropped_listener_listens_again(
        two, shared_url: str, postgres: PostgresCluster):
    (first, _), (second, _) = two
    heard: asyncio.Queue[datetime] = asyncio.Queue()
    listener = DueListener(shared_url, heard.put_nowait, lambda: second.dispatcher.process_id)
    own = DueListener(shared_url, heard.put_nowait, lambda: first.dispatcher.process_id)
    listener.start()
    own.start()
    try:
        await asyncio.wait_for(asyncio.gather(listener.listening.wait(), own.listening.wait()), 30)
        await _members(first, 3)
        await first.dispatcher.run_due()
        # The second process hears it (its own listener, that of the first, hears nothing).
        assert await asyncio.wait_for(heard.get(), 30) == first.clock.now()
        assert heard.empty()

        # Its connection dropped (a restart of the database, a network cut): it listens again, and wakes at
        # once for what it may have missed.
        name = shared_url.rsplit("/", 1)[1]
        postgres.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      f"WHERE datname = '{name}' AND query LIKE 'LISTEN%'")
        for _ in range(2):  # each listener, listening again, wakes its process
            await asyncio.wait_for(heard.get(), 30)
        assert listener.listening.is_set() and own.listening.is_set()
        await _schedule(first, BROADCAST, "again")
        await first.dispatcher.run_due()
        assert await asyncio.wait_for(heard.get(), 30) == first.clock.now()
    finally:
        await listener.stop()
        await own.stop()


async def test_a_notice_being_said_in_the_conversation_stays_with_its_process_when_another_starts(two):
    (first, _), (second, _) = two
    await _members(first, 1)
    now = first.clock.now()
    key = f"{delivery.ROLE_REFUSED}:41:member"
    async with first.sessionmaker() as session, session.begin():
        member = await session.scalar(select(Member))
        assert member is not None
        session.add(Delivery(workspace_id=member.workspace_id, member_id=member.id, channel="welcome",
                             key=key, nonce=delivery.nonce_for(key),
                             message=reply_to_json(Reply(body=Literal("Nej"))), status=delivery.PENDING,
                             not_before=now, attempts=0, created_at=now))
    async with first.sessionmaker() as session, session.begin():
        [(notice_id, _)] = await delivery.claim_notices(session, [41], first.dispatcher.process_id)

    assert await second.dispatcher.resume() == 0

    async with first.sessionmaker() as session:
        status = await session.scalar(select(Delivery.status).where(Delivery.id == notice_id))
    assert status == delivery.SENDING


async def test_two_processes_writing_the_same_batches_at_once_write_each_delivery_once(two):
    # What happens when a process taken for dead was still planning: both write the fan-out's batches.
    (first, _), (second, _) = two
    await _members(first, 600)
    await _schedule(first, IN_BATCHES, "twice")
    now = first.clock.now()
    async with first.sessionmaker() as session:
        reminder = await session.scalar(select(Reminder).where(Reminder.kind == IN_BATCHES))
    assert reminder is not None
    batches = await _plan_in_batches(None, reminder, now)

    await asyncio.gather(first.dispatcher._fan_out_in_batches(reminder, batches, now),
                         second.dispatcher._fan_out_in_batches(reminder, batches, now))

    async with first.sessionmaker() as session:
        keys = list(await session.scalars(select(Delivery.key).where(Delivery.reminder_id == reminder.id)))
    assert len(keys) == len(set(keys)) == 600


async def test_a_process_taken_for_dead_comes_back_under_its_own_id(two):
    (first, _), _ = two
    own = first.dispatcher.process_id
    async with first.sessionmaker() as session, session.begin():
        await session.execute(delete(BotProcess).where(BotProcess.id == own))  # another found it dead

    await first.processes.beat()

    async with first.sessionmaker() as session:
        row = await session.get(BotProcess, own)
    assert row is not None and row.platforms == "test" and first.processes.process_id == own


def _gone_pid() -> int:
    """The id of a process that ran and is gone (reaped)."""
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


async def test_a_start_takes_the_gone_processes_of_its_machine_for_dead_at_once_and_no_other(
        shared_url: str, tmp_path: Path, clock: FrozenClock):
    app, _ = await _process(shared_url, tmp_path, "restarted", clock)
    await _members(app, 4)
    await app.dispatcher._fan_out_due(clock.now(), delivery.DispatchReport())
    now = clock.now()
    here, pid = app.processes.host, app.processes.pid
    rows = {  # each beat a moment ago: by its heartbeat alone every one is alive
        "killed here": (here, _gone_pid()),
        "my last run (a container's pid 1 again)": (here, pid),
        "running here": (here, os.getppid()),
        "elsewhere": ("another-machine/pid:[1]", _gone_pid()),
    }
    ids = {}
    async with app.sessionmaker() as session, session.begin():
        for name, (host, process_pid) in rows.items():
            ids[name] = await session.scalar(insert(BotProcess).values(
                platforms="test", host=host, pid=process_pid, started_at=now, heartbeat_at=now)
                .returning(BotProcess.id))
        deliveries = list(await session.scalars(select(Delivery.id).order_by(Delivery.id)))
        for delivery_id, name in zip(deliveries, rows, strict=True):
            await session.execute(update(Delivery).where(Delivery.id == delivery_id)
                                  .values(status=delivery.SENDING, claimed_by=ids[name]))

    # As App.start does: registered, then the machine's gone processes buried, then resumed.
    gone = await app.processes.bury_the_dead_here()
    resumed = await app.dispatcher.resume()

    assert sorted(gone) == sorted([ids["killed here"], ids["my last run (a container's pid 1 again)"]])
    assert resumed == 2
    async with app.sessionmaker() as session:
        held = dict((await session.execute(select(Delivery.claimed_by, Delivery.status)
                                           .where(Delivery.claimed_by.is_not(None)))).all())
    assert held == {ids["running here"]: delivery.SENDING, ids["elsewhere"]: delivery.SENDING}
    await app.close()
