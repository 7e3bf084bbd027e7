"""What services answer with: texts by catalog key, fields, buttons, links, files and forms, for any
platform."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

# Discord allows 100 characters in a custom_id; our prefix and action names stay well inside that.
CUSTOM_ID_PREFIX = "jb"
MAX_CUSTOM_ID = 100


@dataclass(frozen=True)
class Text:
    """A catalog key and its parameters; rendered in the reader's language by an adapter."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)


def text(key: str, **params: Any) -> Text:
    """Build a Text."""
    return Text(key, params)


def more_than_shown(key: str, total: int, shown: int) -> Text | str:
    """The "…and N more" line (the catalog text `key`, given the count) under a list of `total` items cut
    at `shown`; empty when nothing was cut."""
    return text(key, count=total - shown) if total > shown else ""


@dataclass(frozen=True)
class Literal:
    """User-written or proper-noun text shown as it is, never looked up in a catalog."""

    value: str


@dataclass(frozen=True)
class Join:
    """Several renderables shown together, e.g. a bulleted list of problems (a Join may hold Joins)."""

    items: tuple[Renderable, ...]
    separator: str = ", "
    bullet: str = ""


@dataclass(frozen=True)
class Mention:
    """A channel, role or user by its platform id; each adapter writes it its own way."""

    kind: str  # "channel", "role" or "user"
    id: str


@dataclass(frozen=True)
class When:
    """A moment in time; Discord shows it in each reader's own zone, other adapters as local text in
    `zone`."""

    at: datetime  # aware
    zone: str = "Europe/Stockholm"
    style: str = "full"  # "full" (date and time), "date" (the date only) or "short"


Renderable = Text | Literal | Join | Mention | When


@dataclass(frozen=True)
class Field:
    """A labelled value, an embed field on Discord."""

    name: Renderable
    value: Renderable
    inline: bool = False


