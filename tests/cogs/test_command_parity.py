"""Each command is declared once (bot/commands.py); Discord, the console and Slack must all be that.

On Discord the tree is compared as `jobbskaparna sync` sends it: which commands exist, their options' names
(in both languages), types, whether required, limits, choices (values and names in both languages),
suggestions as you type and channel types, and who may use them (the coordinator check together with the
default permission that hides the command). The console and Slack share the declarations' table: their parser
takes exactly the declared options, reads yes/no and numbers as typed values, and refuses a coordinators'
command to a member before it runs. A test with a deliberately changed declaration shows that a difference is
found. The README's command table lists every command, by its Discord name, with who may use it.
"""

from __future__ import annotations

import dataclasses
import inspect
import io
import re
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands
from slack_sdk.web.async_client import AsyncWebClient

from bot import i18n
from bot.app import App
from bot.clock import OffsetClock
from bot.commands import Command, CommandError, Kind, Option, all_commands, declared, parse
from bot.console import Console
from bot.discordbot.bot import JobbBot
from bot.discordbot.checks import COORDINATOR_PERMISSIONS, is_coordinator
from bot.errors import NotCoordinator
from bot.replies import Reply
from bot.services.context import Identity
from bot.slack.adapter import SlackAdapter
from cogs._options import SUGGESTIONS, discord_choices, given

ADMIN_SUFFIX = "-admin"
SWEDISH = "sv-SE"
GUILD_ONLY = (0,)  # Discord's interaction contexts: 0 is a server
DISCORD_TYPES = {
    Kind.STRING: discord.AppCommandOptionType.string.value,
    Kind.INTEGER: discord.AppCommandOptionType.integer.value,
    Kind.BOOLEAN: discord.AppCommandOptionType.boolean.value,
    Kind.CHANNEL: discord.AppCommandOptionType.channel.value,
    Kind.ROLE: discord.AppCommandOptionType.role.value,
    Kind.ATTACHMENT: discord.AppCommandOptionType.attachment.value,
}
SUBCOMMAND_TYPES = {discord.AppCommandOptionType.subcommand.value,
                    discord.AppCommandOptionType.subcommand_group.value}
# As discord.py types a TextChannel option (text and news channels), and one that takes a ForumChannel too.
TEXT_CHANNELS = tuple(sorted(t.value for t in (discord.ChannelType.text, discord.ChannelType.news)))
FORUM_TOO = tuple(sorted(t.value for t in (discord.ChannelType.text, discord.ChannelType.news,
                                           discord.ChannelType.forum, discord.ChannelType.media)))


@dataclass(frozen=True)
class OptionShape:
    """One option as a user meets it, comparable between the declaration and the synced tree."""

    names: tuple[str, str]  # English, Swedish
    type: int
    required: bool
    low: int | None
    high: int | None
    choices: tuple[tuple[str, str, str], ...]  # value, English name, Swedish name
    suggest: str | None
    channel_types: tuple[int, ...]


@dataclass(frozen=True)
class CommandShape:
    options: Mapping[str, OptionShape]
    coordinator: bool | str  # a command whose check and visibility disagree says so
    contexts: tuple[int, ...]


# -- the declarations ----------------------------------------------------------------------------------------


def declared_option(command: Command, option: Option) -> OptionShape:
    key = f"{command.catalog_key}.opt.{option.name}.name"
    choices = tuple((c.value, i18n.render(c.label, "en"), i18n.render(c.label, "sv")) for c in option.choices)
    return OptionShape(
        names=(i18n.translate(key, "en"), i18n.translate(key, "sv")), type=DISCORD_TYPES[option.kind],
        required=option.required, low=option.low, high=option.high, choices=choices, suggest=option.suggest,
        channel_types=(FORUM_TOO if option.forum else TEXT_CHANNELS) if option.kind is Kind.CHANNEL else ())


def declared_shapes(commands: Iterable[Command]) -> dict[tuple[str, ...], CommandShape]:
    """What Discord should have: every command but the text shortcuts, with the options Discord has."""
    return {command.path: CommandShape({option.name: declared_option(command, option)
                                        for option in command.options if option.discord},
                                       command.coordinator, GUILD_ONLY)
            for command in commands if command.discord}


# -- the synced tree -----------------------------------------------------------------------------------------


def _leaves(payload: dict[str, Any], path: tuple[str, ...]
            ) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    options = payload.get("options") or []
    if options and all(o["type"] in SUBCOMMAND_TYPES for o in options):
        for option in options:
            yield from _leaves(option, (*path, option["name"]))
    else:
        yield path, payload


