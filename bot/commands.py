"""The text command surface: every slash command as typed in text, shared by the console and Slack.

On Discord each command is a cog with typed options. A text adapter reads a line instead, such as
`issue create title:"Parkering i centrum" decision:"17 dec 18:00"`, finds the command (by its English or
Swedish name), checks the options and runs the same service. A command that opens a form on Discord takes
the form's fields as options; without options it answers with the form.
"""

from __future__ import annotations

import shlex
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from bot import i18n
from bot.app import App
from bot.replies import Form, Join, Reply, Text, text
from bot.services import (
    activity,
    asks,
    context,
    countdowns,
    digest,
    follows,
    issues,
    ladder,
    media,
    mydata,
    nudges,
    onboarding,
    pledges,
    politicians,
    profile,
    reports,
    stances,
    stories,
    workspaces,
    writing,
)


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


@dataclass(frozen=True)
class Command:
    """One slash command as typed in text: its options, or the form its options fill in."""

    path: tuple[str, ...]
    run: Runner
    options: tuple[str, ...] = ()
    form: Callable[[], Form] | None = None
    # Options that are files (a Discord attachment): the adapter turns the typed value into an Upload.
    files: tuple[str, ...] = ()

    @property
    def catalog_key(self) -> str:
        return "cmd." + ".".join(self.path)


@dataclass(frozen=True)
class Upload:
    """A file given as an option, as Discord hands over an attachment: its name and its bytes."""

    filename: str
    data: bytes


