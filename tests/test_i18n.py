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
