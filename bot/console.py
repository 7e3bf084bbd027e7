"""The console adapter: the whole bot in a terminal, with the same services, database and scheduler.

Lines are read as a user types them in Discord (`/group sub option:value option:"two words"`), plus the
console's own commands (`:as`, `:press`, `:advance`, …). Every message is printed with where it went.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shlex
import sys
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot import i18n
from bot.app import App
from bot.clock import OffsetClock
from bot.config import Settings
from bot.delivery import RecipientUnreachable
from bot.errors import UserError
from bot.models import Member, Workspace
from bot.replies import Button, Channel, Form, Mention, Renderable, Reply, Role, Text, text
from bot.services import asks, follows, issues, media, politicians, stances
from bot.services import coaching, context, mydata, onboarding, profile, workspaces

log = logging.getLogger(__name__)

PLATFORM = "console"
WORKSPACE_ID = "console"
WORKSPACE_NAME = "Jobbskaparna"
# The console's server, set up as a coordinator would with /setup: channel and role ids are their names.
CONSOLE_SETUP = {
    "announcements": "annonser",
    "welcome": "välkommen",
    "coordinators": "koordinatorer",
    "member_role": "Medlem",
    "coordinator_role": "Koordinator",
}
COMMAND_CHANNEL = "allmänt"
DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")


class ConsoleError(Exception):
    """A console line that cannot be run; carries a catalog text."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.text = Text(key, params)


@dataclass(frozen=True)
class Command:
    """One slash command as the console knows it: its options, or the form its options fill in."""

    path: tuple[str, ...]
    run: Callable[[Console, dict[str, str]], Awaitable[Reply]]
    options: tuple[str, ...] = ()
    form: Callable[[], Form] | None = None
    # Options that name a local file: the console reads it and passes a ConsoleFile (a Discord attachment).
    files: tuple[str, ...] = ()

    @property
    def catalog_key(self) -> str:
        return "cmd." + ".".join(self.path)


@dataclass
class Shown:
    """A message with buttons that someone could press."""

    buttons: tuple[Button, ...]
    audience: str | None  # a user's name, or None when the whole channel sees it


@dataclass
class ConsoleUser:
    name: str
    coordinator: bool = False


@dataclass
class ConsoleState:
    user: ConsoleUser | None = None
    closed_dms: set[str] = field(default_factory=set)
    shown: list[Shown] = field(default_factory=list)
    # The arg of the form each user saw last, by form id: `:submit` hands it back as Discord's modal would.
    form_args: dict[tuple[str, str], str] = field(default_factory=dict)


def _mention(mention: Mention) -> str:
    return ("#" if mention.kind == "channel" else "@") + mention.id


class ConsoleNotifier:
    """Deliver messages by printing them with where they went."""

    def __init__(self, console: Console) -> None:
        self._console = console

    async def send_direct(self, workspace: Workspace, member: Member, reply: Reply, *, nonce: str | None = None
                          ) -> None:
        if member.external_id in self._console.state.closed_dms:
            raise RecipientUnreachable
        language = context.language_of(member, workspace)
        self._console.show(reply, text("console.dest.dm", name=member.display_name), language,
                           audience=member.external_id)

    async def post(self, workspace: Workspace, channel: Channel, reply: Reply, *, nonce: str | None = None) -> None:
        channel_id = workspaces.channel_id(workspace, channel)
        if not channel_id:
            self._console.say(text("console.no_channel", purpose=text(f"setup.field.{channel}")), workspace.language)
            return
        self._console.show(reply, text("console.dest.channel", channel=channel_id), workspace.language)

    async def grant_role(self, workspace: Workspace, member: Member, role: Role) -> None:
        role_id = workspaces.role_id(workspace, role)
        if role_id:
            self._console.say(text("console.role_granted", name=member.display_name, role=role_id),
                              workspace.language)