def split(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as exc:
        raise CommandError("commands.bad_syntax", problem=str(exc)) from None


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
    for option in command.options:
        key = f"{command.catalog_key}.opt.{option}.name"
        for language in i18n.LANGUAGES:
            if i18n.has(key, language):
                aliases[i18n.translate(key, language)] = option
    return aliases


async def _onboard(ctx: CommandContext, options: dict[str, str]) -> Reply:
    if not options:
        return await ctx.app.run(ctx.identity(), onboarding.start)
    return await ctx.app.submit(ctx.identity(), onboarding.FORM_ID, options)


async def _profile_edit(ctx: CommandContext, options: dict[str, str]) -> Reply:
    if not options:
        return await ctx.app.run(ctx.identity(), profile.edit)
    return await ctx.app.submit(ctx.identity(), profile.EDIT_FORM_ID, options)


async def _setup(ctx: CommandContext, options: dict[str, str]) -> Reply:
    cleaned = {name: value.lstrip("#@") for name, value in options.items()}
    return await ctx.app.run(ctx.identity(), workspaces.configure, **cleaned)


def _coach(call: Callable[..., Awaitable[Reply]]) -> Runner:
    """Run a coaching service that may ask the model (the App's, when one is configured)."""
    async def run(ctx: CommandContext, options: dict[str, str]) -> Reply:
        return await ctx.app.run(ctx.identity(), call, ctx.app.coach, **options)
    return run


async def _coach_feedback(ctx: CommandContext, options: dict[str, str]) -> Reply:
    options = dict(options)
    draft = options.pop("text", "")
    return await ctx.app.run(ctx.identity(), writing.feedback, ctx.app.coach, draft=draft, **options)


async def _coach_settings(ctx: CommandContext, options: dict[str, str]) -> Reply:
    quiet = (ctx.app.settings.quiet_hours_start, ctx.app.settings.quiet_hours_end)
    return await ctx.app.run(ctx.identity(), nudges.configure, quiet=quiet, **options)


ISSUE_OPTIONS = (
    "title",
    "summary",
    "municipality",
    "body",
    "decision",
    "hashtag",
    "position",
    "source",
    "committee",
    "topics",
    "ask_days",
)
POLITICIAN_OPTIONS = (
    "name",
    "party",
    "municipality",
    "body",
    "role",
    "committee",
    "x_handle",
    "email",
    "checked",
)


async def _politician_import(ctx: CommandContext, options: dict[str, Any]) -> Reply:
    upload = options.get("file")
    if not isinstance(upload, Upload):
        raise CommandError("commands.missing_option", command="politician import", option="file")
    return await ctx.app.run(ctx.identity(), politicians.import_csv, upload.data, upload.filename)


async def _story_share(ctx: CommandContext, options: dict[str, str]) -> Reply:
    if not options:
        return await ctx.app.run(ctx.identity(), stories.start_share)
    return await ctx.app.submit(ctx.identity(), stories.FORM_ID, options)


async def _report(ctx: CommandContext, options: dict[str, str]) -> Reply:
    # "from" is a Python keyword: the service calls the range start and end.
    return await ctx.app.run(
        ctx.identity(), reports.report, start=options.get("from", ""), end=options.get("to", "")
    )


def all_commands() -> tuple[Command, ...]:
    def service(call: Callable[..., Awaitable[Reply]]) -> Runner:
        async def run(ctx: CommandContext, options: dict[str, str]) -> Reply:
            return await ctx.app.run(ctx.identity(), call, **options)
        return run

    async def language(ctx: CommandContext, options: dict[str, str]) -> Reply:
        if "language" not in options:
            raise CommandError("commands.missing_option", command="language", option="language")
        return await ctx.app.run(ctx.identity(), profile.set_language, options["language"])

    async def show_help(ctx: CommandContext, options: dict[str, str]) -> Reply:
        return Reply(title=text("commands.help_title"), body=Join(help_lines(table), separator="\n"))

    table: tuple[Command, ...] = (
        Command(("help",), show_help),
        Command(("onboard",), _onboard, form=onboarding.onboarding_form),
        Command(("profile", "show"), service(profile.show)),
        Command(
            ("profile", "edit"),
            _profile_edit,
            form=lambda: Form(profile.EDIT_FORM_ID, text("profile.form.title"), profile.PROFILE_FIELDS),
        ),
        Command(("profile",), service(profile.show)),
        Command(("language",), language, options=("language",)),
        Command(
            ("members",), service(profile.list_members), options=("municipality", "industry", "experience")
        ),
        Command(("mydata", "export"), service(mydata.export)),
        Command(("mydata", "delete"), service(mydata.delete_request)),
        Command(
            ("setup",),
            _setup,
            options=tuple(workspaces.CHANNEL_SETTINGS)
            + tuple(workspaces.ROLE_SETTINGS)
            + ("language", "timezone", workspaces.PING_HERE),
        ),
        Command(("issue", "create"), service(issues.create), options=ISSUE_OPTIONS),
        Command(("issue", "edit"), service(issues.edit), options=("issue", *ISSUE_OPTIONS)),
        Command(("issue", "close"), service(issues.close), options=("issue", "outcome", "note")),
        Command(("issue", "list"), service(issues.list_issues), options=("status", "municipality")),
        Command(("issue", "show"), service(issues.show), options=("issue",)),
        Command(("issue", "calendar"), service(issues.calendar)),
        Command(("issue", "map"), service(stances.show_map), options=("issue",)),
        Command(("issue", "ask"), service(asks.my_question), options=("issue",)),
        Command(("issue", "asked"), service(asks.mark_asked), options=("issue", "link", "politician")),
        Command(("issue", "asks"), service(asks.overview), options=("issue",)),
        Command(("issue", "reminders"), service(asks.set_ask_days), options=("ask_days", "issue")),
        Command(
            ("issue", "outcome"),
            service(countdowns.record_outcome),
            options=("issue", "result", "note", "voted_for"),
        ),
        Command(("issue", "countdown"), service(countdowns.configure), options=("days", "issue")),
        Command(("issue",), service(issues.list_issues), options=("status", "municipality")),
        Command(("follow",), service(follows.follow), options=("municipality", "topic", "issue")),
        Command(("pledge",), service(pledges.pledge), options=("issue", "kind")),
        Command(("unfollow",), service(follows.unfollow), options=("municipality", "topic", "issue")),
        Command(("politician", "add"), service(politicians.add), options=POLITICIAN_OPTIONS),
        Command(
            ("politician", "edit"), service(politicians.edit), options=("politician", *POLITICIAN_OPTIONS)
        ),
        Command(
            ("politician", "remove"), service(politicians.remove), options=("politician", "municipality")
        ),
        Command(
            ("politician", "list"),
            service(politicians.list_politicians),
            options=("municipality", "body", "party"),
        ),
        Command(("politician", "import"), _politician_import, options=("file",), files=("file",)),
        Command(("politician", "export"), service(politicians.export_csv), options=("municipality",)),
        Command(
            ("stance", "set"),
            service(stances.set_stance),
            options=("issue", "politician", "stance", "source", "municipality"),
        ),
        Command(
            ("stance", "confirm"), service(stances.confirm), options=("issue", "politician", "municipality")
        ),
        Command(
            ("stance", "reject"), service(stances.reject), options=("issue", "politician", "municipality")
        ),
        Command(
            ("stance", "history"), service(stances.history), options=("issue", "politician", "municipality")
        ),
        Command(
            ("media", "add"),
            service(media.add),
            options=("name", "municipality", "x_handle", "kind", "outlet", "email"),
        ),
        Command(("media", "list"), service(media.list_media), options=("municipality",)),
        Command(("media", "remove"), service(media.remove), options=("media", "municipality")),
        Command(
            ("council", "seats"),
            service(stances.set_seats),
            options=("municipality", "body", "seats", "committee"),
        ),
        Command(
            ("council", "show"), service(stances.show_seats), options=("municipality", "body", "committee")
        ),
        Command(("hashtag",), service(issues.hashtags), options=("issue",)),
        Command(("coach", "next"), _coach(ladder.next_step)),
        Command(("coach", "tweet"), _coach(writing.tweet), options=("topic", "issue")),
        Command(("coach", "blog"), _coach(writing.blog), options=("topic", "issue")),
        Command(("coach", "feedback"), _coach_feedback, options=("text", "issue", "kind")),
        Command(("coach", "done"), service(ladder.done), options=("step", "link")),
        Command(("coach", "progress"), service(ladder.progress)),
        Command(("coach", "pause"), service(nudges.pause)),
        Command(("coach", "resume"), service(nudges.resume)),
        Command(("coach", "overview"), service(ladder.overview)),
        Command(("coach", "settings"), _coach_settings, options=("hashtag", "day", "hour", "nudges")),
        Command(
            ("coach", "ladder"),
            service(ladder.configure_ladder),
            options=("step", "title", "why", "example", "kind", "position", "active", "reset"),
        ),
        Command(("coach",), _coach(ladder.next_step)),
        Command(("story", "share"), _story_share, form=stories.share_form),
        Command(("story", "list"), service(stories.list_stories), options=("featured",)),
        Command(("story", "search"), service(stories.search), options=("query",)),
        Command(("story", "show"), service(stories.show), options=("story",)),
        Command(("story", "feature"), service(stories.feature), options=("story", "remove")),
        Command(("story", "export"), service(stories.export), options=("audience", "featured")),
        Command(("story", "delete"), service(stories.delete_request), options=("story",)),
        Command(("story",), service(stories.list_stories), options=("featured",)),
        Command(("did",), service(activity.did), options=("kind", "status", "issue", "link")),
        Command(("stats",), service(activity.stats)),
        Command(("leaderboard", "join"), service(activity.leaderboard_join)),
        Command(("leaderboard", "leave"), service(activity.leaderboard_leave)),
        Command(("leaderboard", "show"), service(activity.leaderboard), options=("period",)),
        Command(("leaderboard",), service(activity.leaderboard), options=("period",)),
        Command(("digest", "now"), service(digest.digest_now)),
        Command(
            ("digest", "settings"), service(digest.configure), options=("day", "hour", "announce", "enabled")
        ),
        Command(("report",), _report, options=("from", "to")),
    )
    return table


def parse(words: list[str], commands: tuple[Command, ...]) -> tuple[Command, dict[str, str]]:
    """Find the command a line names and its options, by English or Swedish names; refuse unknown options."""
    command, rest = find(words, commands)
    options = parse_options(rest)
    allowed = command.options or (tuple(f.name for f in command.form().fields) if command.form else ())
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


def help_lines(commands: tuple[Command, ...]) -> tuple[Text, ...]:
    """One line per command: its path and description."""
    return tuple(
        text("commands.help_line", path=" ".join(c.path), description=text(c.catalog_key + ".description"))
        for c in commands
    )
