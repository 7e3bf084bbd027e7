"""The console's user can say what language their app speaks (`:as NAME locale:en-US`), as Discord tells the
bot: until they choose one with /language, they are answered in it; without it, in the server's."""

from __future__ import annotations

from bot.config import Settings
from bot.i18n import translate
from tests.console.test_console import console


async def test_a_user_whose_app_speaks_english_is_answered_in_english_until_they_choose(settings: Settings):
    output = await console(settings, ":as Eva locale:en-US\n/issue list\n/language language:sv\n/issue list\n"
                                     ":as Bo\n/issue list\n")

    eva, bo = output.split("> :as Bo")
    english, swedish = translate("issues.none", "en"), translate("issues.none", "sv")
    assert eva.count(english) == 1 and eva.count(swedish) == 1
    assert eva.index(english) < eva.index(swedish)  # after /language sv, Swedish
    assert swedish in bo and english not in bo
