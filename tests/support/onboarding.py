"""Onboarding a member in a test: the standard answers, and the onboarding through each way in.

`answers` are what the core takes (choices by key, yes/no as "ja"/"nej"); `modal_answers` the same as a member
fills them in a modal (Discord's or Slack's), the checkboxes ticked. `onboard` onboards through the core, as
every adapter does (for a Discord member: `onboard(app, identity_of(member))`); `onboard_command` and
`onboard_lines` are the onboarding as a person types it (the console, or Slack's `/jobb` without the slash).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from bot.app import App
from bot.replies import Reply
from bot.services import onboarding
from bot.services.context import Identity

# Anna of Annas Blommor in Karlskrona: no X account, blog or goal given yet; DM reminders on; consent given.
ANSWERS: Mapping[str, str] = MappingProxyType({
    "company": "Annas Blommor", "industry": "retail", "company_size": "2-9", "municipality": "karlskrona",
    "experience": "none", "x_handle": "", "linkedin_url": "", "blog_url": "", "goal": "",
    "offer": "", "facts": "", "platforms": "", "dm_reminders": "ja", "consent": "ja",
})
# The same Anna in Sölvesborg, with every optional field filled in.
COMPLETE: Mapping[str, str] = MappingProxyType(ANSWERS | {
    "municipality": "solvesborg", "x_handle": "@annasblommor", "linkedin_url": "linkedin.com/in/anna",
    "blog_url": "https://annasblommor.se/blogg", "goal": "Fler företagskunder",
})
# The coaching's newcomer: Anna in Karlskrona on X, LinkedIn and a blog, with no experience and no goal.
NEWCOMER: Mapping[str, str] = MappingProxyType(COMPLETE | {"municipality": "karlskrona", "goal": ""})
# Anna who told what her business offers, what she is proud of, and that she is on X and LinkedIn.
BUSINESS: Mapping[str, str] = MappingProxyType(ANSWERS | {
    "offer": "Snittblommor, bröllopsbuketter och begravningsbinderi",
    "facts": "6 anställda, på Ronnebygatan sedan 1998", "platforms": "X och LinkedIn",
})
# The fields a member ticks (a checkbox in a modal) rather than types.
CHECKBOXES = frozenset({"dm_reminders", "consent"})


def answers(base: Mapping[str, str] = ANSWERS, /, **changes: str) -> dict[str, str]:
    """Return the answers (the standard ones unless another base is given) with some changed."""
    return dict(base) | changes


def modal_answers(base: Mapping[str, str] = ANSWERS, /, **changes: str) -> dict[str, str | bool]:
    """Return the answers as a member fills them in a modal: the checkboxes as True or False."""
    return {name: value == "ja" if name in CHECKBOXES else value
            for name, value in answers(base, **changes).items()}


async def onboard(app: App, who: Identity, municipality: str | None = None, *, dm: bool | None = None,
                  answers: Mapping[str, str] = ANSWERS, **changes: str) -> Reply:
    """Onboard a member through the core and return the answer: with the standard answers unless others
    are given, in another municipality (which the member follows), DM reminders on or off, any field
    changed."""
    values = dict(answers)
    if municipality is not None:
        values["municipality"] = municipality
    if dm is not None:
        values["dm_reminders"] = "ja" if dm else "nej"
    return await app.submit(who, onboarding.FORM_ID, values | changes)


def onboard_command(company: str = "Annas Blommor", municipality: str = "Karlskrona", *,
                    command: str = "/onboard", **changes: str) -> str:
    """Return the onboarding typed as one command: the standard answers, the choices by their Swedish names,
    the empty fields left out, a value with a space in quotes (Slack's `/jobb` takes command="onboard")."""
    values = answers(company=company, industry="handel", municipality=municipality) | changes
    options = (f'{name}:"{value}"' if " " in value else f"{name}:{value}"
               for name, value in values.items() if value)
    return " ".join((command, *options))


def onboard_lines(name: str, municipality: str = "Karlskrona", company: str | None = None) -> list[str]:
    """Return the console lines of a member who onboards: act as them, then the command (their company is
    "<name>s Företag" unless given)."""
    return [f":as {name}", onboard_command(company or f"{name}s Företag", municipality)]
