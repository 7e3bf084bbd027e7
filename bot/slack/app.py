"""Build the Slack app: the Web API client (retrying on 429 after Retry-After) and the bolt AsyncApp."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry import HttpRequest, HttpResponse, RetryState
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot import metrics
from bot.app import App
from bot.metrics import Metrics
from bot.slack import listeners
from bot.slack.adapter import RATE_LIMIT_RETRIES, SlackAdapter
from bot.slack.directory import PLATFORM

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://slack.com/api/"


class CountedRateLimitHandler(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's handler of 429s (wait Retry-After, try again), telling the metrics of each 429."""

    def __init__(self, on_rate_limited: Callable[[], None], max_retry_count: int) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.on_rate_limited = on_rate_limited

    async def can_retry_async(self, *, state: RetryState, request: HttpRequest,
                              response: HttpResponse | None = None, error: Exception | None = None) -> bool:
        if response is not None and response.status_code == 429:
            self.on_rate_limited()
        return await super().can_retry_async(state=state, request=request, response=response, error=error)


def web_client(token: str, api_base: str | None = None, *,
               on_rate_limited: Callable[[], None] | None = None) -> AsyncWebClient:
    """A Web API client that waits out rate limits (429 with Retry-After) and retries a dropped connection;
    `on_rate_limited` is told of each 429."""
    base = (api_base or DEFAULT_API_BASE).rstrip("/") + "/"
    rate_limits = AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)
    if on_rate_limited is not None:
        rate_limits = CountedRateLimitHandler(on_rate_limited, RATE_LIMIT_RETRIES)
    return AsyncWebClient(token=token, base_url=base, retry_handlers=[
        AsyncConnectionErrorRetryHandler(),
        rate_limits,
    ])


class MeasuredApp(AsyncApp):
    """bolt's app, timing each interaction (a command, a button, a form) from its receipt to the ack: bolt
    answers the request once the listener acked (it looks every 10 ms), and that is when dispatch returns."""

    metrics: Metrics | None = None

    async def async_dispatch(self, req: AsyncBoltRequest) -> BoltResponse:
        kind = interaction_kind(req.body) if self.metrics is not None else None
        if kind is None:
            return await super().async_dispatch(req)
        started = time.perf_counter()
        response = await super().async_dispatch(req)
        assert self.metrics is not None
        self.metrics.responded(PLATFORM, kind, time.perf_counter() - started)
        return response


def interaction_kind(body: dict[str, Any]) -> str | None:
    """What a request from Slack is, in the metrics' `kind` label; None for events (messages, joins)."""
    if "command" in body:
        return metrics.COMMAND
    return SLACK_KINDS.get(body.get("type", ""))


SLACK_KINDS = {"block_actions": metrics.BUTTON, "view_submission": metrics.FORM,
               "block_suggestion": metrics.AUTOCOMPLETE}


def build_app(
    core: App, client: AsyncWebClient, *, signing_secret: str = "", process_before_response: bool = False
) -> tuple[AsyncApp, SlackAdapter]:
    """Build the bolt app over the core App, with every listener registered and the adapter in each context.

    process_before_response=True runs a listener to its end before the request is answered (tests, and
    HTTP hosting that stops work after the response); Socket Mode and ordinary HTTP hosting leave it False.
    """
    adapter = SlackAdapter(core, client)
    bolt = MeasuredApp(
        client=client,
        signing_secret=signing_secret,
        process_before_response=process_before_response,
        logger=logging.getLogger("slack_bolt"),
        name="jobbskaparna",
    )
    bolt.metrics = core.metrics

    async def attach_adapter(context: dict[str, Any], next: Callable[[], Awaitable[None]]) -> None:
        # Listeners receive the adapter through their context: no module-global state.
        context["jobb"] = adapter
        await next()

    bolt.use(attach_adapter)
    listeners.register(bolt)
    return bolt, adapter
