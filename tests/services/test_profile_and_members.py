"""Profiles, languages, the members list, workspace settings and a member's own data."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from bot import validation
from bot.app import App
from bot.errors import NotCoordinator, UserError
from bot.i18n import render
from bot.models import AuditLog, Delivery, Member, Workspace
from bot.replies import text
from bot.services import mydata, profile, workspaces
from bot.validation import FieldProblem
from tests.conftest import RecordingNotifier, identity
from tests.support.onboarding import COMPLETE, onboard
from tests.support.replies import fields_of, tagged

ANNA, BO, CIA = identity("anna"), identity("bo", coordinator=True), identity("cia")


async def test_profile_needs_an_onboarding_first(app: App):
    with pytest.raises(UserError) as raised:
        await app.run(ANNA, profile.show)

    assert raised.value.text.key == "profile.not_onboarded"


async def test_profile_edit_prefills_the_form_and_saves_only_what_changed(app: App):
    await onboard(app, ANNA, answers=COMPLETE)

    form = (await app.run(ANNA, profile.edit)).form
    assert form.values["company"] == "Annas Blommor" and form.values["municipality"] == "solvesborg"
    assert "consent" not in {f.name for f in form.fields}

    reply = await app.submit(ANNA, profile.EDIT_FORM_ID, {"municipality": "Ronneby", "goal": ""})
    assert render(reply.body, "sv") == "Sparat!"
    async with app.sessionmaker() as session:
        member = await session.scalar(select(Member).where(Member.external_id == "anna"))
    assert (member.municipality, member.goal, member.company) == ("ronneby", None, "Annas Blommor")


async def test_a_bad_profile_edit_changes_nothing(app: App):
    await onboard(app, ANNA, answers=COMPLETE)

    with pytest.raises(FieldProblem):
        await app.submit(ANNA, profile.EDIT_FORM_ID, {"municipality": "Ronneby", "blog_url": "not a url"})
    with pytest.raises(UserError) as unknown:
        await app.submit(ANNA, profile.EDIT_FORM_ID, {"consent": "nej"})

    assert unknown.value.text.key == "errors.unknown_fields"
    async with app.sessionmaker() as session:
        assert (
            await session.scalar(select(Member.municipality).where(Member.external_id == "anna"))
            == "solvesborg"
        )


async def test_members_are_listed_for_coordinators_with_filters(app: App):
    await onboard(app, ANNA, "Karlskrona", answers=COMPLETE)
    await onboard(app, CIA, "Ronneby", answers=COMPLETE, company="Cias Kod", industry="tech",
                  experience="active")
    await app.member_joined("test", "guild-1", "Testgruppen", "dan", "Dan")  # joined, never onboarded

    everyone = await app.run(BO, profile.list_members)
    in_ronneby = await app.run(BO, profile.list_members, municipality="ronneby")
    active_tech = await app.run(BO, profile.list_members, industry="IT och tech", experience="Aktiv")

    assert render(everyone.title, "sv") == "Medlemmar (2)"
    assert "**Cia**" in render(in_ronneby.body, "sv") and "**Anna**" not in render(in_ronneby.body, "sv")
    assert render(active_tech.title, "sv") == "Medlemmar (1)"
    with pytest.raises(NotCoordinator):
        await app.run(ANNA, profile.list_members)


async def test_members_in_another_workspace_are_never_listed(app: App):
    await onboard(app, ANNA, answers=COMPLETE)
    await onboard(app, identity("eva", workspace="guild-2"), answers=COMPLETE)

    reply = await app.run(BO, profile.list_members)

    assert render(reply.title, "sv") == "Medlemmar (1)" and "Eva" not in render(reply.body, "sv")


async def _add_members(app: App, rows: list[dict[str, object]], workspace: str = "guild-1") -> None:
    """Add members straight to the database (onboarding a hundred is not what these tests are about)."""
    now = app.clock.now()
    async with app.sessionmaker() as session, session.begin():
        workspace_id = await session.scalar(select(Workspace.id).where(Workspace.external_id == workspace))
        for number, row in enumerate(rows):
            values = {"external_id": f"x{workspace}-{number}", "joined_at": now, "onboarded_at": now,
                      "company": "Firma", "industry": "retail", "municipality": "karlskrona",
                      "experience": "none"} | row
            session.add(Member(workspace_id=workspace_id, **values))


def _names(reply) -> list[str]:
    return re.findall(r"\*\*(.+?)\*\*", render(reply.body, "sv"))


def _button(reply, key: str):
    return next((b for b in reply.buttons if b.label == text(key)), None)


async def _walk(app: App, first):
    """Every page from the first, by its Next button; each page and the names on it."""
    pages = [first]
    while (following := _button(pages[-1], "members.button.next")) is not None:
        pages.append(await app.press(BO, following.action, following.arg))
    return pages


async def test_members_are_paged_each_shown_once_in_a_stable_order(app: App):
    await onboard(app, ANNA, answers=COMPLETE)
    # Names that sort the same (ties go by id), some members not onboarded, some in another workspace.
    await _add_members(app, [{"display_name": f"Medlem {n % 23:02d}"} for n in range(70)]
                       + [{"display_name": "Aldrig klar", "onboarded_at": None}] * 3)
    await onboard(app, identity("eva", workspace="guild-2"), answers=COMPLETE)
    await _add_members(app, [{"display_name": "Annan grupp"}] * 40, workspace="guild-2")
    async with app.sessionmaker() as session:
        expected = list(await session.scalars(
            select(Member.display_name).join(Workspace).where(Workspace.external_id == "guild-1",
                                                              Member.onboarded_at.is_not(None))
            .order_by(Member.display_name, Member.id)))

    pages = await _walk(app, await app.run(BO, profile.list_members))

    assert len(expected) == 71 and len(pages) == 3
    assert [name for page in pages for name in _names(page)] == expected
    assert all(render(page.title, "sv") == "Medlemmar (71)" for page in pages)
    assert "Sida 1 av 3." in render(pages[0].body, "sv") and "Sida 3 av 3." in render(pages[2].body, "sv")
    assert _button(pages[0], "members.button.previous") is None
    assert _button(pages[1], "members.button.previous") and _button(pages[1], "members.button.next")
    assert _button(pages[2], "members.button.next") is None
    assert not pages[0].replaces_source and all(page.replaces_source for page in pages[1:])
    back = _button(pages[2], "members.button.previous")
    assert _names(await app.press(BO, back.action, back.arg)) == _names(pages[1])


async def test_a_page_keeps_the_filters(app: App):
    await onboard(app, ANNA, answers=COMPLETE)
    await _add_members(app, [{"display_name": f"Bygg {n:02d}", "industry": "construction",
                              "municipality": "ronneby" if n % 2 else "karlskrona"} for n in range(80)]
                       + [{"display_name": f"Handel {n:02d}", "municipality": "ronneby"} for n in range(20)])

    pages = await _walk(app, await app.run(BO, profile.list_members, municipality="Ronneby",
                                              industry="Bygg och fastighet"))

    assert [name for page in pages for name in _names(page)] == [f"Bygg {n:02d}" for n in range(1, 80, 2)]
    assert len(pages) == 2 and render(pages[1].title, "sv") == "Medlemmar (40)"
    assert fields_of(pages[1]) == {"Filter": "Ronneby, Bygg och fastighet"}


async def test_only_a_coordinator_may_page_and_a_short_list_has_no_buttons(app: App):
    await onboard(app, ANNA, answers=COMPLETE)
    await _add_members(app, [{"display_name": f"M {n}"} for n in range(40)])
    first = await app.run(BO, profile.list_members)
    following = _button(first, "members.button.next")

    with pytest.raises(NotCoordinator):
        await app.press(ANNA, following.action, following.arg)
    short = await app.run(BO, profile.list_members, municipality="solvesborg")
    assert short.buttons == () and _names(short) == ["Anna"]
    with pytest.raises(UserError):
        await app.press(BO, following.action, "x-y")


async def test_setup_is_for_coordinators_validates_and_is_audited(app: App):
    with pytest.raises(NotCoordinator):
        await app.run(ANNA, workspaces.configure, language="en")
    with pytest.raises(UserError) as bad_zone:
        await app.run(BO, workspaces.configure, announcements="111", timezone="Europe/Karlskrona")

    reply = await app.run(
        BO, workspaces.configure, announcements="111", member_role="222", timezone="Europe/Oslo"
    )

    # Told under the field's name: "Tidszon: "Europe/Karlskrona" är ingen tidszon jag känner till…"
    assert isinstance(bad_zone.value, FieldProblem) and bad_zone.value.problem.key == "errors.timezone"
    async with app.sessionmaker() as session:
        workspace = await session.scalar(select(Workspace))
        [entry] = await session.scalars(select(AuditLog))
    assert (workspace.announcement_channel_id, workspace.member_role_id, workspace.timezone) == (
        "111", "222", "Europe/Oslo")
    assert entry.action == "workspace.setup" and entry.detail == {
        "changed": ["announcements", "member_role", "timezone"]}
    shown = fields_of(reply, mentions=tagged)
    assert shown["Annonskanal"] == "<channel:111>" and shown["Välkomstkanal"] == "inte vald"


async def test_the_configured_coordinator_role_makes_a_coordinator(app: App):
    await app.run(BO, workspaces.configure, coordinator_role="777")

    reply = await app.run(replace(CIA, role_ids=frozenset({"777"})), profile.list_members)

    assert reply.body == text("members.none")
    with pytest.raises(NotCoordinator):
        await app.run(replace(CIA, role_ids=frozenset({"778"})), profile.list_members)


async def test_export_holds_everything_stored_about_the_member(app: App):
    await onboard(app, ANNA, answers=COMPLETE)

    reply = await app.run(ANNA, mydata.export)

    [attachment] = reply.files
    data = json.loads(attachment.data)
    assert data["profile"]["company"] == "Annas Blommor"
    assert data["profile"]["x_handle"] == "annasblommor"
    assert set(data) >= {"profile", "deliveries", "audit_log", "workspace", "exported_at"}


async def test_delete_asks_first_then_erases_everything_and_audits_only_the_fact(
        app: App, notifier: RecordingNotifier):
    await app.member_joined("test", "guild-1", "Testgruppen", "anna", "Anna")
    await onboard(app, ANNA, answers=COMPLETE)

    confirm = await app.run(ANNA, mydata.delete_request)
    assert [b.action for b in confirm.buttons] == [mydata.DELETE_CONFIRM, mydata.DELETE_CANCEL]
    await app.press(ANNA, mydata.DELETE_CANCEL, "")
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Member)) == 1

    await app.press(ANNA, mydata.DELETE_CONFIRM, "")

    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Member)) == 0
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 0
        [entry] = await session.scalars(select(AuditLog))
    assert (entry.action, entry.actor_member_id, entry.detail) == ("member.data_deleted", None, {})


async def test_language_choice_is_the_members_own(app: App):
    await onboard(app, ANNA, answers=COMPLETE)

    reply = await app.run(ANNA, profile.set_language, validation.LANGUAGE.read("English"))

    assert render(reply.body, "en") == "Done! I will write to you in English from now on."
    assert await app.language_of(ANNA) == "en" and await app.language_of(CIA) == "sv"


@pytest.mark.parametrize(("typed", "language"), [("sv", "sv"), ("Engelska", "en"), (" swedish ", "sv"),
                                                 ("EN", "en")])
def test_a_language_is_read_by_its_code_or_its_name_in_either_language(typed: str, language: str):
    assert validation.LANGUAGE.read(typed) == language


def test_an_unknown_language_says_which_ones_the_bot_speaks():
    with pytest.raises(UserError) as unknown:  # what the edges read a language with
        validation.LANGUAGE.read("Tyska")

    assert render(unknown.value.text, "sv") == (
        '"Tyska" är inget språk jag kan. Välj svenska (sv) eller engelska (en).')


async def test_asking_whether_someone_is_a_coordinator_creates_nothing(app: App):
    await app.run(BO, workspaces.configure, coordinator_role="777")

    assert await app.is_coordinator(replace(CIA, role_ids=frozenset({"777"}))) is True
    assert await app.is_coordinator(CIA) is False
    assert await app.is_coordinator(identity("dan", workspace="unknown")) is False
    async with app.sessionmaker() as session:
        assert set(await session.scalars(select(Member.external_id))) == {"bo"}
        assert await session.scalar(select(func.count()).select_from(Workspace)) == 1
