"""Whom a public draft speaks to: written in its readers' language, explained in the member's.

A tweet, a question to a politician or a thank-you is read by the politicians, media and neighbours of the
workspace's municipalities, so it is written in the workspace's language (context.audience_language), whatever
the member reads. The message around it (labels, tips, buttons) speaks the member's language, and tells a
member who reads another language why the draft does not.
"""

from __future__ import annotations

import dataclasses

from bot.replies import Join, Reply, Text, text

# The catalog text of the note.
NOTE = "coaching.audience_note"


def note(reader_language: str, audience_language: str) -> Text | None:
    """Tell a reader why the drafts are in their audience's language; None when the reader reads it too."""
    if reader_language == audience_language:
        return None
    return text(NOTE, language=text(f"language.{audience_language}"))


def explained(reply: Reply, reader_language: str, audience_language: str) -> Reply:
    """The reply with the note of `note` after its body, when the reader reads another language."""
    said = note(reader_language, audience_language)
    if said is None:
        return reply
    body = said if reply.body is None else Join((reply.body, said), separator="\n\n")
    return dataclasses.replace(reply, body=body)


def unexplained(reply: Reply) -> Reply:
    """The reply without the note of `explained`: as its channel fallback, read by the channel, which reads
    the drafts' language (bot.delivery)."""
    body = reply.body
    if _is_note(body):
        return dataclasses.replace(reply, body=None)
    if isinstance(body, Join) and len(body.items) == 2 and _is_note(body.items[1]):
        return dataclasses.replace(reply, body=body.items[0])
    return reply


def _is_note(item: object) -> bool:
    return isinstance(item, Text) and item.key == NOTE
