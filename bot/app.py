"""The platform-neutral core: database, clock, dispatcher and scheduler, shared by Discord, the console and
Slack."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import charts, db, features, i18n, reminders
from bot.backup import BackupSchedule
from bot.clock import Clock, SystemClock
from bot.coach import CoachModel
from bot.coach.model import answers_remembered
from bot.config import Settings
from bot.contributions import Contributions, Feature
from bot.delivery import (
    Dispatcher,
    DispatchReport,
    Notifier,
    QuietHours,
    claim_notices,
    mark_notices,
    store_effects,
)
from bot.errors import UserError
from bot.metrics import Metrics
from bot.models import Member, Workspace
from bot.processes import Registry
from bot.replies import Form, Reply
from bot.routing import RoutingNotifier
from bot.scheduling import DueListener, Scheduler
from bot.services import board, context, conversation, onboarding, reachability, retention, workspaces
from bot.watcher import poll
from bot.watcher.fetch import Fetcher, user_agent

log = logging.getLogger(__name__)

P = ParamSpec("P")
# What a service call answers: a Reply, or (the conversation) possibly nothing.
R = TypeVar("R", Reply, Reply | None)
# How often a unit of work that met a held write lock or lost a race for a new row is run again (each race
# it can lose is for a different row: the ladder, then the weekly nudge…).
RETRIES = 2
# How long close() waits for the effects being sent.
EFFECTS_TIMEOUT = 5.0
ServiceCall = Callable[Concatenate[AsyncSession, context.Actor, P], Awaitable[R]]


def freeze_start_up() -> None:
    """Keep what the start made (modules, classes, the engine, the contributions) out of the cyclic garbage
    collector's full passes: they live as long as the process, and walking them all again in every full pass
    stalled the event loop for 80 ms of CPU during the weekly nudge to 10,000 members (18 ms frozen; see
    bench/never_block.py). What is garbage already is collected first, and close() unfreezes, so nothing dead
    is kept for good.
    """
    gc.collect()
    gc.freeze()


class App:
    """What every adapter shares: one engine, one session factory, one clock, one dispatcher."""

    def __init__(self, settings: Settings, clock: Clock | None = None,
                 features: Iterable[Feature] = features.FEATURES) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        # What the features contribute (buttons, forms, reminder planners, hooks): every unit of work reaches
        # them through its session, which the session factories below make.
        self.contributions = Contributions.assemble(features)
        self.engine = db.create_engine(settings.effective_database_url)
        # Charts are drawn in a worker process, started with the first one (see bot.charts).
        self.charts = charts.Worker()
        # What the features read through their session: settings, and where to draw a chart.
        info = {retention.AGE_KEY: timedelta(days=settings.delivery_retention_days),
                charts.WORKER_KEY: self.charts,
                poll.FETCHER_KEY: Fetcher(user_agent=user_agent(settings.watch_contact_url)),
                board.URL_KEY: settings.board_url, board.SESSION_HOURS_KEY: settings.board_session_hours}
        self.sessionmaker = db.create_sessionmaker(self.engine, self.contributions, info)
        # Reads, and units of work that wait on the model before writing (see db.BEGIN_DEFERRED).
        self.deferred_sessionmaker = db.create_deferred_sessionmaker(self.engine, self.contributions, info)
        self.dispatcher = Dispatcher(self.sessionmaker, self.clock,
                                     QuietHours(settings.quiet_hours_start, settings.quiet_hours_end),
                                     deferred_sessionmaker=self.deferred_sessionmaker)
        self.scheduler = Scheduler(self.dispatcher, self.clock)
        # What the process counts for Prometheus (served by bot.web when WEB_PORT is set).
        self.metrics = Metrics()
        self.dispatcher.on_report = self.metrics.record_dispatch
        # This process's row among the processes that share the database (bot.processes): registered at
        # start, beating while it runs; each beat gives back what processes found dead held.
        self.processes = Registry(self.engine, self.clock)
        self.processes.on_beat.append(self._after_beat)
        # On PostgreSQL the processes wake each other when one fanned something out (NOTIFY/LISTEN).
        url = settings.effective_database_url
        self.listener = DueListener(url, self._woken, lambda: self.dispatcher.process_id) \
            if DueListener.applies(url) else None
        self.notifier: Notifier | None = None
        self._routes = RoutingNotifier({})
        self._start_lock = asyncio.Lock()
        # The tasks sending a command's effects right now (close() lets them finish).
        self._sending: set[asyncio.Task[Any]] = set()
        self._migrated = False
        # The backups the running bot takes (BACKUP_EVERY_HOURS; started with a platform, not the console).
        self.backups: BackupSchedule | None = None
        # The coach's model, only when a key is set; without it the coach answers from its templates.
        self.coach: CoachModel | None = None
        if settings.openai_api_key is not None:
            self.coach = CoachModel(
                api_key=settings.openai_api_key.get_secret_value(),
                model=settings.openai_model,
                timeout=settings.openai_timeout,
                base_url=settings.openai_base_url,
            )

    async def start(self, notifier: Notifier, *, migrate: bool = True, platform: str | None = None) -> None:
        """Migrate, resume what a previous run left half-sent, and start waking the dispatcher.

        Without a platform the notifier serves every workspace (the console, tests). With one, each adapter of
        the process (Discord, Slack) starts the App with its own notifier: deliveries and effects go to the
        notifier of their workspace's platform, and only those platforms' deliveries are sent by this process.
        """
        async with self._start_lock:
            if migrate and not self._migrated:
                await db.migrate(self.settings.effective_database_url)
                self._migrated = True
                async with self.sessionmaker() as session, session.begin():
                    await db.gather_statistics(session)
            if platform is None:
                self.notifier = notifier
                self.dispatcher.platforms = None
            else:
                self._routes.add(platform, notifier)
                self.notifier = self._routes
                self.dispatcher.platforms = self._routes.platforms
            self.dispatcher.notifier = self.notifier
            # Registered before resuming: what this process's previous run held goes back, what other live
            # processes hold stays theirs.
            platforms = () if platform is None else (platform,)
            self.dispatcher.process_id = await self.processes.register(platforms)
            await self.processes.bury_the_dead_here()
            await self.processes.share_now()
            await self.dispatcher.resume(None if platform is None else (platform,))
            self.processes.start()
            if self.listener is not None:
                self.listener.start()
            if self.scheduler.running:
                self.scheduler.wake_at(self.clock.now())
            else:
                self.scheduler.start()
            if platform is not None and self.settings.backup_every_hours and self.backups is None:
                self.backups = BackupSchedule(self.settings, self.engine, self.clock.now)
                self.backups.start()
        freeze_start_up()

    async def close(self) -> None:
        """Let effects being sent finish (a while), stop the scheduler, close the model client, the chart
        worker and the database."""
        if self._sending:
            # Cut off in the middle, they would be sent again after the restart (they are stored), but a unit
            # of work cancelled halfway leaves the connection pool to log an error.
            await asyncio.wait(set(self._sending), timeout=EFFECTS_TIMEOUT)
        if self.backups is not None:
            await self.backups.stop()
        if self.listener is not None:
            await self.listener.stop()
        await self.scheduler.stop()
        # After the dispatch stopped (it gave back what it held): the others need not wait for this one.
        await self.processes.stop()
        if self.coach is not None:
            await self.coach.close()
        self.dispatcher.close()
        self.charts.close()
        await self.engine.dispose()
        # What start() froze is the collector's again: what of it is garbage now (this App) is collected.
        gc.unfreeze()

    def _woken(self, when: datetime) -> None:
        """Another process fanned out something due at `when`: join the sending."""
        if self.scheduler.running:
            self.scheduler.wake_by(when)

    async def _after_beat(self, now: datetime) -> None:
        """At each heartbeat: give back what dead processes held, and send it without waiting for the next
        wake-up."""
        if await self.dispatcher.give_back_dead(now) and self.scheduler.running:
            self.scheduler.wake_by(now)

    @contextlib.asynccontextmanager
    async def answering(self, *, then_carry_out: bool = True) -> AsyncIterator[Answering]:
        """Hold the effects of the replies given inside until the adapter has answered the user.

        The adapter runs its service calls and sends its answer inside; on the way out (also when the answer
        failed) the effects are sent, and `notices` holds what the user is still to be told in the
        conversation (a role that could not be granted). An adapter that answers later (a Slack modal, which
        is closed first) passes then_carry_out=False and calls `finish` once it answered. Outside such a
        block, `run` sends the effects at once.
        """
        answering = Answering()
        token = _answering.set(answering)
        try:
            yield answering
        finally:
            _answering.reset(token)
            if then_carry_out:
                await self.finish(answering)

    async def finish(self, answering: Answering) -> None:
        """Send the effects held back while answering; keep the notices for the user in
        `answering.notices`."""
        if answering.effect_ids:
            effect_ids, answering.effect_ids = answering.effect_ids, []
            answering.notices = await self.carry_out(effect_ids)

    async def run(
        self, identity: context.Identity, call: ServiceCall[P, R], *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """Run one service call as one unit of work; its effects are stored with it, and sent after the
        answer.

        A UserError rolls everything back and is raised with the user's language attached. A unit of work that
        met SQLite's write lock taken (another process, or a long write), or lost a race to create the same
        row (the first users of a new server, a ladder or reminder made on first use, on PostgreSQL), is run
        again: it was rolled back, and the second time it finds the row.
        """
        # A call that asks the coach's model first reads, then waits, then writes: it takes the write lock
        # only when it writes. Should another writer have come first, it runs again, locking at once; the
        # model's answer is remembered, so the member does not wait for it twice.
        asks_model = any(isinstance(value, CoachModel) for value in (*args, *kwargs.values()))
        with answers_remembered():
            for attempt in range(RETRIES + 1):
                factory = self.deferred_sessionmaker if asks_model and attempt == 0 else self.sessionmaker
                try:
                    done = await self._unit_of_work(factory, identity, call, *args, **kwargs)
                    break
                except (OperationalError, IntegrityError) as error:
                    if attempt == RETRIES or not (db.is_locked(error) or db.is_unique_violation(error)):
                        raise
                    log.info("Running %s again: %s", getattr(call, "__name__", call),
                             "the database was locked" if db.is_locked(error) else "another unit of work "
                             "created the same row first")
        if done.planned is not None and self.scheduler.running:
            self.scheduler.wake_by(done.planned)
        answering = _answering.get()
        if answering is not None:
            answering.language = done.language
            answering.effect_ids.extend(done.effect_ids)
        elif done.effect_ids:
            # Nobody to tell in a conversation: what the member is to be told goes by DM (after NOTICE_HOLD).
            await self._send_effects(done.effect_ids)
        return done.reply

    async def _unit_of_work(self, factory: async_sessionmaker[AsyncSession], identity: context.Identity,
                            call: ServiceCall[P, R], *args: P.args, **kwargs: P.kwargs) -> _Done[R]:
        """Resolve the actor, run the call and store its effects, in one transaction."""
        now = self.clock.now()
        language = i18n.locale_language(identity.locale) or self.settings.default_language
        try:
            async with factory() as session, session.begin():
                actor = await context.resolve(
                    session,
                    identity,
                    now,
                    default_language=self.settings.default_language,
                    default_timezone=self.settings.default_timezone,
                )
                language = actor.language
                reachability.try_dms_again(actor)
                reply = await call(session, actor, *args, **kwargs)
                effects = store_effects(session, actor.workspace.id, reply.effects if reply else (), now)
                if effects:
                    await session.flush()
                # The answer speaks the language the call may just have chosen (/language, /setup).
                language = actor.language
        except UserError as error:
            error.language = language
            raise
        return _Done(reply, language, [row.id for row in effects], reminders.planned_in(session))

    async def _send_effects(self, effect_ids: list[int]) -> DispatchReport:
        """Send effects now, and let close() wait for them."""
        task = asyncio.current_task()
        if task is not None:
            self._sending.add(task)
        try:
            return await self.dispatcher.send_now(effect_ids)
        finally:
            self._sending.discard(task)  # type: ignore[arg-type]

    async def carry_out(self, effect_ids: list[int]) -> list[Notice]:
        """Send a reply's effects now; return what the acting user is to be told in the conversation."""
        report = await self._send_effects(effect_ids)
        if not report.failed:
            return []
        async with self.sessionmaker() as session, session.begin():
            claimed = await claim_notices(session, effect_ids, self.dispatcher.process_id)
            return [Notice(notice_id, reply) for notice_id, reply in claimed]

    async def say_notices(self, answering: Answering, say: Callable[[Reply, str], Awaitable[object]],
                          failures: tuple[type[Exception], ...] = ()) -> None:
        """Say the notices the effects left (a role not granted) in the conversation, in the user's language,
        with the adapter's `say`; when it fails with one of `failures`, they go by DM instead."""
        notices = answering.notices
        if not notices:
            return
        language = answering.language or self.settings.default_language
        said = True
        try:
            for notice in notices:
                await say(notice.reply, language)
        except failures as error:
            log.warning("Could not say %d notice(s) in the conversation (%s); they go by DM", len(notices),
                        type(error).__name__)
            said = False
        async with self.sessionmaker() as session, session.begin():
            await mark_notices(session, [notice.delivery_id for notice in notices], said, self.clock.now())
        if not said and self.scheduler.running:
            self.scheduler.wake_by(self.clock.now())

    async def converse(self, identity: context.Identity, said: conversation.Said) -> Reply | None:
        """Answer what a member wrote to the bot (a DM, or a message mentioning it); None: say nothing (they
        write faster than the rate limit allows). The adapter answers inside `answering`, as for a command."""
        return await self.run(identity, conversation.answer, said, self.coach)

    async def press(self, identity: context.Identity, action: str, arg: str) -> Reply:
        """Run the handler of a pressed button."""
        handler = self.contributions.actions.get(action)
        if handler is None:
            raise UserError("errors.unknown_button")
        return await self.run(identity, handler, arg)

    async def opened_form(self, identity: context.Identity, action: str, arg: str) -> tuple[Form, str] | None:
        """The form a pressed button opens and the language to show it in, read without a unit of work that
        writes; None when the button's action must answer instead (see Feature.form_openers)."""
        opener = self.contributions.form_openers.get(action)
        if opener is None:
            return None
        workspace, member = await self._rows_of(identity)
        form = opener(member, arg)
        if form is None:
            return None
        return form, self._language_of(identity, workspace, member)

    async def submit(
        self, identity: context.Identity, form_id: str, values: dict[str, str], arg: str = ""
    ) -> Reply:
        """Run the handler of a submitted form."""
        handler = self.contributions.forms.get(form_id)
        if handler is None:
            raise UserError("errors.unknown_form")
        return await self.run(identity, handler, values, arg)

    async def member_joined(self, platform: str, workspace_external_id: str, workspace_name: str,
                            user_external_id: str, display_name: str) -> None:
        """Welcome a new member of a server."""
        now = self.clock.now()
        async with self.sessionmaker() as session, session.begin():
            workspace = await context.get_or_create_workspace(
                session, platform, workspace_external_id, workspace_name, now,
                language=self.settings.default_language, timezone=self.settings.default_timezone)
            # The name is not stored before consent (the welcome names them by a mention).
            reply = await onboarding.member_joined(session, workspace, user_external_id, now)
            effects = store_effects(session, workspace.id, reply.effects if reply else (), now)
            if effects:
                await session.flush()
        planned = reminders.planned_in(session)
        if planned is not None and self.scheduler.running:
            self.scheduler.wake_by(planned)
        if effects:
            await self._send_effects([row.id for row in effects])

    async def ensure_workspace(
        self, platform: str, external_id: str, name: str, defaults: dict[str, str]
    ) -> None:
        """Create a workspace if needed and fill in the settings it does not have yet."""
        now = self.clock.now()
        async with self.sessionmaker() as session, session.begin():
            workspace = await context.get_or_create_workspace(
                session, platform, external_id, name, now,
                language=self.settings.default_language, timezone=self.settings.default_timezone)
            await workspaces.apply_defaults(workspace, defaults, now)

    async def has_member(self, identity: context.Identity) -> bool:
        """Tell whether a user already has a member row in the workspace."""
        return (await self._rows_of(identity))[1] is not None

    async def is_coordinator(self, identity: context.Identity) -> bool:
        """Tell whether a user is a coordinator of their workspace, without creating anything."""
        if identity.is_admin or identity.board_coordinator:
            return True
        workspace, _ = await self._rows_of(identity)
        return workspace is not None and context.is_coordinator(identity, workspace)

    async def language_of(self, identity: context.Identity) -> str:
        """Return the language to answer a user in, without creating anything."""
        workspace, member = await self._rows_of(identity)
        return self._language_of(identity, workspace, member)

    def _language_of(self, identity: context.Identity, workspace: Workspace | None, member: Member | None
                     ) -> str:
        """The user's language: chosen, else their platform's locale, else the workspace's (or the default
        of a workspace not made yet)."""
        if workspace is None:
            return i18n.locale_language(identity.locale) or self.settings.default_language
        return context.language_of(member, workspace, i18n.locale_language(identity.locale))

    async def _rows_of(self, identity: context.Identity) -> tuple[Workspace | None, Member | None]:
        """The user's workspace and member rows, as far as they exist, read without waiting for writers."""
        async with self.deferred_sessionmaker() as session:
            row = (
                await session.execute(
                    select(Workspace, Member)
                    .outerjoin(
                        Member,
                        (Member.workspace_id == Workspace.id)
                        & (Member.external_id == identity.user_external_id),
                    )
                    .where(
                        Workspace.platform == identity.platform,
                        Workspace.external_id == identity.workspace_external_id,
                    )
                )
            ).first()
        return (None, None) if row is None else (row[0], row[1])


@dataclass(frozen=True)
class _Done(Generic[R]):
    """What a unit of work left: its reply and language, its effects (stored, to send), what it planned."""

    reply: R
    language: str
    effect_ids: list[int]
    planned: datetime | None


@dataclass
class Answering:
    """The replies given while an adapter answers one interaction: their language, the effects held back until
    the answer went out, and what the user is still to be told once the effects ran."""

    # The user's language, known once a core call ran (None before).
    language: str | None = None
    effect_ids: list[int] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)


@dataclass(frozen=True)
class Notice:
    """Something the acting user is to be told after their answer (claimed for them; see App.noticed)."""

    delivery_id: int
    reply: Reply


_answering: contextvars.ContextVar[Answering | None] = contextvars.ContextVar("answering", default=None)