def synced_option(payload: dict[str, Any], callback: object,
                  suggestion_names: Mapping[Any, str]) -> OptionShape:
    """An option as synced; `callback` is its autocomplete function (the payload only says there is one)."""
    low, high = ("min_length", "max_length") if payload["type"] == DISCORD_TYPES[Kind.STRING] else \
        ("min_value", "max_value")
    return OptionShape(
        names=(payload["name"], payload.get("name_localizations", {}).get(SWEDISH, payload["name"])),
        type=payload["type"], required=payload.get("required", False), low=payload.get(low),
        high=payload.get(high),
        choices=tuple((str(c["value"]), c["name"],
                       (c.get("name_localizations") or {}).get(SWEDISH, c["name"]))
                      for c in payload.get("choices", [])),
        suggest=suggestion_names.get(callback, repr(callback)) if payload.get("autocomplete") else None,
        channel_types=tuple(sorted(payload.get("channel_types", []))))


def _option_name(parameter: app_commands.Parameter) -> str:
    """An option's declared name: the one in its catalog key (`from` of /report is `start` in the cog)."""
    key = parameter.locale_name.extras.get("key", "") if parameter.locale_name is not None else ""
    return key.removesuffix(".name").rpartition(".opt.")[2] or parameter.name


async def synced_shapes(bot: JobbBot) -> dict[tuple[str, ...], CommandShape]:
    """What Discord has, walked over the payload the sync sends; `-admin` twins under their plain path."""
    translator = bot.tree.translator
    assert translator is not None
    suggestion_names = {callback: name for name, callback in SUGGESTIONS.items()}
    shapes: dict[tuple[str, ...], CommandShape] = {}
    for top in bot.tree.get_commands():
        payload = await top.get_translated_payload(bot.tree, translator)
        hidden = payload.get("default_member_permissions") == COORDINATOR_PERMISSIONS.value
        for path, leaf in _leaves(payload, (top.name,)):
            command = bot.tree.get_command(path[0])
            for name in path[1:]:
                assert isinstance(command, app_commands.Group)
                command = command.get_command(name)
            assert isinstance(command, app_commands.Command)
            checked = is_coordinator in command.checks
            coordinator: bool | str = checked if checked == hidden else f"check {checked}, hidden {hidden}"
            parameters = {parameter.display_name: parameter for parameter in command.parameters}
            callbacks = {parameter.display_name: parameter.autocomplete
                         for parameter in command._params.values()}
            options = {_option_name(parameters[o["name"]]):
                       synced_option(o, callbacks[o["name"]], suggestion_names)
                       for o in leaf.get("options", [])}
            text_path = (path[0].removesuffix(ADMIN_SUFFIX), *path[1:])
            assert text_path not in shapes, f"two Discord commands are /{' '.join(text_path)}"
            shapes[text_path] = CommandShape(options, coordinator, tuple(payload.get("contexts") or ()))
    return shapes


def differences(expected: Mapping[tuple[str, ...], CommandShape],
                found: Mapping[tuple[str, ...], CommandShape]) -> list[str]:
    """Every way the synced tree differs from the declarations, one line each."""
    lines = [f"{' '.join(path)}: declared, not on Discord" for path in expected if path not in found]
    lines += [f"{' '.join(path)}: on Discord, not declared" for path in found if path not in expected]
    for path in expected.keys() & found.keys():
        want, have, name = expected[path], found[path], " ".join(path)
        if want.coordinator != have.coordinator:
            lines.append(f"{name}: coordinators only {want.coordinator!r} declared, "
                         f"{have.coordinator!r} on Discord")
        if want.contexts != have.contexts:
            lines.append(f"{name}: runs in {want.contexts} declared, {have.contexts} on Discord")
        for option in want.options.keys() | have.options.keys():
            wanted, has = want.options.get(option), have.options.get(option)
            if wanted is None or has is None:
                lines.append(f"{name} {option}: {'only on Discord' if wanted is None else 'not on Discord'}")
                continue
            lines += [f"{name} {option}: {field.name} {getattr(wanted, field.name)!r} declared, "
                      f"{getattr(has, field.name)!r} on Discord"
                      for field in dataclasses.fields(OptionShape)
                      if getattr(wanted, field.name) != getattr(has, field.name)]
    return sorted(lines)


async def test_discord_has_every_declared_command_and_nothing_else_exactly_as_declared(synced: JobbBot):
    assert differences(declared_shapes(all_commands()), await synced_shapes(synced)) == []


