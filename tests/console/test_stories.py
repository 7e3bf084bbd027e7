"""Console scenarios of stories, the action log and the digest: the issue's "done when", line by line."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image

from bot.config import Settings
from bot.console import run_console
from tests.support.onboarding import onboard_command

# Tuesday morning in Stockholm: the digest of the last seven days covers everything the scenario does.
MORNING = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))


THREE_MEMBERS = [
    ":as Anna",
    onboard_command("Annas Blommor"),
    "/did kind:tweet link:https://x.com/anna/status/1",
    (
        '/story share title:"Tweeten gav tre kunder" kind:tweet value:"Tre nya kunder hittade oss via X." '
        "link:https://x.com/anna/status/1 visibility:public"
    ),
    ":as Bo",
    onboard_command("Bos Bygg", "Ronneby"),
    "/gjort typ:blogg",
    "/gjort typ:fråga status:försökte",
    '/story share title:"Bara för oss" kind:blog value:"En förfrågan från en granne." visibility:group',
    ":as Cia",
    onboard_command("Cias Café", "Karlshamn"),
    "/did kind:tweet",
    "/did kind:media",
    (
        '/berättelse dela title:"Intervju i BLT" kind:media value:"Två nya samarbeten." '
        "visibility:public_anonymous"
    ),
    ":as Karin coordinator",
]


async def console(settings: Settings, lines: list[str], start: datetime = MORNING) -> str:
    out = io.StringIO()
    await run_console(settings, stdin=io.StringIO("\n".join(lines)), out=out, start=start)
    return out.getvalue()


def written(output: str, name: str) -> Path:
    return Path(re.search(rf"📎 (\S*{re.escape(name)})$", output, re.MULTILINE).group(1))


def table(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"))


async def test_three_members_act_and_share_and_the_digest_shows_the_weeks_figures_with_a_chart(
    settings: Settings,
):
    output = await console(settings, [*THREE_MEMBERS, "/digest now"])

    digest = output.split("> /digest now")[1]
    assert "[endast Karin] **📊 Veckans sammanfattning, 24 november 2026 – 1 december 2026**" in digest
    assert ("  Insatser (5): Tweetade: 2\n"
            "    Frågade en politiker: 1 försök\n"
            "    Bloggade: 1\n"
            "    Kontaktade media: 1\n") in digest
    assert "  Nya medlemmar (3): Anna, Bo, Cia\n" in digest
    assert "  Berättelser (3): Delade: 3, varav publika: 2\n" in digest
    assert "  Kommande beslut: Inga öppna frågor med beslut framför oss.\n" in digest
    png = written(digest, "aktivitet-2026-v49.png")
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    shown = json.loads(Image.open(png).info["Description"])
    assert shown["actions"][-1] == 5 and shown["stories"][-1] == 3 and sum(shown["actions"]) == 5
    assert "Traceback" not in output and "Något gick fel" not in output


async def test_the_csv_export_has_exactly_the_rows_logged_and_the_public_export_no_group_only_story(
        settings: Settings):
    output = await console(settings, [*THREE_MEMBERS, "/report from:2026-12-01 to:2026-12-01",
                                      "/story export"])

    actions = table(written(output, "insatser_2026-12-01_2026-12-01.csv"))
    assert [row[1:4] for row in actions] == [
        ["Medlem", "Vad", "Status"],
        ["Anna", "Tweetade", "Gjort"],
        ["Bo", "Bloggade", "Gjort"],
        ["Bo", "Frågade en politiker", "Försökte (inget svar än)"],
        ["Cia", "Tweetade", "Gjort"],
        ["Cia", "Kontaktade media", "Gjort"],
    ]
    group_stories = table(written(output, "berattelser_2026-12-01_2026-12-01.csv"))
    assert [row[1] for row in group_stories[1:]] == [
        "Tweeten gav tre kunder",
        "Bara för oss",
        "Intervju i BLT",
    ]

    public_csv = table(written(output, "berattelser-publika-2026-12-01.csv"))
    assert [(row[1], row[5]) for row in public_csv[1:]] == [("Tweeten gav tre kunder", "Anna, Annas Blommor"),
                                                            ("Intervju i BLT", "En medlem i Jobbskaparna")]
    public_md = written(output, "berattelser-publika-2026-12-01.md").read_text(encoding="utf-8")
    assert "## Tweeten gav tre kunder" in public_md and "## Intervju i BLT" in public_md
    assert "Bara för oss" not in public_md and "granne" not in public_md
    assert "Cia" not in public_md and "Bos Bygg" not in public_md


async def test_the_posts_the_applause_and_the_retry_show_in_the_console(settings: Settings):
    output = await console(settings, [*THREE_MEMBERS[:4], ":as Bo", onboard_command("Bos Bygg"),
                                      "/did kind:ask status:attempted", "/story show story:1", ":press 1",
                                      ":as Anna", "/story show story:1", ":advance 3d", ":as Bo",
                                      ":press ✅ Nu är det gjort"])

    assert "[#berättelser] **Tweeten gav tre kunder**\n  Tre nya kunder hittade oss via X.\n" in output
    assert "[#koordinatorer] 📣 Anna delade berättelsen **Tweeten gav tre kunder** (#1)" in output
    shown_to_anna = output.split("> :as Anna")[-1].split("> :advance 3d")[0]
    assert "[endast Anna] **Tweeten gav tre kunder**" in shown_to_anna
    assert "[1] 👏 Inspirerande (1)" in shown_to_anna
    retry = output.split("> :advance 3d")[1]
    assert (
        "[DM Bo] **🔁 Försök igen?**\n  Den tisdag 1 december 2026 försökte du: Frågade en politiker."
        in retry
    )
    assert "[endast Bo] **✅ Loggat: Frågade en politiker**" in retry.split("> :press ✅ Nu är det gjort")[1]


async def test_bad_input_gets_a_clear_message_and_changes_nothing(settings: Settings):
    output = await console(settings, [
        ":as Anna", onboard_command("Annas Blommor"),
        '/story share title:"" kind:tweet value:""',
        "/story share title:Rubrik kind:tweet value:Text link:ftp://example.se",
        "/did kind:tweet link:javascript:alert(1)",
        "/did kind:tweet issue:Flygplatsen",
        ":as Karin coordinator",
        "/report from:2026-11-30 to:2026-11-01",
        "/story list",
        "/stats",
    ])

    assert ("Formuläret har 2 saker att rätta:\n• Rubrik: måste fyllas i.\n"
            "• Vad gav det ditt företag?: måste fyllas i.") in output
    assert 'Länk: "ftp://example.se" går inte att spara som länk: den börjar med ftp:' in output
    # What the member typed, not the https:// form the link would have been stored as.
    assert 'Länk: "javascript:alert(1)" går inte att spara som länk: den börjar med javascript:' in output
    assert "https://javascript" not in output
    assert 'Jag hittar ingen fråga som heter "Flygplatsen". /fråga lista visar frågorna.' in output
    assert "Perioden slutar (2026-11-01) innan den börjar (2026-11-30). Byt plats på datumen." in output
    assert "Ingen har delat en berättelse än." in output
    assert "Traceback" not in output and "Något gick fel" not in output


async def test_a_coordinator_hides_a_story_and_publishes_the_public_page_in_swedish(settings: Settings):
    # The board on (its web server on a free port beside the console).
    with_board = settings.model_copy(update={"board_url": "https://tavla.example", "web_port": 0})
    output = await console(with_board, [
        *THREE_MEMBERS, "/berättelse dölj berättelse:1", "/story export",
        "/berättelse visa-igen berättelse:1", "/berättelse publik-sida",
        "/berättelse publik-sida på:ja", "/berättelse publik-sida på:nej",
        ":as Anna", "/berättelse dölj berättelse:3"])

    assert ("Berättelse #1, Tweeten gav tre kunder, är dold. Den visas inte på den publika sidan eller i "
            "publika exporter") in output
    public_csv = table(written(output, "berattelser-publika-2026-12-01.csv"))
    assert [row[1] for row in public_csv[1:]] == ["Intervju i BLT"]
    assert "Berättelsen Tweeten gav tre kunder visas igen där författaren har tillåtit det." in output
    assert "Gruppen har ingen publicerad berättelsesida. Publicera den med" in output
    assert "Gruppens publika berättelsesida är publicerad." in output
    assert "https://tavla.example/berattelser/" in output
    assert "Gruppens publika berättelsesida är nedtagen." in output
    # A member may not hide a story.
    refused = output.rsplit("> :as Anna", 1)[1]
    assert "är dold" not in refused and "koordinator" in refused
    assert "Traceback" not in output


ISSUE_CREATE = (
    '/issue create title:"Parkering i centrum" summary:"Kommunen vill ta bort 200 platser vid Stortorget." '
    'municipality:Karlskrona body:kommunfullmäktige decision:"28 jan 18:00" hashtag:#ParkeraKarlskrona '
    'position:"Behåll platserna. Kunderna kommer med bil."'
)


async def test_a_story_is_shared_about_an_issue_and_another_is_said_to_be_about_it_afterwards(
        settings: Settings):
    output = await console(settings, [
        ":as Karin coordinator", ISSUE_CREATE,
        ":as Anna", onboard_command("Annas Blommor"),
        # Only the issue: the form opens, carrying it; the form's fields then send the story about it.
        "/story share issue:Parkering",
        (':submit stories.share title:"Tweeten gav tre kunder" kind:tweet value:"Tre nya kunder." '
         "visibility:public"),
        '/story share title:"Bloggen" kind:blog value:"En förfrågan." visibility:group',
        ":as Bo", onboard_command("Bos Bygg", "Ronneby"),
        "/berättelse om berättelse:2 fråga:Parkering",
        ":as Anna", "/berättelse om berättelse:2 fråga:Parkering",
        "/story show story:1",
    ])

    assert "Dela din berättelse" in output
    assert "Bara den som delade den, eller en koordinator, kan säga vilken fråga den handlar om." in output
    assert "Berättelsen Bloggen handlar nu om frågan Parkering i centrum." in output
    assert output.count("Om: Parkering i centrum") >= 2  # the post in the channel and /story show
