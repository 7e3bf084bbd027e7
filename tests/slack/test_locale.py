"""On Slack, a member who chose no language is answered in their Slack's (users.info with its locale)."""

from __future__ import annotations

from bot.i18n import translate
from tests.slack.conftest import Slack
from tests.slack.test_onboarding import team_join
from tests.slack.texts import slack_text


def first_sentence(language: str) -> str:
    return translate("issues.none", language).split(".")[0]


async def test_a_user_whose_slack_speaks_english_is_answered_in_english_and_a_swedish_one_in_swedish(
        slack: Slack):
    slack.fake.add_user("UEVA", "Eva", locale="en-US")

    _, english = await slack.command("UEVA", "issue list")
    _, swedish = await slack.command("UBO", "issue list")

    [to_eva] = slack.fake.responses_to(english)
    [to_bo] = slack.fake.responses_to(swedish)
    # The first sentence of the answer (Slack writes the command it names its own way).
    assert slack_text(to_eva).startswith(first_sentence("en"))
    assert slack_text(to_bo).startswith(first_sentence("sv"))
    assert all(call.args.get("include_locale") for call in slack.fake.calls_to("users.info"))


async def test_a_user_who_just_joined_is_asked_for_their_language_once(slack: Slack):
    slack.fake.add_user("UEVA", "Eva", locale="en-US")
    await slack.event(team_join("UEVA", "Eva"))  # the event's user comes without a locale

    _, first = await slack.command("UEVA", "issue list")
    _, second = await slack.command("UEVA", "issue list")

    assert [slack_text(r).startswith(first_sentence("en")) for n in (first, second)
            for r in slack.fake.responses_to(n)] == [True, True]
    assert len([c for c in slack.fake.calls_to("users.info") if c.args.get("user") == "UEVA"]) == 1
