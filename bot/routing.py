"""One Notifier for several platforms in one process: each call goes to the notifier of its workspace's
platform."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bot.delivery import Notifier
from bot.models import Member, Workspace
from bot.replies import Channel, Reply, Role


class UnknownPlatform(LookupError):
    """A workspace belongs to a platform this process does not serve."""


class RoutingNotifier:
    """Send what delivery and effects ask for through the notifier of the workspace's platform."""

    def __init__(self, notifiers: Mapping[str, Notifier]) -> None:
        self._notifiers = dict(notifiers)

    @property
    def platforms(self) -> frozenset[str]:
        return frozenset(self._notifiers)

    def add(self, platform: str, notifier: Notifier) -> None:
        """Serve one more platform (or replace its notifier)."""
        self._notifiers[platform] = notifier

    def for_workspace(self, workspace: Workspace) -> Notifier:
        """Return the notifier of a workspace's platform."""
        try:
            return self._notifiers[workspace.platform]
        except KeyError:
            raise UnknownPlatform(workspace.platform) from None

    async def send_direct(
        self, workspace: Workspace, member: Member, reply: Reply, *, nonce: str | None = None
    ) -> str | None:
        return await self.for_workspace(workspace).send_direct(workspace, member, reply, nonce=nonce)

    async def post(self, workspace: Workspace, channel: Channel, reply: Reply, *, nonce: str | None = None
                   ) -> str | None:
        return await self.for_workspace(workspace).post(workspace, channel, reply, nonce=nonce)

    async def edit(self, workspace: Workspace, channel: Channel, message_id: str, reply: Reply) -> None:
        await self.for_workspace(workspace).edit(workspace, channel, message_id, reply)

    async def pin(self, workspace: Workspace, channel: Channel, message_id: str) -> None:
        await self.for_workspace(workspace).pin(workspace, channel, message_id)

    async def unpin(self, workspace: Workspace, channel: Channel, message_id: str) -> None:
        await self.for_workspace(workspace).unpin(workspace, channel, message_id)

    async def grant_role(self, workspace: Workspace, member: Member, role: Role) -> None:
        await self.for_workspace(workspace).grant_role(workspace, member, role)

    async def revoke_role(self, workspace: Workspace, external_id: str, role: Role) -> None:
        await self.for_workspace(workspace).revoke_role(workspace, external_id, role)

    async def delete_post(self, workspace: Workspace, channel: Channel, message_id: str) -> None:
        await self.for_workspace(workspace).delete_post(workspace, channel, message_id)

    async def find_sent(self, workspace: Workspace, member: Member | None, channel: Channel, reply: Reply, *,
                        since: datetime) -> bool | None:
        return await self.for_workspace(workspace).find_sent(workspace, member, channel, reply, since=since)
