"""The member profile's fields: the choices offered and how each typed value is checked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot import validation
from bot.replies import Choice, FieldKind, FormField, Literal, text

MUNICIPALITIES = (
    Choice("karlskrona", Literal("Karlskrona")),
    Choice("ronneby", Literal("Ronneby")),
    Choice("karlshamn", Literal("Karlshamn")),
    Choice("solvesborg", Literal("Sölvesborg")),
    Choice("olofstrom", Literal("Olofström")),
    Choice("other", text("choice.municipality.other")),
)
INDUSTRIES = tuple(Choice(v, text(f"choice.industry.{v}")) for v in (
    "construction", "retail", "hospitality", "tech", "manufacturing", "services", "transport", "health",
    "agriculture", "culture", "other"))
COMPANY_SIZES = tuple(Choice(v, text(f"choice.size.{v}")) for v in ("solo", "2-9", "10-49", "50-249", "250+"))
EXPERIENCE = tuple(Choice(v, text(f"choice.experience.{v}")) for v in ("none", "beginner", "active"))

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
    return validation.clean_text(raw, label, max_length=form_field.max_length, required=form_field.required)


def choice_label(field_name: str, value: str | None) -> Literal | Any:
    """Return how a stored choice is shown, or a dash when empty."""
    if not value:
        return text("profile.empty")
    for option in CHOICES[field_name]:
        if option.value == value:
            return option.label
    return Literal(value)
