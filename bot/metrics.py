"""The process's Prometheus metrics, counted in memory: interactions and their time to a first response,
deliveries by outcome, the platforms' 429s; the dispatcher's lag and backlog are read from the database when
they are scraped (bot.web.routes).

Each App has a registry of its own (not prometheus_client's global one), so that two Apps in one process (the
tests) count apart. Counting costs a dictionary look-up and a lock: microseconds (bench/metrics_overhead.py).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import TYPE_CHECKING

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

if TYPE_CHECKING:
    from bot.delivery import DispatchReport

PREFIX = "jobbskaparna_"
CONTENT_TYPE = CONTENT_TYPE_LATEST
# Discord wants a first response within 3 s and Slack an ack within 3 s: the buckets are finest below that.
RESPONSE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
# Interactions received and not answered yet that are remembered: one never answered (a stale button whose
# handler failed before answering) must not be kept for good. Far more than one process answers at once.
MAX_UNANSWERED = 10_000
# What an interaction is, in the metrics' `kind` label.
COMMAND = "command"
BUTTON = "button"
FORM = "form"
AUTOCOMPLETE = "autocomplete"


class Metrics:
    """What one process counts; `exposition()` writes it in Prometheus's text format."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        # The client library's own: process_* (CPU, memory, open files) and python_* (version, collections).
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.interactions = Counter(
            PREFIX + "interactions_received", "Interactions received (commands, buttons, forms).",
            ["platform", "kind"], registry=self.registry)
        self.first_response = Histogram(
            PREFIX + "interaction_first_response_seconds",
            "Seconds from receiving an interaction to its first response (Discord: a defer or a message; "
            "Slack: the ack).", ["platform", "kind"], buckets=RESPONSE_BUCKETS, registry=self.registry)
        self.deliveries = Counter(
            PREFIX + "deliveries",
            "Sends of deliveries by outcome: sent, unreachable (DMs closed), failed (for good), expired, "
            "retry (failed, tried again later), throttled (each try the platform throttled).",
            ["platform", "outcome"], registry=self.registry)
        self.rate_limited = Counter(
            PREFIX + "rate_limited_responses", "HTTP 429 responses received from the platform's API.",
            ["platform"], registry=self.registry)
        self.dispatcher_lag = Gauge(
            PREFIX + "dispatcher_lag_seconds",
            "Seconds the oldest delivery due has waited (0: none waits); read from the database when "
            "scraped.",
            registry=self.registry)
        self.pending = Gauge(
            PREFIX + "deliveries_pending",
            "Deliveries pending (due or waiting for their time) of this process's platforms; read from the "
            "database when scraped.", registry=self.registry)
        # Interactions received and not answered yet: their key → (receipt time, their first response's
        # histogram).
        self._unanswered: OrderedDict[str, tuple[float, Histogram]] = OrderedDict()
        # The labelled series of each (platform, kind), looked up once: `labels()` takes a lock each time.
        self._series: dict[tuple[str, str], tuple[Counter, Histogram]] = {}

    def _interaction_series(self, platform: str, kind: str) -> tuple[Counter, Histogram]:
        series = self._series.get((platform, kind))
        if series is None:
            series = self._series[(platform, kind)] = (self.interactions.labels(platform, kind),
                                                       self.first_response.labels(platform, kind))
        return series

    def received(self, platform: str, kind: str, key: str) -> None:
        """Count an interaction received now; its first response is timed from here (see `answered`)."""
        received, first_response = self._interaction_series(platform, kind)
        received.inc()
        self._unanswered[key] = (time.perf_counter(), first_response)
        if len(self._unanswered) > MAX_UNANSWERED:
            self._unanswered.popitem(last=False)

    def answered(self, key: str) -> None:
        """Time the first response to the interaction received as `key`; later responses (and unknown keys)
        change nothing."""
        started = self._unanswered.pop(key, None)
        if started is not None:
            received_at, first_response = started
            first_response.observe(time.perf_counter() - received_at)

    def responded(self, platform: str, kind: str, seconds: float) -> None:
        """Count an interaction whose time to its first response the adapter measured itself (Slack's ack)."""
        received, first_response = self._interaction_series(platform, kind)
        received.inc()
        first_response.observe(seconds)

    def throttled_by(self, platform: str) -> None:
        """Count a 429 the platform answered."""
        self.rate_limited.labels(platform).inc()

    def record_dispatch(self, report: DispatchReport) -> None:
        """Count the outcomes of a complete dispatch run (or of a reply's effects sent at once)."""
        for (platform, outcome), count in report.outcomes.items():
            self.deliveries.labels(platform, outcome).inc(count)

    def exposition(self) -> bytes:
        """Every metric in Prometheus's text format."""
        return generate_latest(self.registry)
