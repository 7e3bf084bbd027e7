"""The platform-neutral core: database, clock, dispatcher and scheduler, shared by Discord, the console and Slack."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Concatenate, ParamSpec

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import actions, db
from bot.clock import Clock, SystemClock
from bot.coach import CoachModel
from bot.config import Settings
from bot.delivery import Dispatcher, Notifier, QuietHours, apply_effects
from bot.errors import UserError
from bot.models import Member, Workspace
from bot.replies import Reply
from bot.routing import RoutingNotifier
from bot.scheduling import Scheduler
from bot.services import context, onboarding

# Importing the feature modules registers their buttons, forms and reminder planners.
from bot.services import coaching, mydata, profile, workspaces  # noqa: F401
from bot.services import asks, countdowns, follows, issues, media, politicians, stances  # noqa: F401
from bot.services import activity, digest, reports, stories  # noqa: F401

log = logging.getLogger(__name__)

P = ParamSpec("P")
ServiceCall = Callable[Concatenate[AsyncSession, context.Actor, P], Awaitable[Reply]]


class App:
    """What every adapter shares: one engine, one session factory, one clock, one dispatcher."""

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.engine = db.create_engine(settings.effective_database_url)
        self.sessionmaker = db.create_sessionmaker(self.engine)
        self.dispatcher = Dispatcher(self.sessionmaker, self.clock,
                                     QuietHours(settings.quiet_hours_start, settings.quiet_hours_end))
        self.scheduler = Scheduler(self.dispatcher, self.clock)
        self.notifier: Notifier | None = None
        self._routes = RoutingNotifier({})
        self._start_lock = asyncio.Lock()
        self._migrated = False
        # The coach's model, only when a key is set; without it the coach answers from its templates.
        self.coach: CoachModel | None = None
        if settings.openai_api_key is not None:
            self.coach = CoachModel(api_key=settings.openai_api_key.get_secret_value(), model=settings.openai_model,
                                    timeout=settings.openai_timeout, base_url=settings.openai_base_url)

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
            if platform is None:
                self.notifier = notifier
                self.dispatcher.platforms = None
            else:
                self._routes.add(platform, notifier)
                self.notifier = self._routes
                self.dispatcher.platforms = self._routes.platforms
            self.dispatcher.notifier = self.notifier
            await self.dispatcher.resume(None if platform is None else (platform,))
            if self.scheduler.running:
                self.scheduler.wake_at(self.clock.now())
            else:
                self.scheduler.start()

    async def close(self) -> None:
        """Stop the scheduler, close the model client and the database."""
        await self.scheduler.stop()
        if self.coach is not None:
            await self.coach.close()
        await self.engine.dispose()

    async def run(self, identity: context.Identity, call: ServiceCall[P], *args: P.args, **kwargs: P.kwargs) -> Reply:
        """Run one service call as one unit of work, then carry out its effects.

        A UserError rolls everything back and is raised with the user's language attached.
        """
        now = self.clock.now()
        language = self.settings.default_language
        try:
            async with self.sessionmaker() as session, session.begin():
                actor = await context.resolve(session, identity, now, default_language=self.settings.default_language,
                                              default_timezone=self.settings.default_timezone)
                language = actor.language
                workspace_id = actor.workspace.id
                reply = await call(session, actor, *args, **kwargs)
        except UserError as error:
            error.language = language
            raise
        await self._after(workspace_id, reply)
        return reply

    async def press(self, identity: context.Identity, action: str, arg: str) -> Reply:
        """Run the handler of a pressed button."""
        handler = actions.action_handler(action)
        if handler is None:
            raise UserError("errors.unknown_button")
        return await self.run(identity, handler, arg)

    async def submit(self, identity: context.Identity, form_id: str, values: dict[str, str], arg: str = "") -> Reply:
        """Run the handler of a submitted form."""
        handler = actions.form_handler(form_id)
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
            workspace_id = workspace.id
            reply = await onboarding.member_joined(session, workspace, user_external_id, display_name, now)
        if reply is not None:
            await self._after(workspace_id, reply)

    async def ensure_workspace(self, platform: str, external_id: str, name: str, defaults: dict[str, str]) -> None:
        """Create a workspace if needed and fill in the settings it does not have yet."""
        now = self.clock.now()
        async with self.sessionmaker() as session, session.begin():
            workspace = await context.get_or_create_workspace(
                session, platform, external_id, name, now,
                language=self.settings.default_language, timezone=self.settings.default_timezone)
            await workspaces.apply_defaults(workspace, defaults, now)

    async def has_member(self, identity: context.Identity) -> bool:
        """Tell whether a user already has a member row in the workspace."""
        async with self.sessionmaker() as session:
            found = await session.scalar(
                select(Member.id).join(Workspace, Workspace.id == Member.workspace_id)
                .where(Workspace.platform == identity.platform,
                       Workspace.external_id == identity.workspace_external_id,
                       Member.external_id == identity.user_external_id))
        return found is not None

    async def is_coordinator(self, identity: context.Identity) -> bool:
        """Tell whether a user is a coordinator of their workspace, without creating anything."""
        if identity.is_admin:
            return True
        async with self.sessionmaker() as session:
            workspace = await session.scalar(select(Workspace).where(
                Workspace.platform == identity.platform, Workspace.external_id == identity.workspace_external_id))
        return workspace is not None and context.is_coordinator(identity, workspace)

    async def language_of(self, identity: context.Identity) -> str:
        """Return the language to answer a user in, without creating anything."""
        async with self.sessionmaker() as session:
            row = (await session.execute(
                select(Workspace, Member).outerjoin(
                    Member, (Member.workspace_id == Workspace.id) & (Member.external_id == identity.user_external_id))
                .where(Workspace.platform == identity.platform,
                       Workspace.external_id == identity.workspace_external_id))).first()
        if row is None:
            return self.settings.default_language
        return context.language_of(row[1], row[0])

    async def _after(self, workspace_id: int, reply: Reply) -> None:
        if reply.effects and self.notifier is not None:
            await apply_effects(self.sessionmaker, self.notifier, workspace_id, reply.effects)
        # A service may have planned a reminder: let the scheduler know the next due time.
        if self.scheduler.running:
            self.scheduler.wake_at(await self.dispatcher.next_due_at())
