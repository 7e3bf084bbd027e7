"""The whole bot, end to end: `python -m bot` as a subprocess against the local Discord-protocol server.

Each scenario starts the unmodified bot exactly as a user does (see botprocess.py) and acts as Discord's users
would: joining, running slash commands, pressing buttons, submitting modals. The `jobbbot` fixture fails a
scenario whose bot logged a traceback or an error, made a request the fake does not know, or sent anything
the fake refused (every payload must be one Discord accepts), unless the scenario provoked that refusal.
Each feature adds its own scenario here.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
import pytest_asyncio

from bot.i18n import translate

from .botprocess import BotProcess
from .fakediscord import (
    CommandNotAvailable,
    FakeDiscord,
    Interaction,
    MemberSpec,
    Message,
    Perm,
    RoleSpec,
)
from .fakediscord.model import DEFAULT_MEMBERS, DEFAULT_ROLES, EVERYONE_PERMISSIONS

pytestmark = [pytest.mark.asyncio, pytest.mark.e2e]

# Generous: the waits end as soon as the condition holds; the limit only matters on a very loaded machine.
WAIT = 30.0
CANNOT_DM = 50007
SETUP = {"welcome": "välkommen", "announcements": "annonser", "coordinators": "koordinatorer",
         "member_role": "Medlem", "coordinator_role": "Koordinator"}
START_BUTTON = "jb:onboarding.start:"
# The onboarding form, page by page as the modals show it: 5 + 5 + 4 fields.
ONBOARDING_PAGES: tuple[dict[str, Any], ...] = (
    {"company": "Blekinge Bygg AB", "offer": "Om- och tillbyggnader åt villaägare och företag",
     "facts": "12 anställda, i Karlskrona sedan 1987", "industry": ["construction"], "company_size": ["2-9"]},
    {"municipality": ["karlskrona"], "experience": ["none"], "x_handle": "@blekingebygg",
     "platforms": "X och LinkedIn", "linkedin_url": "https://www.linkedin.com/company/blekinge-bygg"},
    {"blog_url": "", "goal": "Fler förfrågningar från företag i Karlskrona", "dm_reminders": True,
     "consent": True},
)


@pytest_asyncio.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """The default server, plus a moderator (Manage Messages) who is no coordinator."""
    moderator = RoleSpec("Moderator", permissions=int(EVERYONE_PERMISSIONS | Perm.MANAGE_MESSAGES))
    roles = (*DEFAULT_ROLES, moderator)
    members = (*DEFAULT_MEMBERS, MemberSpec("mia", roles=("Medlem", "Moderator")))
    async with FakeDiscord(roles=roles, members=members) as fake:
        yield fake


# --- what users do --------------------------------------------------------------------------------


def sv(key: str, **params: Any) -> str:
    """Return a text as the bot shows it to a Swedish member."""
    return translate(key, "sv", **params)


async def set_up_workspace(fake: FakeDiscord) -> None:
    """Let the server's owner choose the channels and roles with /setup."""
    inter = await fake.slash("owner", "setup", SETUP)
    response = await inter.wait_response(WAIT)
    embed = response["data"]["embeds"][0]
    assert embed["description"] == sv("setup.saved")
    values = {field["value"] for field in embed["fields"]}
    assert f"<#{fake.channel_id('koordinatorer')}>" in values and f"<@&{fake.role_id('Medlem')}>" in values


def only_button(message: Message) -> str:
    """Return the custom_id of a message's one button."""
    [custom_id] = message.custom_ids()
    return custom_id


async def fill_in_onboarding(fake: FakeDiscord, user: str, opener: Interaction) -> Interaction:
    """Fill in the onboarding modal's pages, pressing Continue between them; return the last page's submit."""
    fields = 0
    for number, values in enumerate(ONBOARDING_PAGES, start=1):
        modal = (await opener.wait_response(WAIT))["data"]
        assert opener.modal is not None and modal["title"].endswith(f"({number}/{len(ONBOARDING_PAGES)})")
        fields += len(modal["components"])
        submit = await fake.submit_modal(user, opener, values)
        if number == len(ONBOARDING_PAGES):
            break
        await submit.wait_response(WAIT)
        shown = submit.original
        assert shown is not None and shown.ephemeral
        assert shown.content == sv("form.continue", page=number, pages=len(ONBOARDING_PAGES))
        opener = await fake.press(user, shown, custom_id=only_button(shown))
    assert fields == sum(len(page) for page in ONBOARDING_PAGES) == 14
    return submit


async def join_and_onboard(fake: FakeDiscord, user: str) -> Interaction:
    """A new member joins, presses the start button of the welcome DM and fills in the form."""
    await fake.member_join(name=user)
    welcome = await fake.wait_for_dm(user, timeout=WAIT)
    submit = await fill_in_onboarding(fake, user, await fake.press(user, welcome, custom_id=START_BUTTON))
    await submit.wait_response(WAIT)
    return submit