class Console:
    """Read lines, run them through the App, print what the bot says."""

    def __init__(self, app: App, clock: OffsetClock, out: TextIO, output_dir: Path) -> None:
        self.app = app
        self.clock = clock
        self.out = out
        self.output_dir = output_dir
        self.state = ConsoleState()
        self.language = app.settings.default_language
        self.commands = _commands()

    # -- output ---------------------------------------------------------------------------------------------

    def say(self, item: Renderable, language: str | None = None) -> None:
        """Print one line of the console's own."""
        print(i18n.render(item, language or self.language, _mention), file=self.out, flush=True)

    def show(self, reply: Reply, destination: Text, language: str, *, audience: str | None = None) -> None:
        """Print a bot message with its destination, its buttons numbered, its files written to disk."""
        lines = render_text(reply, language)
        if reply.mentions:
            mentions = " ".join("@" + m for m in reply.mentions)
            lines = [f"{mentions} {lines[0]}" if lines else mentions, *lines[1:]]
        for path in self._write_files(reply):
            lines.append(i18n.render(text("console.file_written", path=str(path)), language))
        head = f"[{i18n.render(destination, language, _mention)}]"
        print(f"{head} {lines[0] if lines else ''}".rstrip(), file=self.out)
        for line in lines[1:]:
            print(f"  {line}", file=self.out)
        self.out.flush()
        if reply.buttons:
            self.state.shown.append(Shown(reply.buttons, audience))

    def _write_files(self, reply: Reply) -> list[Path]:
        written = []
        for attachment in reply.files:
            self.output_dir.mkdir(parents=True, exist_ok=True)
            path = self.output_dir / Path(attachment.filename).name
            path.write_bytes(attachment.data)
            written.append(path)
        return written

    def answer(self, reply: Reply) -> None:
        """Print the answer to the acting user's own command or button."""
        user = self._user()
        if reply.form is not None:
            self._show_form(reply.form)
            return
        if reply.private:
            self.show(reply, text("console.dest.private", name=user.name), self.language, audience=user.name)
        else:
            self.show(reply, text("console.dest.channel", channel=COMMAND_CHANNEL), self.language)

    def _show_form(self, form: Form) -> None:
        user = self._user()
        self.state.form_args[(user.name, form.form_id)] = form.arg
        command = next((c for c in self.commands if c.form is not None and c.form().form_id == form.form_id), None)
        usage = "/" + " ".join(command.path) if command else f":submit {form.form_id}"
        lines = [i18n.render(text("console.form_intro", title=form.title), self.language), usage]
        for f in form.fields:
            choices = ""
            if f.choices:
                listed = ", ".join(f"{c.value}={i18n.render(c.label, self.language)}" for c in f.choices)
                choices = i18n.render(text("console.form_choices", choices=listed), self.language)
            elif f.kind == "bool":
                choices = i18n.render(text("console.form_choices", choices="ja/nej"), self.language)
            required = i18n.render(text("console.form_required"), self.language) if f.required else ""
            current = f" [{form.values[f.name]}]" if f.name in form.values else ""
            lines.append(i18n.render(text("console.form_field", name=f.name, label=f.label, required=required,
                                          choices=choices), self.language) + current)
        print(f"[{i18n.render(text('console.dest.private', name=user.name), self.language)}] {lines[0]}",
              file=self.out)
        for line in lines[1:]:
            print(f"  {line}", file=self.out)
        self.out.flush()

    # -- input ----------------------------------------------------------------------------------------------

    async def handle(self, line: str) -> bool:
        """Run one line; return False when the console should stop."""
        line = line.strip()
        if not line or line.startswith("#"):
            return True
        try:
            if line.startswith(":"):
                return await self._meta(line)
            if not line.startswith("/"):
                raise ConsoleError("console.unknown_meta", command=line.split()[0])
            await self._slash(line[1:])
            # Deliver what the command planned for right now (an alert) before the next line, as the scheduler
            # does on Discord, so that a script's output comes in order.
            await self.app.dispatcher.run_due()
            # A command may have changed the member's or the workspace's language.
            self.language = await self.app.language_of(self._identity())
        except UserError as error:
            self.say(error.text, error.language)
        except ConsoleError as error:
            self.say(error.text)
        except Exception:  # noqa: BLE001 - as on Discord: log it, give the user a code, and go on
            code = uuid.uuid4().hex[:8]
            log.exception("Console line failed (error %s)", code)
            self.say(text("errors.unexpected", code=code))
        return True

    async def _meta(self, line: str) -> bool:
        words = _split(line)
        verb, args = words[0].lower(), words[1:]
        if verb == ":quit":
            return False
        if verb == ":help":
            self._help()
        elif verb == ":as":
            await self._switch_user(args)
        elif verb == ":advance":
            await self._advance(args)
        elif verb == ":press":
            await self._press(" ".join(args))
        elif verb == ":submit":
            if not args:
                raise ConsoleError("console.missing_option", command=":submit", option="FORM")
            arg = self.state.form_args.get((self._user().name, args[0]), "")
            reply = await self.app.submit(self._identity(), args[0], _options(args[1:]), arg)
            self.answer(reply)
            await self.app.dispatcher.run_due()
        elif verb == ":dms":
            self._dms(args)
        else:
            raise ConsoleError("console.unknown_meta", command=verb)
        return True

    def _help(self) -> None:
        lines = [i18n.render(text("console.command_line", path=" ".join(c.path),
                                  description=text(c.catalog_key + ".description")), self.language)
                 for c in self.commands]
        self.say(text("console.help", commands="\n".join(lines)))

    async def _switch_user(self, args: list[str]) -> None:
        if not args:
            raise ConsoleError("console.missing_option", command=":as", option="NAME")
        coordinator = args[-1].lower() in ("coordinator", "koordinator")
        name = " ".join(args[:-1] if coordinator and len(args) > 1 else args)
        self.state.user = ConsoleUser(name, coordinator)
        self.language = await self.app.language_of(self._identity())
        self.say(text("console.now_acting", name=name,
                      role=text("console.role_coordinator") if coordinator else ""))
        if await self.app.has_member(self._identity()):
            return
        await self.app.member_joined(PLATFORM, WORKSPACE_ID, WORKSPACE_NAME, name, name)
        self.language = await self.app.language_of(self._identity())

    async def _advance(self, args: list[str]) -> None:
        raw = "".join(args).lower()
        match = DURATION.match(raw)
        if not raw or not match:
            raise ConsoleError("console.bad_duration", value=raw)
        days, hours, minutes = (int(g or 0) for g in match.groups())
        self.clock.advance(timedelta(days=days, hours=hours, minutes=minutes))
        local = self.clock.now().astimezone(ZoneInfo(self.app.settings.default_timezone))
        self.say(text("console.advanced", time=local.strftime("%Y-%m-%d %H:%M")))
        await self.app.dispatcher.run_due()

    async def _press(self, label: str) -> None:
        user = self._user()
        visible = [s for s in self.state.shown if s.audience in (None, user.name)]
        if not visible:
            raise ConsoleError("console.no_buttons")
        buttons = visible[-1].buttons
        chosen: Button | None = None
        if label.isdigit() and 1 <= int(label) <= len(buttons):
            chosen = buttons[int(label) - 1]
        else:
            folded = label.strip().lower()
            chosen = next((b for b in buttons if i18n.render(b.label, self.language).lower() == folded), None)
        if chosen is None:
            names = ", ".join(f"[{i}] {i18n.render(b.label, self.language)}" for i, b in enumerate(buttons, 1))
            raise ConsoleError("console.no_such_button", label=label, buttons=names)
        reply = await self.app.press(self._identity(), chosen.action, chosen.arg)
        if reply.replaces_source:
            self.state.shown.remove(visible[-1])
        self.answer(reply)

    def _dms(self, args: list[str]) -> None:
        user = self._user()
        state = (args[0].lower() if args else "")
        if state not in ("open", "closed", "öppna", "stängda"):
            raise ConsoleError("console.missing_option", command=":dms", option="open|closed")
        if state in ("closed", "stängda"):
            self.state.closed_dms.add(user.name)
            self.say(text("console.dms", state=text("console.dms.closed")))
        else:
            self.state.closed_dms.discard(user.name)
            self.say(text("console.dms", state=text("console.dms.open")))

    async def _slash(self, line: str) -> None:
        words = _split(line)
        command, rest = self._find(words)
        options = _options(rest)
        allowed = command.options or (tuple(f.name for f in command.form().fields) if command.form else ())
        aliases = _option_aliases(command)
        options = {aliases.get(name.lower(), name.lower()): value for name, value in options.items()}
        for name in options:
            if name not in allowed:
                raise ConsoleError("console.unknown_option", command=" ".join(command.path), option=name,
                                   options=", ".join(allowed) or "–")
        for name in command.files:
            if name in options:
                options[name] = _read_file(options[name])  # type: ignore[assignment]
        self.answer(await command.run(self, options))

    def _find(self, words: list[str]) -> tuple[Command, list[str]]:
        names = _command_aliases(self.commands)
        best: tuple[Command, int] | None = None
        for length in (2, 1):
            key = tuple(w.lower() for w in words[:length])
            if len(key) == length and key in names:
                best = (names[key], length)
                break
        if best is None:
            raise ConsoleError("console.unknown_command", command=" ".join(words[:2]))
        return best[0], words[best[1]:]

    def _user(self) -> ConsoleUser:
        if self.state.user is None:
            raise ConsoleError("console.who_first")
        return self.state.user

    def _identity(self) -> context.Identity:
        user = self._user()
        roles = frozenset({CONSOLE_SETUP["member_role"]} | ({CONSOLE_SETUP["coordinator_role"]}
                                                           if user.coordinator else set()))
        return context.Identity(PLATFORM, WORKSPACE_ID, user.name, user.name, WORKSPACE_NAME, role_ids=roles)


