"""The console adapter: the whole bot in a terminal, with the same services, database and scheduler.

Lines are read as a user types them in Discord (`/group sub option:value option:"two words"`), plus the
console's own commands (`:as`, `:press`, `:advance`, …). Every message is printed with where it went.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
import re
import sys
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot import commands, i18n, validation
from bot.app import Answering, App
from bot.bidi import isolated
from bot.clock import OffsetClock
from bot.commands import CommandError, Upload
from bot.config import Settings
from bot.delivery import MessageMissing, RecipientUnreachable
from bot.errors import UserError
from bot.models import Member, Workspace
from bot.replies import Button, Channel, Form, Join, Renderable, Reply, Role, Text, text
from bot.services import context, conversation, workspaces

log = logging.getLogger(__name__)

PLATFORM = "console"
# `:as NAME locale:en-US`: the user's app speaks that language, as Discord's interaction locale tells.
LOCALE_OPTION = "locale:"
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
# `:advance` moves the clock from one due time to the next, at least this far at a time, and at most this many
# times (then the rest in one jump); a due time that does not move forward cannot hold it in a loop.
MIN_STEP = timedelta(minutes=1)
MAX_STEPS = 10_000
# How many sets of buttons `:press` names when it finds no button of that label.
MAX_LISTED = 5
# Where a message went, for `:press`: a DM, an answer only the acting user sees, a channel post.
DM, PRIVATE, CHANNEL = "dm", "private", "channel"


class ConsoleError(CommandError):
    """A console line of the console's own (`:as`, `:press`, …) that cannot be run."""


@dataclass(frozen=True)
class Place:
    """Where a message was shown: a DM, a private answer, or a channel (and if it is the coordinators')."""

    kind: str = CHANNEL
    channel: str | None = None
    coordinators: bool = False


@dataclass
class Shown:
    """A message with buttons that someone could press."""

    buttons: tuple[Button, ...]
    audience: str | None  # a user's name, or None when the whole channel sees it
    place: Place = field(default_factory=Place)
    destination: Text | None = None  # as printed: "DM Anna", "#annonser"
    language: str = i18n.DEFAULT_LANGUAGE  # the labels as printed
    mentions: tuple[str, ...] = ()
    line: int = 0  # the console line during which it was shown
    seq: int = 0  # the order in which it was shown

    def rank(self, user: str) -> int:
        """How directly it speaks to a user: their DM, their private answer, a post naming them, a post."""
        if self.place.kind == DM:
            return 0
        if self.place.kind == PRIVATE:
            return 1
        return 2 if user in self.mentions else 3


@dataclass
class ConsoleUser:
    name: str
    coordinator: bool = False
    # The language of the user's app, as a platform tells it (`:as Eva locale:en-US`): what answers them
    # while they have chosen none with /language.
    locale: str | None = None


@dataclass
class ConsoleState:
    user: ConsoleUser | None = None
    closed_dms: set[str] = field(default_factory=set)
    shown: list[Shown] = field(default_factory=list)
    # The arg of the form each user saw last, by form id: `:submit` hands it back as Discord's modal would.
    form_args: dict[tuple[str, str], str] = field(default_factory=dict)
    # The values a form was shown prefilled with: `:submit` keeps those not typed, as a modal submits them.
    form_values: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    # After `:dm` alone, every plain line is a DM to the bot from the acting user, until `:dm off`.
    dm_mode: bool = False


