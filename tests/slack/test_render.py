"""Replies as Block Kit and forms as modals, within Slack's limits, in Slack's mrkdwn."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.replies import (
    Button,
    ButtonStyle,
    Choice,
    Field,
    FieldKind,
    Form,
    FormField,
    Join,
    Link,
    Literal,
    Mention,
    Reply,
    Role,
    When,
    text,
)
from bot.slack import render
from bot.validation import FieldProblem, FormProblems
from tests.test_bidi import still_open

DECISION = datetime(2026, 12, 17, 17, 0, tzinfo=UTC)


def test_discord_markdown_becomes_slack_mrkdwn():
    assert render.to_mrkdwn("**fet** och *kursiv* och ~~struken~~ och [länk](https://example.com)") == \
        "*fet* och _kursiv_ och ~struken~ och <https://example.com|länk>"


def test_user_text_is_escaped_so_it_cannot_mention_everyone_or_format():
    shown = render.mrkdwn(text("onboarding.done.title", name=Literal("*Bygg* <!channel> & Co")), "sv")

    assert "<!channel>" not in shown
    assert "&lt;!channel&gt; &amp; Co" in shown
    assert "\u200b*Bygg*" in shown  # a zero-width space keeps Slack from reading it as bold


def test_mentions_and_moments_are_written_the_slack_way():
    shown = render.mrkdwn(
        Join(
            (
                Mention("user", "U1"),
                Mention("channel", "C1"),
                Mention("role", "S1"),
                When(DECISION, "Europe/Stockholm", "full"),
                When(DECISION, style="date"),
            )
        ),
        "sv",
    )

    assert shown == ("<@U1>, <#C1>, <!subteam^S1>, "
                     "<!date^1797526800^{date_short_pretty} {time}|torsdag 17 december 2026 kl. 18:00>, "
                     "<!date^1797526800^{date_short_pretty}|torsdag 17 december 2026>")


def test_commands_in_texts_are_written_as_typed_in_slack():
    shown = render.mrkdwn(text("onboarding.already_done"), "sv")

    assert "/jobb profil " in shown and " /profil" not in shown
    assert render.slack_commands("https://example.com/profile och 1/2 och /mydata delete") == \
        "https://example.com/profile och 1/2 och /jobb mydata delete"


def test_a_reply_becomes_header_sections_fields_and_buttons():
    reply = Reply(title=Literal("Titel"), body=Literal("Text"),
                  fields=(Field(Literal("A"), Literal("1"), inline=True),
                          Field(Literal("B"), Literal("2"), inline=True),
                          Field(Literal("C"), Literal("lång"))),
                  buttons=(Button(Literal("Ja"), "x.yes", "1", ButtonStyle.SUCCESS),
                           Button(Literal("Nej"), "x.no", "1", ButtonStyle.DANGER),
                           Button(Literal("Kanske"), "x.maybe", "1")),
                  links=(Link(Literal("Läs"), "https://example.com"),))

    message = render.message(reply, "sv")

    types = [b["type"] for b in message["blocks"]]
    assert types == ["header", "section", "section", "section", "actions"]
    assert message["blocks"][2]["fields"] == [{"type": "mrkdwn", "text": "*A*\n1"},
                                              {"type": "mrkdwn", "text": "*B*\n2"}]
    assert message["blocks"][3]["text"]["text"] == "*C*\nlång"
    buttons = message["blocks"][4]["elements"]
    assert [(b["action_id"], b.get("style")) for b in buttons] == [
        ("jb:x.yes:1", "primary"), ("jb:x.no:1", "danger"), ("jb:x.maybe:1", None), ("jblink:0", None)]
    assert buttons[3]["url"] == "https://example.com"
    assert message["text"].startswith("Titel\nText") and message["unfurl_links"] is False


def test_a_reply_with_only_effects_still_says_something():
    assert render.message(Reply(), "en")["blocks"] == [render.section("Done!")]


def test_long_texts_and_many_fields_stay_within_slacks_limits():
    body = Join(tuple(Literal(f"rad {n} " + "x" * 80) for n in range(100)), separator="\n")
    fields = tuple(Field(Literal(f"F{n}"), Literal("v"), inline=n % 3 != 0) for n in range(120))
    message = render.message(
        Reply(
            title=Literal("T" * 300),
            body=body,
            fields=fields,
            buttons=tuple(Button(Literal(f"B{n}"), "x.b", str(n)) for n in range(30)),
        ),
        "sv",
    )

    blocks = message["blocks"]
    assert len(blocks) <= render.MAX_BLOCKS
    assert len(blocks[0]["text"]["text"]) == render.MAX_HEADER
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]
    assert all(len(section) <= render.MAX_SECTION_TEXT for section in sections)
    assert all(len(b.get("fields", [])) <= render.MAX_SECTION_FIELDS for b in blocks)
    assert len(blocks[-1]["elements"]) == render.MAX_ELEMENTS
    assert len(message["text"]) <= render.MAX_FALLBACK


def test_the_member_role_is_pinged_only_when_asked_and_known():
    reply = Reply(body=Literal("Röstning"), mentions=("U1",), mention_role=Role.MEMBER)

    assert render.message(reply, "sv", role_id="S9")["blocks"][0]["text"]["text"].startswith(
        "<!subteam^S9> <@U1>"
    )
    assert render.message(reply, "sv")["blocks"][0]["text"]["text"].startswith("<@U1>\n")


FORM = Form("test.form", text("onboarding.form.title"), (
    FormField("name", text("field.company"), required=True, max_length=50),
    FormField("story", text("field.goal"), FieldKind.PARAGRAPH, max_length=5000),
    FormField("place", text("field.municipality"), FieldKind.CHOICE, required=True,
              choices=(Choice("a", Literal("Alfa")), Choice("b", Literal("Beta")))),
    FormField("ok", text("field.consent"), FieldKind.BOOL, required=True,
              description=text("field.consent.description")),
), arg="42", values={"name": "Bygg AB", "place": "b", "ok": "ja"})


def test_a_form_is_one_modal_with_inputs_selects_and_checkboxes_prefilled():
    view = render.modal(FORM, "sv", {"channel": "C1", "response_url": "https://hooks.example/1"})

    assert view["callback_id"] == "jbform:test.form" and len(view["title"]["text"]) <= render.MAX_MODAL_TITLE
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert inputs["name"]["element"]["initial_value"] == "Bygg AB" and inputs["name"]["optional"] is False
    assert inputs["story"]["element"]["multiline"] is True
    assert inputs["story"]["element"]["max_length"] == render.MAX_INPUT
    assert inputs["place"]["element"]["initial_option"]["value"] == "b"
    assert inputs["ok"]["element"]["initial_options"][0]["value"] == "true"
    # Consent is the service's to require (it says why); Slack would only say "required".
    assert inputs["ok"]["optional"] is True and "mina-data" in inputs["ok"]["hint"]["text"]
    metadata = json.loads(view["private_metadata"])
    assert metadata["arg"] == "42" and metadata["channel"] == "C1"
    assert metadata["labels"]["field.company"] == "name"


def test_submitted_values_read_as_the_services_expect():
    state = {"name": {"name": {"type": "plain_text_input", "value": "Bygg AB"}},
             "story": {"story": {"type": "plain_text_input", "value": None}},
             "place": {"place": {"type": "static_select", "selected_option": {"value": "a"}}},
             "ok": {"ok": {"type": "checkboxes", "selected_options": []}}}

    assert render.read_values(state) == {"name": "Bygg AB", "story": "", "place": "a", "ok": "false"}


def test_problems_map_to_their_inputs_or_to_none():
    labels = {"field.company": "name", "field.goal": "story"}
    problems = FormProblems([FieldProblem(text("field.company"), text("errors.required")),
                             FieldProblem(text("field.goal"), text("errors.too_long", max=5, length=9))])

    assert render.field_errors(problems, labels, "sv") == {
        "name": "Företag: måste fyllas i.",
        "story": "Ett affärsmål med sociala medier: är för lång (9 tecken, högst 5).",
    }
    assert (
        render.field_errors(FieldProblem(text("field.x_handle"), text("errors.required")), labels, "sv")
        is None
    )


def test_a_refilled_modal_keeps_what_was_entered_and_shows_the_notice():
    view = render.modal(FORM, "sv", {})
    again = render.refilled(
        view, {"name": "Nytt AB", "place": "a", "ok": "false"}, text("errors.form_expired"), "sv"
    )

    blocks = {b.get("block_id"): b for b in again["blocks"]}
    assert blocks["jb-notice"]["text"]["text"].startswith("Formuläret hann gå ut")
    assert blocks["name"]["element"]["initial_value"] == "Nytt AB"
    assert blocks["place"]["element"]["initial_option"]["value"] == "a"
    assert "initial_options" not in blocks["ok"]["element"]
    assert (
        again["callback_id"] == view["callback_id"] and again["private_metadata"] == view["private_metadata"]
    )


def test_a_name_with_an_unclosed_right_to_left_override_cannot_reverse_the_rest_of_the_notice():
    notice = text("onboarding.coordinator_notice", name=Literal("Anna\u202e"),
                  company=Literal("\u202eBygg AB"), industry=text("choice.industry.retail"),
                  municipality=Literal("Karlskrona"), experience=text("choice.experience.none"))

    shown = render.mrkdwn(notice, "sv")
    header = render.plain(Literal("\u202eRubrik"), "sv")

    rest = shown.index(" (Handel, Karlskrona). Erfarenhet av sociala medier:")
    assert still_open(shown[:rest]) == []
    assert shown.startswith("Ny medlem: *\u2068Anna\u202e\u202c\u2069* från \u2068\u202eBygg AB\u202c\u2069")
    assert header == "\u2068\u202eRubrik\u202c\u2069"
