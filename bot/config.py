"""Settings from the environment and `.env`, validated once at start."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.i18n import LANGUAGES

SUPPORTED_DATABASES = ("sqlite+aiosqlite", "postgresql+asyncpg")
ENDPOINT_SCHEMES = {
    "discord_api_base": (("http", "https"), "http://127.0.0.1:8080/api/v10"),
    "discord_gateway_url": (("ws", "wss"), "ws://127.0.0.1:8080/gateway"),
    "slack_api_base": (("http", "https"), "http://127.0.0.1:8080/api/"),
}
# Where the web server listens when the board is on and WEB_PORT is not set.
BOARD_DEFAULT_PORT = 8080
SLACK_TOKEN_PREFIXES = {"slack_bot_token": "xoxb-", "slack_app_token": "xapp-"}


class SettingsError(Exception):
    """A setting is wrong; the message is one line a person can act on."""


class Settings(BaseSettings):
    """Every setting the bot reads; `.env.example` documents each one."""

    # Empty values in .env (as in .env.example) mean "not set", not "set to the empty string".
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    discord_token: SecretStr | None = None
    discord_guild_ids: str = Field(default="", description="Comma-separated guild ids to sync commands to.")
    discord_api_base: str | None = None
    discord_gateway_url: str | None = None
    # Requests a second the bot allows itself against Discord's global limit (50 unless Discord raised it for
    # the bot; interaction responses excepted): a fan-out is paced below it instead of being refused. The
    # margin is for requests that arrive bunched (a busy event loop, the network) and for a 429's retry.
    discord_global_rate: float = Field(default=48.0, gt=0, le=10_000)
    # Discord's sharding split across processes: the bot's shard count, and the shards this process runs (e.g.
    # "0,1" or "0-3"). Unset: one process runs every shard, as many as Discord recommends.
    discord_shard_count: int | None = Field(default=None, ge=1, le=10_000)
    discord_shard_ids: str = ""

    # Slack: the bot token (xoxb-) and, for Socket Mode, the app-level token (xapp-); without an app token
    # the Slack app is served over HTTP, which needs the signing secret.
    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_api_base: str | None = None
    slack_http_port: int = Field(default=3000, ge=1, le=65535)

    database_url: str = ""
    data_dir: Path = Path("data")
    output_dir: Path = Path("out")
    # Backups (`jobbskaparna backup`, and the running bot's own): where they go (empty: DATA_DIR/backups), how
    # often the running bot takes one (hours; 0: never by itself) and how many of them are kept.
    backup_dir: Path | None = None
    backup_every_hours: int = Field(default=0, ge=0, le=8760)
    backup_keep: int = Field(default=7, ge=1, le=10_000)

    default_language: str = "sv"
    default_timezone: str = "Europe/Stockholm"
    quiet_hours_start: int = Field(default=21, ge=0, le=23)
    quiet_hours_end: int = Field(default=8, ge=0, le=23)
    # How long deliveries that went out (or were cancelled, or expired) are kept; failed ones are kept.
    delivery_retention_days: int = Field(default=180, ge=7, le=3650)

    # The coach's model: any OpenAI-compatible server; without a key the coach answers from its templates.
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    openai_timeout: float = Field(default=10.0, gt=0, le=120)

    # The agenda watcher names the bot in its requests, with where the municipality's web team can read who
    # runs it (the group's page, or a mailto: link).
    watch_contact_url: str | None = None

    log_level: str = "INFO"
    # "json": every log record one JSON object per line (for a log collector); "text": lines for a person.
    log_format: Literal["text", "json"] = "text"

    # The web server of health checks and metrics (bot.web): off unless a port is set. It listens on this
    # machine only unless WEB_HOST says otherwise (0.0.0.0 in a container, behind its published port).
    web_port: int | None = Field(default=None, ge=1, le=65535)
    web_host: str = "127.0.0.1"
    # /health/ready fails when the oldest delivery due has waited longer than this (the dispatcher is stuck or
    # cannot keep up); a fan-out to thousands paced at Discord's limit stays well below it.
    ready_max_lag_seconds: float = Field(default=120.0, gt=0, le=86_400)
    # The coordinators' campaign board and the groups' public stories pages (bot.web.board): on when the
    # public address they are reached at is set (the login links the bot gives point there); served by the
    # same web server, on WEB_PORT or else BOARD_DEFAULT_PORT.
    board_url: str | None = None
    # How long a board session lasts from its login (a coordinator's role is checked when the link is given).
    board_session_hours: float = Field(default=12.0, gt=0, le=24 * 30)

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (try Europe/Stockholm)") from None
        return value

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"unsupported language {value!r} (use one of {', '.join(LANGUAGES)})")
        return value

    @field_validator("openai_base_url")
    @classmethod
    def _base_url_is_http(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("is not an http(s) URL (e.g. https://api.openai.com/v1)")
        return value

    @field_validator("watch_contact_url")
    @classmethod
    def _contact_is_a_link(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://", "mailto:")):
            raise ValueError("is not an http(s) or mailto: link (e.g. https://example.se/om-oss)")
        return value

    @field_validator("discord_guild_ids")
    @classmethod
    def _guild_ids_are_snowflakes(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            if not part.isdigit() or not 15 <= len(part) <= 21:
                raise ValueError(f"{part!r} is not a Discord guild id (a number of 17 to 20 digits)")
        return value

    @field_validator("discord_shard_ids")
    @classmethod
    def _shard_ids_fit_the_count(cls, value: str, info: ValidationInfo) -> str:
        if not value.strip():
            return value
        ids = parse_shard_ids(value)
        count = info.data.get("discord_shard_count")
        if count is None:
            raise ValueError("needs DISCORD_SHARD_COUNT too (the bot's shard count over all processes)")
        too_big = [shard for shard in ids if shard >= count]
        if too_big:
            raise ValueError(
                f"shard {too_big[0]} does not exist with DISCORD_SHARD_COUNT={count} "
                f"(shards are 0 to {count - 1})"
            )
        return value

    @field_validator("slack_bot_token", "slack_app_token")
    @classmethod
    def _slack_token_kind(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        prefix = SLACK_TOKEN_PREFIXES[info.field_name or ""]
        if value is not None and not value.get_secret_value().startswith(prefix):
            raise ValueError(
                f"is not a Slack {'bot' if prefix == 'xoxb-' else 'app-level'} token (it starts with "
                f"{prefix})"
            )
        return value

    @field_validator("discord_api_base", "discord_gateway_url", "slack_api_base")
    @classmethod
    def _endpoint_is_a_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        schemes, example = ENDPOINT_SCHEMES[info.field_name or ""]
        url = urlsplit(value)
        if url.scheme not in schemes or not url.netloc:
            raise ValueError(f"is not a {' or '.join(schemes)} URL (e.g. {example})")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url_is_usable(cls, value: str) -> str:
        if not value:
            return value
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError("is not a database URL (e.g. postgresql+asyncpg://user:pw@host/db)") from None
        if url.drivername == "postgresql" or url.drivername == "postgres":
            raise ValueError("needs the async driver: write postgresql+asyncpg://…")
        if url.drivername == "sqlite":
            raise ValueError("needs the async driver: write sqlite+aiosqlite:///path/to/file.db")
        if url.drivername not in SUPPORTED_DATABASES:
            raise ValueError(
                f"driver {url.drivername!r} is not supported (use {' or '.join(SUPPORTED_DATABASES)})"
            )
        return value

    @field_validator("board_url")
    @classmethod
    def _board_url_is_http(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be the board's public address, e.g. https://tavla.example.se")
        if parts.query or parts.fragment:
            raise ValueError("must be an address without ?… or #…")
        return value

    @field_validator("web_port")
    @classmethod
    def _web_port_is_not_slacks(cls, value: int | None, info: ValidationInfo) -> int | None:
        # Slack's HTTP mode (a signing secret, no app token) listens on SLACK_HTTP_PORT itself.
        data = info.data
        slack_http = data.get("slack_signing_secret") is not None and data.get("slack_app_token") is None
        if value is not None and slack_http and value == data.get("slack_http_port"):
            raise ValueError(f"is SLACK_HTTP_PORT ({value}) too: the health checks and metrics need a port "
                             "of their own")
        return value

    @property
    def effective_web_port(self) -> int | None:
        """The web server's port: WEB_PORT, else the board's default when the board is on, else None (off)."""
        if self.web_port is not None:
            return self.web_port
        return BOARD_DEFAULT_PORT if self.board_url is not None else None

    @property
    def guild_ids(self) -> list[int]:
        """Return the guilds to sync commands to; empty means globally."""
        return [int(p) for p in self.discord_guild_ids.split(",") if p.strip()]

    @property
    def shard_ids(self) -> list[int] | None:
        """Return the shards this process runs; None means every shard of the count."""
        return parse_shard_ids(self.discord_shard_ids) if self.discord_shard_ids.strip() else None

    @property
    def slack_enabled(self) -> bool:
        """Tell whether the Slack settings select Slack: a bot token, and an app token or a signing secret."""
        return self.slack_bot_token is not None and (self.slack_app_token is not None
                                                     or self.slack_signing_secret is not None)

    @property
    def effective_database_url(self) -> str:
        """Return DATABASE_URL, or a SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'jobbskaparna.db').resolve()}"

    @property
    def effective_backup_dir(self) -> Path:
        """Return BACKUP_DIR, or the backups folder in the data folder."""
        return self.backup_dir if self.backup_dir is not None else self.data_dir / "backups"


def parse_shard_ids(value: str) -> list[int]:
    """Parse "0,1", "0-3" or "0-1,4" into sorted distinct shard ids, or raise ValueError saying why."""
    ids: set[int] = set()
    for part in filter(None, (p.strip() for p in value.split(","))):
        first, dash, last = part.partition("-")
        if not first.strip().isdigit() or (dash and not last.strip().isdigit()):
            raise ValueError(f"{part!r} is not a shard number or range (e.g. 0,1 or 0-3)")
        low, high = int(first), int(last) if dash else int(first)
        if high < low:
            raise ValueError(f"{part!r} is a range that ends before it starts (e.g. 0-3)")
        ids.update(range(low, high + 1))
    return sorted(ids)


def load_settings(**overrides: object) -> Settings:
    """Read the settings or raise SettingsError with one line that says what is wrong."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"]).upper() or "settings"
        message = first["msg"].removeprefix("Value error, ")
        raise SettingsError(f"Setting {name}: {message}") from None


def load_settings_or_exit(**overrides: object) -> Settings:
    """Read the settings; on a bad value print one clear line and exit with status 2."""
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        print(f"jobbskaparna: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
