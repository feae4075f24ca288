"""Settings from the environment (and `.env`), validated once at start-up.

Every variable of the runtime contract in DESIGN.md is read here and nowhere else.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time

from dotenv import load_dotenv

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///rounds.db"
DEFAULT_PORT = 3000
DEFAULT_MENTOR_CAPACITY = 5

_SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


class ConfigError(Exception):
    """A setting is missing or malformed; the message is a paragraph for a human."""


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    port: int = DEFAULT_PORT
    coordinators: frozenset[str] = field(default_factory=frozenset)
    scheduler_enabled: bool = True
    mentor_capacity: int = DEFAULT_MENTOR_CAPACITY
    workday_start: time = time(9, 0)
    workday_end: time = time(17, 0)
    holidays: str | None = None  # ROUNDS_HOLIDAYS: "US", "US-CA"; public holidays are blackouts

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None


def _problem(variable: str, what: str, looks_like: str, where: str) -> ConfigError:
    return ConfigError(
        f"Rounds cannot start: {variable} {what}. It should look like {looks_like}. "
        f"{where} Put it in the environment or in a .env file next to where you run Rounds "
        "(see .env.example)."
    )


_WHERE_BOT_TOKEN = (
    "Find it at https://api.slack.com/apps → your Rounds app → OAuth & Permissions → "
    "Bot User OAuth Token (install the app to your workspace first)."
)
_WHERE_APP_TOKEN = (
    "Create one at https://api.slack.com/apps → your Rounds app → Basic Information → "
    "App-Level Tokens, with the connections:write scope; leave it unset to serve HTTP instead."
)
_WHERE_SIGNING_SECRET = (
    "Find it at https://api.slack.com/apps → your Rounds app → Basic Information → "
    "App Credentials → Signing Secret. Socket Mode (SLACK_APP_TOKEN) does not need it."
)


def _token(env: Mapping[str, str], variable: str, prefix: str, where: str) -> str | None:
    value = env.get(variable, "").strip()
    if not value:
        return None
    if not re.fullmatch(rf"{prefix}-[A-Za-z0-9-]+", value):
        raise _problem(variable, "is malformed", f"{prefix}-1234-5678-abcdef", where)
    return value


def _flag(env: Mapping[str, str], variable: str, default: bool) -> bool:
    value = env.get(variable, "").strip().lower()
    if not value:
        return default
    if value in {"on", "true", "1", "yes"}:
        return True
    if value in {"off", "false", "0", "no"}:
        return False
    raise ConfigError(f"Rounds cannot start: {variable} is {value!r}; use on or off.")


def _positive_int(env: Mapping[str, str], variable: str, default: int) -> int:
    raw = env.get(variable, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) == 0:
        raise ConfigError(f"Rounds cannot start: {variable} is {raw!r}; use a whole number.")
    return int(raw)


def normalize_database_url(url: str) -> str:
    """Point bare PostgreSQL URLs at psycopg 3, the driver Rounds ships with."""
    for bare in ("postgres://", "postgresql://"):
        if url.startswith(bare):
            return "postgresql+psycopg://" + url[len(bare) :]
    return url


def _coordinators(env: Mapping[str, str]) -> frozenset[str]:
    ids = [part.strip() for part in env.get("ROUNDS_COORDINATORS", "").split(",") if part.strip()]
    bad = [user_id for user_id in ids if not _SLACK_USER_ID.match(user_id)]
    if bad:
        raise ConfigError(
            f"Rounds cannot start: ROUNDS_COORDINATORS has {', '.join(bad)}, which is not a "
            "Slack user ID. It should be a comma-separated list like U012ABCDEF,U034GHIJKL "
            "(in Slack: click a profile → ⋮ → Copy member ID)."
        )
    return frozenset(ids)


def _holidays(env: Mapping[str, str]) -> str | None:
    raw = env.get("ROUNDS_HOLIDAYS", "").strip().upper()
    if not raw:
        return None
    import holidays  # only when asked for: it loads every country's calendar

    country, _, subdivision = raw.partition("-")
    supported = holidays.list_supported_countries()
    if country not in supported or (subdivision and subdivision not in supported[country]):
        raise ConfigError(
            f"Rounds cannot start: ROUNDS_HOLIDAYS is {raw!r}, which the holidays package does "
            "not know. Use a two-letter country code such as US, GB or IN, optionally with a "
            "subdivision such as US-CA, or leave it empty for no public holidays."
        )
    return raw


def settings_from(
    env: Mapping[str, str], *, require_signing_secret: bool = True, http_only: bool = False
) -> Settings:
    """Build settings from a mapping; raises ConfigError with a readable paragraph.

    `require_signing_secret` is for `python -m bot`, which serves HTTP unless SLACK_APP_TOKEN
    selects Socket Mode; `http_only` is for entry points that serve Slack over HTTP whatever
    else is set (`bot.wsgi:app`), where an app token in a shared `.env` must not matter."""
    bot_token = _token(env, "SLACK_BOT_TOKEN", "xoxb", _WHERE_BOT_TOKEN)
    if bot_token is None:
        raise _problem("SLACK_BOT_TOKEN", "is not set", "xoxb-1234-5678-abcdef", _WHERE_BOT_TOKEN)
    app_token = _token(env, "SLACK_APP_TOKEN", "xapp", _WHERE_APP_TOKEN)
    signing_secret = env.get("SLACK_SIGNING_SECRET", "").strip() or None
    if signing_secret is not None and not re.fullmatch(r"[A-Za-z0-9]{16,}", signing_secret):
        raise _problem(
            "SLACK_SIGNING_SECRET", "is malformed", "32 letters and digits", _WHERE_SIGNING_SECRET
        )
    serves_http = http_only or (require_signing_secret and app_token is None)
    if signing_secret is None and serves_http:
        raise _problem(
            "SLACK_SIGNING_SECRET",
            "is not set (serving Slack over HTTP verifies every request with it)",
            "32 letters and digits such as 8f14e45fceea167a5a36dedd4bea2543",
            _WHERE_SIGNING_SECRET,
        )
    api_url = env.get("SLACK_API_URL", "").strip() or DEFAULT_SLACK_API_URL
    if not api_url.endswith("/"):
        api_url += "/"
    port = _positive_int(env, "PORT", DEFAULT_PORT)
    if port > 65535:
        raise ConfigError(f"Rounds cannot start: PORT is {port}; use a port from 1 to 65535.")
    return Settings(
        slack_bot_token=bot_token,
        slack_signing_secret=signing_secret,
        slack_app_token=app_token,
        slack_api_url=api_url,
        database_url=normalize_database_url(
            env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
        ),
        port=port,
        coordinators=_coordinators(env),
        scheduler_enabled=_flag(env, "ROUNDS_SCHEDULER", default=True),
        mentor_capacity=_positive_int(env, "ROUNDS_MENTOR_CAPACITY", DEFAULT_MENTOR_CAPACITY),
        holidays=_holidays(env),
    )


def database_url_from_environment() -> str:
    """The database URL alone, for tools (Alembic, preview) that need no Slack token."""
    load_dotenv()
    return normalize_database_url(
        os.environ.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    )


def load_settings(*, require_signing_secret: bool = True, http_only: bool = False) -> Settings:
    """Read `.env` (without overriding the real environment), then the environment."""
    load_dotenv()
    return settings_from(
        os.environ, require_signing_secret=require_signing_secret, http_only=http_only
    )
