"""The Slack harness: the bolt app over the core App, signed requests through `app.async_dispatch`,
the fake Web API.

As bolt-python tests itself: each request is signed with the signing secret and dispatched with
`process_before_response=True`, so the listener has finished when `async_dispatch` returns; the Web API calls
it made are recorded by the local fake (tests/slack/fakeslack.py).
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

from bot.app import App
from bot.clock import FrozenClock
from bot.config import Settings
from bot.slack.adapter import SlackAdapter
from bot.slack.app import build_app, web_client
from tests.slack.fakeslack import BOT_TOKEN, TEAM_ID, FakeSlack

SECRET = "test-signing-secret"
# The channels and user groups of the test workspace, as /jobb setup chooses them.
ANNOUNCEMENTS, WELCOME, COORDINATORS, GENERAL = "CANNONSER", "CVALKOMMEN", "CKOORD", "CALLMANT"
MEMBER_GROUP, COORDINATOR_GROUP = "SMEDLEM", "SKOORD"
SETUP_LINE = (
    f"setup announcements:<#{ANNOUNCEMENTS}|annonser> welcome:<#{WELCOME}|välkommen> "
    f"coordinators:<#{COORDINATORS}|koordinatorer> member_role:<!subteam^{MEMBER_GROUP}|@medlemmar> "
    f"coordinator_role:<!subteam^{COORDINATOR_GROUP}|@koordinatorer>"
)


def sign(
    body: str, content_type: str, *, secret: str = SECRET, timestamp: int | None = None,
    headers: dict[str, str] | None = None,
) -> AsyncBoltRequest:
    """A request as Slack sends it: signed with the app's signing secret (and any further headers)."""
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    return AsyncBoltRequest(
        body=body,
        headers={
            "content-type": [content_type],
            "x-slack-signature": [signature],
            "x-slack-request-timestamp": [stamp],
            **{name: [value] for name, value in (headers or {}).items()},
        },
    )


