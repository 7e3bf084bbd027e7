"""The app manifest creates the app the code needs: the command, the events, and a scope for every call."""

from __future__ import annotations

import re
from pathlib import Path

from bot.slack import render

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = (ROOT / "slack" / "manifest.yml").read_text(encoding="utf-8")
# Every Web API method the adapter calls, and the bot scope it needs (no scope: none needed).
SCOPES = {
    "auth_test": None,
    # Socket Mode's address, asked with the app-level token (its scope connections:write is not a bot scope).
    "apps_connections_open": None,
    "views_open": None,
    "chat_postMessage": "chat:write",
    "chat_postEphemeral": "chat:write",
    "chat_update": "chat:write",
    "chat_delete": "chat:write",
    "conversations_join": "channels:join",
    "conversations_open": "im:write",
    "pins_add": "pins:write",
    "pins_remove": "pins:write",
    "usergroups_list": "usergroups:read",
    "usergroups_users_list": "usergroups:read",
    "usergroups_users_update": "usergroups:write",
    "users_info": "users:read",
    "files_upload_v2": "files:write",
}
# Every event the listeners take, and the bot scopes Slack sends it for (any one of them; none: no scope).
EVENT_SCOPES = {
    "team_join": ("users:read",),
    "member_joined_channel": ("channels:read", "groups:read"),
    "message.im": ("im:history",),
    "app_mention": ("app_mentions:read",),
}
# Scopes no Web API call needs: the slash command, reading uploaded files, and the events' scopes.
NOT_FOR_CALLS = {"commands", "files:read"} | {scope for scopes in EVENT_SCOPES.values() for scope in scopes}


def listed(section: str) -> list[str]:
    """The items of a YAML list under a key (the manifest is plain enough to read so)."""
    match = re.search(rf"^(\s*){re.escape(section)}:\n((?:\1\s+(?:- .*|#.*)\n)+)", MANIFEST, re.MULTILINE)
    assert match, section
    return [line.strip()[2:] for line in match.group(2).splitlines() if line.strip().startswith("- ")]


def test_every_call_the_adapter_makes_has_its_scope():
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "bot" / "slack").rglob("*.py"))
    called = set(re.findall(r"client\.([a-z_A-Z0-9]+)\(", source)) | set(
        re.findall(r"\.(files_upload_v2)\(", source)
    )

    assert called <= set(SCOPES), f"add the scope of {sorted(called - set(SCOPES))} to the manifest and here"
    needed = {scope for method, scope in SCOPES.items() if method in called and scope}
    assert needed | NOT_FOR_CALLS == set(listed("bot"))


def test_the_command_events_and_socket_mode():
    assert f"- command: {render.COMMAND}\n" in MANIFEST
    assert "should_escape: true" in MANIFEST
    assert listed("bot_events") == ["team_join", "member_joined_channel", "message.im", "app_mention"]
    assert re.search(r"interactivity:\n\s+is_enabled: true", MANIFEST)
    assert "socket_mode_enabled: true" in MANIFEST


def test_every_event_has_its_scope():
    scopes = set(listed("bot"))

    for event in listed("bot_events"):
        assert event in EVENT_SCOPES, f"add the scope of {event} here"
        assert scopes & set(EVENT_SCOPES[event]), f"{event} needs one of {EVENT_SCOPES[event]}"


def test_the_messages_tab_is_open_for_members_to_write():
    assert "messages_tab_enabled: true" in MANIFEST
    assert "messages_tab_read_only_enabled: false" in MANIFEST