async def test_a_declaration_that_differs_from_the_tree_is_reported(synced: JobbBot):
    create = declared("issue create")
    title = dataclasses.replace(create.option("title"), high=99)
    changed = [
        dataclasses.replace(create, options=(title, *create.options[1:])),
        dataclasses.replace(declared("setup"), coordinator=False),
        dataclasses.replace(declared("did"), options=declared("did").options[:-1]),
        dataclasses.replace(declared("pledge"), options=tuple(
            dataclasses.replace(o, suggest=None, required=True) for o in declared("pledge").options)),
    ]
    paths = {command.path for command in changed}
    commands = [*changed, *(c for c in all_commands() if c.path not in paths and c.path != ("stats",))]

    assert differences(declared_shapes(commands), await synced_shapes(synced)) == [
        "did link: only on Discord",
        "issue create title: high 99 declared, 100 on Discord",
        "pledge issue: required True declared, False on Discord",
        "pledge issue: suggest None declared, 'issue' on Discord",
        "pledge kind: required True declared, False on Discord",
        "setup: coordinators only False declared, True on Discord",
        "stats: on Discord, not declared",
    ]


async def test_a_coordinators_command_whose_check_and_visibility_disagree_is_reported(synced: JobbBot):
    members = synced.tree.get_command("members")
    assert isinstance(members, app_commands.Command)
    members.default_permissions = None

    found = await synced_shapes(synced)

    assert found[("members",)].coordinator == "check True, hidden False"


# -- the text surfaces (the console and Slack share the table) -----------------------------------------------


def test_the_console_and_slack_run_the_declared_commands(app: App, tmp_path: Path):
    console = Console(app, OffsetClock(), io.StringIO(), tmp_path)
    slack = SlackAdapter(app, AsyncWebClient(token="xoxb-test"))

    assert console.commands is slack.commands is all_commands()


def test_the_text_surfaces_take_exactly_the_declared_options_by_their_english_and_swedish_names():
    for command in all_commands():
        for option in command.options:
            key = f"{command.catalog_key}.opt.{option.name}.name"  # a text shortcut has none
            names = {i18n.translate(key, language) for language in i18n.LANGUAGES if i18n.has(key, language)}
            for typed_name in {option.name, *names}:
                _, options = parse([*command.path, f"{typed_name}:1"], all_commands())
                assert options == {option.name: "1"}, (command.path, typed_name)
        if command.option_names:
            with pytest.raises(CommandError) as refused:
                parse([*command.path, "no_such_option:1"], all_commands())
            assert refused.value.text.key == "commands.unknown_option"


def test_the_text_surfaces_read_yes_no_and_numbers_as_typed_values_and_leave_the_rest_as_text():
    for command in all_commands():
        for option in command.options:
            if option.kind is Kind.BOOLEAN:
                assert command.typed({option.name: "ja"}) == {option.name: True}
                assert command.typed({option.name: "No"}) == {option.name: False}
            elif option.kind is Kind.INTEGER and not option.choices:
                assert command.typed({option.name: "12"}) == {option.name: 12}
            elif option.choice_set is not None:  # a choice set: its enum (test_a_choice_reaches_...)
                first = option.choices[0].value
                assert command.typed({option.name: first}) == {option.name: first}
            else:
                assert command.typed({option.name: "12"}) == {option.name: "12"}
            assert command.typed({option.name: " "}) == {}  # left empty: not given


def _service_of(command: Command) -> Callable[..., Any] | None:
    """The service a command's runner wraps (`service(...)`, `_coach(...)`), when it wraps one."""
    for cell in command.runner.__closure__ or ():
        value = cell.cell_contents
        if callable(value) and getattr(value, "__module__", "").startswith("bot.services."):
            return value
    return None


def test_a_service_takes_none_for_a_text_option_not_given():
    # Both edges leave out an option not given; the service's default says what that is, and it is None.
    checked = 0
    for command in all_commands():
        call = _service_of(command)
        if call is None:
            continue
        parameters = inspect.signature(call).parameters
        for option in command.options:
            parameter = parameters.get(option.parameter)
            if option.kind is Kind.STRING and parameter is not None:
                assert parameter.default is None, (command.path, option.name, parameter.default)
                checked += 1
    assert checked > 50


def test_a_declared_choice_reaches_its_service_as_the_enum():
    # A choice set's option: the service's parameter is the enum (None: not given), and both edges hand it a
    # member: Discord the chosen value, the text surfaces the value or a label typed in either language.
    checked = 0
    for command in all_commands():
        call = _service_of(command)
        for option in command.options:
            if option.choice_set is None:
                continue
            enum = option.choice_set.enum
            for offered in discord_choices(option):
                chosen = given(**{option.parameter: offered})[option.parameter]
                assert type(chosen) is enum and chosen == offered.value, (command.path, option.name)
            for choice in option.choices:
                labels = (i18n.render(choice.label, language).upper() for language in i18n.LANGUAGES)
                for typed in (choice.value, *labels):
                    value = command.typed({option.name: typed})[option.name]
                    assert type(value) is enum and value == choice.value, (command.path, option.name, typed)
            if call is not None and option.parameter in inspect.signature(call).parameters:
                hints = typing.get_type_hints(call)
                assert hints[option.parameter] == enum | None, (command.path, option.name)
                checked += 1
            elif call is not None:  # an edit takes what is changed as keywords, and reads each as given
                kinds = {p.kind for p in inspect.signature(call).parameters.values()}
                assert inspect.Parameter.VAR_KEYWORD in kinds, (command.path, option.name)
    assert checked >= 5