def row_count(bot: BotProcess, sql: str, *params: Any) -> int:
    """Count rows in the bot's own database (read-only; SQLite in WAL mode lets the bot write meanwhile)."""
    with contextlib.closing(sqlite3.connect(f"file:{bot.database}?mode=ro", uri=True)) as connection:
        return int(connection.execute(sql, params).fetchone()[0])


# --- the scenarios --------------------------------------------------------------------------------


async def test_a_member_joins_onboards_and_gets_the_member_role(fake_discord: FakeDiscord,
                                                                jobbbot: BotProcess):
    fake = fake_discord
    assert set(fake.commands(guild=True)) >= {"setup", "members", "profile", "language", "onboard", "mydata"}
    await set_up_workspace(fake)

    erik = await fake.member_join(name="erik")
    welcome = await fake.wait_for_dm("erik", timeout=WAIT)
    assert welcome.embeds[0]["title"] == sv("onboarding.welcome.title", name="Erik")
    assert only_button(welcome) == START_BUTTON

    submit = await fill_in_onboarding(fake, "erik", await fake.press("erik", welcome, custom_id=START_BUTTON))
    done = await submit.wait_reply(WAIT)
    assert done.ephemeral and done.embeds[0]["title"] == sv("onboarding.done.title", name="Erik")

    member_role = fake.role_id("Medlem")
    await fake.wait_for_request("PUT", rf"/guilds/{fake.guild_id}/members/{erik.id}/roles/{member_role}",
                                WAIT)
    assert fake.member_role_names("erik") == ["Medlem"]
    notice = await fake.wait_for_message("koordinatorer", timeout=WAIT)
    assert "**Erik**" in notice.content and "Blekinge Bygg AB" in notice.content
    [posted] = fake.requests_to("POST", rf"/channels/{fake.channel_id('koordinatorer')}/messages")
    assert posted.json_body["allowed_mentions"] == {"parse": [], "users": []}


async def test_a_member_is_refused_the_coordinators_command(fake_discord: FakeDiscord, jobbbot: BotProcess):
    fake = fake_discord
    await set_up_workspace(fake)
    await join_and_onboard(fake, "erik")

    # Discord hides /members from all without Manage Server, as the command's default permission asks: from a
    # member, a moderator (Manage Messages), and the coordinator role until a server admin adds that role
    # under Server Settings → Integrations. The fake models no such setting; the cog tests cover the role and
    # the bot's refusal of those who see the command but are no coordinators.
    members_command = fake.commands(guild=True)["members"]
    assert members_command["default_member_permissions"] == str(discord.Permissions(manage_guild=True).value)
    for name in ("bertil", "mia", "anna"):
        with pytest.raises(CommandNotAvailable):
            await fake.slash(name, "members")

    # The server's owner (Manage Server: a coordinator) gets the list.
    listed = await fake.slash("owner", "members")
    assert (await listed.wait_response(WAIT))["type"] == 5  # deferred, "thinking…"
    shown = await listed.wait_reply(WAIT)
    assert shown.ephemeral and shown.embeds[0]["title"] == sv("members.title", count=1)
    assert "**Erik**, Blekinge Bygg AB" in shown.embed_text()


async def test_buttons_still_answer_after_the_bot_is_killed_and_restarted(fake_discord: FakeDiscord,
                                                                          jobbbot: BotProcess):
    fake = fake_discord
    await set_up_workspace(fake)
    done = (await join_and_onboard(fake, "erik")).original
    assert done is not None
    await fake.member_join(name="frida")
    welcome = await fake.wait_for_dm("frida", timeout=WAIT)
    half_done = await fake.press("frida", welcome, custom_id=START_BUTTON)
    assert (await half_done.wait_response(WAIT))["type"] == 9  # a modal page is open when the bot dies

    assert await jobbbot.kill() == -signal.SIGKILL
    await jobbbot.start()

    # The command tree did not change, and its hash is stored: no second registration.
    syncs = fake.requests_to("PUT", rf"/applications/{fake.application_id}/guilds/{fake.guild_id}/commands")
    assert len(syncs) == 1
    assert fake.command_syncs == 1 and "unchanged; not syncing" in jobbbot.current.output()

    # The modal shown before the kill cannot be completed; the bot says so instead of failing silently.
    stale = await fake.submit_modal("frida", half_done, ONBOARDING_PAGES[0])
    assert (await stale.wait_response(WAIT))["data"]["content"] == sv("errors.form_expired")
    # The welcome DM's button, sent before the kill, opens the form again.
    again = await fake.press("frida", welcome, custom_id=START_BUTTON)
    assert (await again.wait_response(WAIT))["type"] == 9
    # The profile button under the onboarding answer, and the Edit button it brings, work too.
    profile = await fake.press("erik", done, custom_id="jb:profile.show:")
    shown = await profile.wait_reply(WAIT)
    assert "Blekinge Bygg AB" in shown.embed_text()
    edit = await fake.press("erik", shown, custom_id="jb:profile.edit:")
    modal = (await edit.wait_response(WAIT))["data"]
    assert modal["components"][0]["component"]["value"] == "Blekinge Bygg AB"  # prefilled from the database


