"""The catalogs: Swedish and English hold the same texts with the same placeholders, and code uses only keys
that exist."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot import i18n
from bot.replies import Join, Literal, Mention, text
from bot.services.profile_fields import CHOICES, PROFILE_FIELDS

ROOT = Path(__file__).resolve().parent.parent


def test_both_languages_have_the_same_keys():
    assert set(i18n.catalog("sv")) == set(i18n.catalog("en"))


@pytest.mark.parametrize("key", sorted(i18n.catalog("sv")))
def test_both_languages_fill_in_the_same_placeholders(key: str):
    assert i18n.placeholders(i18n.catalog("sv")[key]) == i18n.placeholders(i18n.catalog("en")[key])


# Calls whose first argument is a catalog key.
KEY_TAKERS = {"text", "Text", "UserError", "say", "ConsoleError", "CommandError", "translate", "T"}


def _literal_keys() -> set[tuple[str, str]]:
    found = set()
    for path in [*ROOT.joinpath("bot").rglob("*.py"), *ROOT.joinpath("cogs").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            first = node.args[0]
            if name in KEY_TAKERS and isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add((str(path.relative_to(ROOT)), first.value))
    return found


def test_the_key_scan_finds_keys():
    assert ("bot/services/onboarding.py", "onboarding.already_done") in _literal_keys()


def test_every_catalog_key_named_in_the_code_exists():
    missing = sorted((path, key) for path, key in _literal_keys() if key not in i18n.catalog("sv"))
    assert missing == []


def test_every_choice_and_field_has_a_text_in_both_languages():
    for language in i18n.LANGUAGES:
        for choices in CHOICES.values():
            for option in choices:
                if not isinstance(option.label, Literal):
                    assert i18n.has(option.label.key, language), option.label.key
        for form_field in PROFILE_FIELDS:
            assert i18n.has(form_field.label.key, language)


def test_nested_texts_lists_and_mentions_render_in_the_reader_language():
    problems = Join((text("common.yes"), Literal("Sölvesborg"), Mention("channel", "123")), separator=" | ")

    assert i18n.render(problems, "sv") == "Ja | Sölvesborg | #123"
    assert i18n.render(problems, "en", lambda m: f"<#{m.id}>") == "Yes | Sölvesborg | <#123>"


def test_a_discord_locale_maps_to_a_catalog():
    assert i18n.normalize_language("sv-SE") == "sv"
    assert i18n.normalize_language("en-GB") == "en"
    assert i18n.normalize_language("de") == "sv"


def test_a_button_arg_cannot_break_its_custom_id():
    from bot.replies import Button, parse_custom_id

    assert parse_custom_id(Button(text("common.yes"), "profile.show", "42").custom_id) == (
        "profile.show",
        "42",
    )
    with pytest.raises(ValueError):
        _ = Button(text("common.yes"), "profile.show", "a:b").custom_id


# -- plural forms and command names ----------------------------------------------------------------------


@pytest.mark.parametrize(("language", "count", "expected"), [
    ("sv", 1, "Det saknas 1 röst för majoritet."),
    ("sv", 3, "Det saknas 3 röster för majoritet."),
    ("en", 1, "1 vote is missing for a majority."),
    ("en", 3, "3 votes are missing for a majority."),
])
def test_a_plural_form_takes_the_branch_babels_rules_give(language: str, count: int, expected: str):
    assert i18n.translate("map.votes_missing", language, count=count) == expected


def test_an_exact_branch_wins_and_the_number_is_written_the_languages_way(monkeypatch: pytest.MonkeyPatch):
    entries = {"sv": {"k": "{n, plural, =0 {Inga röster} one {# röst} other {# röster}} för {title}"},
               "en": {"k": "{n, plural, =0 {No votes} one {# vote} other {# votes}} for {title}"}}
    monkeypatch.setattr(i18n, "catalog", lambda language: entries[language])

    assert i18n.translate("k", "sv", n=0, title="Parkering") == "Inga röster för Parkering"
    assert i18n.translate("k", "sv", n=12000, title="Parkering") == "12\u00a0000 röster för Parkering"
    assert i18n.translate("k", "en", n=12000, title="Parking") == "12,000 votes for Parking"
    assert i18n.placeholders(entries["sv"]["k"]) == {"n", "title"}


def test_a_plural_form_without_an_other_branch_is_refused():
    with pytest.raises(i18n.CatalogSyntaxError):
        i18n.placeholders("{count, plural, one {# röst}}")


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_plural_form_has_a_branch_for_each_plural_category_of_its_language(language: str):
    from babel import Locale

    categories = Locale.parse(language).plural_form.tags | {"other"}
    missing = [(key, name, sorted(categories - set(branches)))
               for key, entry in i18n.catalog(language).items()
               for _, _, name, branches in i18n._plural_blocks(entry) if categories - set(branches)]
    assert missing == []


def test_a_command_is_named_in_the_readers_language():
    assert i18n.translate("profile.not_onboarded", "sv") == (
        "Du har ingen profil än. Skriv /kom-igång för att komma igång.")
    assert i18n.translate("profile.not_onboarded", "en") == (
        "You have no profile yet. Type /onboard to get started.")
    assert i18n.command_name("coach next", "sv") == "/coach nästa"


def test_every_command_a_text_names_is_a_declared_command():
    from bot.commands import all_commands

    declared = {" ".join(command.path) for command in all_commands()}
    named = {(language, key, path) for language in i18n.LANGUAGES
             for key, entry in i18n.catalog(language).items() for path in i18n.commands_named(entry)}
    assert named, "the catalogs name commands with {cmd:…}"
    assert sorted(item for item in named if item[2] not in declared) == []


@pytest.mark.parametrize(("key", "language", "params", "expected"), [
    ("delivery.skipped.title", "sv", {"count": 1}, "⏭️ 1 påminnelse hoppades över"),
    ("delivery.skipped.title", "en", {"count": 2}, "⏭️ 2 reminders skipped"),
    ("coaching.streak.weeks", "sv", {"weeks": 1}, "🔥 1 vecka i rad"),
    ("digest.days.left", "en", {"days": 1}, "1 day left"),
    ("issues.calendar.body", "en", {"count": 1}, "Here is 1 decision as a calendar file."),
    ("csv.imported.title", "sv", {"added": 1, "updated": 2, "unchanged": 1},
     "Importerat: 1 ny, 2 uppdaterade, 1 oförändrad"),
])
def test_one_of_a_thing_is_written_in_the_singular(key: str, language: str, params: dict[str, int],
                                                    expected: str):
    assert i18n.translate(key, language, **params).startswith(expected)
