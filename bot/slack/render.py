"""Turn a Reply into Block Kit and a Form into a modal, within Slack's limits, in Slack's mrkdwn.

The catalogs are written in Discord's markdown (`**bold**`); here it becomes Slack's (`*bold*`). User-written
text is escaped (`&`, `<`, `>` always, so nobody can write `<!channel>`; a formatting character that starts a
word gets a zero-width space, so a company called *Bygg* is not shown in bold). Mentions become `<@U…>`,
`<#C…>`, `<!subteam^S…>`, moments `<!date^…>` (each reader sees their own zone), and `/profile` in a text
becomes `/jobb profile`, the way the commands are typed in Slack.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from bot import validation
from bot.bidi import isolated
from bot.i18n import LANGUAGES, clip, plain_moment, render, translate
from bot.replies import (
    Button,
    ButtonStyle,
    Field,
    FieldKind,
    Form,
    FormField,
    Join,
    Link,
    Literal,
    Mention,
    Renderable,
    Reply,
    Text,
    When,
    text,
)

log = logging.getLogger(__name__)

COMMAND = "/jobb"
# A modal's callback_id: the form it submits. A command's upload modal: the command it runs.
FORM_CALLBACK = "jbform:"
COMMAND_CALLBACK = "jbcmd:"
# Link buttons send block_actions too; they only need an acknowledgement.
LINK_ACTION = "jblink:"
# The button that opens a form a reply to a message brought (SlackAdapter.offer_form): an action of the
# adapter, not of the core.
OPEN_FORM_ACTION = "slack.open_form"
NOTICE_BLOCK = "jb-notice"
CHECKED, UNCHECKED = "true", "false"

MAX_BLOCKS = 50
MAX_MODAL_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_HEADER = 150
MAX_FIELD_TEXT = 2000
MAX_SECTION_FIELDS = 10
MAX_ELEMENTS = 25  # per actions block; like Discord, 25 buttons in all
MAX_BUTTON_TEXT = 75
MAX_ACTION_ID = 255
MAX_URL = 3000
MAX_FALLBACK = 3000
MAX_MODAL_TITLE = 24
MAX_MODAL_BUTTON = 24
MAX_LABEL = 2000
MAX_HINT = 2000
MAX_PLACEHOLDER = 150
MAX_OPTIONS = 100
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_INPUT = 3000
MAX_METADATA = 3000
# Slack refuses empty texts; a zero-width space shows nothing.
EMPTY = "\u200b"

STYLES = {ButtonStyle.SUCCESS: "primary", ButtonStyle.DANGER: "danger"}

_TOKEN = re.compile("\x00(\\d+)\x00")
_WORD_START_FORMAT = re.compile(r"(^|(?<=\s))([*_~`>])", re.MULTILINE)
_BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
_ITALIC_STAR = re.compile(r"(?<![\w*\u200b])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_STRIKE = re.compile(r"~~(.+?)~~", re.DOTALL)
_UNDERLINE = re.compile(r"__(.+?)__", re.DOTALL)
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_HEADING = re.compile(r"^#{1,3} +(.+)$", re.MULTILINE)


def mention_format(mention: Mention) -> str:
    """Write a mention the way Slack shows it: <#channel>, <!subteam^group>, <@user>."""
    if mention.kind == "channel":
        return f"<#{mention.id}>"
    if mention.kind == "role":
        return f"<!subteam^{mention.id}>"
    return f"<@{mention.id}>"


def moment_format(moment: When, language: str) -> str:
    """Write a moment as a Slack date, shown in each reader's own zone; the fallback is local text."""
    stamp = int(moment.at.timestamp())
    token = "{date_short_pretty}" if moment.style == "date" else "{date_short_pretty} {time}"
    return f"<!date^{stamp}^{token}|{escape(plain_moment(moment, language))}>"


