"""Build the Slack app: the Web API client (retrying on 429 after Retry-After) and the bolt AsyncApp."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import App
from bot.slack import listeners
from bot.slack.adapter import RATE_LIMIT_RETRIES, SlackAdapter

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://slack.com/api/"


def web_client(token: str, api_base: str | None = None) -> AsyncWebClient:
    """A Web API client that waits out rate limits (429 with Retry-After) and retries a dropped connection."""
    base = (api_base or DEFAULT_API_BASE).rstrip("/") + "/"
    return AsyncWebClient(token=token, base_url=base, retry_handlers=[
        AsyncConnectionErrorRetryHandler(),
        AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
    ])


def build_app(
    core: App, client: AsyncWebClient, *, signing_secret: str = "", process_before_response: bool = False
) -> tuple[AsyncApp, SlackAdapter]:
    """Build the bolt app over the core App, with every listener registered and the adapter in each context.

    process_before_response=True runs a listener to its end before the request is answered (tests, and
    HTTP hosting that stops work after the response); Socket Mode and ordinary HTTP hosting leave it False.
    """
    adapter = SlackAdapter(core, client)
    bolt = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        process_before_response=process_before_response,
        logger=logging.getLogger("slack_bolt"),
        name="jobbskaparna",
    )

    async def attach_adapter(context: dict[str, Any], next: Callable[[], Awaitable[None]]) -> None:
        # Listeners receive the adapter through their context: no module-global state.
        context["jobb"] = adapter
        await next()

    bolt.use(attach_adapter)
    listeners.register(bolt)
    return bolt, adapter
