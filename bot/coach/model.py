"""The coach's model: one OpenAI-compatible client, asked with a timeout, whose answers are checked.

Every failure (a timeout, a refused connection, an HTTP error, output that is not the JSON asked for) gives
None, and the caller answers from its templates: a slow or failing model never fails a command. The model is
an untrusted author: every text it writes passes bot.coach.guard before it leaves this module. Prompts and
member texts are never logged, only what went wrong.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from bot.coach import guard, prompts, templates
from bot.coach.brief import BlogPlan, Brief, ModelAnswer, ModelFeedback

log = logging.getLogger(__name__)

MAX_TOKENS = 900
# A reply is read as JSON; some models wrap it in a ```json fence or add a sentence around it.
_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)
MAX_TITLE = 120
MAX_PART = 600
MAX_COMMENT = 300
MAX_TEXT_DRAFT = 1200
# The model's answers within one unit of work, by prompt: a unit of work run again (it met the database's
# write lock, or lost a race for a new row) asks the same, and must not make the member wait for the model
# twice.
_answers: ContextVar[dict[tuple[str, str], dict[str, Any]] | None] = ContextVar("coach_answers", default=None)


@contextlib.contextmanager
def answers_remembered() -> Iterator[None]:
    """Remember the model's answers for the unit of work run inside (and its retries), and only for it."""
    token = _answers.set({})
    try:
        yield
    finally:
        _answers.reset(token)