class ConsoleNotifier:
    """Deliver messages by printing them with where they went."""

    def __init__(self, console: Console) -> None:
        self._console = console

    async def send_direct(
        self, workspace: Workspace, member: Member, reply: Reply, *, nonce: str | None = None
    ) -> None:
        if member.external_id in self._console.state.closed_dms:
            raise RecipientUnreachable
        language = context.language_of(member, workspace)
        # Before consent a member row holds no name; the console's user ids are the names typed after :as.
        self._console.show(reply, text("console.dest.dm", name=member.display_name or member.external_id),
                           language, audience=member.external_id, place=Place(DM))

    async def post(self, workspace: Workspace, channel: Channel, reply: Reply, *, nonce: str | None = None
                   ) -> str | None:
        channel_id = workspaces.channel_id(workspace, channel)
        if not channel_id:
            self._console.say(
                text("console.no_channel", purpose=text(f"setup.field.{channel}")), workspace.language
            )
            return None
        self._console.show(reply, text("console.dest.channel", channel=channel_id), workspace.language,
                           role=workspaces.mention_role_id(workspace, reply),
                           place=Place(CHANNEL, channel_id, channel == Channel.COORDINATORS))
        # Unique across runs on the same database, like Discord's ids: a restart must not reuse one.
        return uuid.uuid4().hex[:12]

    async def edit(self, workspace: Workspace, channel: Channel, message_id: str, reply: Reply) -> None:
        channel_id = workspaces.channel_id(workspace, channel)
        if not channel_id:
            raise MessageMissing
        self._console.show(reply, text("console.dest.edited", channel=channel_id), workspace.language,
                           role=workspaces.mention_role_id(workspace, reply),
                           place=Place(CHANNEL, channel_id, channel == Channel.COORDINATORS))

    async def pin(self, workspace: Workspace, channel: Channel, message_id: str) -> None:
        channel_id = workspaces.channel_id(workspace, channel)
        if not channel_id:
            raise MessageMissing
        self._console.say(text("console.pinned", channel=channel_id), workspace.language)

    async def unpin(self, workspace: Workspace, channel: Channel, message_id: str) -> None:
        channel_id = workspaces.channel_id(workspace, channel)
        if channel_id:
            self._console.say(text("console.unpinned", channel=channel_id), workspace.language)

    async def find_sent(self, workspace: Workspace, member: Member | None, channel: Channel, reply: Reply, *,
                        since: datetime) -> bool | None:
        """Cannot tell: what a console run printed is gone with it."""
        return None

    async def grant_role(self, workspace: Workspace, member: Member, role: Role) -> None:
        role_id = workspaces.role_id(workspace, role)
        if role_id:
            self._console.say(text("console.role_granted", name=member.display_name, role=role_id),
                              workspace.language)


    async def revoke_role(self, workspace: Workspace, external_id: str, role: Role) -> None:
        role_id = workspaces.role_id(workspace, role)
        if role_id:
            self._console.say(text("console.role_revoked", user=external_id, role=role_id),
                              workspace.language)

    async def delete_post(self, workspace: Workspace, channel: Channel, message_id: str) -> None:
        channel_id = workspaces.channel_id(workspace, channel)
        if channel_id:
            self._console.say(text("console.post_deleted", channel=channel_id), workspace.language)

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
        # The console line being run (`:press` looks at the latest line's messages first), and the order.
        self._line = 0
        self._seq = itertools.count(1)
        # While `:advance` steps through due times: the clock line printed before the first message of a step,
        # and the last clock line printed, so that no time is printed twice in a row.
        self._pending_clock: str | None = None
        self._last_clock: str | None = None

    # -- output ---------------------------------------------------------------------------------------------

    def say(self, item: Renderable, language: str | None = None) -> None:
        """Print one line of the console's own."""
        self._print_pending_clock()
        print(i18n.render(isolated(item), language or self.language), file=self.out, flush=True)

    def _print_pending_clock(self) -> None:
        """Print the time a step of `:advance` reached, once, before the first thing that happened then."""
        if self._pending_clock is not None:
            line, self._pending_clock = self._pending_clock, None
            if line != self._last_clock:
                print(line, file=self.out)
                self._last_clock = line

    def show(self, reply: Reply, destination: Text, language: str, *, audience: str | None = None,
             role: str | None = None, place: Place | None = None) -> None:
        """Print a bot message with its destination, its buttons numbered, its files written to disk."""
        self._print_pending_clock()
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
            self.state.shown.append(Shown(reply.buttons, audience, place or Place(), destination, language,
                                          reply.mentions, self._line, next(self._seq)))

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
            self.show(reply, text("console.dest.private", name=user.name), self.language, audience=user.name,
                      place=Place(PRIVATE))
        else:
            self.show(reply, text("console.dest.channel", channel=COMMAND_CHANNEL), self.language,
                      place=Place(CHANNEL, COMMAND_CHANNEL))

    def _show_form(self, form: Form) -> None:
        user = self._user()
        self.state.form_args[(user.name, form.form_id)] = form.arg
        self.state.form_values[(user.name, form.form_id)] = dict(form.values)
        command = commands.form_command(form.form_id, self.commands)
        self._print_pending_clock()
        # Named as the reader types it (`/kom-igång` in Swedish); the console takes either language's name.
        usage = (i18n.command_name(" ".join(command.path), self.language) if command
                 else f":submit {form.form_id}")
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
        self._line += 1
        try:
            if line.startswith(":"):
                return await self._meta(line)
            if not line.startswith("/"):
                if not self.state.dm_mode:
                    raise ConsoleError("console.unknown_meta", command=line.split()[0])
                await self._converse(conversation.Said(line))
                return True
            await self._slash(line[1:])
            # Deliver what the command planned for right now (an alert) before the next line, as the scheduler
            # does on Discord, so that a script's output comes in order.
            await self.app.dispatcher.run_due()
        except UserError as error:
            self.say(error.text, error.language)
        except CommandError as error:
            self.say(error.text)
        except Exception:  # as on Discord: log it, give the user a code, and go on
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
        elif verb in (":down", ":nere"):
            await self._down(args)
        elif verb == ":press":
            await self._press(args)
        elif verb == ":submit":
            if not args:
                raise ConsoleError("commands.missing_option", command=":submit", option="FORM")
            arg = self.state.form_args.get((self._user().name, args[0]), "")
            shown = self.state.form_values.get((self._user().name, args[0]), {})
            values = shown | commands.parse_options(args[1:])
            async with self.app.answering() as answering:
                self._answer(await self.app.submit(self.identity(), args[0], values, arg), answering)
            await self._notify(answering)
            await self.app.dispatcher.run_due()
        elif verb == ":dms":
            self._dms(args)
        elif verb == ":dm":
            await self._dm(line.partition(" ")[2].strip())
        elif verb == ":mention":
            said = line.partition(" ")[2].strip()
            if not said:
                raise ConsoleError("commands.missing_option", command=":mention", option="TEXT")
            await self._converse(conversation.Said(said, conversation.Where.MENTION))
        else:
            raise ConsoleError("console.unknown_meta", command=verb)
        return True

    def _help(self) -> None:
        self.say(text("console.help", commands=Join(commands.help_lines(self.commands), separator="\n")))

    async def _switch_user(self, args: list[str]) -> None:
        if not args:
            raise ConsoleError("commands.missing_option", command=":as", option="NAME")
        locale = next((arg.split(":", 1)[1] for arg in args if arg.lower().startswith(LOCALE_OPTION)), None)
        args = [arg for arg in args if not arg.lower().startswith(LOCALE_OPTION)] or args
        coordinator = args[-1].lower() in ("coordinator", "koordinator")
        name = " ".join(args[:-1] if coordinator and len(args) > 1 else args)
        self.state.user = ConsoleUser(name, coordinator, locale or None)
        self.language = await self.app.language_of(self.identity())
        self.say(text("console.now_acting", name=name,
                      role=text("console.role_coordinator") if coordinator else ""))
        if await self.app.has_member(self.identity()):
            return
        await self.app.member_joined(PLATFORM, WORKSPACE_ID, WORKSPACE_NAME, name, name)
        self.language = await self.app.language_of(self.identity())

    @staticmethod
    def _duration(args: list[str]) -> timedelta:
        raw = "".join(args).lower()
        match = DURATION.match(raw)
        if not raw or not match:
            raise ConsoleError("console.bad_duration", value=raw)
        days, hours, minutes = (int(g or 0) for g in match.groups())
        return timedelta(days=days, hours=hours, minutes=minutes)

    def _local_time(self) -> str:
        local = self.clock.now().astimezone(ZoneInfo(self.app.settings.default_timezone))
        return local.strftime("%Y-%m-%d %H:%M")

    def _clock_line(self, key: str) -> str:
        return i18n.render(text(key, time=self._local_time()), self.language)

    async def _advance(self, args: list[str]) -> None:
        """Move the clock as a running bot lives through the time: from one due time to the next, sending what
        falls due at each (in order, and none of it late), then to the end."""
        target = self.clock.now() + self._duration(args)
        self._last_clock = None
        try:
            for _ in range(MAX_STEPS):
                due = await self.app.dispatcher.next_due_at()
                now = self.clock.now()
                if due is None:
                    break
                step_to = max(due, now + MIN_STEP)
                if step_to >= target:
                    break
                self.clock.advance(step_to - now)
                # The time is printed only if something happens then.
                self._pending_clock = self._clock_line("console.advanced")
                await self.app.dispatcher.run_due()
                self._pending_clock = None
            else:
                log.warning("The console's clock took %d steps and jumps the rest of the way", MAX_STEPS)
            now = self.clock.now()
            if target > now:
                self.clock.advance(target - now)
            self._pending_clock = self._clock_line("console.advanced")
            self._print_pending_clock()
            await self.app.dispatcher.run_due()
        finally:
            self._pending_clock = self._last_clock = None

    async def _down(self, args: list[str]) -> None:
        """The bot was down for a while: the clock jumps with nothing run, then the bot starts again, and what
        came too late for its grace is skipped (the coordinators are told)."""
        self.clock.advance(self._duration(args))
        self.say(text("console.down", time=self._local_time()))
        await self.app.dispatcher.resume()
        await self.app.dispatcher.run_due()

    # -- :press ----------------------------------------------------------------------------------------------

    def _pressable(self, user: ConsoleUser, place: str | None, *, coordinators: bool | None = None
                   ) -> list[Shown]:
        """The messages with buttons the user can see (in a place), the one they most likely mean first: the
        latest line's, and of those their DMs, then their private answers, then posts naming them, then posts.

        A message in the coordinators' channel is a coordinator's to press (`coordinators` overrides that)."""
        allowed = user.coordinator if coordinators is None else coordinators
        found = [s for s in self.state.shown if s.audience in (None, user.name)
                 and (allowed or not s.place.coordinators) and _in_place(s, place)]
        return sorted(found, key=lambda s: (-s.line, s.rank(user.name), -s.seq))

    def _label(self, shown: Shown, button: Button) -> str:
        return i18n.render(button.label, shown.language)

    def _find(self, shown: list[Shown], label: str) -> tuple[Shown, Button] | None:
        """The first message with a button of that label; failing that, one that matches without the emoji."""
        wanted = label.strip().casefold()
        for fold in (str.casefold, _core):
            for s in shown:
                for button in s.buttons:
                    if fold(self._label(s, button).strip()) == fold(wanted):
                        return s, button
        return None

    def _listing(self, shown: list[Shown]) -> str:
        """The buttons of some messages, each set once with where it is:
        "Kom igång (DM Anna); 👏 … (#annonser)"."""
        groups: dict[tuple[str, ...], list[str]] = {}
        for s in shown:
            labels = tuple(self._label(s, b) for b in s.buttons)
            if s.place.kind == CHANNEL:
                where = i18n.render(
                    text("console.dest.channel", channel=s.place.channel or ""), self.language
                )
            else:
                where = i18n.render(s.destination, self.language) if s.destination is not None else ""
            places = groups.setdefault(labels, [])
            if where and where not in places:
                places.append(where)
        return "; ".join(f"{', '.join(labels)} ({', '.join(places)})" if places else ", ".join(labels)
                         for labels, places in list(groups.items())[:MAX_LISTED])

    def _place_text(self, place: str | None) -> Renderable | str:
        if place is None:
            return ""
        if place == DM:
            return text("console.place.dm")
        return text("console.place.channel", channel=place[1:])

    async def _press(self, args: list[str]) -> None:
        user = self._user()
        place = args.pop().lower() if len(args) > 1 and _is_place(args[-1]) else None
        label = " ".join(args).strip()
        if not label:
            raise ConsoleError("commands.missing_option", command=":press", option="LABEL")
        shown = self._pressable(user, place)
        if not shown:
            if place is None:
                raise ConsoleError("console.no_buttons")
            raise ConsoleError("console.no_buttons_here", place=self._place_text(place))
        chosen: tuple[Shown, Button] | None
        if (number := validation.whole_number(label)) is not None:
            # A number is the button on the message meant most likely: the latest line's, the DM first.
            target = shown[0]
            if not 1 <= number <= len(target.buttons):
                names = ", ".join(f"[{i}] {self._label(target, b)}" for i, b in enumerate(target.buttons, 1))
                raise ConsoleError("console.no_such_button", label=label, buttons=names)
            chosen = target, target.buttons[number - 1]
        else:
            chosen = self._find(shown, label)
        if chosen is None:
            theirs = self._find(self._pressable(user, place, coordinators=True), label)
            if theirs is not None and theirs[0].place.coordinators:
                raise ConsoleError("console.coordinators_button", label=label,
                                   channel=theirs[0].place.channel)
            raise ConsoleError("console.no_button_here", label=label, place=self._place_text(place),
                               buttons=self._listing(shown))
        source, button = chosen
        async with self.app.answering() as answering:
            reply = await self.app.press(self.identity(), button.action, button.arg)
            if reply.replaces_source and source in self.state.shown:
                self.state.shown.remove(source)
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

    # -- :dm, :mention ---------------------------------------------------------------------------------------

    async def _dm(self, said: str) -> None:
        """A DM to the bot; alone, every plain line after it is one (`:dm off` ends that)."""
        self._user()
        if not said or said.lower() in ("off", "av"):
            self.state.dm_mode = not said
            self.say(text("console.dm_mode.on" if self.state.dm_mode else "console.dm_mode.off"))
            return
        await self._converse(conversation.Said(said))

    async def _converse(self, said: conversation.Said) -> None:
        """Run what the acting user wrote to the bot, and print the answer where they wrote: their DM, or the
        channel they mentioned it in (nothing when they write faster than the rate limit)."""
        user = self._user()
        async with self.app.answering() as answering:
            reply = await self.app.converse(self.identity(), said)
            if answering.language is not None:
                self.language = answering.language
            if reply is not None and said.where is conversation.Where.DM:
                self.show(reply, text("console.dest.dm", name=user.name), self.language, audience=user.name,
                          place=Place(DM))
            elif reply is not None:
                self.show(reply, text("console.dest.channel", channel=COMMAND_CHANNEL), self.language,
                          place=Place(CHANNEL, COMMAND_CHANNEL))
        await self._notify(answering)
        # As after a command: what the answer planned for now (a DM with the private part) comes first.
        await self.app.dispatcher.run_due()

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

        async def say(reply: Reply, _language: str) -> None:
            self.answer(dataclasses.replace(reply, private=True))

        await self.app.say_notices(answering, say)

    def _user(self) -> ConsoleUser:
        if self.state.user is None:
            raise ConsoleError("console.who_first")
        return self.state.user

    def identity(self) -> context.Identity:
        user = self._user()
        roles = frozenset({CONSOLE_SETUP["member_role"]} | ({CONSOLE_SETUP["coordinator_role"]}
                                                           if user.coordinator else set()))
        return context.Identity(PLATFORM, WORKSPACE_ID, user.name, user.name, WORKSPACE_NAME, role_ids=roles,
                                locale=user.locale)