def escape(value: str) -> str:
    """Escape the three characters Slack reads as markup."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escaped(item: Any) -> Any:
    """Keep what users wrote from turning into formatting (escaping &, <, > happens on the whole text)."""
    if isinstance(item, Literal):
        return Literal(_WORD_START_FORMAT.sub(lambda m: m.group(1) + EMPTY + m.group(2), item.value))
    if isinstance(item, str):
        return _WORD_START_FORMAT.sub(lambda m: m.group(1) + EMPTY + m.group(2), item)
    if isinstance(item, Text):
        return Text(item.key, {name: _escaped(value) for name, value in item.params.items()})
    if isinstance(item, Join):
        return Join(tuple(_escaped(part) for part in item.items), item.separator, item.bullet)
    return item


def to_mrkdwn(value: str) -> str:
    """Turn Discord's markdown (as the catalogs write it) into Slack's mrkdwn."""
    value = _BOLD.sub("\x01\\1\x01", value)
    value = _ITALIC_STAR.sub(r"_\1_", value)
    value = _STRIKE.sub(r"~\1~", value)
    value = _UNDERLINE.sub(r"_\1_", value)
    value = _LINK.sub(r"<\2|\1>", value)
    value = _HEADING.sub("\x01\\1\x01", value)
    return value.replace("\x01", "*")


@cache
def _command_pattern() -> re.Pattern[str]:
    from bot import (
        commands,  # the command table imports every service; only needed once something renders
    )

    names: set[str] = set()
    for command in commands.all_commands():
        top = command.path[0]
        names.add(top)
        for language in LANGUAGES:
            names.add(translate(f"cmd.{top}.name", language))
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![\w/.:<@#&-])/({alternatives})(?![\w-])")


def slack_commands(value: str) -> str:
    """Write `/profile` as Slack users type it: `/jobb profile`."""
    return _command_pattern().sub(rf"{COMMAND} \1", value)


def mrkdwn(item: Renderable, language: str) -> str:
    """Render for a message: Slack mrkdwn, user text escaped, mentions and dates as Slack writes them."""
    tokens: list[str] = []

    def keep(value: str) -> str:
        tokens.append(value)
        return f"\x00{len(tokens) - 1}\x00"

    rendered = render(isolated(_escaped(item)), language, lambda m: keep(mention_format(m)),
                      lambda w, lang: keep(moment_format(w, lang)))
    converted = slack_commands(to_mrkdwn(escape(rendered)))
    return _TOKEN.sub(lambda m: tokens[int(m.group(1))], converted)


def plain(item: Renderable, language: str) -> str:
    """Render for a plain_text object (headers, labels, buttons): no markup, moments as local text."""
    rendered = render(isolated(item), language, lambda m: ("#" if m.kind == "channel" else "@") + m.id,
                      plain_moment)
    return slack_commands(rendered.replace("**", ""))


def plain_text(value: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(value, limit) or EMPTY, "emoji": True}


def section(value: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(value, MAX_SECTION_TEXT) or EMPTY}}


def header(value: str) -> dict[str, Any]:
    return {"type": "header", "text": plain_text(value, MAX_HEADER)}


def chunks(value: str, limit: int = MAX_SECTION_TEXT) -> list[str]:
    """Split a long text into parts of at most `limit` characters, at line ends where possible."""
    parts: list[str] = []
    current = ""
    for line in value.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts


def mention_prefix(reply: Reply, role_id: str | None = None, *, here: bool = False) -> str:
    """The mentions a reply makes on purpose: its one role (a user group, or with `here` the channel's active
    members, where there is no group) and its members.

    Each member is written as a mention even when the role's ping reached them (Reply.already_pinged): Slack
    cannot show a user without notifying them, and the member must see that the message is theirs. The core
    keeps the mentions within one section block (bot.platforms.SLACK_MENTIONS).
    """
    if reply.mention_role is not None and role_id:
        role = [f"<!subteam^{role_id}>"]
    elif reply.mention_role is not None and here:
        role = ["<!here>"]
    else:
        role = []
    return " ".join([*role, *(f"<@{user_id}>" for user_id in reply.mentions)])


def message(reply: Reply, language: str, *, role_id: str | None = None, here: bool = False) -> dict[str, Any]:
    """Render a Reply as the arguments of chat.postMessage (text for notifications, blocks to show); `here`
    pings the channel (@here) for a reply that pings a role with no user group (`role_id` None)."""
    prefix = mention_prefix(reply, role_id, here=here)
    body = mrkdwn(reply.body, language) if reply.body is not None else ""
    inline = "\n".join(part for part in (prefix, body) if part)
    title = plain(reply.title, language) if reply.title is not None else ""
    if (
        not inline
        and not title
        and not reply.fields
        and not reply.buttons
        and not reply.links
        and not reply.files
    ):
        # A reply that only had effects still gets an answer, as on Discord.
        inline = mrkdwn(text("common.done"), language)
    blocks: list[dict[str, Any]] = []
    if title and prefix:
        # The mentions come first, as a Discord message's content stands above its embed.
        blocks.append(section(prefix))
        inline = body
    if title:
        blocks.append(header(title))
    blocks += [section(part) for part in chunks(inline)]
    field_blocks = _field_blocks(reply.fields, language)
    action_blocks = _action_blocks(reply.buttons, reply.links, language)
    room = MAX_BLOCKS - len(blocks) - len(action_blocks)
    if len(field_blocks) > room:
        log.warning("A reply had %d field blocks; showing the first %d", len(field_blocks), max(room, 0))
        field_blocks = field_blocks[:max(room, 0)]
    blocks += field_blocks + action_blocks
    title_text = mrkdwn(reply.title, language) if title and reply.title is not None else ""
    fallback = "\n".join(part for part in (prefix if title else "", title_text, inline) if part)
    return {"text": clip(fallback, MAX_FALLBACK) or EMPTY, "blocks": blocks[:MAX_BLOCKS],
            "unfurl_links": False, "unfurl_media": False}


def _field_blocks(fields: Sequence[Field], language: str) -> list[dict[str, Any]]:
    """Inline fields side by side (a section's fields, ten at most), the others each in a section."""
    blocks: list[dict[str, Any]] = []
    row: list[dict[str, Any]] = []

    def flush() -> None:
        if row:
            blocks.append({"type": "section", "fields": list(row)})
            row.clear()

    for field in fields:
        name = plain(field.name, language).strip()
        value = mrkdwn(field.value, language)
        shown = f"*{escape(name)}*\n{value}" if name else value
        if field.inline:
            row.append({"type": "mrkdwn", "text": clip(shown, MAX_FIELD_TEXT) or EMPTY})
            if len(row) == MAX_SECTION_FIELDS:
                flush()
        else:
            flush()
            blocks += [section(part) for part in chunks(shown)]
    flush()
    return blocks


def _action_blocks(buttons: Sequence[Button], links: Sequence[Link], language: str) -> list[dict[str, Any]]:
    elements: list[dict[str, Any]] = []
    seen: set[str] = set()
    for button in buttons:
        try:
            action_id = button.custom_id
        except ValueError:
            log.error("Button %s has an id over the limit; left out", button.action)
            continue
        if action_id in seen or len(action_id) > MAX_ACTION_ID:
            log.error("Button %r cannot be dispatched (repeated or too long); left out", action_id)
            continue
        seen.add(action_id)
        element: dict[str, Any] = {"type": "button", "action_id": action_id,
                                   "text": plain_text(plain(button.label, language), MAX_BUTTON_TEXT)}
        if button.style in STYLES:
            element["style"] = STYLES[button.style]
        elements.append(element)
    for number, link in enumerate(links):
        if len(link.url) > MAX_URL:
            log.warning("A link of %d characters is over Slack's limit; left out", len(link.url))
            continue
        elements.append({"type": "button", "action_id": f"{LINK_ACTION}{number}", "url": link.url,
                         "text": plain_text(plain(link.label, language), MAX_BUTTON_TEXT)})
    if len(elements) > MAX_ELEMENTS:
        log.warning("A reply had %d buttons; showing the first %d", len(elements), MAX_ELEMENTS)
        elements = elements[:MAX_ELEMENTS]
    return [{"type": "actions", "elements": elements}] if elements else []


# --- modals ----------------------------------------------------------------------------------------------


def modal(form: Form, language: str, metadata: Mapping[str, Any], *, notice: Renderable | None = None
          ) -> dict[str, Any]:
    """Render a form as one modal (Slack takes up to 100 blocks: no pages as on Discord), prefilled."""
    title = plain(form.title, language)
    blocks: list[dict[str, Any]] = []
    if len(title) > MAX_MODAL_TITLE:
        # The modal's own title is short; the whole title goes on top.
        blocks.append(header(title))
    if notice is not None:
        blocks.append(dict(section(mrkdwn(notice, language)), block_id=NOTICE_BLOCK))
    blocks += [input_block(f, form.values.get(f.name, ""), language) for f in form.fields]
    labels = {f.label.key: f.name for f in form.fields}
    return _view(FORM_CALLBACK + form.form_id, title, blocks[:MAX_MODAL_BLOCKS], language,
                 {**metadata, "arg": form.arg, "labels": labels})


def _view(
    callback_id: str, title: str, blocks: list[dict[str, Any]], language: str, metadata: Mapping[str, Any]
) -> dict[str, Any]:
    encoded = json.dumps(metadata, ensure_ascii=False, separators=(",", ":"))
    if len(encoded) > MAX_METADATA:
        # A long response_url is the only thing that can be dropped: the answer then comes by DM.
        encoded = json.dumps({k: v for k, v in metadata.items() if k != "response_url"}, ensure_ascii=False,
                             separators=(",", ":"))
    return {"type": "modal", "callback_id": callback_id, "title": plain_text(title, MAX_MODAL_TITLE),
            "submit": plain_text(plain(text("slack.modal.submit"), language), MAX_MODAL_BUTTON),
            "close": plain_text(plain(text("slack.modal.cancel"), language), MAX_MODAL_BUTTON),
            "private_metadata": encoded, "blocks": blocks}


def input_block(field: FormField, value: str, language: str) -> dict[str, Any]:
    """One input of a form: a text input, a select or a checkbox, prefilled with `value`."""
    element: dict[str, Any] = {"action_id": field.name}
    if field.kind is FieldKind.CHOICE:
        if len(field.choices) > MAX_OPTIONS:
            log.warning("Field %s has %d choices; offering the first %d", field.name, len(field.choices),
                        MAX_OPTIONS)
        options = [{"text": plain_text(plain(c.label, language) or c.value, MAX_OPTION_TEXT),
                    "value": c.value[:MAX_OPTION_VALUE]} for c in field.choices[:MAX_OPTIONS]]
        element.update(type="static_select", options=options)
        chosen = next((o for o in options if o["value"] == value), None)
        if chosen is not None:
            element["initial_option"] = chosen
    elif field.kind is FieldKind.BOOL:
        option = {"text": plain_text(plain(text("common.yes"), language), MAX_OPTION_TEXT), "value": CHECKED}
        element.update(type="checkboxes", options=[option])
        if (value or "").strip().lower() in validation.YES:
            element["initial_options"] = [option]
    else:
        max_length = max(1, min(field.max_length, MAX_INPUT))
        element.update(
            type="plain_text_input", multiline=field.kind is FieldKind.PARAGRAPH, max_length=max_length
        )
        if value:
            element["initial_value"] = value[:max_length]
    if field.placeholder is not None and field.kind is not FieldKind.BOOL:
        element["placeholder"] = plain_text(plain(field.placeholder, language), MAX_PLACEHOLDER)
    block: dict[str, Any] = {"type": "input", "block_id": field.name, "label": plain_text(
        plain(field.label, language) or field.name, MAX_LABEL), "element": element,
        # A checkbox is never required by Slack: the service says why an answer is needed (consent).
        "optional": not field.required or field.kind is FieldKind.BOOL}
    if field.description is not None:
        block["hint"] = plain_text(plain(field.description, language), MAX_HINT)
    return block


def read_values(state: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> dict[str, str]:
    """Read a submitted modal's values as the strings the services expect (files are read apart)."""
    values: dict[str, str] = {}
    for actions in state.values():
        for action_id, data in actions.items():
            kind = data.get("type")
            if kind == "plain_text_input":
                values[action_id] = data.get("value") or ""
            elif kind in ("static_select", "radio_buttons"):
                selected = data.get("selected_option")
                values[action_id] = selected["value"] if selected else ""
            elif kind == "checkboxes":
                values[action_id] = CHECKED if data.get("selected_options") else UNCHECKED
    return values


def refilled(view: Mapping[str, Any], values: Mapping[str, str], notice: Renderable, language: str
             ) -> dict[str, Any]:
    """The submitted modal again, with what was entered and a notice on top: fixing one thing keeps the
    rest."""
    blocks: list[dict[str, Any]] = []
    for block in view.get("blocks", []):
        if block.get("block_id") == NOTICE_BLOCK:
            continue
        block = json.loads(json.dumps(block))
        element = block.get("element", {})
        name = element.get("action_id")
        if block.get("type") == "input" and name in values:
            _refill(element, values[name])
        blocks.append(block)
    at = 1 if blocks and blocks[0].get("type") == "header" else 0
    blocks.insert(at, dict(section(mrkdwn(notice, language)), block_id=NOTICE_BLOCK))
    return {
        "type": "modal",
        "callback_id": view["callback_id"],
        "title": view["title"],
        "submit": view["submit"],
        "close": view["close"],
        "private_metadata": view.get("private_metadata", ""),
        "blocks": blocks,
    }


def _refill(element: dict[str, Any], value: str) -> None:
    kind = element.get("type")
    for key in ("initial_value", "initial_option", "initial_options"):
        element.pop(key, None)
    if kind == "plain_text_input" and value:
        element["initial_value"] = value
    elif kind == "static_select":
        chosen = next((o for o in element.get("options", []) if o.get("value") == value), None)
        if chosen is not None:
            element["initial_option"] = chosen
    elif kind == "checkboxes" and value == CHECKED:
        element["initial_options"] = list(element.get("options", []))[:1]


def field_errors(error: Exception, labels: Mapping[str, str], language: str) -> dict[str, str] | None:
    """Map a form's problems to the inputs they concern, or None when one of them concerns no input."""
    problems = error.problems if isinstance(error, validation.FormProblems) else [error]
    errors: dict[str, str] = {}
    for problem in problems:
        if not isinstance(problem, validation.FieldProblem) or problem.field_label.key not in labels:
            return None
        block_id = labels[problem.field_label.key]
        errors[block_id] = clip(plain(problem.text, language), MAX_LABEL)
    return errors or None


def upload_modal(callback: str, title: Renderable, intro: Renderable, files: Iterable[tuple[str, Renderable]],
                 options: Iterable[tuple[str, Renderable, str]], language: str, metadata: Mapping[str, Any]
                 ) -> dict[str, Any]:
    """A modal that takes files (Slack's file input) and a command's other options."""
    blocks: list[dict[str, Any]] = [section(mrkdwn(intro, language))]
    for name, label in files:
        blocks.append(
            {
                "type": "input",
                "block_id": name,
                "label": plain_text(plain(label, language), MAX_LABEL),
                "element": {"type": "file_input", "action_id": name, "max_files": 1},
            }
        )
    for name, label, value in options:
        element: dict[str, Any] = {"type": "plain_text_input", "action_id": name, "max_length": MAX_INPUT}
        if value:
            element["initial_value"] = value[:MAX_INPUT]
        blocks.append({"type": "input", "block_id": name, "optional": True, "element": element,
                       "label": plain_text(plain(label, language), MAX_LABEL)})
    return _view(callback, plain(title, language), blocks, language, metadata)


def uploaded_files(state: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The files given in a modal's file inputs, by input."""
    found: dict[str, list[dict[str, Any]]] = {}
    for actions in state.values():
        for action_id, data in actions.items():
            if data.get("type") == "file_input":
                found[action_id] = list(data.get("files") or [])
    return found
