"""The one error handler: every failure is answered, only to the user, in their language;
surprises get a code."""

from __future__ import annotations

import logging
import re
from typing import Any

import discord
import pytest
from discord import app_commands

from bot.app import App
from bot.discordbot.bot import JobbBot
from bot.discordbot.checks import CoordinatorOnly, identity_of
from bot.discordbot.tree import handle_interaction_error, send_ephemeral
from bot.errors import UserError
from bot.services import profile
from cogs.profile import Profile
from tests.helpers import MockMember, MockUser, sent


def answer(interaction: Any) -> str:
    kwargs = sent(interaction)
    assert kwargs["ephemeral"] is True
    assert kwargs["allowed_mentions"].to_dict() == {"parse": [], "users": []}
    return kwargs["content"]


async def test_a_user_error_is_shown_in_the_language_it_carries(interact: Any):
    error = UserError("errors.timezone", value="Mars/Olympus")
    error.language = "en"
    interaction = interact()

    await handle_interaction_error(interaction, error)

    assert (
        answer(interaction) == '"Mars/Olympus" is not a time zone I know. Write for example Europe/Stockholm.'
    )


async def test_without_a_language_the_users_own_is_looked_up(interact: Any, app: App, member: MockMember):
    await app.run(identity_of(member), profile.set_language, "en")
    interaction = interact()

    await handle_interaction_error(interaction, UserError("errors.guild_only"))

    assert answer(interaction) == "This command only works in the group's server, not in DMs."


async def test_a_command_error_is_unwrapped_and_answered_by_the_tree(app: App, interact: Any):
    tree_owner = JobbBot(app)
    interaction = interact()
    wrapped = app_commands.CommandInvokeError(Profile.profile_show, UserError("profile.not_onboarded"))

    await tree_owner.tree.on_error(interaction, wrapped)

    assert answer(interaction) == "Du har ingen profil än. Skriv /kom-igång för att komma igång."


async def test_an_unexpected_error_shows_a_code_and_logs_it_with_who_and_where(
        interact: Any, member: MockMember, caplog: pytest.LogCaptureFixture):
    interaction = interact()
    interaction.command = Profile.profile_show

    with caplog.at_level(logging.ERROR, logger="bot.discordbot.tree"):
        await handle_interaction_error(interaction, app_commands.CommandInvokeError(
            Profile.profile_show, RuntimeError("boom")))

    code = re.search(r"felkoden ([0-9a-f]{8})", answer(interaction)).group(1)
    [record] = caplog.records
    message = record.getMessage()
    assert code in message and "/profile show" in message
    assert str(member.id) in message and str(member.guild.id) in message
    assert record.exc_info[0] is RuntimeError


@pytest.mark.parametrize(("error", "expected"), [
    (CoordinatorOnly(), "Det här kommandot är till för koordinatorer."),
    (app_commands.NoPrivateMessage(), "Det här kommandot fungerar bara i gruppens server, inte i DM."),
    (app_commands.CommandOnCooldown(app_commands.Cooldown(1, 60), 41.2),
     "Lugn i stormen! Försök igen om 42 sekunder."),
])
async def test_check_failures_get_their_own_texts(interact: Any, error: Exception, expected: str):
    interaction = interact()

    await handle_interaction_error(interaction, error)

    assert answer(interaction).startswith(expected)


async def test_an_error_after_a_defer_replaces_the_thinking_message(interact: Any):
    interaction = interact()
    await interaction.response.defer(thinking=True, ephemeral=True)

    await handle_interaction_error(interaction, UserError("members.none"))

    interaction.response.send_message.assert_not_awaited()
    interaction.followup.send.assert_not_awaited()
    assert interaction.edit_original_response.await_args.kwargs["content"] == "Inga medlemmar matchar."


async def test_after_the_thinking_message_is_replaced_more_answers_are_followups(interact: Any):
    interaction = interact()
    await interaction.response.defer(thinking=True, ephemeral=True)

    await send_ephemeral(interaction, content="ett")
    await send_ephemeral(interaction, content="två")

    assert interaction.edit_original_response.await_args.kwargs["content"] == "ett"
    followup = interaction.followup.send.await_args.kwargs
    assert (followup["content"], followup["ephemeral"]) == ("två", True)


async def test_in_a_dm_without_a_server_the_clients_locale_decides(interact: Any):
    interaction = interact(user=MockUser(), locale=discord.Locale.british_english)

    await handle_interaction_error(interaction, RuntimeError("boom"))

    assert answer(interaction).startswith("Something went wrong on my side")


