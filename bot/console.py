"""The console adapter: the whole bot in a terminal, with the same services, database and scheduler.

Lines are read as a user types them in Discord (`/group sub option:value option:"two words"`), plus the
console's own commands (`:as`, `:press`, `:advance`, …). Every message is printed with where it went.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import sys
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot import commands, i18n
from bot.app import Answering, App
from bot.clock import OffsetClock
from bot.commands import CommandError, Upload
from bot.config import Settings
from bot.delivery import MessageMissing, RecipientUnreachable
from bot.errors import UserError
from bot.models import Member, Workspace
from bot.replies import Button, Channel, Form, Join, Renderable, Reply, Role, Text, text
from bot.services import context, workspaces

log = logging.getLogger(__name__)

PLATFORM = "console"
WORKSPACE_ID = "console"
WORKSPACE_NAME = "Jobbskaparna"
# The console's server, set up as a coordinator would with /setup: channel and role ids are their names.
CONSOLE_SETUP = {
    "announcements": "annonser",
    "welcome": "välkommen",
    "coordinators": "koordinatorer",
    "stories": "berättelser",
    "member_role": "Medlem",
    "coordinator_role": "Koordinator",
}
COMMAND_CHANNEL = "allmänt"
DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")


class ConsoleError(CommandError):
    """A console line of the console's own (`:as`, `:press`, …) that cannot be run."""


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

    async def post(self, workspace: Workspace, channel: Channel, reply: Reply, *, nonce: str | None = None
                   ) -> str | None:
        channel_id = workspaces.channel_id(workspace, channel)
        if not channel_id:
            self._console.say(text("console.no_channel", purpose=text(f"setup.field.{channel}")), workspace.language)
            return None
        self._console.show(reply, text("console.dest.channel", channel=channel_id), workspace.language,
                           role=workspaces.mention_role_id(workspace, reply))
        # Unique across runs on the same database, like Discord's ids: a restart must not reuse one.
        return uuid.uuid4().hex[:12]

    async def edit(self, workspace: Workspace, channel: Channel, message_id: str, reply: Reply) -> None:
        channel_id = workspaces.channel_id(workspace, channel)
        if not channel_id:
            raise MessageMissing
        self._console.show(reply, text("console.dest.edited", channel=channel_id), workspace.language,
                           role=workspaces.mention_role_id(workspace, reply))

    async def pin(self, workspace: Workspace, channel: Channel, message_id: str) -> None:
        channel_id = workspaces.channel_id(workspace, channel)
        if not channel_id:
            raise MessageMissing
        self._console.say(text("console.pinned", channel=channel_id), workspace.language)

    async def unpin(self, workspace: Workspace, channel: Channel, message_id: str) -> None:
        channel_id = workspaces.channel_id(workspace, channel)
        if channel_id:
            self._console.say(text("console.unpinned", channel=channel_id), workspace.language)

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
        self.commands = commands.all_commands()

    # -- output ---------------------------------------------------------------------------------------------

    def say(self, item: Renderable, language: str | None = None) -> None:
        """Print one line of the console's own."""
        print(i18n.render(item, language or self.language), file=self.out, flush=True)

    def show(self, reply: Reply, destination: Text, language: str, *, audience: str | None = None,
             role: str | None = None) -> None:
        """Print a bot message with its destination, its buttons numbered, its files written to disk."""
        lines = render_text(reply, language)
        if reply.mentions or role:
            mentions = " ".join([*(["@" + role] if role else []), *("@" + m for m in reply.mentions)])
            lines = [f"{mentions} {lines[0]}" if lines else mentions, *lines[1:]]
        for path in self._write_files(reply):
            lines.append(i18n.render(text("console.file_written", path=str(path)), language))
        head = f"[{i18n.render(destination, language)}]"
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
        command = commands.form_command(form.form_id, self.commands)
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
        except UserError as error:
            self.say(error.text, error.language)
        except CommandError as error:
            self.say(error.text)
        except Exception:  # noqa: BLE001 - as on Discord: log it, give the user a code, and go on
            code = uuid.uuid4().hex[:8]
            log.exception("Console line failed (error %s)", code)
            self.say(text("errors.unexpected", code=code))
        return True

    async def _meta(self, line: str) -> bool:
        words = commands.split(line)
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
                raise ConsoleError("commands.missing_option", command=":submit", option="FORM")
            arg = self.state.form_args.get((self._user().name, args[0]), "")
            async with self.app.answering() as answering:
                self._answer(await self.app.submit(self.identity(), args[0], commands.parse_options(args[1:]), arg),
                             answering)
            await self._notify(answering)
            await self.app.dispatcher.run_due()
        elif verb == ":dms":
            self._dms(args)
        else:
            raise ConsoleError("console.unknown_meta", command=verb)
        return True

    def _help(self) -> None:
        self.say(text("console.help", commands=Join(commands.help_lines(self.commands), separator="\n")))

    async def _switch_user(self, args: list[str]) -> None:
        if not args:
            raise ConsoleError("commands.missing_option", command=":as", option="NAME")
        coordinator = args[-1].lower() in ("coordinator", "koordinator")
        name = " ".join(args[:-1] if coordinator and len(args) > 1 else args)
        self.state.user = ConsoleUser(name, coordinator)
        self.language = await self.app.language_of(self.identity())
        self.say(text("console.now_acting", name=name,
                      role=text("console.role_coordinator") if coordinator else ""))
        if await self.app.has_member(self.identity()):
            return
        await self.app.member_joined(PLATFORM, WORKSPACE_ID, WORKSPACE_NAME, name, name)
        self.language = await self.app.language_of(self.identity())

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
        async with self.app.answering() as answering:
            reply = await self.app.press(self.identity(), chosen.action, chosen.arg)
            if reply.replaces_source:
                self.state.shown.remove(visible[-1])
            self._answer(reply, answering)
        await self._notify(answering)
        # As after a command: what the press planned for right now (a live message's edit) comes before the
        # next line, not whenever the scheduler wakes.
        await self.app.dispatcher.run_due()

    def _dms(self, args: list[str]) -> None:
        user = self._user()
        state = (args[0].lower() if args else "")
        if state not in ("open", "closed", "öppna", "stängda"):
            raise ConsoleError("commands.missing_option", command=":dms", option="open|closed")
        if state in ("closed", "stängda"):
            self.state.closed_dms.add(user.name)
            self.say(text("console.dms", state=text("console.dms.closed")))
        else:
            self.state.closed_dms.discard(user.name)
            self.say(text("console.dms", state=text("console.dms.open")))

    async def _slash(self, line: str) -> None:
        command, options = commands.parse(commands.split(line), self.commands)
        values: dict[str, object] = dict(options)
        for name in command.files:
            if name in options:
                values[name] = _read_file(options[name])
        # The answer comes first, its effects (posts, DMs, roles) after, as on Discord.
        async with self.app.answering() as answering:
            self._answer(await command.run(self, values), answering)
        await self._notify(answering)

    def _answer(self, reply: Reply, answering: Answering) -> None:
        """Show a reply in the language the core answered in (a command may have just changed it)."""
        if answering.language is not None:
            self.language = answering.language
        self.answer(reply)

    async def _notify(self, answering: Answering) -> None:
        """Tell the acting user what the effects of their command could not do (a role not granted)."""
        for notice in answering.notices:
            self.answer(dataclasses.replace(notice.reply, private=True))
        await self.app.noticed(answering.notices, said=True)

    def _user(self) -> ConsoleUser:
        if self.state.user is None:
            raise ConsoleError("console.who_first")
        return self.state.user

    def identity(self) -> context.Identity:
        user = self._user()
        roles = frozenset({CONSOLE_SETUP["member_role"]} | ({CONSOLE_SETUP["coordinator_role"]}
                                                           if user.coordinator else set()))
        return context.Identity(PLATFORM, WORKSPACE_ID, user.name, user.name, WORKSPACE_NAME, role_ids=roles)


def _read_file(value: str) -> Upload:
    path = Path(value).expanduser()
    if not path.is_file():
        raise CommandError("commands.file_missing", path=value)
    try:
        return Upload(path.name, path.read_bytes())
    except OSError as exc:
        raise CommandError("commands.file_unreadable", path=value, problem=exc.strerror or type(exc).__name__) from None


def render_text(reply: Reply, language: str) -> list[str]:
    """Render a Reply as plain text lines: title, body, fields, numbered buttons, links."""
    def r(item: Renderable) -> str:
        return i18n.render(item, language)

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
