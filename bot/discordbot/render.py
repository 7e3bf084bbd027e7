"""Turn a Reply into what discord.py sends, and a Form into modal pages, always within Discord's limits."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from functools import cache
from typing import Any

import discord
from discord import ui

from bot import validation
from bot.bidi import isolated
from bot.i18n import clip, command_words, has, plain_mention, plain_moment, render, translate
from bot.replies import (
    Button,
    ButtonStyle,
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

# Every button of ours carries its action and argument; ActionButton dispatches on this pattern.
CUSTOM_ID_TEMPLATE = r"jb:(?P<action>[a-z_.]+):(?P<arg>[^:]*)"
CUSTOM_ID_PATTERN = re.compile(CUSTOM_ID_TEMPLATE)

MAX_CONTENT = 2000
MAX_EMBED_TITLE = 256
MAX_EMBED_DESCRIPTION = 4096
MAX_EMBED_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_EMBED_TOTAL = 6000
MAX_FILES = 10
MAX_BUTTON_LABEL = 80
MAX_LINK_URL = 512  # a link button's URL; over it Discord refuses the whole message
MAX_MESSAGE_COMPONENTS = 25  # five rows of five buttons
MAX_MODAL_TITLE = 45
MAX_MODAL_ITEMS = 5
MAX_LABEL = 45
MAX_LABEL_DESCRIPTION = 100
MAX_PLACEHOLDER = 100
MAX_SELECT_OPTIONS = 25
MAX_OPTION_TEXT = 100
MAX_TEXT_INPUT = 4000
# Discord refuses empty embed field names and values; a zero-width space shows nothing.
EMPTY = "\u200b"
EMBED_COLOUR = discord.Colour(0x1F6F43)
CHECKED, UNCHECKED = "true", "false"

STYLES = {
    ButtonStyle.PRIMARY: discord.ButtonStyle.primary,
    ButtonStyle.SECONDARY: discord.ButtonStyle.secondary,
    ButtonStyle.SUCCESS: discord.ButtonStyle.success,
    ButtonStyle.DANGER: discord.ButtonStyle.danger,
}


def mention_format(mention: Mention) -> str:
    """Write a mention the way Discord shows it: <#channel>, <@&role>, <@user>."""
    if mention.kind == "channel":
        return f"<#{mention.id}>"
    if mention.kind == "role":
        return f"<@&{mention.id}>"
    if mention.kind == "user":
        return f"<@{mention.id}>"
    return plain_mention(mention)


def moment_format(moment: When, language: str) -> str:
    """Write a moment as a Discord timestamp, which each reader sees in their own zone and language."""
    stamp = int(moment.at.timestamp())
    if moment.style == "date":
        return f"<t:{stamp}:D> (<t:{stamp}:R>)"
    if moment.style == "short":
        return f"<t:{stamp}:f>"
    return f"<t:{stamp}:F> (<t:{stamp}:R>)"


@cache
def _in_admin_twin() -> frozenset[str]:
    """The coordinators' subcommands of a group members use too: Discord has them in the group's -admin twin
    (bot/discordbot/checks.coordinator_group)."""
    from bot import commands  # the command table imports every service; only needed once something renders

    declared = [command for command in commands.all_commands() if command.discord]
    shared = {command.path[0] for command in declared if len(command.path) > 1 and not command.coordinator}
    return frozenset(" ".join(command.path) for command in declared
                     if command.coordinator and len(command.path) > 1 and command.path[0] in shared)


def command_format(path: str, language: str) -> str:
    """Write a command as Discord shows it to the reader: `/fråga-admin skapa` for `issue create`."""
    words = command_words(path, language)
    twin = f"cmd.{path.split()[0]}_admin.name"
    if path in _in_admin_twin() and has(twin, language):
        words[0] = translate(twin, language)
    return "/" + " ".join(words)


def _escaped(item: Any) -> Any:
    """Escape markdown in everything users wrote, so a company called *Bygg* is not shown in italics."""
    if isinstance(item, Literal):
        return Literal(discord.utils.escape_markdown(item.value))
    if isinstance(item, str):
        return discord.utils.escape_markdown(item)
    if isinstance(item, Text):
        return Text(item.key, {name: _escaped(value) for name, value in item.params.items()})
    if isinstance(item, Join):
        return Join(tuple(_escaped(part) for part in item.items), item.separator, item.bullet)
    return item


def render_text(item: Renderable, language: str, *, markdown: bool = True) -> str:
    """Render for a message (markdown, user text escaped) or, with markdown=False, for a label or a modal.

    Labels and modals show no Discord timestamps, so moments are written out there as local text. User text
    is isolated in both (bot.bidi), so a right-to-left name cannot turn the rest of the text around.
    """
    if markdown:
        return render(isolated(_escaped(item)), language, mention_format, moment_format, command_format)
    return render(isolated(item), language, mention_format, plain_moment, command_format)


