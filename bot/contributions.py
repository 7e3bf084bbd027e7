"""What a feature contributes to the app, and the app's contributions assembled from its list of features.

Each feature module declares, in one `FEATURE = Feature(...)` at its end, everything it adds to the app: the
buttons it answers, the forms it takes, what a member's "klart" or link written back to its messages means,
the reminders it plans, what it does when an issue changes or a member finishes the onboarding, what it knows
about an issue or a member's activity, and how it exports and erases a member's data. `bot.features` lists the
features; the App assembles its `Contributions` from that list, and a test replaces a contribution by giving
the App another list. A unit of work reaches the contributions through its session (`of(session)`): every
session comes from the App's session factory, which carries them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from bot.models import Action, Issue, Member, Reminder
    from bot.reminders import InBatches, Planned
    from bot.replies import Channel, Form, Renderable, Reply
    from bot.services.context import Actor
    from bot.services.drafts import IssueContext

# What a button with an action name does; the button's arg is passed along.
ActionHandler = Callable[["AsyncSession", "Actor", str], Awaitable["Reply"]]
# What a member's words in a conversation with the bot mean for a message of the bot they answer, by the
# action of a button on it (bot.services.conversation): (session, actor, the button's arg, the link they sent,
# or None for "klart"/"done"). The same as pressing the button, with the link where the feature keeps one.
# None: it does not apply ("done" says nothing about this message), and the conversation looks further.
Answerer = Callable[["AsyncSession", "Actor", str, "str | None"], Awaitable["Reply | None"]]
# What submitting a form does with its values (and the arg of the button that opened it).
FormHandler = Callable[["AsyncSession", "Actor", Mapping[str, str], str], Awaitable["Reply"]]
# The form a button opens at once, from the presser's member row (None before they have one) and the button's
# arg; None when the button has more to say than the form (then its action handler answers).
FormOpener = Callable[["Member | None", str], "Form | None"]
# The messages a due reminder of one kind sends: all of them, or (a fan-out to every member) InBatches, which
# the Dispatcher reads and writes a batch at a time, outside the write transaction the planner runs in.
Planner = Callable[["AsyncSession", "Reminder", datetime], Awaitable["list[Planned] | InBatches"]]
# How a reminder of one kind is named to the coordinators when it had to be skipped.
Describer = Callable[["AsyncSession", "Reminder"], Awaitable["Renderable"]]
# What a feature plans around an issue (rounds of questions, the countdown): run in the same transaction
# whenever an issue is created, edited or closed, so that its reminders follow the decision's date and status.
IssueHook = Callable[["AsyncSession", "Issue", datetime], Awaitable[None]]
# What a feature does when a member's action was recorded or changed, however it was logged (/did, a button,
# a reported contact): (session, actor, the action, whether it is new). Run in the same transaction, after the
# action was flushed; a pledge it fulfils is kept, for instance.
ActionHook = Callable[["AsyncSession", "Actor", "Action", bool], Awaitable[None]]
# What a feature does when a member completes the onboarding (in the same transaction).
OnboardedHook = Callable[["AsyncSession", "Actor"], Awaitable[None]]
# Where open issues come from, so that the coach can draft about them: (session, workspace id, municipality);
# one statement, without whom to ask (see IssueTargets: a draft needs them for one issue, a list for none).
IssueSource = Callable[["AsyncSession", int, "str | None"], Awaitable[list["IssueContext"]]]
# Who to ask and which media to ping about open issues that a source listed, for the drafts that name them:
# (session, workspace id, the issues); returns them with their targets filled in, in a fixed number of
# statements whatever their number. Issues the feature does not know are returned as they came.
IssueTargets = Callable[["AsyncSession", int, "Sequence[IssueContext]"], Awaitable[list["IssueContext"]]]
# Something members did, and when, that counts for streaks: (session, workspace id, member ids, or None for
# every member of the workspace). A feature that records or deletes such activity also tells the streaks
# (bot.services.streaks.added, removed), which keep each member's run of weeks where it is written; the
# sources are read only to count a member's run again, or a workspace's after its time zone changed.
ActivitySource = Callable[["AsyncSession", int, Sequence[int] | None], Awaitable[list[tuple[int, datetime]]]]
# How a feature exports and erases what it stores about a member.
Exporter = Callable[["AsyncSession", "Member"], Awaitable[Any]]
Eraser = Callable[["AsyncSession", "Member"], Awaitable[None]]
# The bot's posts about a member that go with their data if they choose: (channel, the post's platform id).
PostFinder = Callable[["AsyncSession", "Member"], Awaitable[list[tuple["Channel", str]]]]

# The key under which a session carries the App's contributions.
SESSION_KEY = "jobbskaparna.contributions"


@dataclass(frozen=True)
class MemberData:
    """What a feature stores about a member: exported under `name`, erased when the member asks.

    `covers` names the columns ("table.column") whose data about a member this exports and erases: every
    foreign key to member.id, and every JSON, unbounded text or key column that may hold a member's id or
    name.
    With the features' `impersonal` columns it is the one registry of where members' data lives:
    tests/test_member_data.py fails for a column of that kind that no feature declares.
    """

    name: str
    export: Exporter
    erase: Eraser
    covers: tuple[str, ...] = ()
    # The bot's posts about the member (their stories' posts), which they may have deleted with their data.
    posts: PostFinder | None = None


@dataclass(frozen=True)
class Feature:
    """Everything one feature adds to the app, declared in one place."""

    name: str
    actions: Mapping[str, ActionHandler] = field(default_factory=dict)
    forms: Mapping[str, FormHandler] = field(default_factory=dict)
    form_openers: Mapping[str, FormOpener] = field(default_factory=dict)
    answers: Mapping[str, Answerer] = field(default_factory=dict)
    planners: Mapping[str, Planner] = field(default_factory=dict)
    describers: Mapping[str, Describer] = field(default_factory=dict)
    on_issue_changed: tuple[IssueHook, ...] = ()
    on_onboarded: tuple[OnboardedHook, ...] = ()
    on_action: tuple[ActionHook, ...] = ()
    issue_sources: tuple[IssueSource, ...] = ()
    issue_targets: tuple[IssueTargets, ...] = ()
    activity_sources: tuple[ActivitySource, ...] = ()
    member_data: tuple[MemberData, ...] = ()
    # Columns of the kind MemberData.covers names that never hold a member's data, each with why not.
    impersonal: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Contributions:
    """The contributions of all features, by what looks them up; assembled once, when the App is made."""

    features: tuple[Feature, ...]
    actions: Mapping[str, ActionHandler]
    forms: Mapping[str, FormHandler]
    form_openers: Mapping[str, FormOpener]
    answers: Mapping[str, Answerer]
    planners: Mapping[str, Planner]
    describers: Mapping[str, Describer]
    on_issue_changed: tuple[IssueHook, ...]
    on_onboarded: tuple[OnboardedHook, ...]
    on_action: tuple[ActionHook, ...]
    issue_sources: tuple[IssueSource, ...]
    issue_targets: tuple[IssueTargets, ...]
    activity_sources: tuple[ActivitySource, ...]
    member_data: tuple[MemberData, ...]
    impersonal: Mapping[str, str]

    @classmethod
    def assemble(cls, features: Iterable[Feature]) -> Contributions:
        """Put the features' contributions together; two features may not claim the same name."""
        listed = tuple(features)
        return cls(
            features=listed,
            actions=_claimed(listed, "actions", lambda f: f.actions.items()),
            forms=_claimed(listed, "forms", lambda f: f.forms.items()),
            form_openers=_claimed(listed, "form_openers", lambda f: f.form_openers.items()),
            answers=_claimed(listed, "answers", lambda f: f.answers.items()),
            planners=_claimed(listed, "planners", lambda f: f.planners.items()),
            describers=_claimed(listed, "describers", lambda f: f.describers.items()),
            on_issue_changed=tuple(hook for f in listed for hook in f.on_issue_changed),
            on_onboarded=tuple(hook for f in listed for hook in f.on_onboarded),
            on_action=tuple(hook for f in listed for hook in f.on_action),
            issue_sources=tuple(source for f in listed for source in f.issue_sources),
            issue_targets=tuple(fill for f in listed for fill in f.issue_targets),
            activity_sources=tuple(source for f in listed for source in f.activity_sources),
            member_data=tuple(_claimed(listed, "member data",
                                       lambda f: ((data.name, data) for data in f.member_data)).values()),
            impersonal=_claimed(listed, "impersonal columns", lambda f: f.impersonal.items()),
        )

    def covered_columns(self) -> dict[str, str]:
        """Which member data covers each column ("table.column" to the data's name)."""
        return {column: data.name for data in self.member_data for column in data.covers}

    async def issue_changed(self, session: AsyncSession, issue: Issue, now: datetime) -> None:
        """Let every feature plan around an issue that was created, changed or closed."""
        for hook in self.on_issue_changed:
            await hook(session, issue, now)

    async def onboarded(self, session: AsyncSession, actor: Actor) -> None:
        """Let every feature act on a member who completed the onboarding."""
        for hook in self.on_onboarded:
            await hook(session, actor)

    async def action_recorded(self, session: AsyncSession, actor: Actor, action: Action, new: bool) -> None:
        """Let every feature act on a member's action that was recorded (new) or changed."""
        for hook in self.on_action:
            await hook(session, actor, action, new)


def of(session: AsyncSession) -> Contributions:
    """The contributions of the App whose session factory made `session`."""
    try:
        return session.info[SESSION_KEY]  # type: ignore[no-any-return]
    except KeyError:
        raise RuntimeError("this session was not made by an App's session factory") from None


def _claimed(features: Sequence[Feature], kind: str,
             entries: Callable[[Feature], Iterable[tuple[str, Any]]]) -> dict[str, Any]:
    """Each feature's named contributions of one kind, in the features' order; a name claimed twice is an
    error."""
    found: dict[str, Any] = {}
    owner: dict[str, str] = {}
    for feature in features:
        for name, contribution in entries(feature):
            if name in found:
                raise ValueError(f"{feature.name} and {owner[name]} both contribute {kind} {name!r}")
            found[name], owner[name] = contribution, feature.name
    return found
