"""Visibility by design: every read command and every button that shows something, as every kind of viewer,
against every rule of who may see what.

A workspace is seeded through the text surface (the console's and Slack's commands, the same services)
with one protected item of each kind, each carrying a unique marker: a group-only story, a public story, a
member who reported a politician's answer, one who asked a politician, one who follows the issue, one who
pledged, one who offered to help. Then every read command declared in bot/commands.py is typed by every viewer
(someone who only joined the server, someone who declined consent, an onboarded member, the owner of each
item, a coordinator, a member of another workspace), and every button that shows something is pressed by each
of them with forged arguments (every number the seeding's ids reach); what the bot posted and sent meanwhile
counts as seen by whoever reads the channel or the DM. A marker may appear only in what the viewers its rule
allows see, and each of those viewers sees it somewhere (so a rule cannot pass by showing nothing).

A command is a read when it shows what is stored without creating, changing or deleting content (a question
assigned on first ask, a reminder planned or an audit row written is bookkeeping, not content); every declared
command and every button is classified here as one or the other, so that a new command or button fails the
classification test until someone says which it is, and a new read command is walked at once.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from bot import commands
from bot.app import App
from bot.commands import CommandError
from bot.errors import UserError
from bot.features import FEATURES
from bot.i18n import render
from bot.models import Issue, Member, Politician, Story, Workspace
from bot.replies import Reply
from bot.services import asks, follows, relationships
from bot.services.context import Identity, is_group_member
from tests.conftest import RecordingNotifier
from tests.support.onboarding import onboard_command
from tests.support.replies import shown

GUILD, OTHER_GUILD = "guild-1", "guild-2"


def person(name: str, display_name: str, *, coordinator: bool = False, workspace: str = GUILD) -> Identity:
    return Identity("test", workspace, name, display_name, "Testgruppen", is_admin=coordinator)


# The viewers, by the part they play.
OUTSIDER = person("ulla", "Ulla Utanför")  # joined the server, never onboarded
DECLINED = person("nora", "Nora Nejsägare")  # answered the onboarding without consent
MEMBER = person("maja", "Maja Medlem")  # onboarded and consented
COORDINATOR = person("karin", "Karin Samordnare", coordinator=True)
STRANGER = person("olle", "Olle Annanstans", workspace=OTHER_GUILD)  # a member of another workspace
# The owners of the protected items: each is a member who onboarded and consented, and a viewer too.
AUTHOR = person("anna", "Anna Berättare")
REPORTER = person("rut", "Rutger Rapportsson")
ASKER = person("fia", "Fia Frågasson")
FOLLOWER = person("flora", "Flora Följesson")
PLEDGER = person("lova", "Lova Lovarsson")
HELPER = person("hugo", "Hugo Hjälpsson")

VIEWERS = {"outsider": OUTSIDER, "declined": DECLINED, "member": MEMBER, "coordinator": COORDINATOR,
           "stranger": STRANGER, "author": AUTHOR, "reporter": REPORTER, "asker": ASKER, "follower": FOLLOWER,
           "pledger": PLEDGER, "helper": HELPER}
GROUP = frozenset({"member", "coordinator", "author", "reporter", "asker", "follower", "pledger", "helper"})
WORKSPACE = GROUP | {"outsider", "declined"}

GROUP_STORY = "Gruppberättelsen Solsken"
GROUP_STORY_TEXT = "samarbetet med bageriet i Nättraby"
PUBLIC_STORY = "Publika berättelsen Regnbåge"
ISSUE_TITLE = "Parkering vid Stortorget"
POLITICIAN = "Björn Östersjö"
RELATIONSHIP_HOW = "grannar på Möllebacken"


@dataclass(frozen=True)
class Rule:
    """Who may see an item: its markers appear only for these viewers."""

    name: str
    markers: tuple[str, ...]
    allowed: frozenset[str]


RULES = (
    Rule("group-only story", (GROUP_STORY, GROUP_STORY_TEXT), GROUP),
    Rule("public story", (PUBLIC_STORY,), WORKSPACE),
    Rule("the workspace's issues and politicians", (ISSUE_TITLE, POLITICIAN), WORKSPACE),
    # A member's name next to political content: to coordinators, and to the member.
    Rule("stance reporter", (REPORTER.display_name, "x.com/rutger"), frozenset({"reporter", "coordinator"})),
    Rule("asker", (ASKER.display_name, "x.com/fiafragar"), frozenset({"asker", "coordinator"})),
    Rule("follower", (FOLLOWER.display_name,), frozenset({"follower", "coordinator"})),
    # A relationship with a politician, shared with the coordinators: to them, and to the member.
    Rule("relationship", (RELATIONSHIP_HOW,), frozenset({"follower", "coordinator"})),
    Rule("pledger", (PLEDGER.display_name,), frozenset({"pledger", "coordinator"})),
    Rule("helper", (HELPER.display_name,), frozenset({"helper", "coordinator"})),
)

# Every declared command (by path), read or write. READ_BARE: a read when typed without options (then walked
# so), a write with them.
READS = frozenset({
    "help", "profile show", "profile", "members", "mydata export", "mydata delete", "issue list",
    "issue show", "issue calendar", "issue map", "issue ask", "issue asks", "issue", "politician list",
    "politician export", "stance history", "media list", "council show", "hashtag", "coach next",
    "coach tweet", "coach blog", "coach feedback", "coach progress", "coach overview", "coach", "story list",
    "story search", "story show", "story export", "story delete", "story", "stats", "leaderboard show",
    "leaderboard", "digest now", "report", "watch list", "relation list", "relation contacts", "rapid list",
    "peer status", "peer pairs",
})
READ_BARE = frozenset({"pledge", "follow", "setup", "coach settings", "coach ladder", "digest settings",
                       "issue reminders", "issue countdown", "watch keywords", "relation share",
                       "rapid urgent", "peer settings", "story public"})
WRITES = frozenset({
    "onboard", "profile edit", "language", "issue create", "issue edit", "issue close", "issue asked",
    "issue outcome", "unfollow", "politician add", "politician edit", "politician remove",
    "politician import", "politician valmyndigheten", "stance set", "stance confirm", "stance reject",
    "media add", "media remove",
    "council seats", "coach done", "coach pause", "coach resume", "story share", "story feature",
    "story hide", "story unhide", "story about", "did",
    "contact",
    "leaderboard join", "leaderboard leave", "watch add", "watch remove", "relation add", "relation remove",
    "rapid start", "rapid close",
    "peer join", "peer leave", "peer now", "board",
})
# Every button's action: those that show something are pressed with forged arguments; the others change
# something (and are refused or harmless with a forged one: that is the bad-input test's to check).
SHOWING_ACTIONS = frozenset({"profile.show", "members.page", "asks.mine", "countdown.mine", "activity.stats",
                             "stories.applaud", "coaching.next", "delivery.show_personal", "agenda.create",
                             "relationships.followup"})
CHANGING_ACTIONS = frozenset({
    "onboarding.start", "profile.edit", "mydata.delete_confirm", "mydata.delete_cancel", "delivery.test_dm",
    "coaching.done", "coaching.done_link", "coaching.undo", "coaching.pause", "coaching.resume", "asks.asked",
    "asks.answer", "countdown.pledge", "countdown.kept", "countdown.missed", "stances.confirm",
    "stances.reject", "politicians.remove_confirm", "politicians.remove_cancel", "follows.issue",
    "follows.help", "activity.log", "activity.retry_done", "activity.retry_later", "activity.retry_stop",
    "activity.join", "activity.leave", "stories.share", "stories.feature", "stories.delete_confirm",
    "stories.delete_cancel", "conversation.confirm", "conversation.decline", "council_import.confirm",
    "council_import.cancel", "agenda.dismiss", "relationships.share", "relationships.save",
    "rapid.done", "rapid.link",
    "pairing.met", "pairing.not_yet", "pairing.not_met",
})
# Forged button arguments: every number up to this (more than the seeding makes of anything a button names),
# and the members list's pages.
FORGED = (*(str(number) for number in range(1, 21)), "1---", "2---")


def path(command: commands.Command) -> str:
    return " ".join(command.path)


def all_actions() -> set[str]:
    return {action for feature in FEATURES for action in feature.actions}


def test_every_command_and_every_button_is_classified_as_read_or_write():
    declared = {path(command) for command in commands.all_commands()}
    classes = (READS, READ_BARE, WRITES)

    unclassified = declared - READS - READ_BARE - WRITES
    assert not unclassified, f"say whether these commands read or write (READS, WRITES): {unclassified}"
    assert not set().union(*classes) - declared, "classified commands that are not declared any more"
    assert all(not (a & b) for a, b in itertools.combinations(classes, 2))
    actions = all_actions()
    assert not actions - SHOWING_ACTIONS - CHANGING_ACTIONS, \
        f"say whether these buttons show or change something: {actions - SHOWING_ACTIONS - CHANGING_ACTIONS}"
    assert not (SHOWING_ACTIONS | CHANGING_ACTIONS) - actions, "classified buttons that do not exist any more"
    assert not SHOWING_ACTIONS & CHANGING_ACTIONS


# -- the text surface --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Typing:
    """A user typing commands on a text surface (what bot.commands needs of the console or Slack)."""

    app: App
    who: Identity

    def identity(self) -> Identity:
        return self.who


def seen(reply: Reply) -> str:
    """All a reply shows: its text, its buttons and links, and its files (exports, a calendar, a chart)."""
    parts = [shown(reply), *(render(button.label, "sv") for button in reply.buttons),
             *(f"{render(link.label, 'sv')} {link.url}" for link in reply.links), seen_files(reply)]
    if reply.form is not None:
        parts.append(str(reply.form.values))
    return "\n".join(parts)


def seen_files(reply: Reply) -> str:
    """The text in a reply's files: UTF-8 (exports, a calendar), or Latin-1 (a PNG's metadata)."""
    return "\n".join(attachment.data.decode(encoding, "ignore") for attachment in reply.files
                     for encoding in ("utf-8", "latin-1"))


async def run_line(app: App, who: Identity, line: str) -> Reply:
    """Type a line as a user, as the console and Slack read it."""
    command, options = commands.parse(commands.split(line.removeprefix("/")), commands.all_commands())
    return await command.run(Typing(app, who), dict(options))


async def typed(app: App, who: Identity, line: str) -> str:
    """Type a line as a user; return what they are shown, the answer or the refusal."""
    try:
        return seen(await run_line(app, who, line))
    except (UserError, CommandError) as refusal:
        return render(refusal.text, "sv")


async def pressed(app: App, who: Identity, action: str, arg: str) -> str:
    """Press a button as a user; return what they are shown, the answer or the refusal."""
    try:
        return seen(await app.press(who, action, arg))
    except UserError as refusal:
        return render(refusal.text, "sv")


async def seed(app: App) -> dict[str, int]:
    """Fill the workspace through the features, as its users would (each line must be accepted); return the
    ids made."""
    await run_line(app, COORDINATOR, f'/politician add name:"{POLITICIAN}" party:M municipality:karlskrona '
                                     "body:kommunfullmäktige")
    await run_line(app, COORDINATOR, f'/issue create title:"{ISSUE_TITLE}" summary:"Kommunen vill ta bort '
                                     'platserna." municipality:karlskrona body:kommunfullmäktige '
                                     'decision:"28 jan 18:00" hashtag:#ParkeraKarlskrona '
                                     'position:"Behåll platserna."')
    for who in (MEMBER, AUTHOR, REPORTER, ASKER, FOLLOWER, PLEDGER, HELPER, STRANGER):
        await run_line(app, who, onboard_command(f"{who.display_name.split()[0]}s Företag"))
    with contextlib.suppress(UserError):  # declining is refused today; whatever the answer, she is no member
        await run_line(app, DECLINED, onboard_command("Noras Företag", consent="nej"))
    await run_line(app, OUTSIDER, "/help")  # someone who joined the server: a member row, nothing more
    async with app.sessionmaker() as session:
        issue_id = await session.scalar(select(Issue.id))
        politician_id = await session.scalar(select(Politician.id))
        in_group = {name for name, who in VIEWERS.items() if is_group_member(await session.scalar(
            select(Member).join(Workspace).where(Workspace.external_id == who.workspace_external_id,
                                                 Member.external_id == who.user_external_id)))}
    # Each viewer is what their name says (the coordinator by the server's permission, not by onboarding).
    assert in_group == GROUP - {"coordinator"} | {"stranger"}
    await run_line(app, AUTHOR, f'/story share title:"{GROUP_STORY}" kind:tweet '
                                f'value:"Det gav {GROUP_STORY_TEXT}." visibility:group')
    await run_line(app, AUTHOR, f'/story share title:"{PUBLIC_STORY}" kind:blog value:"Fler kunder." '
                                "visibility:public_name")
    async with app.sessionmaker() as session:
        group_story = await session.scalar(select(Story.id).where(Story.title == GROUP_STORY))
        public_story = await session.scalar(select(Story.id).where(Story.title == PUBLIC_STORY))
    await run_line(app, COORDINATOR, f"/story feature story:{group_story}")
    await run_line(app, REPORTER, f"/issue asked issue:{issue_id} link:https://x.com/rutger/status/1 "
                                  f"politician:{politician_id}")
    await app.press(REPORTER, asks.ANSWER_ACTION, f"{issue_id}-for")
    await run_line(app, ASKER, f"/issue asked issue:{issue_id} link:https://x.com/fiafragar/status/2 "
                               f"politician:{politician_id}")
    await run_line(app, FOLLOWER, f"/follow issue:{issue_id}")
    await run_line(app, FOLLOWER,
                   f'/relation add politician:{politician_id} kind:know how:"{RELATIONSHIP_HOW}"')
    await app.press(FOLLOWER, relationships.SHARE_ACTION, relationships.YES)
    await run_line(app, PLEDGER, f"/pledge issue:{issue_id} kind:tweet")
    await app.press(HELPER, follows.HELP_ACTION, str(issue_id))
    made = {"issue": issue_id, "politician": politician_id, "group_story": group_story,
            "public_story": public_story}
    assert {str(number) for number in made.values()} <= set(FORGED)  # the forged presses reach them all
    return made


def option_values(ids: dict[str, int]) -> dict[str, tuple[str, ...]]:
    """What the walk types for an option, by its name: the seeded items (by number: a name typed would be
    echoed in a refusal, and look like a leak)."""
    return {
        "issue": (str(ids["issue"]),),
        "politician": (str(ids["politician"]),),
        "story": (str(ids["group_story"]), str(ids["public_story"])),
        "query": ("berättelse",),
        "municipality": ("karlskrona",),
        "body": ("kommunfullmäktige",),
        "text": ("Kom och lyssna på mötet om parkeringen!",),
        "featured": ("ja",),
        "status": ("all",),
    }


def invocations(command: commands.Command, values: dict[str, tuple[str, ...]]) -> list[str]:
    """The lines a read command is walked with: its required options filled in every way the seeding allows,
    without and with each optional option the walk has values for."""
    name = path(command)
    if name in READ_BARE:
        return [f"/{name}"]
    required = [option.name for option in command.options if option.required]
    missing = [option for option in required if option not in values]
    assert not missing, f"/{name}: give the walk a value for {missing} (option_values)"
    optional = [option.name for option in command.options if not option.required and option.name in values]
    lines = []
    for chosen in itertools.product(*(values[option] for option in required)):
        base = " ".join(f'{option}:"{value}"' for option, value in zip(required, chosen, strict=True))
        lines.append(f"/{name} {base}".rstrip())
        for option in optional:
            lines += [f'/{name} {base} {option}:"{value}"'.replace("  ", " ") for value in values[option]]
    return lines


@dataclass
class Seen:
    """What each viewer was shown, line by line."""

    by_viewer: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def add(self, viewer: str, what: str, output: str) -> None:
        self.by_viewer.setdefault(viewer, []).append((what, output))

    def where(self, viewer: str, marker: str) -> list[str]:
        return [what for what, output in self.by_viewer.get(viewer, []) if marker in output]


def violations(seen: Seen, rules: Iterable[Rule]) -> list[str]:
    problems = []
    for rule in rules:
        for viewer, who in VIEWERS.items():
            found = {marker: seen.where(viewer, marker) for marker in rule.markers}
            if viewer in rule.allowed:
                if not any(found.values()):
                    problems.append(f"{rule.name}: the {viewer} ({who.display_name}) may see it, "
                                    "and sees it nowhere: the walk does not reach it")
            else:
                problems += [f"{rule.name}: the {viewer} sees {marker!r} in {where[:3]}"
                             for marker, where in found.items() if where]
        for marker in rule.markers:
            if not any(seen.where(viewer, marker) for viewer in rule.allowed):
                problems.append(f"{rule.name}: nobody sees {marker!r}: the marker is not tested")
    return problems


# Who reads a channel: anyone in the server the announcements and the welcome, and the stories channel too
# here, where /setup chose none (then its posts go to the announcements); the coordinators theirs.
CHANNEL_READERS = {"announcements": WORKSPACE, "welcome": WORKSPACE, "stories": WORKSPACE,
                   "coordinators": frozenset({"coordinator"})}


def delivered(seen: Seen, notifier: RecordingNotifier) -> None:
    """Add what the bot sent to whom reads it: a DM to its member, a channel post to the channel's readers."""
    by_user = {who.user_external_id: viewer for viewer, who in VIEWERS.items()}
    for message in notifier.sent:
        kind, _, where = message.to.partition(":")
        readers = {by_user[where]} if kind == "dm" and where in by_user else CHANNEL_READERS.get(where, ())
        for viewer in readers:
            seen.add(viewer, f"[{message.to}]", f"{message.text}\n{seen_files(message.reply)}")


async def test_every_read_command_and_button_shows_each_item_only_to_whom_its_rule_allows(
    app: App, notifier: RecordingNotifier
):
    ids = await seed(app)
    values = option_values(ids)
    reads = [command for command in commands.all_commands() if path(command) in READS | READ_BARE]
    lines = [line for command in reads for line in invocations(command, values)]
    seen = Seen()

    for viewer, who in VIEWERS.items():
        for line in lines:
            # A command that fails unexpectedly raises here: the walk is also a crash test of every read.
            seen.add(viewer, line, await typed(app, who, line))
        for action in sorted(SHOWING_ACTIONS):
            for arg in FORGED:
                seen.add(viewer, f"[{action}:{arg}]", await pressed(app, who, action, arg))

    delivered(seen, notifier)
    problems = violations(seen, RULES)
    assert not problems, "\n".join(problems)