@dataclass
class Slack:
    """The bolt app, its adapter, the core App and the fake Web API, with helpers that act as Slack users."""

    fake: FakeSlack
    app: App
    bolt: AsyncApp
    adapter: SlackAdapter
    _numbers: itertools.count = field(default_factory=lambda: itertools.count(1))

    async def dispatch(self, body: str, content_type: str, **sign_kwargs: Any) -> BoltResponse:
        return await self.bolt.async_dispatch(sign(body, content_type, **sign_kwargs))

    def next_number(self) -> int:
        return next(self._numbers)

    async def command(self, user: str, line: str, *, channel: str = GENERAL) -> tuple[BoltResponse, int]:
        """Type `/jobb <line>` in a channel; return the response and the number of its response_url."""
        number = self.next_number()
        body = urlencode(
            {
                "token": "legacy",
                "team_id": TEAM_ID,
                "team_domain": "testgruppen",
                "channel_id": channel,
                "channel_name": "allmänt",
                "user_id": user,
                "user_name": self.fake.users[user].name.lower() if user in self.fake.users else user,
                "command": "/jobb",
                "text": line,
                "api_app_id": "A0JOBB",
                "response_url": self.fake.response_url(number),
                "trigger_id": f"trigger-{number}",
            }
        )
        response = await self.dispatch(body, "application/x-www-form-urlencoded")
        return response, number

    async def interact(self, payload: dict[str, Any]) -> BoltResponse:
        """Send an interactive payload (block_actions, view_submission) as Slack does: form-encoded JSON."""
        return await self.dispatch(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )

    async def press(self, user: str, action_id: str, *, channel: str, message_ts: str = "1796000000.000001"
                    ) -> tuple[BoltResponse, int]:
        """Press a button of a message; return the response and the number of its response_url."""
        number = self.next_number()
        payload = {
            "type": "block_actions", "api_app_id": "A0JOBB", "token": "legacy",
            "team": {"id": TEAM_ID, "domain": "testgruppen"},
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID},
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel,
                          "is_ephemeral": False},
            "channel": {"id": channel, "name": "kanal"}, "trigger_id": f"trigger-{number}",
            "response_url": self.fake.response_url(number),
            "message": {"ts": message_ts, "text": "", "type": "message"},
            "actions": [{"type": "button", "action_id": action_id, "block_id": "b",
                         "text": {"type": "plain_text", "text": "x"}, "action_ts": "1796000000.1"}],
        }
        return await self.interact(payload), number

    async def submit_view(self, user: str, view: dict[str, Any], state: dict[str, Any]) -> BoltResponse:
        """Submit a modal the bot opened (as views.open received it), with the values entered."""
        number = self.next_number()
        payload = {
            "type": "view_submission", "api_app_id": "A0JOBB", "token": "legacy",
            "team": {"id": TEAM_ID, "domain": "testgruppen"},
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID},
            "trigger_id": f"trigger-{number}",
            "view": {**view, "id": f"V{number}", "team_id": TEAM_ID, "state": {"values": state},
                     "hash": "h", "app_id": "A0JOBB", "bot_id": "BBOT"},
        }
        return await self.interact(payload)

    async def event(self, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None
                    ) -> BoltResponse:
        """Send an Events API event; with `retry`, as Slack sends it again (X-Slack-Retry-Num)."""
        body = json.dumps({"token": "legacy", "team_id": TEAM_ID, "api_app_id": "A0JOBB", "event": event,
                           "type": "event_callback", "event_id": event_id or f"Ev{self.next_number()}",
                           "event_time": int(time.time()), "authorizations": []})
        headers = {} if retry is None else {"x-slack-retry-num": str(retry),
                                            "x-slack-retry-reason": "http_timeout"}
        return await self.dispatch(body, "application/json", headers=headers)

    def last_view(self) -> dict[str, Any]:
        """The modal the bot last opened."""
        return self.fake.calls_to("views.open")[-1].args["view"]

    async def deliver(self) -> None:
        """Let the dispatcher send what is due now (the scheduler does it in a running bot)."""
        await self.app.dispatcher.run_due()


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        fake.add_user("UKIM", "Kim", is_admin=True)
        fake.add_user("UANNA", "Anna")
        fake.add_user("UBO", "Bo")
        fake.groups = {MEMBER_GROUP: [], COORDINATOR_GROUP: ["UKIM"]}
        yield fake


@pytest.fixture
async def slack(settings: Settings, clock: FrozenClock, fake_slack: FakeSlack) -> AsyncIterator[Slack]:
    """The Slack app over a core App on a frozen clock;
    the scheduler is not started (tests deliver by hand)."""
    core = App(settings, clock)
    bolt, adapter = build_app(core, web_client(BOT_TOKEN, fake_slack.api_base), signing_secret=SECRET,
                              process_before_response=True)
    core.notifier = adapter.notifier
    core.dispatcher.notifier = adapter.notifier
    yield Slack(fake_slack, core, bolt, adapter)
    await core.close()


def state_of(values: dict[str, Any], view: dict[str, Any]) -> dict[str, Any]:
    """The view_submission state of a modal filled in with `values` (choices by value, checkboxes by bool)."""
    state: dict[str, Any] = {}
    for block in view["blocks"]:
        if block.get("type") != "input":
            continue
        element = block["element"]
        name, kind = element["action_id"], element["type"]
        value = values.get(name)
        if kind == "plain_text_input":
            data: dict[str, Any] = {"type": kind, "value": value or None}
        elif kind == "static_select":
            option = next((o for o in element["options"] if o["value"] == value), None)
            data = {"type": kind, "selected_option": option}
        elif kind == "checkboxes":
            data = {"type": kind, "selected_options": list(element["options"]) if value else []}
        elif kind == "file_input":
            data = {"type": kind, "files": list(value or [])}
        else:
            raise AssertionError(f"unexpected input {kind}")
        state[block["block_id"]] = {name: data}
    return state