class CoachModel:
    """Ask an OpenAI-compatible chat model for drafts and feedback; None whenever it cannot help in time."""

    def __init__(self, *, api_key: str, model: str, timeout: float, base_url: str | None = None) -> None:
        self.model = model
        self.timeout = timeout
        # Imported here, not with the module: the openai package costs about 15 MB of memory, and a bot
        # with no key never makes a client (tests/test_imports.py).
        from openai import AsyncOpenAI

        # max_retries=0: a retry with backoff would blow the time a member waits; the templates answer
        # instead.
        self._client = AsyncOpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0)

    async def close(self) -> None:
        """Close the HTTP connections."""
        await self._client.close()

    async def ask(self, system: str, user: str) -> dict[str, Any] | None:
        """Ask for a JSON object; return it, or None on a timeout, an error or output that is not JSON."""
        remembered = _answers.get()
        if remembered is not None and (system, user) in remembered:
            return remembered[(system, user)]
        answer = await self._ask(system, user)
        if remembered is not None and answer is not None:
            remembered[(system, user)] = answer
        return answer

    async def _ask(self, system: str, user: str) -> dict[str, Any] | None:
        import openai  # loaded with the client in __init__, so this costs nothing

        try:
            # The client's own timeout covers each network phase; this one bounds the whole call.
            response = await asyncio.wait_for(
                self._client.chat.completions.create(
                    model=self.model,
                    messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
                    max_tokens=MAX_TOKENS,
                ),
                timeout=self.timeout + 1,
            )
        except (TimeoutError, openai.APITimeoutError):
            log.warning("The model did not answer within %.1f s; answering from the templates", self.timeout)
            return None
        except openai.APIStatusError as error:
            log.warning("The model answered HTTP %s; answering from the templates", error.status_code)
            return None
        except openai.OpenAIError as error:
            log.warning(
                "The model could not be asked (%s); answering from the templates", type(error).__name__
            )
            return None
        except ValueError as error:  # a body that is not JSON at all
            log.warning("The model's response could not be read (%s); answering from the templates",
                        type(error).__name__)
            return None
        try:
            content = response.choices[0].message.content or ""
        except (AttributeError, IndexError, TypeError):
            log.warning("The model's response had no message; answering from the templates")
            return None
        return _json_object(content)

    async def tweets(self, brief: Brief, hashtag: str) -> list[str] | None:
        """Ask for three tweets; return those that pass the guard once completed with the brief's tags, or
        None."""
        answer = await self.ask(*prompts.tweets(brief, hashtag))
        items = answer.get("tweets") if answer else None
        if not isinstance(items, list):
            if answer is not None:
                _unusable("tweets")
            return None
        return [tweet for item in items if isinstance(item, str)
                if (tweet := _completed_tweet(item, brief, hashtag, "tweet")) is not None]

    async def step_draft(self, brief: Brief, step_title: str, *, tweet: bool, hashtag: str) -> str | None:
        """Ask for the ready draft of a ladder step (a tweet with the brief's tags, or a short text); None
        when unusable."""
        answer = await self.ask(*prompts.step_draft(brief, step_title, tweet=tweet, hashtag=hashtag))
        draft = answer.get("draft") if answer else None
        if not isinstance(draft, str) or not draft.strip() or len(draft) > MAX_TEXT_DRAFT:
            if answer is not None:
                _unusable("draft")
            return None
        if tweet:
            return _completed_tweet(draft, brief, hashtag, "draft")
        return guard.vetted(draft, brief, guard.TEXT, what="draft")

    async def blog(self, brief: Brief) -> BlogPlan | None:
        """Ask for title ideas and an outline; None when the answer lacks a part or a part fails the guard."""
        answer = await self.ask(*prompts.blog(brief))
        if answer is None:
            return None
        titles = answer.get("titles")
        parts = [answer.get(name) for name in ("problem", "business", "politicians", "action")]
        if (not isinstance(titles, list) or not titles
                or not all(isinstance(t, str) and t.strip() and len(t) <= MAX_TITLE for t in titles)
                or not all(isinstance(p, str) and p.strip() and len(p) <= MAX_PART for p in parts)):
            _unusable("blog")
            return None
        # One failing part makes the whole plan the template's: a plan of two authors would not read as one.
        vetted_titles = [guard.vetted(t, brief, guard.TITLE, what="blog title") for t in titles[:3]]
        vetted_parts = [guard.vetted(p, brief, guard.PART, what="blog part") for p in parts]  # type: ignore[arg-type]
        if None in vetted_titles or None in vetted_parts:
            return None
        return BlogPlan(tuple(vetted_titles), *vetted_parts)  # type: ignore[arg-type]

    async def feedback(
        self, brief: Brief, draft: str, kind: str, findings: list[str]
    ) -> ModelFeedback | None:
        """Ask for comments and an improved version; None when the answer has neither that passes the guard.

        The member's draft may name handles and links the brief does not: they may come back. The improved
        version is in the draft's language, the comments in the member's.
        """
        answer = await self.ask(*prompts.feedback(brief, draft, kind, findings))
        if answer is None:
            return None
        comments = answer.get("comments")
        improved = answer.get("improved")
        usable = tuple(c.strip() for c in comments[:3] if isinstance(c, str) and c.strip()
                       and len(c) <= MAX_COMMENT) if isinstance(comments, list) else ()
        improved = improved.strip() if isinstance(improved, str) and improved.strip() else None
        if not usable and improved is None:
            _unusable("feedback")
            return None
        vetted = tuple(comment for c in usable
                       if (comment := guard.vetted(c, brief, guard.COMMENT, also=draft, what="comment")))
        length = guard.TWEET if kind == "tweet" else guard.PARAGRAPH
        improved = guard.vetted(improved, brief, length, also=draft, what="improved version",
                                language=guard.language_of(draft) or brief.language)
        if not vetted and improved is None:
            return None
        return ModelFeedback(vetted, improved)

    async def answer(self, prompt: tuple[str, str], brief: Brief, draft_brief: Brief, *, known: str = "",
                     names: tuple[str, ...] = ()) -> ModelAnswer | None:
        """Ask for the coach's answer to a member's question (prompts.answer); None when the model could not
        be asked or did not answer with JSON.

        The answer passes the guard in the member's language (`brief`), also refused when it takes sides
        against a party or a politician; `known` holds the handles and links of the other open issues the
        prompt gave (they may come back), `names` those issues' politicians. A draft is completed and checked
        as the drafts are, for `draft_brief` (the audience's language, the issue's tags).
        """
        reply = await self.ask(*prompt)
        if reply is None:
            return None
        said, draft, on_topic = reply.get("answer"), reply.get("draft"), reply.get("on_topic", True)
        if on_topic is False:
            return ModelAnswer(None, on_topic=False)
        if not isinstance(said, str) or not said.strip() or not isinstance(on_topic, bool):
            _unusable("answer")
            return ModelAnswer(None)
        vetted = guard.vetted(said, brief, guard.ANSWER, also=known, what="answer")
        if vetted is not None and guard.partisan(vetted, brief, names):
            log.info("The model's answer failed the partisan check; answering from the help texts")
            vetted = None
        if vetted is None:
            return ModelAnswer(None)
        usable = None
        if isinstance(draft, str) and draft.strip() and len(draft) <= MAX_TEXT_DRAFT:
            usable = _completed_tweet(draft, draft_brief, draft_brief.hashtag, "answer's draft")
            if usable is not None and guard.partisan(usable, draft_brief):
                log.info("The model's answer's draft failed the partisan check; leaving it out")
                usable = None
        return ModelAnswer(vetted, usable)


def _completed_tweet(proposed: str, brief: Brief, hashtag: str, what: str) -> str | None:
    """A model's tweet with the hashtag and the issue's handles added, if it then fits and passes the
    guard."""
    if not proposed.strip():
        return None
    completed = templates.complete(proposed, brief, hashtag)
    if completed is None:
        log.info("The model's %s did not fit X once completed; answering from the templates", what)
        return None
    return guard.vetted(completed, brief, guard.TWEET, what=what)


def _json_object(content: str) -> dict[str, Any] | None:
    match = _JSON_OBJECT.search(content)
    if match is None:
        log.warning("The model did not answer with JSON; answering from the templates")
        return None
    try:
        value = json.loads(match.group(0))
    except json.JSONDecodeError:
        log.warning("The model's JSON could not be read; answering from the templates")
        return None
    if not isinstance(value, dict):
        log.warning("The model's JSON was not an object; answering from the templates")
        return None
    return value


def _unusable(what: str) -> None:
    log.warning("The model's %s answer was not usable; answering from the templates", what)
