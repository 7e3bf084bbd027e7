"""A real room: the whole group acts at the same instant, and every interaction is still answered in time.

`python -m bot` against the local Discord-protocol server, with Discord's limits as they are: an interaction
must get its initial response within 3 seconds (later, Discord answers 404 10062 "Unknown interaction" and the
user sees "This interaction failed"), a channel takes 5 messages per 5 seconds from a bot, and the bot may
make 50 requests a second (interaction responses excepted). What an interaction causes besides its answer (the
coordinators' notice, the story's post, the member role) must not hold the answer up: it is sent after it, at
the channel's pace, and must still arrive, exactly once.

1. Twenty members fill in the onboarding form together and press its last Submit at the same instant; then ten
   of them share a story at the same instant.
2. The first twenty users of a server the bot has never seen act at the same instant: the workspace and their
   member rows are created once, and nobody gets "something went wrong".

bench/interaction_burst.py measures the same at 200 and 500 interactions at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.i18n import translate

from .botprocess import BotProcess, checked_bot
from .fakediscord import (
    ChannelSpec,
    FakeDiscord,
    Interaction,
    MemberSpec,
    RateLimitConfig,
    Recorded,
)
from .fakediscord.interactions import MODAL
from .fakediscord.model import DEFAULT_CHANNELS, DEFAULT_MEMBERS, MessageFlag
from .test_scenarios import ONBOARDING_PAGES, SETUP, WAIT, only_button, sv

pytestmark = [pytest.mark.asyncio, pytest.mark.e2e]

GROUP = tuple(MemberSpec(f"medlem{i:02d}") for i in range(20))
SHARERS = 10
STORIES = ChannelSpec("berättelser", topic="Medlemmarnas berättelser")
CALLBACK_ROUTE = "/interactions/{interaction_id}/{token}/callback"
UNKNOWN_INTERACTION = 10062
TOO_MANY_REQUESTS = 429
# Discord's own limits, which the fake enforces by default.
LIMITS = RateLimitConfig()
# How long a burst may take to be answered at all (late answers included) before the test reports what it saw.
SETTLE = 30.0
# Beyond a channel's pace, what the deliveries after a burst may take on a loaded two-core machine.
DELIVERY_MARGIN = 20.0


@pytest_asyncio.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """The default server with twenty more people who have not onboarded, and a channel for stories."""
    async with FakeDiscord(channels=(*DEFAULT_CHANNELS, STORIES), members=(*DEFAULT_MEMBERS, *GROUP)) as fake:
        yield fake


@pytest_asyncio.fixture
async def jobbbot(fake_discord: FakeDiscord, tmp_path: Path) -> AsyncIterator[BotProcess]:
    """The real bot, as in conftest.py, with quiet hours off: what is measured must not depend on the hour."""
    async with checked_bot(
        fake_discord, tmp_path / "bot", {"QUIET_HOURS_START": "0", "QUIET_HOURS_END": "0"}
    ) as bot:
        yield bot


# --- what the users saw -------------------------------------------------------------------------------


def error_prefixes() -> tuple[str, ...]:
    """Return how "something went wrong on my side" begins, in every language the bot speaks."""
    return tuple(
        translate("errors.unexpected", language, code="\0").split("\0")[0] for language in ("sv", "en")
    )


def shown_texts(inter: Interaction) -> str:
    """Return everything the bot sent the user for an interaction: the response, its edits and follow-ups."""
    bodies = [inter.response or {}, *inter.edits, *inter.followups]
    return json.dumps(bodies, ensure_ascii=False)


def callbacks(fake: FakeDiscord) -> dict[int, list[Recorded]]:
    """Return the bot's initial-response requests (accepted or refused) by interaction id."""
    found: dict[int, list[Recorded]] = {}
    for recorded in fake.requests:
        if recorded.route == CALLBACK_ROUTE:
            found.setdefault(int(recorded.path.split("/")[2]), []).append(recorded)
    return found


def seconds_after(fake: FakeDiscord, inter: Interaction, recorded: Recorded) -> float:
    """Return when the fake answered a request, in seconds after the interaction was created."""
    return recorded.at + fake._started_at - inter.created_at  # the requests' own time base


