"""Every command, declared once: its options (types, limits, choices, suggestions), who may use it, what it
runs.

The declarations drive every adapter. On Discord each command is a cog method whose name, description, option
names, choices, suggestions and coordinator check come from its declaration (cogs/_options.py `declared`);
tests/cogs/test_command_parity.py checks the rest of its signature (types, limits, required) against it. The
console and Slack read a line instead, such as `issue create title:"Parkering i centrum" decision:"17 dec
18:00"`: they find the command (by its English or Swedish name), check the options, turn yes/no and numbers
into typed values and run the same service. A command that opens a form on Discord takes the form's fields
as options; without options it answers with the form.
"""

from __future__ import annotations

import shlex
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from enum import Enum
from functools import cache
from typing import Any, Protocol

from bot import i18n, validation
from bot.app import App
from bot.errors import NotCoordinator
from bot.replies import Choice, Form, Join, Literal, Reply, Text, text
from bot.services import (
    activity,
    agenda,
    asks,
    board,
    civics,
    contacts,
    context,
    council_import,
    countdowns,
    digest,
    follows,
    issues,
    ladder,
    media,
    mydata,
    nudges,
    onboarding,
    pairing,
    pledges,
    politicians,
    profile,
    rapid,
    relationships,
    reports,
    stances,
    stories,
    watch_sources,
    workspaces,
    writing,
)
from bot.services.profile_fields import CHOICES as PROFILE_CHOICES
from bot.services.profile_fields import MUNICIPALITIES


