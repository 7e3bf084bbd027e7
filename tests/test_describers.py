"""Every kind of reminder has a readable name for the coordinators when it is skipped, in both languages:
never the raw kind (`activity.retry`) or a catalog key."""

from __future__ import annotations

import importlib
import pkgutil
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

import bot.services
from bot import i18n, reminders
from bot.app import App
from bot.contributions import Contributions
from bot.features import FEATURES
from bot.models import Action, Issue, Member, Reminder, Workspace
from bot.services import activity
from tests.issue_fixtures import ANNA, create_issue
from tests.support.onboarding import onboard


def planner_kinds() -> set[str]:
    """Every kind of reminder a feature of the bot plans."""
    return {kind for feature in FEATURES for kind in feature.planners}


def test_every_feature_the_code_declares_is_in_the_apps_list():
    declared = []
    for module in pkgutil.iter_modules(bot.services.__path__):
        feature = getattr(importlib.import_module(f"bot.services.{module.name}"), "FEATURE", None)
        if feature is not None:
            declared.append(feature)
    assert declared and sorted(f.name for f in declared) == sorted(f.name for f in FEATURES)
    assert all(feature in FEATURES for feature in declared)


@pytest.mark.parametrize("kind", sorted(planner_kinds()))
def test_every_reminder_kind_has_a_describer_or_a_name(kind: str):
    named = all(i18n.has(reminders.name_key(kind), language) for language in i18n.LANGUAGES)
    assert kind in Contributions.assemble(FEATURES).describers or named, kind


def _payload(workspace: Workspace, member: Member, issue: Issue, action: Action) -> dict[str, object]:
    """What the features put in their reminders' payloads, pointing at real rows."""
    return {
        "workspace_id": workspace.id,
        "member_id": member.id,
        "issue_id": issue.id,
        "action_id": action.id,
        "days": 7,
        "round": 1,
        "version": issue.version,
        "change": "created",
        "changed": [],
        "decision": issue.decision_at.isoformat(),
        "reason": "created",
        "left": 5,
        "skipped": [7],
        "stage": None,
    }


def _raw(rendered: str, kind: str) -> list[str]:
    """What would give away an unnamed reminder: its kind, a catalog key, an unfilled placeholder."""
    keys = re.findall(r"\b[a-z_]+\.[a-z_]+(?:\.[a-z_0-9]+)*\b", rendered)
    return [found for found in (kind, *keys, *re.findall(r"\{\w+\}", rendered)) if found in rendered]


async def test_every_reminder_kind_is_named_in_both_languages_also_when_its_rows_are_gone(app: App):
    await onboard(app, ANNA)
    issue_id = await create_issue(app)
    await app.run(ANNA, activity.did, kind="ask", status="attempted", issue="Parkering")
    now = app.clock.now()
    async with app.sessionmaker() as session:
        workspace = await session.scalar(select(Workspace))
        member = await session.scalar(select(Member).where(Member.external_id == ANNA.user_external_id))
        issue = await session.get_one(Issue, issue_id)
        action = await session.scalar(select(Action))
        payload = _payload(workspace, member, issue, action)
        gone = {key: 999_999 if key.endswith("_id") and key != "workspace_id" else value
                for key, value in payload.items()}
        for kind in sorted(planner_kinds()):
            for variant in (payload, gone):
                reminder = Reminder(workspace_id=workspace.id, kind=kind, key=f"test:{kind}",
                                    due_at=now - timedelta(days=3), payload=variant, status=reminders.SKIPPED,
                                    created_at=now)
                described = await reminders.describe(session, reminder, workspace.timezone)
                rendered = {language: i18n.render(described, language) for language in i18n.LANGUAGES}
                for language, line in rendered.items():
                    assert line and not _raw(line, kind), (kind, language, line)
                assert rendered["sv"] != rendered["en"], kind


async def test_the_skip_notice_names_a_retry_and_a_nudge_with_the_member(app: App):
    await onboard(app, ANNA)
    await app.run(ANNA, activity.did, kind="ask", status="attempted")
    async with app.sessionmaker() as session:
        workspace = await session.scalar(select(Workspace))
        retry = await session.scalar(select(Reminder).where(Reminder.kind == activity.RETRY_KIND))
        line = i18n.render(await reminders.describe(session, retry, workspace.timezone), "sv")
        english = i18n.render(await reminders.describe(session, retry, workspace.timezone), "en")

    assert line.startswith("Påminnelse till Anna om att försöka igen (Frågade en politiker), planerad till ")
    assert english.startswith("Reminder to Anna to try again (Asked a politician), due ")
