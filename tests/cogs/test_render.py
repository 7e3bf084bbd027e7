"""Rendering: any Reply fits Discord's limits, forms become modal pages of five,
nobody is pinged by accident."""

from __future__ import annotations

import json
from typing import Any

import discord
import pytest

from bot.discordbot import render
from bot.discordbot.views import ActionButton, FormPageModal, FormSessions, build_modal
from bot.replies import (
    Attachment,
    Button,
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
    text,
)
from bot.services import onboarding
from tests.e2e.fakediscord.rules import check_message, check_modal
from tests.helpers import MockInteraction, fill_modal
from tests.test_bidi import still_open


def payload(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Build the JSON body discord.py would send for these keyword arguments."""
    body: dict[str, Any] = {"content": kwargs.get("content")}
    if "embed" in kwargs:
        body["embeds"] = [kwargs["embed"].to_dict()]
    if "view" in kwargs:
        body["components"] = kwargs["view"].to_components()
    return body


def modals(form: Form, language: str = "sv") -> list[FormPageModal]:
    sessions = FormSessions()
    state = sessions.start(1, form, language)
    return [build_modal(sessions, state, page) for page in range(len(state.pages))]


async def test_a_huge_reply_is_cut_to_fit_every_discord_limit():
    reply = Reply(
        title=Literal("T" * 400), body=Literal("B" * 9000),
        fields=tuple(Field(Literal("N" * 300), Literal("V" * 2000)) for _ in range(30)),
        buttons=tuple(Button(Literal("L" * 100), "profile.show", str(i)) for i in range(30)),
        links=(Link(Literal("X"), "https://x.com/intent/post?text=hej"),))

    kwargs = render.message_kwargs(reply, "sv")

    check_message(payload(kwargs))
    embed: discord.Embed = kwargs["embed"]
    assert len(embed.title) <= 256 and len(embed.description) <= 4096
    assert len(embed.fields) <= 25 and len(embed) <= 6000
    assert all(0 < len(f.name) <= 256 and 0 < len(f.value) <= 1024 for f in embed.fields)
    rows = kwargs["view"].to_components()
    assert len(rows) <= 5 and all(len(row["components"]) <= 5 for row in rows)
    assert all(len(c["label"]) <= 80 for row in rows for c in row["components"])


async def test_a_short_reply_is_plain_text_only_the_user_sees():
    kwargs = render.message_kwargs(Reply.say("profile.saved"), "sv")

    assert kwargs["content"] == "Sparat!"
    assert kwargs["ephemeral"] is True
    assert "embed" not in kwargs and "view" not in kwargs


async def test_a_title_or_fields_make_an_embed():
    reply = Reply(title=text("setup.title"), body=text("setup.current"),
                  fields=(Field(text("setup.field.welcome"), text("setup.not_set")),), private=False)

    kwargs = render.message_kwargs(reply, "en")

    assert kwargs["embed"].title == "Settings"
    assert kwargs["embed"].fields[0].name == "Welcome channel"
    assert kwargs["ephemeral"] is False


async def test_allowed_mentions_never_ping_everyone_or_roles_only_the_users_named():
    reply = Reply(body=Literal("@everyone <@&5> <@7> hej"), mentions=("42",), private=False)

    kwargs = render.message_kwargs(reply, "sv")

    assert kwargs["content"].startswith("<@42>\n")
    assert kwargs["allowed_mentions"].to_dict() == {"parse": [], "users": [42]}


async def test_every_reply_has_allowed_mentions_that_ping_nobody():
    kwargs = render.message_kwargs(Reply.say("common.done"), "sv")

    assert kwargs["allowed_mentions"].to_dict() == {"parse": [], "users": []}


async def test_mentions_are_written_as_discord_markup():
    reply = Reply(body=Join((Mention("channel", "1"), Mention("role", "2"), Mention("user", "3")), " "))

    assert render.message_kwargs(reply, "sv")["content"] == "<#1> <@&2> <@3>"


async def test_markdown_in_user_text_is_escaped_but_links_are_kept():
    reply = Reply(body=text("errors.field", field=Literal("*Bygg* _AB_"),
                            problem=Literal("https://example.se/a_b")))

    content = render.message_kwargs(reply, "sv")["content"]

    assert content == r"\*Bygg\* \_AB\_: https://example.se/a_b"


async def test_a_reply_with_only_effects_still_answers():
    assert render.message_kwargs(Reply(), "en")["content"] == "Done!"


async def test_files_are_attached():
    reply = Reply(body=text("mydata.export.body"), files=(Attachment("data.json", b'{"a": 1}'),))

    kwargs = render.message_kwargs(reply, "sv")

    [attached] = kwargs["files"]
    assert attached.filename == "data.json"
    assert json.loads(attached.fp.read()) == {"a": 1}


async def test_channel_sends_take_no_ephemeral_flag():
    assert "ephemeral" not in render.message_kwargs(Reply.say("common.done"), "sv", ephemeral=False)


async def test_button_custom_ids_fit_and_match_the_dynamic_item_template():
    reply = Reply(body=text("mydata.delete.confirm"), buttons=(
        Button(text("mydata.delete.button.confirm"), "mydata.delete_confirm"),
        Button(text("profile.button.show"), "profile.show", "x" * 80),
        Button(text("profile.button.show"), "profile.show", "with:colon")))

    kwargs = render.message_kwargs(reply, "sv")

    ids = [item.custom_id for item in kwargs["view"].children]
    assert ids == ["jb:mydata.delete_confirm:", "jb:profile.show:" + "x" * 80]
    template = ActionButton.__discord_ui_compiled_template__
    assert all(len(i) <= 100 and template.fullmatch(i) for i in ids)


async def test_a_rendered_view_is_not_kept_in_the_view_store():
    kwargs = render.message_kwargs(
        Reply(buttons=(Button(text("profile.button.show"), "profile.show"),)), "sv"
    )

    # A finished view is sent as a layout only; the registered ActionButton template handles presses.
    assert kwargs["view"].is_finished()


async def test_the_fourteen_field_onboarding_form_becomes_three_modal_pages_of_at_most_five():
    form = onboarding.onboarding_form()
    assert len(form.fields) == 14

    pages = modals(form)

    assert [len(m.children) for m in pages] == [5, 5, 4]
    for modal in pages:
        check_modal(modal.to_dict())
    assert [m.title for m in pages] == [f"Välkommen till Jobbskaparna ({n}/3)" for n in (1, 2, 3)]
    assert all(len(m.custom_id) <= 100 for m in pages)


@pytest.mark.parametrize("language", ["sv", "en"])
async def test_long_form_texts_are_cut_to_discord_limits(language: str):
    long = text("errors.field", field=Literal("F" * 80), problem=Literal("P" * 200))
    form = Form("profile.edit", long, (
        FormField("company", long, placeholder=long, description=long, max_length=9000),
        FormField("goal", long, FieldKind.PARAGRAPH, placeholder=long),
        FormField("industry", long, FieldKind.CHOICE, placeholder=long, description=long,
                  choices=tuple(Choice(f"v{i}", long) for i in range(30))),
        FormField("consent", long, FieldKind.BOOL, description=long)))

    [modal] = modals(form, language)

    check_modal(modal.to_dict())
    data = modal.to_dict()
    assert len(data["title"]) <= 45
    for label in data["components"]:
        assert len(label["label"]) <= 45 and len(label.get("description") or "") <= 100
        assert len(label["component"].get("placeholder") or "") <= 100
    assert len(data["components"][2]["component"]["options"]) == 25


async def test_a_form_is_prefilled_with_its_values():
    form = Form("profile.edit", text("profile.form.title"), onboarding.onboarding_form().fields,
                values={"company": "Annas Blommor", "municipality": "solvesborg", "dm_reminders": "ja"})

    first, second, third = modals(form)

    company = first.children[0].component
    assert company.default == "Annas Blommor"
    municipality = second.children[0].component
    assert [o.value for o in municipality.options if o.default] == ["solvesborg"]
    dm_reminders = third.children[2].component
    assert isinstance(dm_reminders, discord.ui.Checkbox) and dm_reminders.default is True


async def test_a_submitted_page_is_read_as_the_strings_the_services_expect():
    [first, second, third] = modals(onboarding.onboarding_form())
    interaction = MockInteraction()

    fill_modal(first, interaction, {"company": "Annas Blommor", "industry": "retail"})
    fill_modal(second, interaction, {"experience": "active"})
    fill_modal(third, interaction, {"dm_reminders": True, "consent": False})

    assert render.read_values(first.children) == {
        "company": "Annas Blommor",
        "offer": "",
        "facts": "",
        "industry": "retail",
        "company_size": "",
    }
    assert render.read_values(second.children)["experience"] == "active"
    assert render.read_values(third.children) == {"blog_url": "", "goal": "", "dm_reminders": "true",
                                                  "consent": "false"}


async def test_a_link_longer_than_discord_takes_is_left_out_and_the_message_still_goes(
        caplog: pytest.LogCaptureFixture):
    reply = Reply(
        body=text("common.done"),
        links=(
            Link(text("common.done"), "https://example.se/" + "a" * 500),
            Link(text("common.done"), "https://example.se/ok"),
        ),
    )

    kwargs = render.message_kwargs(reply, "sv")

    assert [item.url for item in kwargs["view"].children] == ["https://example.se/ok"]
    check_message(payload(kwargs))  # Discord would take it
    assert "over Discord's limit" in caplog.text


def coordinators_notice(name: str, company: str) -> Reply:
    """The coordinators' notice of a new member, as bot.services.onboarding writes it."""
    return Reply(body=text("onboarding.coordinator_notice", name=Literal(name), company=Literal(company),
                           industry=text("choice.industry.retail"), municipality=Literal("Karlskrona"),
                           experience=text("choice.experience.none")), private=False)


def test_a_name_with_an_unclosed_right_to_left_override_cannot_reverse_the_rest_of_the_notice():
    content = render.message_kwargs(coordinators_notice("Anna\u202e", "\u202eBygg *AB*"), "sv",
                                    ephemeral=False)["content"]

    rest = content.index(" (Handel, Karlskrona). Erfarenhet av sociala medier:")
    assert still_open(content[:rest]) == []  # every control of the names is closed before the rest
    assert content.startswith("Ny medlem: **\u2068Anna\u202e\u202c\u2069** från \u2068\u202eBygg \\*AB\\*")


def test_labels_titles_and_fields_isolate_user_text_too():
    reply = Reply(title=Literal("\u202eRubrik"),
                  fields=(Field(Literal("\u202bNamn"), Literal("\u2067Värde")),),
                  buttons=(Button(Literal("\u202eKnapp"), "profile.show"),))

    kwargs = render.message_kwargs(reply, "sv")
    embed, button = kwargs["embed"], kwargs["view"].children[0]

    for shown in (embed.title, embed.fields[0].name, embed.fields[0].value, button.label,
                  render.render_text(Literal("\u202eForuminlägg"), "sv", markdown=False)):
        assert shown.startswith("\u2068") and still_open(shown) == []


def test_user_text_without_right_to_left_letters_or_controls_is_rendered_as_before():
    content = render.message_kwargs(coordinators_notice("Anna", "Annas Blommor"), "sv")["content"]

    assert content == ("Ny medlem: **Anna** från Annas Blommor (Handel, Karlskrona). "
                       "Erfarenhet av sociala medier: Ingen än.")