@dataclass
class Room:
    """The users' interactions, phase by phase, and what went wrong with them as a user would see it."""

    fake: FakeDiscord
    phases: dict[str, list[Interaction]] = field(default_factory=dict)

    async def at_once(
        self, phase: str, actions: Mapping[str, Awaitable[Interaction]]
    ) -> dict[str, Interaction]:
        """Send every user's interaction at the same instant; wait until each was answered
        (or given up on)."""
        names = list(actions)
        sent = await asyncio.gather(*actions.values())
        self.phases.setdefault(phase, []).extend(sent)
        await self.settle(sent)
        return dict(zip(names, sent, strict=True))

    async def settle(self, inters: Sequence[Interaction]) -> None:
        """Wait until every interaction has its response, and a deferred one its answer; or until SETTLE."""
        def settled() -> bool:
            tried = callbacks(self.fake)
            return all(
                self._finished(inter) or inter.id in tried and inter.response is None for inter in inters
            )

        with contextlib.suppress(TimeoutError):
            await self.fake.wait_until(settled, SETTLE, "every interaction of the burst to be answered")

    @staticmethod
    def _finished(inter: Interaction) -> bool:
        if inter.response is None:
            return False
        if inter.response_type == MODAL or inter.original_message_id is None:
            return True
        message = inter.original
        return message is not None and not message.flags & MessageFlag.LOADING  # no longer "thinking…"

    def problems(self, phase: str) -> list[str]:
        """Say, for each interaction of a phase, what a user would have seen go wrong."""
        fake, window = self.fake, self.fake.interaction_window
        tried = callbacks(fake)
        found = []
        for inter in self.phases.get(phase, []):
            who = fake.world.users[inter.user_id].name
            attempts = ", ".join(f"{r.status} {(r.response_json or {}).get('code') or ''} after "
                                 f"{seconds_after(fake, inter, r):.1f} s" for r in tried.get(inter.id, []))
            if inter.response is None:
                found.append(f"{who}: 'This interaction failed' (the bot's responses: {attempts or 'none'})")
            elif inter.acknowledged_at is not None and inter.acknowledged_at - inter.created_at > window:
                found.append(f"{who}: answered after {inter.acknowledged_at - inter.created_at:.1f} s")
            if any(prefix in shown_texts(inter) for prefix in error_prefixes()):
                found.append(f"{who}: was told that something went wrong")
        return found

    def report(self) -> list[str]:
        """Return every phase's problems, each headed by its phase and how many of its users were hit."""
        lines = []
        for phase, inters in self.phases.items():
            problems = self.problems(phase)
            if problems:
                hit = len({p.split(":")[0] for p in problems})
                lines.append(f"{phase}: {hit} of {len(inters)} users saw a problem")
                lines += [f"  {p}" for p in problems]
        return lines

    def answered(self, inters: Mapping[str, Interaction]) -> dict[str, Interaction]:
        """Return those of the users' interactions that got a response without a problem."""
        return {name: inter for name, inter in inters.items() if inter.response is not None and
                not any(prefix in shown_texts(inter) for prefix in error_prefixes())}


def refused_callbacks(fake: FakeDiscord) -> list[Recorded]:
    """Return the initial responses Discord refused because the interaction was no longer known (too late)."""
    return [r for r in fake.requests if r.route == CALLBACK_ROUTE and r.status == 404
            and (r.response_json or {}).get("code") == UNKNOWN_INTERACTION]


def too_late(refused: Sequence[Recorded]) -> list[str]:
    """Describe the initial responses that came too late, if any."""
    return (
        [f"{len(refused)} initial responses came too late for Discord (404 {UNKNOWN_INTERACTION})"]
        if refused
        else []
    )


def paced(posts: int) -> float:
    """Return how long a channel takes to accept `posts` messages at Discord's pace, plus a margin."""
    return math.ceil(posts / LIMITS.message_limit) * LIMITS.message_window + DELIVERY_MARGIN


def rows(bot: BotProcess, sql: str) -> list[tuple[Any, ...]]:
    """Read the bot's SQLite database (read-only; in WAL mode the bot may write meanwhile)."""
    with contextlib.closing(sqlite3.connect(f"file:{bot.database}?mode=ro", uri=True)) as connection:
        return connection.execute(sql).fetchall()


async def configure(fake: FakeDiscord, options: Mapping[str, str]) -> None:
    """Let the server's owner choose the channels and roles (with /setup, wherever the command lives)."""
    name = "setup" if "setup" in fake.commands(guild=True) else "coordinator setup"
    saved = await (await fake.slash("owner", name, dict(options))).wait_reply(WAIT)
    assert sv("setup.saved") in saved.embed_text(), saved.embed_text()


def company(number: int) -> str:
    return f"Bygg {number:02d} AB"


def story_title(number: int) -> str:
    return f"Berättelse {number:02d}: tweeten gav kunder"


# --- the scenarios --------------------------------------------------------------------------------