async def test_a_member_with_closed_dms_is_welcomed_in_the_channel(fake_discord: FakeDiscord,
                                                                   jobbbot: BotProcess):
    fake = fake_discord
    jobbbot.expect_refusal(403, CANNOT_DM)  # Discord's answer to a DM the member does not accept
    await set_up_workspace(fake)

    fia = await fake.member_join(name="fia", dms_open=False)
    welcome = await fake.wait_for_message("välkommen", lambda m: f"<@{fia.id}>" in m.content, WAIT)
    refused = fake.requests_to("POST", rf"/channels/{fake.dm_channel_id('fia')}/messages")
    assert [(r.status, r.response_json["code"]) for r in refused] == [(403, CANNOT_DM)]
    assert fake.dm_messages("fia") == []
    # The start button, and one that sends her a test DM once she has allowed DMs.
    assert welcome.content.startswith(f"<@{fia.id}>")
    assert welcome.custom_ids() == [START_BUTTON, "jb:delivery.test_dm:"]
    [posted] = fake.requests_to("POST", rf"/channels/{fake.channel_id('välkommen')}/messages")
    mentions = posted.json_body["allowed_mentions"]
    assert mentions["parse"] == [] and [int(u) for u in mentions["users"]] == [fia.id]  # pings her only

    # The button in the channel works for her like the one in a DM would.
    opener = await fake.press("fia", welcome, custom_id=START_BUTTON)
    assert (await opener.wait_response(WAIT))["type"] == 9


async def test_the_bot_resumes_a_dropped_gateway_connection(fake_discord: FakeDiscord, jobbbot: BotProcess):
    fake = fake_discord
    await set_up_workspace(fake)

    await fake.drop_gateway()
    # Whether this arrives live or in RESUME's replay depends on timing; either way it must not be lost.
    await fake.member_join(name="gustav")
    await jobbbot.wait(lambda: fake.resumes == 1 and fake.gateway.connected, WAIT, "the bot to resume")
    assert fake.identifies == 1  # resumed the session, did not start a new one
    await fake.wait_for_dm("gustav", timeout=WAIT)

    inter = await fake.slash("gustav", "onboard")
    assert (await inter.wait_response(WAIT))["type"] == 9


async def test_sigterm_stops_the_bot_cleanly(fake_discord: FakeDiscord, jobbbot: BotProcess):
    fake = fake_discord
    await set_up_workspace(fake)

    assert await jobbbot.terminate() == 0
    log = jobbbot.current.output()
    assert "Received SIGTERM; closing" in log and "Traceback" not in log
    await fake.wait_until(lambda: not fake.gateway.connected, WAIT, "the gateway connection to close")


async def test_a_member_exports_and_then_erases_their_data(fake_discord: FakeDiscord, jobbbot: BotProcess):
    fake = fake_discord
    await set_up_workspace(fake)
    await join_and_onboard(fake, "erik")
    erik = fake.member("erik")

    export = await fake.slash("erik", "mydata export")
    assert (await export.wait_response(WAIT)) == {"type": 5, "data": {"flags": 64}}
    shown = await export.wait_reply(WAIT)
    assert shown.ephemeral and shown.content == sv("mydata.export.body")
    [attachment] = shown.attachments
    assert attachment.filename == f"jobbskaparna-{erik.id}.json"
    data = json.loads(fake.attachment_bytes(attachment.id))
    assert (data["profile"]["company"], data["profile"]["municipality"]) == ("Blekinge Bygg AB", "karlskrona")

    delete = await fake.slash("erik", "mydata delete")
    question = await delete.wait_reply(WAIT)
    assert question.content == sv("mydata.delete.confirm")
    assert row_count(jobbbot, "SELECT count(*) FROM member WHERE external_id = ?", str(erik.id)) == 1
    confirm = await fake.press("erik", question, custom_id="jb:mydata.delete_confirm:")
    assert (await confirm.wait_response(WAIT))["type"] == 7  # the question is replaced by the answer
    assert question.content.startswith(sv("mydata.delete.done")) and question.components == []
    assert row_count(jobbbot, "SELECT count(*) FROM member WHERE external_id = ?", str(erik.id)) == 0
    assert row_count(jobbbot, "SELECT count(*) FROM audit_log WHERE action = 'member.data_deleted'") == 1
    # The member role goes after the answer, as a durable effect.
    await fake.wait_for_request(
        "DELETE", rf"/guilds/{fake.guild_id}/members/{erik.id}/roles/{fake.role_id('Medlem')}", WAIT)
    assert fake.member_role_names("erik") == []
