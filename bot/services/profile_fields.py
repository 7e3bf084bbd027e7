"""The member profile's fields: the choices offered and how each typed value is checked."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from bot import validation
from bot.replies import Choice, FieldKind, FormField, Join, Literal, Text, text

MUNICIPALITIES = (
    Choice("karlskrona", Literal("Karlskrona")),
    Choice("ronneby", Literal("Ronneby")),
    Choice("karlshamn", Literal("Karlshamn")),
    Choice("solvesborg", Literal("Sölvesborg")),
    Choice("olofstrom", Literal("Olofström")),
    Choice("other", text("choice.municipality.other")),
)
# The municipalities' official codes (SCB's kommunkoder), by which Valmyndigheten's open data names them.
MUNICIPALITY_CODES = {"1080": "karlskrona", "1081": "ronneby", "1082": "karlshamn", "1083": "solvesborg",
                      "1060": "olofstrom"}
INDUSTRIES = tuple(Choice(v, text(f"choice.industry.{v}")) for v in (
    "construction", "retail", "hospitality", "tech", "manufacturing", "services", "transport", "health",
    "agriculture", "culture", "other"))
COMPANY_SIZES = tuple(Choice(v, text(f"choice.size.{v}")) for v in ("solo", "2-9", "10-49", "50-249", "250+"))
EXPERIENCE = tuple(Choice(v, text(f"choice.experience.{v}")) for v in ("none", "beginner", "active"))
# The platforms a member may use, as stored; several may be chosen (typed as a list: "X, LinkedIn").
PLATFORMS = (
    Choice("x", Literal("X")),
    Choice("linkedin", Literal("LinkedIn")),
    Choice("facebook", Literal("Facebook")),
    Choice("instagram", Literal("Instagram")),
    Choice("blog", text("choice.platform.blog")),
)
# Drafts are offered for these when the member has not said which platforms they use.
DEFAULT_PLATFORMS = ("x", "facebook", "linkedin")
# Other words members type for a platform, folded.
_PLATFORM_ALIASES = {"twitter": "x", "fb": "facebook", "insta": "instagram", "ig": "instagram",
                     "blogg": "blog", "webb": "blog", "web": "blog", "hemsida": "blog", "website": "blog"}
# A list of platforms is split at commas, white space and the like; "och"/"and" between names are skipped.
_PLATFORM_SEPARATORS = re.compile(r"[,;/+&.\s]+")
_PLATFORM_CONJUNCTIONS = frozenset({"och", "samt", "and"})
MAX_PLATFORMS = 60

CHOICES: Mapping[str, tuple[Choice, ...]] = {
    "industry": INDUSTRIES,
    "company_size": COMPANY_SIZES,
    "municipality": MUNICIPALITIES,
    "experience": EXPERIENCE,
}

PROFILE_FIELDS: tuple[FormField, ...] = (
    FormField(
        "company",
        text("field.company"),
        required=True,
        max_length=100,
        placeholder=text("field.company.placeholder"),
    ),
    FormField("offer", text("field.offer"), max_length=100, placeholder=text("field.offer.placeholder")),
    FormField("facts", text("field.facts"), max_length=150, placeholder=text("field.facts.placeholder")),
    FormField("industry", text("field.industry"), FieldKind.CHOICE, required=True, choices=INDUSTRIES),
    FormField(
        "company_size", text("field.company_size"), FieldKind.CHOICE, required=True, choices=COMPANY_SIZES
    ),
    FormField(
        "municipality", text("field.municipality"), FieldKind.CHOICE, required=True, choices=MUNICIPALITIES
    ),
    FormField("experience", text("field.experience"), FieldKind.CHOICE, required=True, choices=EXPERIENCE),
    FormField(
        "x_handle", text("field.x_handle"), max_length=40, placeholder=text("field.x_handle.placeholder")
    ),
    FormField(
        "platforms", text("field.platforms"), max_length=MAX_PLATFORMS,
        placeholder=text("field.platforms.placeholder")
    ),
    FormField(
        "linkedin_url",
        text("field.linkedin_url"),
        max_length=300,
        placeholder=text("field.linkedin_url.placeholder"),
    ),
    FormField(
        "blog_url", text("field.blog_url"), max_length=300, placeholder=text("field.blog_url.placeholder")
    ),
    FormField(
        "goal",
        text("field.goal"),
        FieldKind.PARAGRAPH,
        max_length=300,
        placeholder=text("field.goal.placeholder"),
    ),
    FormField(
        "dm_reminders",
        text("field.dm_reminders"),
        FieldKind.BOOL,
        description=text("field.dm_reminders.description"),
    ),
)
CONSENT_FIELD = FormField("consent", text("field.consent"), FieldKind.BOOL, required=True,
                          description=text("field.consent.description"))
PROFILE_FIELD_NAMES = tuple(f.name for f in PROFILE_FIELDS)


def parse_profile(values: Mapping[str, str], *, partial: bool) -> dict[str, Any]:
    """Check profile values and return the columns to store; every problem is reported at once.

    With partial=True only the fields given are checked and returned (a profile edit); otherwise the
    required fields must all be there (the onboarding).
    """
    problems: list[validation.FieldProblem] = []
    result: dict[str, Any] = {}
    for form_field in PROFILE_FIELDS:
        if partial and form_field.name not in values:
            continue
        raw = values.get(form_field.name, "")
        try:
            result[form_field.name] = _parse_one(form_field, raw)
        except validation.FieldProblem as problem:
            problems.append(problem)
    validation.collect(problems)
    return result


def _parse_one(form_field: FormField, raw: str) -> Any:
    name, label = form_field.name, form_field.label
    if form_field.kind is FieldKind.CHOICE:
        return validation.choice(raw, label, form_field.choices, required=form_field.required)
    if form_field.kind is FieldKind.BOOL:
        return validation.yes_no(raw, label, default=False)
    if name == "x_handle":
        return validation.x_handle(raw, label)
    if name == "linkedin_url":
        return validation.web_url(raw, label, host_suffix="linkedin.com")
    if name == "blog_url":
        return validation.web_url(raw, label)
    if name == "platforms":
        return parse_platforms(raw, label, max_length=form_field.max_length)
    return validation.clean_text(raw, label, max_length=form_field.max_length, required=form_field.required)


def parse_platforms(raw: str | None, label: Text, *, max_length: int = MAX_PLATFORMS) -> list[str] | None:
    """Read the platforms a member uses from a typed list ("X, LinkedIn och Facebook"), in PLATFORMS' order;
    None when nothing was typed (the defaults apply). A name not known is shown as it was typed."""
    typed = validation.clean_text(raw, label, max_length=max_length)
    words = [word for word in _PLATFORM_SEPARATORS.split(typed or "")
             if word and validation.fold(word) not in _PLATFORM_CONJUNCTIONS]
    if not words:
        return None
    chosen: set[str] = set()
    for word in words:
        folded = validation.fold(word)
        try:
            chosen.add(validation.choice(_PLATFORM_ALIASES.get(folded, folded), label, PLATFORMS,
                                         required=True) or "")
        except validation.FieldProblem:
            raise validation.FieldProblem(label, text("errors.platforms", value=word[:40], options=Join(
                tuple(option.label for option in PLATFORMS)))) from None
    return [option.value for option in PLATFORMS if option.value in chosen]


def platforms_of(stored: Sequence[str] | None) -> tuple[str, ...]:
    """Return the platforms drafts are offered for: the member's, or the defaults when they said none."""
    return tuple(stored) if stored else DEFAULT_PLATFORMS


def platforms_label(stored: Sequence[str] | None) -> Join | Text:
    """Show stored platforms as a member types them ("X, LinkedIn"), or a dash when none were said."""
    if not stored:
        return text("profile.empty")
    names = {option.value: option.label for option in PLATFORMS}
    return Join(tuple(names[value] for value in stored if value in names))


def choice_label(field_name: str, value: str | None) -> Literal | Any:
    """Return how a stored choice is shown, or a dash when empty."""
    if not value:
        return text("profile.empty")
    for option in CHOICES[field_name]:
        if option.value == value:
            return option.label
    return Literal(value)
