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
    assert needed | {"commands", "files:read", "channels:read", "groups:read"} == set(listed("bot"))


def test_the_command_events_and_socket_mode():
    assert f"- command: {render.COMMAND}\n" in MANIFEST
    assert "should_escape: true" in MANIFEST
    assert listed("bot_events") == ["team_join", "member_joined_channel"]
    assert re.search(r"interactivity:\n\s+is_enabled: true", MANIFEST)
    assert "socket_mode_enabled: true" in MANIFEST