def allowed_mentions(user_ids: Iterable[str] = (), role_id: str | None = None) -> discord.AllowedMentions:
    """Ping only the users (and the one role) a reply names on purpose; never @everyone or another role."""
    users = [discord.Object(int(user_id)) for user_id in user_ids if user_id.isdigit()]
    roles: list[discord.Object] | bool = (
        [discord.Object(int(role_id))] if role_id and role_id.isdigit() else False
    )
    return discord.AllowedMentions(everyone=False, roles=roles, users=users, replied_user=False)


def message_kwargs(reply: Reply, language: str, *, ephemeral: bool = True, role_id: str | None = None,
                   unpinged: Collection[str] = ()) -> dict[str, Any]:
    """Render a Reply as the keyword arguments of a send (content, embed, view, files, allowed_mentions).

    With ephemeral=True the reply's `private` becomes `ephemeral` (interaction answers); channel and DM sends
    pass ephemeral=False because they cannot take it. `role_id` is the id of the reply's `mention_role` in
    the workspace, resolved by the caller; without it no role is pinged. The users in `unpinged` are shown
    among the mentions but not pinged (a role ping of the same moment reached them already).
    """
    role_id = role_id if reply.mention_role is not None and role_id and role_id.isdigit() else None
    # The mentions always go in the content (an embed's mentions ping nobody): the core splits a message that
    # mentions many members so that they fit its 2,000 characters (bot.platforms.DISCORD_MENTIONS).
    prefix = " ".join(
        [*([f"<@&{role_id}>"] if role_id else []), *(f"<@{user_id}>" for user_id in reply.mentions)]
    )
    body = render_text(reply.body, language) if reply.body is not None else ""
    inline = "\n".join(part for part in (prefix, body) if part)
    pinged = [user_id for user_id in reply.mentions if user_id not in unpinged]
    kwargs: dict[str, Any] = {"allowed_mentions": allowed_mentions(pinged, role_id)}
    if reply.title is None and not reply.fields and len(inline) <= MAX_CONTENT:
        content, embed = inline, None
    else:
        content, embed = prefix, _embed(reply, body, language)
    view = _view(reply.buttons, reply.links, language)
    if not content and embed is None and view is None and not reply.files:
        # A reply that only had effects still needs an answer, or Discord shows "the interaction failed".
        content = render_text(text("common.done"), language)
    if content:
        kwargs["content"] = content
    if embed is not None:
        kwargs["embed"] = embed
    if view is not None:
        kwargs["view"] = view
    if reply.files:
        if len(reply.files) > MAX_FILES:
            log.warning("A reply had %d files; sending the first %d", len(reply.files), MAX_FILES)
        kwargs["files"] = [
            discord.File(io.BytesIO(a.data), filename=a.filename) for a in reply.files[:MAX_FILES]
        ]
    if ephemeral:
        kwargs["ephemeral"] = reply.private
    return kwargs


def _embed(reply: Reply, body: str, language: str) -> discord.Embed:
    embed = discord.Embed(colour=EMBED_COLOUR)
    if reply.title is not None:
        embed.title = clip(render_text(reply.title, language), MAX_EMBED_TITLE)
    if body:
        embed.description = clip(body, MAX_EMBED_DESCRIPTION)
    if len(reply.fields) > MAX_EMBED_FIELDS:
        log.warning("A reply had %d fields; showing the first %d", len(reply.fields), MAX_EMBED_FIELDS)
    for field in reply.fields[:MAX_EMBED_FIELDS]:
        embed.add_field(name=clip(render_text(field.name, language), MAX_FIELD_NAME) or EMPTY,
                        value=clip(render_text(field.value, language), MAX_FIELD_VALUE) or EMPTY,
                        inline=field.inline)
    # The 6000 characters count title, description and fields together: drop fields from the end first.
    while len(embed) > MAX_EMBED_TOTAL and embed.fields:
        embed.remove_field(len(embed.fields) - 1)
    if len(embed) > MAX_EMBED_TOTAL and embed.description:
        excess = len(embed) - MAX_EMBED_TOTAL
        embed.description = clip(embed.description, max(len(embed.description) - excess, 1))
    return embed