async def test_an_answer_that_cannot_be_sent_is_logged_not_raised(
    interact: Any, caplog: pytest.LogCaptureFixture
):
    interaction = interact()
    interaction.response.send_message.side_effect = discord.NotFound(
        type("Response", (), {"status": 404, "reason": "Not Found"})(), "Unknown interaction")

    with caplog.at_level(logging.WARNING, logger="bot.discordbot.tree"):
        await handle_interaction_error(interaction, UserError("members.none"))

    assert "Could not tell user" in caplog.text


def discord_error(
    kind: type[discord.HTTPException], status: int, code: int, message: str
) -> discord.HTTPException:
    response = type("Response", (), {"status": status, "reason": message})()
    return kind(response, {"code": code, "message": message})


def gone(code: int) -> discord.HTTPException:
    """Discord's answer to an interaction that expired (10062, a 404) or was already answered
    (40060, a 400)."""
    if code == 10062:
        return discord_error(discord.NotFound, 404, code, "Unknown interaction")
    return discord_error(discord.HTTPException, 400, code, "Interaction has already been acknowledged.")


@pytest.mark.parametrize("code", [10062, 40060])
async def test_a_command_whose_interaction_expired_is_logged_once_briefly_and_not_answered(
        interact: Any, member: MockMember, caplog: pytest.LogCaptureFixture, code: int):
    interaction = interact()
    interaction.command = Profile.profile_show

    with caplog.at_level(logging.DEBUG, logger="bot.discordbot.tree"):
        await handle_interaction_error(
            interaction, app_commands.CommandInvokeError(Profile.profile_show, gone(code))
        )

    [record] = caplog.records
    assert record.levelno == logging.WARNING and record.exc_info is None
    message = record.getMessage()
    assert "/profile show" in message and str(member.id) in message and str(member.guild.id) in message
    assert str(code) in message and "\n" not in message
    interaction.response.send_message.assert_not_awaited()
    interaction.followup.send.assert_not_awaited()


async def test_an_expired_interaction_raised_from_another_error_is_recognised(
    interact: Any, caplog: pytest.LogCaptureFixture
):
    interaction = interact(type=discord.InteractionType.component, data={"custom_id": "jb:profile.show:"})
    try:
        raise RuntimeError("the answer failed") from gone(10062)
    except RuntimeError as wrapped:
        error = wrapped

    with caplog.at_level(logging.DEBUG, logger="bot.discordbot.tree"):
        await handle_interaction_error(interaction, error)

    [record] = caplog.records
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert "jb:profile.show:" in record.getMessage()
    interaction.response.send_message.assert_not_awaited()


@pytest.mark.parametrize("code", [10062, 40060])
async def test_an_answer_to_an_interaction_that_expired_meanwhile_is_one_warning_not_tried_again(
        interact: Any, caplog: pytest.LogCaptureFixture, code: int):
    interaction = interact()
    interaction.response.send_message.side_effect = gone(code)

    with caplog.at_level(logging.DEBUG, logger="bot.discordbot.tree"):
        await handle_interaction_error(interaction, UserError("members.none"))

    [record] = caplog.records
    assert record.levelno == logging.WARNING and record.exc_info is None and str(code) in record.getMessage()
    assert interaction.response.send_message.await_count == 1
    interaction.followup.send.assert_not_awaited()


async def test_a_real_bug_whose_answer_also_expired_keeps_its_traceback(interact: Any,
                                                                       caplog: pytest.LogCaptureFixture):
    interaction = interact()
    interaction.response.send_message.side_effect = gone(10062)

    with caplog.at_level(logging.DEBUG, logger="bot.discordbot.tree"):
        await handle_interaction_error(interaction, RuntimeError("boom"))

    bug, expiry = caplog.records
    assert bug.levelno == logging.ERROR and bug.exc_info[0] is RuntimeError
    assert expiry.levelno == logging.WARNING and expiry.exc_info is None


async def test_another_failure_to_answer_is_one_warning_without_a_traceback(interact: Any,
                                                                           caplog: pytest.LogCaptureFixture):
    interaction = interact()
    interaction.response.send_message.side_effect = discord_error(discord.DiscordServerError, 503, 0,
                                                                  "Service Unavailable")

    with caplog.at_level(logging.DEBUG, logger="bot.discordbot.tree"):
        await handle_interaction_error(interaction, UserError("members.none"))

    [record] = caplog.records
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert "Could not tell user" in record.getMessage() and "503" in record.getMessage()


async def test_send_ephemeral_answers_first_then_follows_up(interact: Any):
    interaction = interact()

    await send_ephemeral(interaction, content="ett")
    await send_ephemeral(interaction, content="två")

    assert interaction.response.send_message.await_args.kwargs["content"] == "ett"
    assert interaction.followup.send.await_args.kwargs["content"] == "två"
    assert interaction.followup.send.await_args.kwargs["ephemeral"] is True