class ButtonStyle(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"
    SUCCESS = "success"
    DANGER = "danger"


@dataclass(frozen=True)
class Button:
    """A button that triggers a named action; its id survives restarts because the action is looked up."""

    label: Renderable
    action: str
    arg: str = ""
    style: ButtonStyle = ButtonStyle.PRIMARY

    @property
    def custom_id(self) -> str:
        if ":" in self.arg:
            raise ValueError(f"a button's arg may not contain ':' ({self.arg!r})")
        custom_id = f"{CUSTOM_ID_PREFIX}:{self.action}:{self.arg}"
        if len(custom_id) > MAX_CUSTOM_ID:
            raise ValueError(f"custom_id too long: {custom_id!r}")
        return custom_id


def parse_custom_id(custom_id: str) -> tuple[str, str] | None:
    """Split a button's custom_id into (action, arg), or None for ids that are not ours."""
    prefix, _, rest = custom_id.partition(":")
    if prefix != CUSTOM_ID_PREFIX or not rest:
        return None
    action, _, arg = rest.partition(":")
    return action, arg


@dataclass(frozen=True)
class Link:
    """A link button or a plain link."""

    label: Renderable
    url: str


@dataclass(frozen=True)
class Attachment:
    """A file the bot sends: an export or a chart."""

    filename: str
    data: bytes


class FieldKind(StrEnum):
    SHORT = "short"
    PARAGRAPH = "paragraph"
    CHOICE = "choice"
    BOOL = "bool"


@dataclass(frozen=True)
class Choice:
    """One value of a choice field and how it is shown: a catalog text, or a proper noun as it is."""

    value: str
    label: Text | Literal


@dataclass(frozen=True)
class FormField:
    """One input of a form; Discord shows it in a modal, the console takes it as an option."""

    name: str
    label: Text
    kind: FieldKind = FieldKind.SHORT
    required: bool = False
    max_length: int = 100
    placeholder: Text | None = None
    description: Text | None = None
    choices: tuple[Choice, ...] = ()


@dataclass(frozen=True)
class Form:
    """A form to fill in: the onboarding, a profile edit, a story."""

    form_id: str
    title: Text
    fields: tuple[FormField, ...]
    arg: str = ""
    values: Mapping[str, str] = field(default_factory=dict)


class Channel(StrEnum):
    """The workspace's channels, by purpose; `/setup` maps them to real channels."""

    ANNOUNCEMENTS = "announcements"
    WELCOME = "welcome"
    COORDINATORS = "coordinators"
    STORIES = "stories"


class Role(StrEnum):
    """The workspace's roles, by purpose."""

    MEMBER = "member"
    COORDINATOR = "coordinator"


@dataclass(frozen=True)
class SendDirect:
    """Send a member a direct message; when their DMs are closed, mention them in a channel instead."""

    member_id: int
    reply: Reply
    fallback: Channel = Channel.WELCOME


@dataclass(frozen=True)
class PostToChannel:
    """Post in one of the workspace's channels."""

    channel: Channel
    reply: Reply
    # Keep the post's id under this key (a LiveMessage), so that the post can be deleted later (a story's,
    # when its author erases their data); None: forget it once posted.
    keep_as: str | None = None


@dataclass(frozen=True)
class GrantRole:
    """Give a member one of the workspace's roles."""

    member_id: int
    role: Role


@dataclass(frozen=True)
class RevokeRole:
    """Take one of the workspace's roles from someone, by their platform id: their member row may be gone (an
    erasure takes the member role after the row)."""

    external_id: str
    role: Role


@dataclass(frozen=True)
class DeletePost:
    """Delete a message the bot posted in one of the workspace's channels (in a forum: the whole post)."""

    channel: Channel
    message_id: str


Effect = SendDirect | PostToChannel | GrantRole | RevokeRole | DeletePost


@dataclass(frozen=True)
class Reply:
    """A message from the bot, as data: each adapter renders it its own way."""

    body: Renderable | None = None
    title: Renderable | None = None
    fields: tuple[Field, ...] = ()
    buttons: tuple[Button, ...] = ()
    links: tuple[Link, ...] = ()
    files: tuple[Attachment, ...] = ()
    # Only the person who asked sees it (Discord's ephemeral messages).
    private: bool = True
    # Open this form instead of answering with a message.
    form: Form | None = None
    # Things to do elsewhere once the answer is given: DMs, channel posts, roles.
    effects: tuple[Effect, ...] = ()
    # Member external ids to mention (used when a DM falls back to a channel).
    mentions: tuple[str, ...] = ()
    # Answering a button: replace the message that had the button, so a settled question cannot be
    # answered twice (a confirm dialog's buttons go away).
    replaces_source: bool = False
    # A channel post that pings one of the workspace's roles (e.g. every member before a vote); only that
    # role.
    mention_role: Role | None = None
    # The role a post of the same moment pinged already (a countdown stage's): those of `mentions` who hold it
    # are shown but not pinged a second time, where the platform can tell who holds it (Discord).
    already_pinged: Role | None = None
    # A DM about the member's own political activity (the question they are to ask, their pledges): should it
    # fall back to a channel, the channel is told only that there is a message, which the member opens there
    # privately (bot.delivery.channel_fallback).
    personal: bool = False

    @classmethod
    def say(cls, key: str, **params: Any) -> Reply:
        """Answer with one catalog text."""
        return cls(body=Text(key, params))


def _renderable_to_json(item: Renderable | None) -> Any:
    if item is None:
        return None
    if isinstance(item, Mention):
        return {"mention": item.kind, "id": item.id}
    if isinstance(item, When):
        return {"when": item.at.isoformat(), "zone": item.zone, "style": item.style}
    if isinstance(item, Join):
        return {
            "join": [_renderable_to_json(i) for i in item.items],
            "sep": item.separator,
            "bullet": item.bullet,
        }
    if isinstance(item, Literal):
        return {"literal": item.value}
    return {"key": item.key, "params": {k: _param_to_json(v) for k, v in item.params.items()}}


def _param_to_json(value: Any) -> Any:
    if isinstance(value, Text | Literal | Join | Mention | When):
        return {"$": _renderable_to_json(value)}
    return value


def _renderable_from_json(data: Any) -> Renderable | None:
    if data is None:
        return None
    if "mention" in data:
        return Mention(data["mention"], data["id"])
    if "when" in data:
        return When(datetime.fromisoformat(data["when"]), data["zone"], data["style"])
    if "join" in data:
        return Join(tuple(_renderable_from_json(i) for i in data["join"]), data["sep"], data["bullet"])  # type: ignore[misc]
    if "literal" in data:
        return Literal(data["literal"])
    params = {k: _renderable_from_json(v["$"]) if isinstance(v, dict) and "$" in v else v
              for k, v in data["params"].items()}
    return Text(data["key"], params)


def reply_to_json(reply: Reply) -> dict[str, Any]:
    """Serialize a message for a delivery row; forms and effects do not travel this way.

    Files (a digest's chart) travel as base64: keep them small, every recipient's row holds a copy.
    """
    if reply.form or reply.effects:
        raise ValueError("only plain messages can be stored for delivery")
    return {
        "body": _renderable_to_json(reply.body),
        "title": _renderable_to_json(reply.title),
        "fields": [
            [_renderable_to_json(f.name), _renderable_to_json(f.value), f.inline] for f in reply.fields
        ],
        "buttons": [[_renderable_to_json(b.label), b.action, b.arg, str(b.style)] for b in reply.buttons],
        "links": [[_renderable_to_json(link.label), link.url] for link in reply.links],
        "private": reply.private,
        "mentions": list(reply.mentions),
        "mention_role": str(reply.mention_role) if reply.mention_role else None,
        "already_pinged": str(reply.already_pinged) if reply.already_pinged else None,
        "files": [[a.filename, base64.b64encode(a.data).decode("ascii")] for a in reply.files],
        **({"personal": True} if reply.personal else {}),
    }


def reply_from_json(data: dict[str, Any]) -> Reply:
    """Rebuild a message stored by reply_to_json."""
    return Reply(
        body=_renderable_from_json(data["body"]),
        title=_renderable_from_json(data["title"]),
        fields=tuple(Field(_renderable_from_json(n), _renderable_from_json(v), i)  # type: ignore[arg-type]
                     for n, v, i in data["fields"]),
        buttons=tuple(Button(_renderable_from_json(lbl), a, arg, ButtonStyle(s))  # type: ignore[arg-type]
                      for lbl, a, arg, s in data["buttons"]),
        links=tuple(Link(_renderable_from_json(lbl), url) for lbl, url in data["links"]),  # type: ignore[arg-type]
        private=data["private"],
        mentions=tuple(data["mentions"]),
        # Rows stored before roles could be pinged have no such entry.
        mention_role=Role(data["mention_role"]) if data.get("mention_role") else None,
        already_pinged=Role(data["already_pinged"]) if data.get("already_pinged") else None,
        files=tuple(Attachment(name, base64.b64decode(data64)) for name, data64 in data.get("files", ())),
        personal=bool(data.get("personal")),
    )


def form_to_json(form: Form) -> dict[str, Any]:
    """Serialize a form offered to a user, to be opened later on whichever process the press reaches (Slack:
    bot.slack.adapter)."""
    return {
        "form_id": form.form_id,
        "title": _renderable_to_json(form.title),
        "fields": [{"name": f.name, "label": _renderable_to_json(f.label), "kind": str(f.kind),
                    "required": f.required, "max_length": f.max_length,
                    "placeholder": _renderable_to_json(f.placeholder),
                    "description": _renderable_to_json(f.description),
                    "choices": [[c.value, _renderable_to_json(c.label)] for c in f.choices]}
                   for f in form.fields],
        "arg": form.arg,
        "values": dict(form.values),
    }


def form_from_json(data: dict[str, Any]) -> Form:
    """Rebuild a form stored by form_to_json."""
    return Form(
        form_id=data["form_id"],
        title=_renderable_from_json(data["title"]),  # type: ignore[arg-type]
        fields=tuple(FormField(
            f["name"], _renderable_from_json(f["label"]), FieldKind(f["kind"]),  # type: ignore[arg-type]
            f["required"], f["max_length"], _renderable_from_json(f["placeholder"]),  # type: ignore[arg-type]
            _renderable_from_json(f["description"]),  # type: ignore[arg-type]
            tuple(Choice(value, _renderable_from_json(label)) for value, label in f["choices"]),  # type: ignore[arg-type]
        ) for f in data["fields"]),
        arg=data["arg"],
        values=dict(data["values"]),
    )