def _view(buttons: Sequence[Button], links: Sequence[Link], language: str) -> ui.View | None:
    items: list[ui.Button[ui.View]] = []
    seen: set[str] = set()
    for button in buttons:
        try:
            custom_id = button.custom_id
        except ValueError:
            log.error("Button %s has a custom_id over Discord's limit; left out", button.action)
            continue
        if not CUSTOM_ID_PATTERN.fullmatch(custom_id) or custom_id in seen:
            log.error("Button %r cannot be dispatched (bad or repeated custom_id); left out", custom_id)
            continue
        seen.add(custom_id)
        items.append(
            ui.Button(
                label=clip(render_text(button.label, language, markdown=False), MAX_BUTTON_LABEL),
                style=STYLES[button.style],
                custom_id=custom_id,
            )
        )
    for link in links:
        if len(link.url) > MAX_LINK_URL:
            log.warning("A link of %d characters is over Discord's limit; left out", len(link.url))
            continue
        items.append(
            ui.Button(
                label=clip(render_text(link.label, language, markdown=False), MAX_BUTTON_LABEL),
                style=discord.ButtonStyle.link,
                url=link.url,
            )
        )
    if not items:
        return None
    if len(items) > MAX_MESSAGE_COMPONENTS:
        log.warning("A reply had %d buttons; showing the first %d", len(items), MAX_MESSAGE_COMPONENTS)
    view = ui.View(timeout=None)
    for item in items[:MAX_MESSAGE_COMPONENTS]:
        view.add_item(item)
    # The view is only a layout. Presses are dispatched by the ActionButton template registered at start,
    # so nothing is kept in discord.py's view store (no timeout task, nothing to lose at a restart).
    view.stop()
    return view


def form_pages(form: Form) -> list[tuple[FormField, ...]]:
    """Split a form into modal pages of at most five fields (Discord's limit per modal)."""
    fields = form.fields
    return [fields[i:i + MAX_MODAL_ITEMS] for i in range(0, len(fields), MAX_MODAL_ITEMS)]


def modal_title(form: Form, page: int, pages: int, language: str) -> str:
    """Return a modal page's title: the form's title, with the page number when there are several."""
    title: Renderable = form.title
    if pages > 1:
        title = text("form.page_title", title=form.title, page=page + 1, pages=pages)
    return clip(render_text(title, language, markdown=False), MAX_MODAL_TITLE)


def page_items(fields: Iterable[FormField], values: Mapping[str, str], language: str) -> list[ui.Label[Any]]:
    """Build one modal page: a label with a text input, a select or a checkbox per field, prefilled."""
    return [_field_item(field, values.get(field.name, ""), language) for field in fields]


def _field_item(field: FormField, value: str, language: str) -> ui.Label[Any]:
    def plain(item: Renderable | None, limit: int) -> str | None:
        return clip(render_text(item, language, markdown=False), limit) if item is not None else None

    component: ui.Item[Any]
    if field.kind is FieldKind.CHOICE:
        if len(field.choices) > MAX_SELECT_OPTIONS:
            log.warning("Field %s has %d choices; offering the first %d", field.name, len(field.choices),
                        MAX_SELECT_OPTIONS)
        options = [discord.SelectOption(label=plain(choice.label, MAX_OPTION_TEXT) or choice.value,
                                        value=choice.value[:MAX_OPTION_TEXT], default=choice.value == value)
                   for choice in field.choices[:MAX_SELECT_OPTIONS]]
        component = ui.Select(custom_id=field.name, options=options, placeholder=plain(field.placeholder,
                              MAX_PLACEHOLDER), min_values=1 if field.required else 0, max_values=1,
                              required=field.required)
    elif field.kind is FieldKind.BOOL:
        component = ui.Checkbox(custom_id=field.name, default=_is_yes(value))
    else:
        max_length = min(field.max_length, MAX_TEXT_INPUT)
        style = discord.TextStyle.paragraph if field.kind is FieldKind.PARAGRAPH else discord.TextStyle.short
        component = ui.TextInput(
            custom_id=field.name,
            style=style,
            required=field.required,
            max_length=max_length,
            placeholder=plain(field.placeholder, MAX_PLACEHOLDER),
            default=value[:max_length] or None,
        )
    return ui.Label(text=plain(field.label, MAX_LABEL) or field.name, component=component,
                    description=plain(field.description, MAX_LABEL_DESCRIPTION))


def _is_yes(value: str) -> bool:
    return (value or "").strip().lower() in validation.YES


def read_values(items: Iterable[ui.Item[Any]]) -> dict[str, str]:
    """Read what was entered in a submitted modal page, as the strings the services expect."""
    values: dict[str, str] = {}
    for item in items:
        component = item.component if isinstance(item, ui.Label) else item
        if isinstance(component, ui.TextInput):
            values[component.custom_id] = component.value
        elif isinstance(component, ui.Select):
            values[component.custom_id] = str(component.values[0]) if component.values else ""
        elif isinstance(component, ui.Checkbox):
            values[component.custom_id] = CHECKED if component.value else UNCHECKED
    return values
