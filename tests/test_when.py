"""A moment in a reply: Discord timestamps on Discord, local text in the workspace's zone elsewhere."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.discordbot.render import message_kwargs, render_text
from bot.i18n import render
from bot.models import Issue
from bot.replies import (
    Button,
    Field,
    Join,
    Reply,
    When,
    reply_from_json,
    reply_to_json,
    text,
)
from bot.services import civics

DECISION = datetime(2026, 12, 17, 17, 0, tzinfo=UTC)  # 18:00 in Stockholm
STAMP = int(DECISION.timestamp())


def test_a_moment_reads_as_local_time_in_both_languages():
    assert render(When(DECISION), "sv") == "torsdag 17 december 2026 kl. 18:00"
    assert render(When(DECISION), "en") == "Thursday 17 December 2026, 18:00"
    assert render(When(DECISION, style="date"), "sv") == "torsdag 17 december 2026"
    assert render(When(DECISION, style="short"), "en") == "17 December 2026 18:00"
    assert render(When(DECISION, "Europe/London"), "en") == "Thursday 17 December 2026, 17:00"


def test_a_moment_inside_a_text_is_rendered_too():
    shown = text("field.decision")
    assert render(text("errors.field", field=shown, problem=When(DECISION)), "sv") == \
        "Beslut: torsdag 17 december 2026 kl. 18:00"
    assert render(Join((When(DECISION, style="short"), When(DECISION, style="short"))), "sv") == \
        "17 december 2026 18:00, 17 december 2026 18:00"


def test_discord_shows_a_timestamp_each_reader_sees_in_their_own_zone():
    assert render_text(When(DECISION), "sv") == f"<t:{STAMP}:F> (<t:{STAMP}:R>)"
    assert render_text(When(DECISION, style="date"), "sv") == f"<t:{STAMP}:D> (<t:{STAMP}:R>)"
    assert render_text(When(DECISION, style="short"), "sv") == f"<t:{STAMP}:f>"
    # Button labels and modals show no timestamps: there the moment is written out.
    assert render_text(When(DECISION), "sv", markdown=False) == "torsdag 17 december 2026 kl. 18:00"


def test_a_reply_with_a_moment_renders_on_discord():
    reply = Reply(title=text("field.decision"), fields=(Field(text("field.decision"), When(DECISION)),),
                  buttons=(Button(When(DECISION, style="short"), "profile.show"),))

    kwargs = message_kwargs(reply, "sv")

    assert kwargs["embed"].fields[0].value == f"<t:{STAMP}:F> (<t:{STAMP}:R>)"
    assert kwargs["view"].children[0].label == "17 december 2026 18:00"


def test_a_moment_survives_being_stored_for_delivery():
    reply = Reply(
        body=text("errors.field", field=text("field.decision"), problem=When(DECISION, style="date")),
        fields=(Field(text("field.decision"), When(DECISION, "Europe/Helsinki", "short")),),
    )

    again = reply_from_json(reply_to_json(reply))

    assert again == reply
    assert again.fields[0].value.at == DECISION and again.fields[0].value.at.tzinfo is not None


def test_an_issue_is_decided_at_its_time_or_on_its_day_when_no_time_was_given():
    timed = Issue(decision_at=DECISION, decision_has_time=True)
    dated = Issue(decision_at=DECISION, decision_has_time=False)

    assert civics.decision_when(timed, "Europe/Stockholm") == When(DECISION, "Europe/Stockholm", "full")
    assert civics.decision_when(dated, "Europe/Stockholm") == When(DECISION, "Europe/Stockholm", "date")
    assert civics.decision_when(dated, "Europe/Stockholm", "short") == When(
        DECISION, "Europe/Stockholm", "short"
    )
    assert render(civics.decision_when(dated, "Europe/Stockholm"), "sv") == "torsdag 17 december 2026"