def _is_place(word: str) -> bool:
    """Whether the last word of `:press` names where the message is: `dm` or `#channel`."""
    return word.lower() == DM or (word.startswith("#") and len(word) > 1)


def _in_place(shown: Shown, place: str | None) -> bool:
    if place is None:
        return True
    if place == DM:
        return shown.place.kind == DM
    return shown.place.kind == CHANNEL and (shown.place.channel or "").casefold() == place[1:].casefold()


def _core(label: str) -> str:
    """A label without the emoji and marks around it: "✅ Jag tweetade" as "jag tweetade"."""
    return re.sub(r"^\W+|\W+$", "", label.casefold())


def _read_file(value: str) -> Upload:
    path = Path(value).expanduser()
    if not path.is_file():
        raise CommandError("commands.file_missing", path=value)
    try:
        return Upload(path.name, path.read_bytes())
    except OSError:  # its strerror is the system's English: the path says which file
        raise CommandError("commands.file_unreadable", path=value) from None


def render_text(reply: Reply, language: str) -> list[str]:
    """Render a Reply as plain text lines: title, body, fields, numbered buttons, links; user text isolated
    (bot.bidi) as on Discord and Slack."""
    def r(item: Renderable) -> str:
        return i18n.render(isolated(item), language)

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
    # With BOARD_URL (or WEB_PORT) set, the web server runs beside the console too: try the board locally.
    web_server = None
    try:
        if settings.effective_web_port is not None:
            from bot.web.server import start_serving  # the server and its templates only when asked for
            web_server = await start_serving(app, settings)
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
        if web_server is not None:
            await web_server.close()
        await app.close()
