"""Contacts: a member reports a question to a politician or a contact with one, however it was made (on X, by
e-mail, phone or letter, at a meeting or a fika), with an optional link or note and the politician's answer.

About an issue it is a question on the issue (asks.record_contact: the member's ask for that politician, or
an ad-hoc one), and an answer is a stance reported for the coordinators to confirm. About the member's
business in general it is an action with the politician and the way of contact (a question, or a meeting with
them). Either way it counts as an action: for the digest, /stats, the leaderboard, the coaching's question
step and a contact pledge.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot import validation
from bot.replies import Field, Join, Reply, text
from bot.services import activity, asks, civics
from bot.services.context import Actor


class ContactAnswer(StrEnum):
    """What the politician answered (civics.ANSWERS), as a member reports it."""

    FOR = "for"
    AGAINST = "against"
    UNDECIDED = "undecided"
    NO_ANSWER = "no_answer"


ANSWER_ALIASES = {"ja": "for", "nej": "against", "mot": "against", "vet inte": "undecided",
                  "osaker": "undecided", "inget svar": "no_answer", "inget": "no_answer", "none": "no_answer"}
# Named as stances are ("för", "emot", "vet inte än", "inget svar").
ANSWER = validation.ChoiceSet(ContactAnswer, "contacts.field.answer", "stance", ANSWER_ALIASES)
CONTACT_SOURCE = "contact"


async def contact(
    session: AsyncSession,
    actor: Actor,
    politician: str | None = None,
    how: activity.ContactChannel | None = None,
    issue: str | None = None,
    link: str | None = None,
    note: str | None = None,
    answer: ContactAnswer | None = None,
    said: str | None = None,
) -> Reply:
    """Report a question or a contact with a politician, made in any way, with an optional link, note and the
    politician's answer (an answer needs an issue: it is a stance on that issue)."""
    actor.require_onboarded()
    values = validation.read_all({
        "how": lambda: activity.CHANNEL.read(how, required=True),
        "note": lambda: asks.note_text(note, text("contacts.field.note")),
        "answer": lambda: ANSWER.read(answer),
        "said": lambda: asks.note_text(said, text("contacts.field.said")),
    })
    channel = values["how"].value
    about_issue = bool((issue or "").strip())
    checked = validation.read_all({
        "link": lambda: asks.link_for(channel, link, text("contacts.field.link")),
        "answer": lambda: _needs_issue(about_issue, values["answer"], "contacts.field.answer"),
        "said": lambda: _needs_issue(about_issue, values["said"], "contacts.field.said"),
    })
    person = asks.politician_reachable(
        await civics.find_politician(session, actor.workspace.id, politician), actor)
    if about_issue:
        found = await civics.find_issue(session, actor.workspace.id, issue)
        answered = values["answer"].value if values["answer"] else None
        return await asks.record_contact(session, actor, found, person, channel, checked["link"],
                                         values["note"], answered, values["said"])
    kind = "meet" if channel in activity.IN_PERSON else "ask"
    whom = Field(text("contacts.field.politician"),
                 Join((civics.politician_label(person), activity.channel_label(channel)), " · "), inline=True)
    return await activity.record_and_reply(session, actor, kind, link=checked["link"], source=CONTACT_SOURCE,
                                           politician_id=person.id, channel=channel, note=values["note"],
                                           fields=(whom,))


def _needs_issue(about_issue: bool, value: object, label_key: str) -> object:
    """An answer is a stance on an issue: refused, kindly, without one."""
    if value is not None and not about_issue:
        raise validation.FieldProblem(text(label_key), text("contacts.errors.answer_needs_issue"))
    return value