class CommandError(Exception):
    """A typed line that cannot be run; carries a catalog text."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.text = Text(key, params)


class CommandContext(Protocol):
    """What a command needs from the adapter that runs it: the App and who is acting."""

    @property
    def app(self) -> App:
        """The application (read only: an adapter may hold it in a frozen dataclass)."""

    def identity(self) -> context.Identity:
        """Return the acting user."""


Runner = Callable[[CommandContext, dict[str, Any]], Awaitable[Reply]]


class Kind(Enum):
    """What an option takes, as Discord types it; the text surfaces read the same from what was typed."""

    STRING = "string"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    CHANNEL = "channel"
    ROLE = "role"
    ATTACHMENT = "attachment"


@dataclass(frozen=True)
class Option:
    """One option of a command: named and described by its catalog key (`cmd.<path>.opt.<name>.…`).

    `low` and `high` bound a string's length or an integer's value. `choices` are offered as Discord's
    choices (their values, named from the catalog); `suggest` names a source of suggestions as the user types
    (Discord's autocomplete, cogs/_options.py SUGGESTIONS). `param` is the name in the cog's signature when
    the option's name cannot be one (`from`). `discord=False`: only the text surfaces have it.
    """

    name: str
    kind: Kind = Kind.STRING
    required: bool = False
    low: int | None = None
    high: int | None = None
    choices: tuple[Choice, ...] = ()
    suggest: str | None = None
    forum: bool = False  # a channel option that takes a forum channel too
    param: str | None = None
    discord: bool = True
    choice_set: validation.ChoiceSet[Any] | None = None  # the choices as an enum, which the service takes

    @property
    def parameter(self) -> str:
        return self.param or self.name


def string(name: str, high: int, *, required: bool = False, suggest: str | None = None,
           param: str | None = None) -> Option:
    """A free text of 1 to `high` characters."""
    return Option(name, Kind.STRING, required, 1, high, suggest=suggest, param=param)


def choice(name: str, choices: tuple[Choice, ...] | validation.ChoiceSet[Any], *, required: bool = False,
           kind: Kind = Kind.STRING) -> Option:
    """One of fixed choices; of a choice set, the service takes its enum (on Discord the choice's value is the
    enum's member; in text the set reads the value or the label typed, or says what it takes)."""
    if isinstance(choices, validation.ChoiceSet):
        return Option(name, kind, required, choices=choices.choices, choice_set=choices)
    return Option(name, kind, required, choices=choices)


def integer(name: str, low: int, high: int) -> Option:
    """A whole number from `low` to `high`."""
    return Option(name, Kind.INTEGER, False, low, high)


def boolean(name: str, *, discord: bool = True) -> Option:
    """Yes or no (in text: ja/nej, yes/no, true/false)."""
    return Option(name, Kind.BOOLEAN, discord=discord)


def optional(options: tuple[Option, ...]) -> tuple[Option, ...]:
    """The same options, none required (an edit changes only what is given)."""
    return tuple(replace(option, required=False) for option in options)


@dataclass(frozen=True)
class Command:
    """One command: its path, options, who may use it, and what it runs (or the form its options fill in).

    `coordinator`: for the group's coordinators only (on Discord in a hidden `-admin` twin group or a hidden
    command, in text refused before the service runs). `discord=False`: a text shortcut (`issue` lists the
    issues) or `help`, which Discord does not have. Every command runs in a workspace (on Discord: only in a
    server).
    """

    path: tuple[str, ...]
    runner: Runner
    options: tuple[Option, ...] = ()
    form: Callable[[], Form] | None = None
    coordinator: bool = False
    discord: bool = True

    @property
    def catalog_key(self) -> str:
        return "cmd." + ".".join(self.path)

    @property
    def option_names(self) -> tuple[str, ...]:
        return tuple(option.name for option in self.options)

    @property
    def files(self) -> tuple[str, ...]:
        """Options that are files (a Discord attachment): the adapter turns the typed value into an Upload."""
        return tuple(option.name for option in self.options if option.kind is Kind.ATTACHMENT)

    def option(self, name: str) -> Option:
        return next(option for option in self.options if option.name == name)

    async def run(self, ctx: CommandContext, values: Mapping[str, Any]) -> Reply:
        """Run the command for a text surface: refuse a non-coordinator, read the text as typed values."""
        if self.coordinator and not await ctx.app.is_coordinator(ctx.identity()):
            raise NotCoordinator
        return await self.runner(ctx, self.typed(values))

    def typed(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The options as the services take them: yes/no a bool, a number an int; an empty value is left out
        (the service's default, None: not given), as Discord leaves out an option not given."""
        typed: dict[str, Any] = {}
        for name, value in values.items():
            declared = next((option for option in self.options if option.name == name), None)
            if isinstance(value, str) and declared is not None:
                if not value.strip():
                    continue
                value = _typed(self, declared, value)
            typed[name] = value
        return typed


def _typed(command: Command, option: Option, value: str) -> object:
    key = f"{command.catalog_key}.opt.{option.name}.name"
    label = text(key) if i18n.has(key) else Literal(option.name)  # a text shortcut's options have no key
    if option.kind is Kind.BOOLEAN:
        try:
            return validation.yes_no(value, text(key))
        except validation.FieldProblem as problem:  # named as the option it was typed as
            raise CommandError("errors.bad_option", option=label, problem=problem.problem) from None
    if option.choice_set is not None:
        return option.choice_set.read(value)  # its friendly error, as a service reading a form's gives
    if option.kind is Kind.INTEGER and not option.choices:
        # Only the form: the service says what range it takes, and why (an hour outside the quiet hours).
        number = validation.whole_number(value)
        if number is None:
            raise CommandError("errors.bad_option", option=label,
                               problem=text("errors.whole_number", value=Literal(value.strip()[:20])))
        return number
    return value


@dataclass(frozen=True)
class Upload:
    """A file given as an option, as Discord hands over an attachment: its name and its bytes."""

    filename: str
    data: bytes


def split(line: str) -> list[str]:
    """The words of a typed line, quotes kept together; an unclosed quote is refused in the user's language
    (shlex's own message is English)."""
    try:
        return shlex.split(line)
    except ValueError:
        raise CommandError("commands.bad_syntax") from None


def parse_options(tokens: list[str]) -> dict[str, str]:
    options: dict[str, str] = {}
    for token in tokens:
        name, sep, value = token.partition(":")
        if not sep or not name:
            raise CommandError("commands.bad_option", token=token)
        options[name] = value
    return options


def _command_aliases(commands: tuple[Command, ...]) -> Mapping[tuple[str, ...], Command]:
    """Each command by its English and its Swedish name (the catalogs' localized names)."""
    names: dict[tuple[str, ...], Command] = {}
    for command in commands:
        for language in i18n.LANGUAGES:
            localized = tuple(i18n.translate(".".join(["cmd", *command.path[:i + 1]]) + ".name", language)
                              for i in range(len(command.path)))
            names[localized] = command
        names[command.path] = command
    return names


def _option_aliases(command: Command) -> dict[str, str]:
    aliases = {}
    for option in command.option_names:
        key = f"{command.catalog_key}.opt.{option}.name"
        for language in i18n.LANGUAGES:
            if i18n.has(key, language):
                aliases[i18n.translate(key, language)] = option
    return aliases


async def _onboard(ctx: CommandContext, options: dict[str, Any]) -> Reply:
    if not options:
        return await ctx.app.run(ctx.identity(), onboarding.start)
    return await ctx.app.submit(ctx.identity(), onboarding.FORM_ID, options)


async def _profile_edit(ctx: CommandContext, options: dict[str, Any]) -> Reply:
    if not options:
        return await ctx.app.run(ctx.identity(), profile.edit)
    return await ctx.app.submit(ctx.identity(), profile.EDIT_FORM_ID, options)


async def _setup(ctx: CommandContext, options: dict[str, Any]) -> Reply:
    cleaned: dict[str, Any] = {name: value.lstrip("#@") if isinstance(value, str) else value
                               for name, value in options.items()}
    return await ctx.app.run(ctx.identity(), workspaces.configure, **cleaned)


def _coach(call: Callable[..., Awaitable[Reply]]) -> Runner:
    """Run a coaching service that may ask the model (the App's, when one is configured)."""
    async def run(ctx: CommandContext, options: dict[str, Any]) -> Reply:
        return await ctx.app.run(ctx.identity(), call, ctx.app.coach, **options)
    return run


async def _coach_feedback(ctx: CommandContext, options: dict[str, Any]) -> Reply:
    options = dict(options)
    draft = options.pop("text", None)
    return await ctx.app.run(ctx.identity(), writing.feedback, ctx.app.coach, draft=draft, **options)


async def _coach_settings(ctx: CommandContext, options: dict[str, Any]) -> Reply:
    quiet = (ctx.app.settings.quiet_hours_start, ctx.app.settings.quiet_hours_end)
    return await ctx.app.run(ctx.identity(), nudges.configure, quiet=quiet, **options)


# Choices declared here because only commands offer them (the services read them by value or by name).
COACH_DAY_CHOICES = tuple(Choice(str(day), text(f"coaching.day.{day}")) for day in range(1, 8))
DIGEST_DAY_CHOICES = tuple(Choice(str(day), text(f"time.weekday.{day - 1}")) for day in range(1, 8))

MUNICIPALITY = choice("municipality", MUNICIPALITIES, required=True)
MUNICIPALITY_FILTER = replace(MUNICIPALITY, required=False)
BODY = choice("body", civics.BODY, required=True)
COMMITTEE = string("committee", 100)
ISSUE = string("issue", 100, required=True, suggest="issue")  # an open issue
ANY_ISSUE = string("issue", 100, required=True, suggest="any_issue")  # closed ones too
POLITICIAN = string("politician", 100, required=True, suggest="politician")
STORY = string("story", 20, required=True, suggest="story")
LINK = string("link", 300)
NOTE = string("note", 300)
HOW = choice("how", activity.CHANNEL)  # how a member reached a politician: on X, by e-mail, at a fika …
CONTACT_NOTE = string("note", asks.MAX_NOTE)
ISSUE_OPTIONS = (
    string("title", 100, required=True), string("summary", 1000, required=True), MUNICIPALITY, BODY,
    string("decision", 60, required=True), string("hashtag", 101, required=True),
    string("position", 1000, required=True), string("source", 300), COMMITTEE,
    string("topics", 200, suggest="topics"), string("ask_days", 40))
POLITICIAN_OPTIONS = (
    string("name", 100, required=True), string("party", 40, required=True), MUNICIPALITY,
    string("body", 100, suggest="bodies"), string("role", 100), string("roles", 200), COMMITTEE,
    string("x_handle", 60),
    string("email", 200), string("checked", 40))
STANCE_OPTIONS = (ANY_ISSUE, POLITICIAN, MUNICIPALITY_FILTER)
RAPID_OPTIONS = (string("link", 300, required=True), string("ask", rapid.MAX_ASK, required=True),
                 string("deadline", 60, required=True), string("issue", 100, suggest="issue"),
                 MUNICIPALITY_FILTER, boolean("urgent"))
FOLLOW_OPTIONS = optional((MUNICIPALITY, choice("topic", civics.TOPIC_CHOICES), ANY_ISSUE))
COACH_ISSUE = string("issue", 100, suggest="coach_issue")
COACH_STEP = string("step", 40, suggest="step")
ISSUE_FILTERS = (choice("status", issues.STATUS), MUNICIPALITY_FILTER)
PERIOD = choice("period", activity.PERIOD)


async def _politician_import(ctx: CommandContext, options: dict[str, Any]) -> Reply:
    upload = options.get("file")
    if not isinstance(upload, Upload):
        raise CommandError("commands.missing_option", command="politician import", option="file")
    return await ctx.app.run(ctx.identity(), politicians.import_csv, upload.data, upload.filename)


async def _council_import(ctx: CommandContext, options: dict[str, Any]) -> Reply:
    upload = options.get("file")
    if not isinstance(upload, Upload):
        raise CommandError("commands.missing_option", command="politician valmyndigheten", option="file")
    return await ctx.app.run(ctx.identity(), council_import.import_file, upload.data, upload.filename,
                             municipality=options.get("municipality"))


async def _story_share(ctx: CommandContext, options: dict[str, Any]) -> Reply:
    # Only the issue given (or nothing): the form opens, carrying the issue; the form's fields: it is sent.
    if not options.keys() - {"issue"}:
        return await ctx.app.run(ctx.identity(), stories.start_share, options.get("issue") or "")
    return await ctx.app.submit(ctx.identity(), stories.FORM_ID, options)


async def _relation_share(ctx: CommandContext, options: dict[str, Any]) -> Reply:
    # The option reads as who may see it (`relation share coordinators:yes`); the service says shared.
    return await ctx.app.run(ctx.identity(), relationships.share, shared=options.get("coordinators"))


async def _report(ctx: CommandContext, options: dict[str, Any]) -> Reply:
    # "from" is a Python keyword: the service calls the range start and end.
    return await ctx.app.run(ctx.identity(), reports.report, start=options.get("from"), end=options.get("to"))


async def _rapid_start(ctx: CommandContext, options: dict[str, Any]) -> Reply:
    # The coordinator is told who will wait for the end of the quiet hours: the bot's own quiet hours.
    quiet = (ctx.app.settings.quiet_hours_start, ctx.app.settings.quiet_hours_end)
    return await ctx.app.run(ctx.identity(), rapid.start, quiet=quiet, **options)


async def _watch_keywords(ctx: CommandContext, options: dict[str, Any]) -> Reply:
    # "set" reads well in the command (`watch keywords set:"torget, Stortorget"`); the service says keywords.
    return await ctx.app.run(ctx.identity(), agenda.set_keywords, keywords=options.get("set"))


@cache
def all_commands() -> tuple[Command, ...]:
    """Every command, in the order `help` lists them."""
    def service(call: Callable[..., Awaitable[Reply]]) -> Runner:
        async def run(ctx: CommandContext, options: dict[str, Any]) -> Reply:
            return await ctx.app.run(ctx.identity(), call, **options)
        return run

    async def language(ctx: CommandContext, options: dict[str, Any]) -> Reply:
        if "language" not in options:
            raise CommandError("commands.missing_option", command="language", option="language")
        return await ctx.app.run(ctx.identity(), profile.set_language, options["language"])

    async def show_help(ctx: CommandContext, options: dict[str, Any]) -> Reply:
        return Reply(title=text("commands.help_title"), body=Join(help_lines(table), separator="\n"))

    table: tuple[Command, ...] = (
        Command(("help",), show_help, discord=False),
        Command(("onboard",), _onboard, form=onboarding.onboarding_form),
        Command(("profile", "show"), service(profile.show)),
        Command(("profile", "edit"), _profile_edit,
                form=lambda: Form(profile.EDIT_FORM_ID, text("profile.form.title"), profile.PROFILE_FIELDS)),
        Command(("profile",), service(profile.show), discord=False),
        Command(("language",), language, (choice("language", validation.LANGUAGE, required=True),)),
        Command(("members",), service(profile.list_members),
                tuple(choice(name, PROFILE_CHOICES[name])
                      for name in ("municipality", "industry", "experience")),
                coordinator=True),
        Command(("mydata", "export"), service(mydata.export)),
        Command(("mydata", "delete"), service(mydata.delete_request)),
        Command(("board",), service(board.login_link), coordinator=True),
        Command(("setup",), _setup, (
            *(Option(name, Kind.CHANNEL, forum=name == "stories") for name in workspaces.CHANNEL_SETTINGS),
            *(Option(name, Kind.ROLE) for name in workspaces.ROLE_SETTINGS),
            choice("language", validation.LANGUAGE), string("timezone", 64, suggest="timezone"),
            boolean(workspaces.PING_HERE, discord=False)), coordinator=True),
        Command(("issue", "create"), service(issues.create), ISSUE_OPTIONS, coordinator=True),
        Command(("issue", "edit"), service(issues.edit), (ISSUE, *optional(ISSUE_OPTIONS)), coordinator=True),
        Command(("issue", "close"), service(issues.close),
                (ISSUE, choice("outcome", civics.OUTCOME, required=True), NOTE), coordinator=True),
        Command(("issue", "list"), service(issues.list_issues), ISSUE_FILTERS),
        Command(("issue", "show"), service(issues.show), (ANY_ISSUE,)),
        Command(("issue", "calendar"), service(issues.calendar)),
        Command(("issue", "map"), service(stances.show_map), (ANY_ISSUE,)),
        Command(("issue", "ask"), service(asks.my_question), (ISSUE,)),
        Command(("issue", "asked"), service(asks.mark_asked),
                (ISSUE, LINK, replace(POLITICIAN, required=False), HOW, CONTACT_NOTE)),
        Command(("issue", "asks"), service(asks.overview), (ANY_ISSUE,), coordinator=True),
        Command(("issue", "reminders"), service(asks.set_ask_days), optional((string("ask_days", 40), ISSUE)),
                coordinator=True),
        Command(("issue", "outcome"), service(countdowns.record_outcome),
                (ISSUE, choice("result", countdowns.RESULT, required=True), NOTE,
                 string("voted_for", 500)),
                coordinator=True),
        Command(("issue", "countdown"), service(countdowns.configure), optional((string("days", 40), ISSUE)),
                coordinator=True),
        Command(("issue",), service(issues.list_issues), ISSUE_FILTERS,
                discord=False),
        Command(("rapid", "start"), _rapid_start, RAPID_OPTIONS, coordinator=True),
        Command(("rapid", "list"), service(rapid.list_rapid), coordinator=True),
        Command(("rapid", "close"), service(rapid.close), (string("number", 20),), coordinator=True),
        Command(("rapid", "urgent"), service(rapid.urgent_setting), (boolean("allow"),)),
        Command(("follow",), service(follows.follow), FOLLOW_OPTIONS),
        Command(("pledge",), service(pledges.pledge),
                optional((ISSUE, choice("kind", pledges.PLEDGE)))),
        Command(("unfollow",), service(follows.unfollow), FOLLOW_OPTIONS),
        Command(("relation", "add"), service(relationships.add),
                (POLITICIAN, choice("kind", relationships.KIND), string("met_on", 40),
                 string("how", relationships.MAX_HOW), NOTE)),
        Command(("relation", "list"), service(relationships.list_relationships)),
        Command(("relation", "remove"), service(relationships.remove), (POLITICIAN,)),
        Command(("relation", "share"), _relation_share, (boolean("coordinators"),)),
        Command(("relation", "contacts"), service(relationships.contacts),
                (replace(POLITICIAN, required=False),), coordinator=True),
        Command(("politician", "add"), service(politicians.add), POLITICIAN_OPTIONS, coordinator=True),
        Command(("politician", "edit"), service(politicians.edit),
                (POLITICIAN, *optional(POLITICIAN_OPTIONS)),
                coordinator=True),
        Command(("politician", "remove"), service(politicians.remove), (POLITICIAN, MUNICIPALITY_FILTER),
                coordinator=True),
        Command(("politician", "list"), service(politicians.list_politicians),
                optional((MUNICIPALITY, BODY, string("party", 40)))),
        Command(("politician", "import"), _politician_import,
                (Option("file", Kind.ATTACHMENT, required=True),), coordinator=True),
        Command(("politician", "valmyndigheten"), _council_import,
                (Option("file", Kind.ATTACHMENT, required=True), MUNICIPALITY_FILTER), coordinator=True),
        Command(("politician", "export"), service(politicians.export_csv), (MUNICIPALITY_FILTER,),
                coordinator=True),
        Command(("stance", "set"), service(stances.set_stance),
                (ANY_ISSUE, POLITICIAN, choice("stance", civics.STANCE, required=True),
                 string("source", 300), MUNICIPALITY_FILTER), coordinator=True),
        Command(("stance", "confirm"), service(stances.confirm), STANCE_OPTIONS, coordinator=True),
        Command(("stance", "reject"), service(stances.reject), STANCE_OPTIONS, coordinator=True),
        Command(("stance", "history"), service(stances.history), STANCE_OPTIONS),
        Command(("media", "add"), service(media.add),
                (string("name", 100, required=True), MUNICIPALITY, string("x_handle", 60),
                 choice("kind", media.KIND), string("outlet", 100), string("email", 200)),
                coordinator=True),
        Command(("media", "list"), service(media.list_media), (MUNICIPALITY_FILTER,)),
        Command(("media", "remove"), service(media.remove),
                (string("media", 100, required=True, suggest="media"), MUNICIPALITY_FILTER),
                coordinator=True),
        Command(("watch", "add"), service(watch_sources.add),
                (MUNICIPALITY, BODY, choice("kind", watch_sources.KIND, required=True),
                 string("url", 300, required=True), COMMITTEE), coordinator=True),
        Command(("watch", "list"), service(watch_sources.list_sources), coordinator=True),
        Command(("watch", "remove"), service(watch_sources.remove), (string("source", 300, required=True),),
                coordinator=True),
        Command(("watch", "keywords"), _watch_keywords, (string("set", 500, param="keywords"),),
                coordinator=True),
        Command(("council", "seats"), service(stances.set_seats),
                (MUNICIPALITY, BODY, string("seats", 300, required=True), COMMITTEE), coordinator=True),
        Command(("council", "show"), service(stances.show_seats), (MUNICIPALITY, BODY, COMMITTEE)),
        Command(("hashtag",), service(issues.hashtags), optional((ISSUE,))),
        Command(("coach", "next"), _coach(ladder.next_step)),
        Command(("coach", "tweet"), _coach(writing.tweet), (string("topic", writing.MAX_TOPIC), COACH_ISSUE)),
        Command(("coach", "blog"), _coach(writing.blog), (string("topic", writing.MAX_TOPIC), COACH_ISSUE)),
        Command(("coach", "feedback"), _coach_feedback,
                (string("text", writing.MAX_TEXT, required=True), COACH_ISSUE,
                 choice("kind", writing.DRAFT_KIND))),
        Command(("coach", "done"), service(ladder.done), (COACH_STEP, LINK)),
        Command(("coach", "progress"), service(ladder.progress)),
        Command(("coach", "pause"), service(nudges.pause)),
        Command(("coach", "resume"), service(nudges.resume)),
        Command(("coach", "overview"), service(ladder.overview), coordinator=True),
        Command(("coach", "settings"), _coach_settings,
                (string("hashtag", 100), choice("day", COACH_DAY_CHOICES, kind=Kind.INTEGER),
                 integer("hour", 0, 23), boolean("nudges")), coordinator=True),
        Command(("coach", "ladder"), service(ladder.configure_ladder),
                (replace(COACH_STEP, high=32), string("title", 100), string("why", 500),
                 string("example", 500), choice("kind", ladder.STEP_KIND), integer("position", 1, 50),
                 boolean("active"), boolean("reset")), coordinator=True),
        Command(("coach",), _coach(ladder.next_step), discord=False),
        Command(("story", "share"), _story_share, (replace(ANY_ISSUE, required=False),),
                form=stories.share_form),
        Command(("story", "list"), service(stories.list_stories), (boolean("featured"),)),
        Command(("story", "search"), service(stories.search), (string("query", 100, required=True),)),
        Command(("story", "show"), service(stories.show), (STORY,)),
        Command(("story", "feature"), service(stories.feature), (STORY, boolean("remove")), coordinator=True),
        Command(("story", "hide"), service(stories.hide), (STORY,), coordinator=True),
        Command(("story", "unhide"), service(stories.unhide), (STORY,), coordinator=True),
        Command(("story", "public"), service(stories.public_page), (boolean("on"),), coordinator=True),
        Command(("story", "export"), service(stories.export),
                (choice("audience", stories.AUDIENCE), boolean("featured")), coordinator=True),
        Command(("story", "delete"), service(stories.delete_request), (STORY,)),
        Command(("story", "about"), service(stories.about), (STORY, replace(ANY_ISSUE, required=False))),
        Command(("story",), service(stories.list_stories), (boolean("featured"),), discord=False),
        Command(("did",), service(activity.did),
                (choice("kind", activity.KIND, required=True),
                 choice("status", activity.STATUS), replace(ANY_ISSUE, required=False), LINK)),
        Command(("contact",), service(contacts.contact),
                (POLITICIAN, replace(HOW, required=True), replace(ANY_ISSUE, required=False), LINK,
                 CONTACT_NOTE, choice("answer", contacts.ANSWER), string("said", asks.MAX_NOTE))),
        Command(("stats",), service(activity.stats)),
        Command(("leaderboard", "join"), service(activity.leaderboard_join)),
        Command(("leaderboard", "leave"), service(activity.leaderboard_leave)),
        Command(("leaderboard", "show"), service(activity.leaderboard), (PERIOD,)),
        Command(("leaderboard",), service(activity.leaderboard), (PERIOD,), discord=False),
        Command(("digest", "now"), service(digest.digest_now), coordinator=True),
        Command(("digest", "settings"), service(digest.configure),
                (choice("day", DIGEST_DAY_CHOICES, kind=Kind.INTEGER), integer("hour", 0, 23),
                 boolean("announce"), boolean("enabled")), coordinator=True),
        Command(("peer", "join"), service(pairing.join), (choice("role", pairing.ROLE),)),
        Command(("peer", "leave"), service(pairing.leave)),
        Command(("peer", "status"), service(pairing.status)),
        Command(("peer", "settings"), service(pairing.configure),
                (boolean("enabled"), choice("rhythm", pairing.RHYTHM),
                 choice("day", DIGEST_DAY_CHOICES, kind=Kind.INTEGER), integer("hour", 0, 23)),
                coordinator=True),
        Command(("peer", "pairs"), service(pairing.pairs), coordinator=True),
        Command(("peer", "now"), service(pairing.round_now), coordinator=True),
        Command(("report",), _report, (string("from", 40, param="start"), string("to", 40, param="end")),
                coordinator=True),
    )
    return table


def declared(path: str) -> Command:
    """The declaration of a command by its path (`"issue create"`)."""
    wanted = tuple(path.split())
    return next(command for command in all_commands() if command.path == wanted)


def parse(words: list[str], commands: tuple[Command, ...]) -> tuple[Command, dict[str, str]]:
    """Find the command a line names and its options, by English or Swedish names; refuse unknown options."""
    command, rest = find(words, commands)
    options = parse_options(rest)
    # A command with a form takes the form's fields too (`story share` has its `issue` besides the form's).
    allowed = command.option_names + (tuple(f.name for f in command.form().fields) if command.form else ())
    aliases = _option_aliases(command)
    options = {aliases.get(name.lower(), name.lower()): value for name, value in options.items()}
    for name in options:
        if name not in allowed:
            raise CommandError("commands.unknown_option", command=" ".join(command.path), option=name,
                               options=", ".join(allowed) or "–")
    return command, options


def find(words: list[str], commands: tuple[Command, ...]) -> tuple[Command, list[str]]:
    """Find the longest command path at the start of a line."""
    names = _command_aliases(commands)
    for length in (2, 1):
        key = tuple(w.lower() for w in words[:length])
        if len(key) == length and key in names:
            return names[key], words[length:]
    raise CommandError("commands.unknown_command", command=" ".join(words[:2]))


def form_command(form_id: str, commands: tuple[Command, ...]) -> Command | None:
    """Return the command whose options fill in a form."""
    return next((c for c in commands if c.form is not None and c.form().form_id == form_id), None)


def command_words(command: Command) -> Join:
    """A command's name in the reader's language (`fråga skapa`), as the help lists it: a Swedish reader is
    not taught the English names."""
    return Join(tuple(text("cmd." + ".".join(command.path[:length]) + ".name")
                      for length in range(1, len(command.path) + 1)), separator=" ")


def help_lines(commands: tuple[Command, ...]) -> tuple[Text, ...]:
    """One line per command: its name in the reader's language and its description."""
    return tuple(
        text("commands.help_line", path=command_words(c), description=text(c.catalog_key + ".description"))
        for c in commands
    )
