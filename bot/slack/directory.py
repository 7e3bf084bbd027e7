"""Who a Slack user is: name, admin rights and user groups, asked of Slack once and remembered a while."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.services.context import Identity

log = logging.getLogger(__name__)

PLATFORM = "slack"
USER_TTL = 10 * 60.0
GROUPS_TTL = 60.0
MAX_USERS = 20_000
MAX_DM_CHANNELS = 100_000
# Errors that mean user groups are not available here (free plan, or the scope was not granted).
NO_GROUPS = {
    "missing_scope",
    "paid_teams_only",
    "paid_only",
    "not_allowed_token_type",
    "plan_upgrade_required",
}


def error_of(exc: SlackApiError) -> str:
    """The `error` code of a failed Web API call (empty when Slack did not answer with JSON)."""
    data = exc.response.data
    return str(data.get("error", "")) if isinstance(data, dict) else ""


@dataclass(frozen=True)
class SlackUser:
    """What the bot needs to know of a user."""

    id: str
    name: str
    is_admin: bool = False
    is_bot: bool = False
    deleted: bool = False
    # The user's Slack language ("en-US"), as users.info tells it (include_locale): "" when it told none,
    # None when it was not asked (a team_join event's user, which comes without it).
    locale: str | None = None


def display_name(user: dict[str, Any]) -> str:
    """The name Slack shows for a user: their display name, else their real name, else their username."""
    profile = user.get("profile") or {}
    return (profile.get("display_name") or profile.get("real_name") or user.get("real_name")
            or user.get("name") or user.get("id", ""))


def user_from(data: dict[str, Any]) -> SlackUser:
    """Read a users.info (or team_join) user object."""
    return SlackUser(
        id=data["id"],
        name=display_name(data),
        is_admin=bool(data.get("is_admin") or data.get("is_owner") or data.get("is_primary_owner")),
        is_bot=bool(data.get("is_bot")) or data.get("id") == "USLACKBOT",
        deleted=bool(data.get("deleted")),
        locale=data.get("locale") or None,
    )


class Directory:
    """Users, user groups, team names and DM channels, cached in memory; a restart just asks again."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._users: OrderedDict[tuple[str, str], tuple[float, SlackUser]] = OrderedDict()
        self._groups: dict[str, tuple[float, dict[str, frozenset[str]]]] = {}
        self._teams: dict[str, str] = {}
        self._dm_channels: OrderedDict[str, str] = OrderedDict()
        self._groups_unavailable: set[str] = set()

    async def identity(self, team_id: str, user_id: str, fallback_name: str = "") -> Identity:
        """Describe a Slack user to the core: admins and owners, and members of the coordinator user group,
        are coordinators (the group is chosen with `/jobb setup coordinator_role:@group`)."""
        user = await self.user(team_id, user_id, fallback_name)
        groups = await self.groups_of(team_id, user_id)
        return Identity(platform=PLATFORM, workspace_external_id=team_id, user_external_id=user_id,
                        display_name=user.name or fallback_name or user_id,
                        workspace_name=await self.team_name(team_id), role_ids=groups, is_admin=user.is_admin,
                        locale=user.locale or None)

    async def user(self, team_id: str, user_id: str, fallback_name: str = "") -> SlackUser:
        """Look a user up (users.info), or fall back to what the request said when Slack cannot tell."""
        key = (team_id, user_id)
        cached = self._users.get(key)
        # A user remembered from an event is asked again for their language, once.
        if cached is not None and cached[0] > time.monotonic() and cached[1].locale is not None:
            self._users.move_to_end(key)
            return cached[1]
        try:
            # With its locale: the language a member who chose none is answered in.
            response = await self.client.users_info(user=user_id, include_locale=True)
        except SlackApiError as exc:
            log.warning("users.info failed for %s in team %s: %s", user_id, team_id, error_of(exc))
            return SlackUser(id=user_id, name=fallback_name or user_id)
        user = user_from(response["user"])
        user = dataclasses.replace(user, locale=user.locale or "")
        self.remember(team_id, user)
        return user

    def remember(self, team_id: str, user: SlackUser) -> None:
        """Keep a user object an event brought (team_join), saving a lookup."""
        self._users[(team_id, user.id)] = (time.monotonic() + USER_TTL, user)
        self._users.move_to_end((team_id, user.id))
        while len(self._users) > MAX_USERS:
            self._users.popitem(last=False)

    async def groups_of(self, team_id: str, user_id: str) -> frozenset[str]:
        """Return the ids of the user groups a user belongs to (empty where Slack has no user groups)."""
        groups = await self._group_members(team_id)
        return frozenset(group for group, users in groups.items() if user_id in users)

    def forget_groups(self, team_id: str) -> None:
        """Drop the cached groups (after the bot changed one)."""
        self._groups.pop(team_id, None)

    async def _group_members(self, team_id: str) -> dict[str, frozenset[str]]:
        cached = self._groups.get(team_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        groups: dict[str, frozenset[str]] = {}
        try:
            response = await self.client.usergroups_list(include_users=True)
            found: list[dict[str, Any]] = response.get("usergroups", [])
            groups = {g["id"]: frozenset(g.get("users") or ()) for g in found}
        except SlackApiError as exc:
            error = error_of(exc)
            if error not in NO_GROUPS:
                raise
            if team_id not in self._groups_unavailable:
                self._groups_unavailable.add(team_id)
                log.info(
                    "User groups are not available in team %s (%s): coordinators are its admins and owners",
                    team_id,
                    error,
                )
        self._groups[team_id] = (time.monotonic() + GROUPS_TTL, groups)
        return groups

    async def team_name(self, team_id: str) -> str:
        """Return the workspace's name (auth.test, once per process)."""
        if team_id not in self._teams:
            try:
                response = await self.client.auth_test()
                self._teams[response.get("team_id") or team_id] = response.get("team") or ""
            except SlackApiError as exc:
                log.warning("auth.test failed for team %s: %s", team_id, error_of(exc))
                return ""
        return self._teams.get(team_id, "")

    async def dm_channel(self, user_id: str) -> str:
        """Return the DM channel with a user: remembered, or opened (conversations.open) and remembered."""
        channel = self._dm_channels.get(user_id)
        if channel is not None:
            self._dm_channels.move_to_end(user_id)
            return channel
        response = await self.client.conversations_open(users=user_id)
        channel = response["channel"]["id"]
        self._dm_channels[user_id] = channel
        while len(self._dm_channels) > MAX_DM_CHANNELS:
            self._dm_channels.popitem(last=False)
        return channel

    def forget_dm(self, user_id: str) -> None:
        """Forget a DM channel that stopped working."""
        self._dm_channels.pop(user_id, None)