async def test_twenty_onboard_at_the_same_instant_then_ten_share_a_story(fake_discord: FakeDiscord,
                                                                         jobbbot: BotProcess):
    fake = fake_discord
    # When two of the bot's posts to a channel cross before it learned the bucket, Discord answers one with
    # 429 and discord.py sends it again when the window opens: Discord's pace, not a refusal.
    jobbbot.expect_refusal(TOO_MANY_REQUESTS)
    await configure(fake, {**SETUP, "stories": STORIES.name})
    room = Room(fake)
    names = [spec.name for spec in GROUP]
    number = {name: i for i, name in enumerate(names)}

    # The group opens the form together and fills in its pages (Continue between them)...
    openers = await room.at_once("/onboard", {name: fake.slash(name, "onboard") for name in names})
    for page, values in enumerate(ONBOARDING_PAGES[:-1], start=1):
        ready = {name: inter for name, inter in room.answered(openers).items() if inter.modal is not None}
        submits = await room.at_once(f"onboarding page {page}", {
            name: fake.submit_modal(name, inter, {**values, "company": company(number[name])} if page == 1
                                    else values) for name, inter in ready.items()})
        shown = {name: inter.original for name, inter in room.answered(submits).items() if inter.original}
        openers = await room.at_once(
            f"Continue to page {page + 1}",
            {
                name: fake.press(name, message, custom_id=only_button(message))
                for name, message in shown.items()
            },
        )
    # ...and presses the last page's Submit at the same instant.
    ready = {name: inter for name, inter in room.answered(openers).items() if inter.modal is not None}
    finals = await room.at_once("onboarding Submit", {
        name: fake.submit_modal(name, inter, ONBOARDING_PAGES[-1]) for name, inter in ready.items()})

    # Ten of them share a story at the same instant: open the form, then press Submit together.
    sharers = names[:SHARERS]
    forms = await room.at_once("/story share", {name: fake.slash(name, "story share") for name in sharers})
    ready = {name: inter for name, inter in room.answered(forms).items() if inter.modal is not None}
    shared = await room.at_once(
        "story Submit",
        {
            name: fake.submit_modal(
                name,
                inter,
                {
                    "title": story_title(number[name]),
                    "kind": ["tweet"],
                    "value": "Två kunder hörde av sig efter tweeten.",
                    "link": "",
                    "visibility": ["group"],
                },
            )
            for name, inter in ready.items()
        },
    )

    # Every interaction was answered within Discord's 3 seconds, and none with an error.
    report = room.report()
    late = refused_callbacks(fake)
    assert not report and not late, "\n".join(report + too_late(late))
    for name, inter in finals.items():
        assert (await inter.wait_reply(WAIT)).embeds[0]["title"] == sv(
            "onboarding.done.title", name=fake.member(name).user.global_name)
    for inter in shared.values():
        assert (await inter.wait_reply(WAIT)).embeds[0]["title"] == sv("stories.shared.title")

    # What the answers promised arrives afterwards, at the channels' pace, each exactly once: the member role,
    # the coordinators' notice of every onboarding and every story, every story's post.
    def notices(text: str) -> int:
        return sum(text in m.content for m in fake.messages_in("koordinatorer"))

    def posts(title: str) -> int:
        return sum(
            bool(m.embeds) and m.embeds[0].get("title") == title for m in fake.messages_in(STORIES.name)
        )

    def missing() -> list[str]:
        return (
            [f"{name}'s member role" for name in names if "Medlem" not in fake.member_role_names(name)]
            + [f"the notice of {name}'s onboarding" for name in names if not notices(company(number[name]))]
            + [f"the notice of {name}'s story" for name in sharers if not notices(story_title(number[name]))]
            + [f"the post of {name}'s story" for name in sharers if not posts(story_title(number[name]))]
        )

    with contextlib.suppress(TimeoutError):
        await fake.wait_until(
            lambda: not missing(), paced(len(names) + SHARERS), "every effect of the bursts"
        )
    assert not missing(), "never arrived: " + ", ".join(missing())
    assert {name: notices(company(number[name])) for name in names} == dict.fromkeys(names, 1)
    assert {name: notices(story_title(number[name])) for name in sharers} == dict.fromkeys(sharers, 1)
    assert {name: posts(story_title(number[name])) for name in sharers} == dict.fromkeys(sharers, 1)
    assert fake.rate_limited_global == 0  # answers first, effects paced: never over the global limit


async def test_the_first_twenty_users_of_a_new_server_act_at_the_same_instant(fake_discord: FakeDiscord,
                                                                              jobbbot: BotProcess):
    fake = fake_discord
    # The bot has never stored this server: no /setup, no member has joined or acted yet.
    assert rows(jobbbot, "SELECT count(*) FROM workspace") == [(0,)]
    room = Room(fake)
    # /onboard opens its form without writing anything; /stats is refused until one has onboarded (nothing
    # is kept); /language stores the workspace and the member: the first writes race for the same new rows.
    commands = ("onboard", "stats", "language")
    options = {"language": {"language": "en"}}
    names = [spec.name for spec in GROUP]
    acted = await room.at_once("first actions", {
        name: fake.slash(name, commands[i % len(commands)], options.get(commands[i % len(commands)], {}))
        for i, name in enumerate(names)})

    report = room.report()
    late = refused_callbacks(fake)
    assert not report and not late, "\n".join(report + too_late(late))
    for i, name in enumerate(names):
        if commands[i % len(commands)] == "onboard":
            assert acted[name].modal is not None, f"{name}'s /onboard opened no form: {acted[name].response}"
    # One workspace, a member row for each who chose a language, and never two member rows for one user.
    assert rows(jobbbot, "SELECT count(*) FROM workspace") == [(1,)]
    choosers = [name for i, name in enumerate(names) if commands[i % len(commands)] == "language"]
    assert rows(jobbbot, "SELECT count(*) FROM member WHERE language = 'en'") == [(len(choosers),)]
    assert rows(jobbbot, "SELECT external_id FROM member GROUP BY workspace_id, external_id "
                         "HAVING count(*) > 1") == []
