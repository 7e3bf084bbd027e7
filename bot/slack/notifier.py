"""The Notifier of bot.delivery on Slack: DMs, channel posts that are edited and pinned, user groups,
files."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery import MessageMissing, RecipientUnreachable, throttling
from bot.i18n import normalize_language
from bot.models import Member, Workspace
from bot.replies import Attachment, Channel, Reply, Role
from bot.services import workspaces
from bot.services.context import language_of
from bot.slack import render
from bot.slack.directory import Directory, error_of

log = logging.getLogger(__name__)

# What conversations.open and chat.postMessage answer when a person cannot be reached by DM.
UNREACHABLE = {"cannot_dm_bot", "user_disabled", "user_not_found", "users_not_found", "channel_not_found",
               "user_not_visible", "is_archived", "restricted_action", "messages_tab_disabled"}
# What chat.update and pins.add answer when the message (or its channel) is gone.
GONE = {"message_not_found", "channel_not_found", "cant_update_message", "is_archived", "not_in_channel"}
# A channel the bot may not post in: not set up right, which a retry does not fix.
CANNOT_POST = {"channel_not_found", "is_archived", "not_in_channel", "restricted_action",
               "method_not_supported_for_channel_type"}
# User groups need a paid plan and the usergroups:write scope; without them no role is granted.
NO_GROUPS = {"missing_scope", "paid_teams_only", "paid_only", "permission_denied", "no_such_subteam",
             "subteam_not_found", "not_allowed_token_type", "plan_upgrade_required"}


def _retry_after(exc: Exception) -> float | None:
    """The wait Slack asked for when the client stopped retrying a 429 ("ratelimited"), else None."""
    if not isinstance(exc, SlackApiError) or exc.response.status_code != 429:
        return None
    headers = {str(k).lower(): v for k, v in (exc.response.headers or {}).items()}
    value = headers.get("retry-after", 1)
    try:
        return float(value[0] if isinstance(value, list) else value)
    except (TypeError, ValueError):
        return 1.0


throttled = throttling(_retry_after)


async def upload(client: AsyncWebClient, channel: str, files: Sequence[Attachment]) -> None:
    """Upload files into a conversation (files.getUploadURLExternal + files.completeUploadExternal)."""
    if not files:
        return
    await client.files_upload_v2(channel=channel, file_uploads=[
        {"content": attachment.data, "filename": attachment.filename, "title": attachment.filename}
        for attachment in files])


class SlackNotifier:
    """Send what delivery and effects ask for, each message in its reader's language.

    Slack has no message nonce: a crash exactly between a send and its mark may repeat that one message.
    """

    def __init__(self, client: AsyncWebClient, directory: Directory) -> None:
        self.client = client
        self.directory = directory
        self._group_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    @throttled
    async def send_direct(
        self, workspace: Workspace, member: Member, reply: Reply, *, nonce: str | None = None
    ) -> None:
        """Send a DM (conversations.open, chat.postMessage); raise RecipientUnreachable when Slack refuses
        it."""
        user_id = member.external_id
        try:
            channel = await self.directory.dm_channel(user_id)
            await self.client.chat_postMessage(
                channel=channel, **render.message(reply, language_of(member, workspace))
            )
        except SlackApiError as exc:
            if error_of(exc) in UNREACHABLE:
                self.directory.forget_dm(user_id)
                log.info(
                    "Member %s of workspace %s cannot be reached by DM (%s)",
                    member.id,
                    workspace.id,
                    error_of(exc),
                )
                raise RecipientUnreachable from exc
            raise
        await upload(self.client, channel, reply.files)

    @throttled
    async def post(self, workspace: Workspace, channel: Channel, reply: Reply, *, nonce: str | None = None
                   ) -> str | None:
        """Post in one of the workspace's channels and return the message's ts; None (with a warning) when the
        channel is not set up or the bot may not post there."""
        channel_id = workspaces.channel_id(workspace, channel)
        if not channel_id:
            log.warning("Workspace %s has no %s channel; a message was not posted", workspace.id, channel)
            return None
        kwargs = self._message(workspace, reply)
        try:
            response = await self._post_joining(channel_id, kwargs)
        except SlackApiError as exc:
            if error_of(exc) in CANNOT_POST:
                log.warning("Cannot post in the %s channel %s of workspace %s (%s); invite the bot there",
                            channel, channel_id, workspace.id, error_of(exc))
                return None
            raise
        await upload(self.client, channel_id, reply.files)
        return str(response["ts"])

    async def _post_joining(self, channel_id: str, kwargs: dict[str, Any]) -> Any:
        """Post; in a public channel the bot is not in yet, join it first (channels:join) and post again."""
        try:
            return await self.client.chat_postMessage(channel=channel_id, **kwargs)
        except SlackApiError as exc:
            if error_of(exc) != "not_in_channel":
                raise
        log.info("Joining channel %s to post there", channel_id)
        await self.client.conversations_join(channel=channel_id)
        return await self.client.chat_postMessage(channel=channel_id, **kwargs)

    @throttled
    async def edit(self, workspace: Workspace, channel: Channel, message_id: str, reply: Reply) -> None:
        """Replace a posted message (chat.update); raise MessageMissing when it or its channel is gone."""
        channel_id = self._channel_or_missing(workspace, channel)
        try:
            await self.client.chat_update(
                channel=channel_id, ts=message_id, **self._message(workspace, reply)
            )
        except SlackApiError as exc:
            if error_of(exc) in GONE:
                raise MessageMissing from exc
            raise

    @throttled
    async def pin(self, workspace: Workspace, channel: Channel, message_id: str) -> None:
        """Pin a message (pins.add); raise MessageMissing when it is gone."""
        channel_id = self._channel_or_missing(workspace, channel)
        try:
            await self.client.pins_add(channel=channel_id, timestamp=message_id)
        except SlackApiError as exc:
            if error_of(exc) == "already_pinned":
                return
            if error_of(exc) in GONE:
                raise MessageMissing from exc
            raise

    @throttled
    async def unpin(self, workspace: Workspace, channel: Channel, message_id: str) -> None:
        """Unpin a message (pins.remove); one that is gone or not pinned needs nothing."""
        channel_id = workspaces.channel_id(workspace, channel)
        if not channel_id:
            return
        try:
            await self.client.pins_remove(channel=channel_id, timestamp=message_id)
        except SlackApiError as exc:
            if error_of(exc) in GONE | {"no_pin"}:
                log.info("Message %s of workspace %s is gone or not pinned; nothing to unpin", message_id,
                         workspace.id)
                return
            raise

    async def find_sent(self, workspace: Workspace, member: Member | None, channel: Channel, reply: Reply, *,
                        since: datetime) -> bool | None:
        """Cannot tell (it would take the history scopes, which the bot does not ask for): an interrupted
        delivery is sent again. The Dispatcher keeps those to the sends in flight when the bot stopped."""
        return None

    async def grant_role(self, workspace: Workspace, member: Member, role: Role) -> None:
        """Add a member to the user group set as the role (usergroups.users.update); without one, skip it.

        Slack has no roles: `/jobb setup member_role:@group` names a user group. User groups need a paid plan;
        on a free plan nothing is granted, and the log says so.
        """
        group_id = workspaces.role_id(workspace, role)
        if not group_id:
            log.info("Workspace %s has no user group for the %s role; none granted", workspace.id, role)
            return
        async with self._group_locks[group_id]:
            try:
                current = await self.client.usergroups_users_list(usergroup=group_id)
                users = list(current.get("users") or [])
                if member.external_id in users:
                    return
                await self.client.usergroups_users_update(
                    usergroup=group_id, users=[*users, member.external_id]
                )
            except SlackApiError as exc:
                if error_of(exc) in NO_GROUPS:
                    log.warning(
                        "Cannot add member %s to the %s user group %s of workspace %s (%s)",
                        member.id,
                        role,
                        group_id,
                        workspace.id,
                        error_of(exc),
                    )
                    return
                raise
        self.directory.forget_groups(workspace.external_id)

    async def revoke_role(self, workspace: Workspace, external_id: str, role: Role) -> None:
        """Take a user out of the user group set as the role; without one (or a plan without groups), skip it.

        Slack keeps no user group empty: the group's last user stays in it, and the log says so.
        """
        group_id = workspaces.role_id(workspace, role)
        if not group_id:
            log.info("Workspace %s has no user group for the %s role; none to take back", workspace.id, role)
            return
        async with self._group_locks[group_id]:
            try:
                current = await self.client.usergroups_users_list(usergroup=group_id)
                users = list(current.get("users") or [])
                if external_id not in users:
                    return
                left = [user for user in users if user != external_id]
                if not left:
                    log.warning("A user is the last one of the %s user group %s of workspace %s; Slack keeps "
                                "no group empty", role, group_id, workspace.id)
                    return
                await self.client.usergroups_users_update(usergroup=group_id, users=left)
            except SlackApiError as exc:
                if error_of(exc) in NO_GROUPS:
                    log.warning("Cannot take a user out of the %s user group %s of workspace %s (%s)", role,
                                group_id, workspace.id, error_of(exc))
                    return
                raise
        self.directory.forget_groups(workspace.external_id)

    @throttled
    async def delete_post(self, workspace: Workspace, channel: Channel, message_id: str) -> None:
        """Delete a message the bot posted (chat.delete); one that is gone needs nothing."""
        channel_id = workspaces.channel_id(workspace, channel)
        if not channel_id:
            log.info("Workspace %s has no %s channel; message %s is left", workspace.id, channel, message_id)
            return
        try:
            await self.client.chat_delete(channel=channel_id, ts=message_id)
        except SlackApiError as exc:
            if error_of(exc) in GONE:
                log.info("Message %s of workspace %s is gone already", message_id, workspace.id)
                return
            raise

    def _message(self, workspace: Workspace, reply: Reply) -> dict[str, Any]:
        return render.message(reply, normalize_language(workspace.language),
                              role_id=workspaces.mention_role_id(workspace, reply),
                              here=workspaces.pings_here(workspace, reply))

    @staticmethod
    def _channel_or_missing(workspace: Workspace, channel: Channel) -> str:
        channel_id = workspaces.channel_id(workspace, channel)
        if not channel_id:
            # The channel was unset: for the caller the message is gone.
            raise MessageMissing
        return channel_id