@dataclass(frozen=True)
class ConsoleFile:
    """A file given as an option, as Discord hands over an attachment: its name and its bytes."""

    filename: str
    data: bytes


def _read_file(value: str) -> ConsoleFile:
    path = Path(value).expanduser()
    if not path.is_file():
        raise ConsoleError("console.file_missing", path=value)
    try:
        return ConsoleFile(path.name, path.read_bytes())
    except OSError as exc:
        raise ConsoleError("console.file_unreadable", path=value, problem=exc.strerror or type(exc).__name__) from None


def _split(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as exc:
        raise ConsoleError("console.bad_syntax", problem=str(exc)) from None


def _options(tokens: list[str]) -> dict[str, str]:
    options: dict[str, str] = {}
    for token in tokens:
        name, sep, value = token.partition(":")
        if not sep or not name:
            raise ConsoleError("console.bad_option", token=token)
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


async def _onboard(console: Console, options: dict[str, str]) -> Reply:
    if not options:
        return await console.app.run(console._identity(), onboarding.start)
    return await console.app.submit(console._identity(), onboarding.FORM_ID, options)


async def _profile_edit(console: Console, options: dict[str, str]) -> Reply:
    if not options:
        return await console.app.run(console._identity(), profile.edit)
    return await console.app.submit(console._identity(), profile.EDIT_FORM_ID, options)


async def _setup(console: Console, options: dict[str, str]) -> Reply:
    cleaned = {name: value.lstrip("#@") for name, value in options.items()}
    return await console.app.run(console._identity(), workspaces.configure, **cleaned)


def _coach(call: Callable[..., Awaitable[Reply]]) -> Callable[[Console, dict[str, str]], Awaitable[Reply]]:
    """Run a coaching service that may ask the model (the App's, when one is configured)."""
    async def run(console: Console, options: dict[str, str]) -> Reply:
        return await console.app.run(console._identity(), call, console.app.coach, **options)
    return run


async def _coach_feedback(console: Console, options: dict[str, str]) -> Reply:
    options = dict(options)
    draft = options.pop("text", "")
    return await console.app.run(console._identity(), coaching.feedback, console.app.coach, draft=draft, **options)


async def _coach_settings(console: Console, options: dict[str, str]) -> Reply:
    quiet = (console.app.settings.quiet_hours_start, console.app.settings.quiet_hours_end)
    return await console.app.run(console._identity(), coaching.configure, quiet=quiet, **options)


ISSUE_OPTIONS = ("title", "summary", "municipality", "body", "decision", "hashtag", "position", "source", "committee",
                 "topics", "ask_days")
POLITICIAN_OPTIONS = ("name", "party", "municipality", "body", "role", "committee", "x_handle", "email", "checked")


async def _politician_import(console: Console, options: dict[str, Any]) -> Reply:
    upload = options.get("file")
    if not isinstance(upload, ConsoleFile):
        raise ConsoleError("console.missing_option", command="politician import", option="file")
    return await console.app.run(console._identity(), politicians.import_csv, upload.data, upload.filename)


def _commands() -> tuple[Command, ...]:
    def service(call: Callable[..., Awaitable[Reply]]) -> Callable[[Console, dict[str, str]], Awaitable[Reply]]:
        async def run(console: Console, options: dict[str, str]) -> Reply:
            return await console.app.run(console._identity(), call, **options)
        return run

    async def language(console: Console, options: dict[str, str]) -> Reply:
        if "language" not in options:
            raise ConsoleError("console.missing_option", command="language", option="language")
        reply = await console.app.run(console._identity(), profile.set_language, options["language"])
        console.language = await console.app.language_of(console._identity())
        return reply

    return (
        Command(("onboard",), _onboard, form=onboarding.onboarding_form),
        Command(("profile", "show"), service(profile.show)),
        Command(("profile", "edit"), _profile_edit,
                form=lambda: Form(profile.EDIT_FORM_ID, text("profile.form.title"), profile.PROFILE_FIELDS)),
        Command(("profile",), service(profile.show)),
        Command(("language",), language, options=("language",)),
        Command(("members",), service(profile.list_members), options=("municipality", "industry", "experience")),
        Command(("mydata", "export"), service(mydata.export)),
        Command(("mydata", "delete"), service(mydata.delete_request)),
        Command(("setup",), _setup, options=tuple(workspaces.CHANNEL_SETTINGS) + tuple(workspaces.ROLE_SETTINGS)
                + ("language", "timezone")),
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
        Command(("issue",), service(issues.list_issues), options=("status", "municipality")),
        Command(("follow",), service(follows.follow), options=("municipality", "topic", "issue")),
        Command(("unfollow",), service(follows.unfollow), options=("municipality", "topic", "issue")),
        Command(("politician", "add"), service(politicians.add), options=POLITICIAN_OPTIONS),
        Command(("politician", "edit"), service(politicians.edit), options=("politician", *POLITICIAN_OPTIONS)),
        Command(("politician", "remove"), service(politicians.remove), options=("politician", "municipality")),
        Command(("politician", "list"), service(politicians.list_politicians),
                options=("municipality", "body", "party")),
        Command(("politician", "import"), _politician_import, options=("file",), files=("file",)),
        Command(("politician", "export"), service(politicians.export_csv), options=("municipality",)),
        Command(("stance", "set"), service(stances.set_stance),
                options=("issue", "politician", "stance", "source", "municipality")),
        Command(("stance", "confirm"), service(stances.confirm), options=("issue", "politician", "municipality")),
        Command(("stance", "reject"), service(stances.reject), options=("issue", "politician", "municipality")),
        Command(("stance", "history"), service(stances.history), options=("issue", "politician", "municipality")),
        Command(("media", "add"), service(media.add),
                options=("name", "municipality", "x_handle", "kind", "outlet", "email")),
        Command(("media", "list"), service(media.list_media), options=("municipality",)),
        Command(("media", "remove"), service(media.remove), options=("media", "municipality")),
        Command(("council", "seats"), service(stances.set_seats),
                options=("municipality", "body", "seats", "committee")),
        Command(("council", "show"), service(stances.show_seats), options=("municipality", "body", "committee")),
        Command(("hashtag",), service(issues.hashtags), options=("issue",)),
        Command(("coach", "next"), _coach(coaching.next_step)),
        Command(("coach", "tweet"), _coach(coaching.tweet), options=("topic", "issue")),
        Command(("coach", "blog"), _coach(coaching.blog), options=("topic", "issue")),
        Command(("coach", "feedback"), _coach_feedback, options=("text", "issue", "kind")),
        Command(("coach", "done"), service(coaching.done), options=("step", "link")),
        Command(("coach", "progress"), service(coaching.progress)),
        Command(("coach", "pause"), service(coaching.pause)),
        Command(("coach", "resume"), service(coaching.resume)),
        Command(("coach", "overview"), service(coaching.overview)),
        Command(("coach", "settings"), _coach_settings, options=("hashtag", "day", "hour", "nudges")),
        Command(("coach", "ladder"), service(coaching.configure_ladder),
                options=("step", "title", "why", "example", "kind", "position", "active", "reset")),
        Command(("coach",), _coach(coaching.next_step)),
    )


def render_text(reply: Reply, language: str) -> list[str]:
    """Render a Reply as plain text lines: title, body, fields, numbered buttons, links."""
    def r(item: Renderable) -> str:
        return i18n.render(item, language, _mention)

    lines: list[str] = []
    if reply.title is not None:
        lines.append(f"**{r(reply.title)}**")
    if reply.body is not None:
        lines.extend(r(reply.body).splitlines())
    for f in reply.fields:
        value = r(f.value).splitlines() or [""]
        lines.append(f"{r(f.name)}: {value[0]}")
        lines.extend("  " + v for v in value[1:])
    if reply.buttons:
        lines.append("   ".join(f"[{i}] {r(b.label)}" for i, b in enumerate(reply.buttons, 1)))
    for link in reply.links:
        lines.append(i18n.render(text("console.link", label=link.label, url=link.url), language))
    return lines


async def run_console(settings: Settings, *, script: Path | None = None, stdin: TextIO | None = None,
                      out: TextIO | None = None, start: datetime | None = None) -> None:
    """Run the console until the input ends or :quit; `start` pretends the clock shows that time."""
    out = out or sys.stdout
    clock = OffsetClock(start)
    app = App(settings, clock)
    console = Console(app, clock, out, settings.output_dir)
    await app.start(ConsoleNotifier(console))
    try:
        await app.ensure_workspace(PLATFORM, WORKSPACE_ID, WORKSPACE_NAME, CONSOLE_SETUP)
        source = script.open(encoding="utf-8") if script else (stdin or sys.stdin)
        interactive = script is None and source.isatty()
        console.say(text("console.banner"))
        try:
            while True:
                if interactive:
                    print("> ", end="", file=out, flush=True)
                line = await asyncio.to_thread(source.readline)
                if not line:
                    break
                if not interactive and line.strip() and not line.lstrip().startswith("#"):
                    print(f"> {line.rstrip()}", file=out)
                if not await console.handle(line):
                    break
        finally:
            if script:
                source.close()
        console.say(text("console.bye"))
    finally:
        await app.close()