@pytest.mark.parametrize(("line", "message"), [
    (["digest", "settings", "announce:kanske"], {"sv": 'till-alla: "kanske": svara ja eller nej.',
                                                 "en": 'announce: "kanske": answer yes or no.'}),
    (["coach", "settings", "timme:tio"], {"sv": 'timme: "tio" är inte ett heltal.',
                                          "en": 'hour: "tio" is not a whole number.'}),
    (["story", "featured:kanske"], {"sv": 'featured: "kanske": svara ja eller nej.',
                                    "en": 'featured: "kanske": answer yes or no.'}),
])
def test_a_bad_yes_no_or_number_is_refused_at_the_edge_in_the_users_language(line: list[str],
                                                                             message: dict[str, str]):
    command, options = parse(line, all_commands())

    with pytest.raises(CommandError) as refused:
        command.typed(options)

    assert {language: i18n.render(refused.value.text, language) for language in message} == message


@dataclass
class Members:
    """An App for the text surfaces' check alone: nobody is a coordinator."""

    async def is_coordinator(self, identity: Identity) -> bool:
        return False


@dataclass(frozen=True)
class MemberContext:
    app: Any = dataclasses.field(default_factory=Members)

    def identity(self) -> Identity:
        return Identity("console", "w", "anna", "Anna")


async def test_the_text_surfaces_refuse_exactly_the_declared_coordinators_commands_to_a_member():
    ran: list[tuple[str, ...]] = []

    async def runner(ctx: Any, options: dict[str, Any]) -> Reply:
        ran.append(command.path)
        return Reply()

    refused = set()
    for command in all_commands():
        try:
            await dataclasses.replace(command, runner=runner).run(MemberContext(), {})
        except NotCoordinator:
            refused.add(command.path)

    assert refused == {command.path for command in all_commands() if command.coordinator}
    assert set(ran) == {command.path for command in all_commands() if not command.coordinator}
    assert {("setup",), ("members",), ("report",), ("issue", "create"), ("digest", "now")} <= refused


# -- the README's command table ------------------------------------------------------------------------------

README = Path(__file__).resolve().parents[2] / "README.md"
COORDINATORS = "coordinators"


def readme_commands() -> dict[str, str]:
    """The commands the README's table lists, as Discord names them, with who may use each.

    A row names several commands: `/politician-admin add`, `edit`; `/politician list` with "coordinators;
    everyone" says the first two are the coordinators' (`edit` is a subcommand of the command before it) and
    the last everyone's.
    """
    section = README.read_text(encoding="utf-8").split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    listed: dict[str, str] = {}
    for row in re.findall(r"^\| (`/.*?) \| (.*?) \|", section, re.MULTILINE):
        names, whos = row[0].split(";"), row[1].split(";")
        assert len(whos) in (1, len(names)), row
        for part, who in zip(names, whos * len(names) if len(whos) == 1 else whos, strict=False):
            top = ""
            for name in re.findall(r"`([^`]+)`", part):
                if name.startswith("/"):
                    top = name[1:].split()[0]
                    listed[name[1:]] = who.strip()
                else:
                    listed[f"{top} {name}"] = who.strip()
    return listed


def discord_name(command: Command) -> str:
    """A command's name on Discord: a coordinators' subcommand of a group members use is in an -admin twin."""
    top, *rest = command.path
    shared = rest and any(not other.coordinator for other in all_commands()
                          if other.discord and other.path[0] == top and len(other.path) > 1)
    return " ".join([top + ADMIN_SUFFIX if command.coordinator and shared else top, *rest])


def test_the_readmes_command_table_lists_every_command_by_its_discord_name_and_who_may_use_it():
    declared_commands = {discord_name(c): COORDINATORS if c.coordinator else "members or everyone"
                         for c in all_commands() if c.discord}
    listed = {name: COORDINATORS if who == COORDINATORS else "members or everyone"
              for name, who in readme_commands().items()}

    assert listed == declared_commands


async def test_the_discord_names_of_the_readme_are_the_synced_ones(synced: JobbBot):
    on_discord = {command.qualified_name for command in synced.tree.walk_commands()
                  if isinstance(command, app_commands.Command)}

    assert {discord_name(c) for c in all_commands() if c.discord} == on_discord
