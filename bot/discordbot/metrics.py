"""What the Discord bot tells the metrics: each interaction as it arrives, its first response, and 429s.

Every interaction passes discord.py's `dispatch("interaction")`, which runs as the gateway event is parsed,
before any handler it scheduled has run; its first response (a defer, a message, a modal, an edit) is always
the interaction's callback, a request that passes the aiohttp trace beside the pacer's. So one hook each
times every command, button and form, however the cog answers.
"""

from __future__ import annotations

from types import SimpleNamespace

import aiohttp
import discord

from bot import metrics
from bot.discordbot.checks import PLATFORM
from bot.metrics import Metrics

KINDS = {
    discord.InteractionType.application_command: metrics.COMMAND,
    discord.InteractionType.component: metrics.BUTTON,
    discord.InteractionType.modal_submit: metrics.FORM,
    discord.InteractionType.autocomplete: metrics.AUTOCOMPLETE,
}


class InteractionMetrics:
    """Count interactions and time their first responses; count the 429s Discord answers."""

    def __init__(self, counted: Metrics) -> None:
        self.metrics = counted

    def received(self, interaction: discord.Interaction) -> None:
        """Start timing an interaction that just arrived."""
        kind = KINDS.get(interaction.type)
        if kind is not None:
            self.metrics.received(PLATFORM, kind, str(interaction.id))

    def add_to(self, trace: aiohttp.TraceConfig) -> None:
        """Hook the responses into the trace discord.py gives every request's session (http_trace)."""
        trace.on_request_end.append(self._on_request_end)

    async def _on_request_end(self, session: aiohttp.ClientSession, context: SimpleNamespace,
                              params: aiohttp.TraceRequestEndParams) -> None:
        status = params.response.status
        if status == 429:
            self.metrics.throttled_by(PLATFORM)
            return
        # …/interactions/{id}/{token}/callback: the first response, once Discord took it.
        parts = params.url.path.rsplit("/", 4)
        if status < 300 and len(parts) == 5 and parts[4] == "callback" and parts[1] == "interactions":
            self.metrics.answered(parts[2])
