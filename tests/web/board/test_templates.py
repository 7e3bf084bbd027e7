"""The board's templates: every text they name is in both catalogs, and nothing is written inline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot import i18n
from bot.services.board import LinkState
from bot.web import board

TEMPLATES = Path(board.__file__).resolve().parent.parent / "templates"
# t("key", …) and t('key', …) with a literal key.
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z0-9_.]*[a-z0-9_])["']\s*[,)]""")


def literal_keys() -> set[str]:
    return {key for path in TEMPLATES.glob("*.html") for key in LITERAL_KEY.findall(path.read_text("utf-8"))}


def test_the_scan_finds_the_keys():
    assert "board.login.button" in literal_keys()


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_text_a_template_names_is_in_the_catalog(language: str):
    built = {f"board.nav.{page.key}" for page in board.PAGES if page.nav}
    built |= {f"board.login.{state.value}" for state in LinkState if state is not LinkState.FRESH}
    missing = sorted(key for key in literal_keys() | built if not i18n.has(key, language))
    assert missing == []


@pytest.mark.parametrize("path", sorted(TEMPLATES.glob("*.html")), ids=lambda path: path.name)
def test_no_template_has_inline_script_or_style(path: Path):
    # The content security policy refuses them: they would silently do nothing.
    source = path.read_text("utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)", source)
    assert "style=" not in source and "<style" not in source
    assert not re.search(r"\son[a-z]+=", source)  # onclick= and the like
