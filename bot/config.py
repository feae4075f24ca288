"""Settings from the environment (and `.env`), validated once at start-up.

Every variable of the runtime contract in DESIGN.md is read here and nowhere else.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import time
from urllib.parse import urlsplit

from dotenv import find_dotenv, load_dotenv

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///rounds.db"
DEFAULT_PORT = 3000
DEFAULT_MENTOR_CAPACITY = 5

_SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
# Settings whose values never appear in a repr, a log line or a traceback.
_SECRET_FIELD = re.compile(r"token|secret|key|password", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")


class ConfigError(Exception):
    """A setting is missing or malformed; the message is a paragraph for a human."""


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str | None  # None in OAuth mode: each workspace's token is in the database
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
    # OAuth mode ("Add to Slack" for many workspaces): all three set, or none.
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    token_key: str | None = None  # ROUNDS_TOKEN_KEY: Fernet keys

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    @property
    def oauth_mode(self) -> bool:
        return bool(self.slack_client_id and self.slack_client_secret and self.token_key)

    def __repr__(self) -> str:
        """Tokens, secrets and the database password stay out of logs and tracebacks."""
        shown = []
        for item in fields(self):
            value = getattr(self, item.name)
            if _SECRET_FIELD.search(item.name) and value:
                value = "<hidden>"
            elif item.name == "database_url":
                value = _URL_PASSWORD.sub(r"\1<hidden>@", value)
            shown.append(f"{item.name}={value!r}")
        return f"Settings({', '.join(shown)})"


@dataclass(frozen=True)
class LogSettings:
    level: int = logging.INFO
    json: bool = False


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


_WHERE_CLIENT = (
    "Find SLACK_CLIENT_ID and SLACK_CLIENT_SECRET at https://api.slack.com/apps → your Rounds "
    "app → Basic Information → App Credentials, and make ROUNDS_TOKEN_KEY with "
    '`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`. '
    'Set all three for many workspaces ("Add to Slack"), or none of them for one workspace '
    "with SLACK_BOT_TOKEN."
)
_OAUTH_VARIABLES = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "ROUNDS_TOKEN_KEY")


def _oauth(env: Mapping[str, str]) -> tuple[str, str, str] | None:
    """The OAuth trio when all of it is set, None when none is; anything between is an error."""
    values = {name: env.get(name, "").strip() for name in _OAUTH_VARIABLES}
    missing = [name for name, value in values.items() if not value]
    if len(missing) == len(_OAUTH_VARIABLES):
        return None
    if missing:
        given = [name for name in _OAUTH_VARIABLES if name not in missing]
        raise ConfigError(
            f"Rounds cannot start: {' and '.join(given)} {'is' if len(given) == 1 else 'are'} "
            f"set but {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not. "
            + _WHERE_CLIENT
        )
    client_id, secret, key = (values[name] for name in _OAUTH_VARIABLES)
    if not re.fullmatch(r"\d+\.\d+", client_id):
        raise _problem("SLACK_CLIENT_ID", "is malformed", "1234567890.1234567890", _WHERE_CLIENT)
    if not re.fullmatch(r"[A-Za-z0-9]{16,}", secret):
        raise _problem(
            "SLACK_CLIENT_SECRET", "is malformed", "32 letters and digits", _WHERE_CLIENT
        )
    from bot.tokens import TokenKeyError, parse_keys

    try:
        parse_keys(key)
    except TokenKeyError as problem:
        raise ConfigError(
            f"Rounds cannot start: ROUNDS_TOKEN_KEY is malformed: {problem}. It should be one "
            "Fernet key (44 characters ending in =), or a new key and older ones separated by "
            "commas (the first encrypts, all decrypt). " + _WHERE_CLIENT
        ) from None
    return client_id, secret, key


def settings_from(
    env: Mapping[str, str], *, require_signing_secret: bool = True, http_only: bool = False
) -> Settings:
    """Build settings from a mapping; raises ConfigError with a readable paragraph.

    `require_signing_secret` is for `python -m bot`, which serves HTTP unless SLACK_APP_TOKEN
    selects Socket Mode; `http_only` is for entry points that serve Slack over HTTP whatever
    else is set (`bot.wsgi:app`), where an app token in a shared `.env` must not matter."""
    oauth = _oauth(env)
    bot_token = _token(env, "SLACK_BOT_TOKEN", "xoxb", _WHERE_BOT_TOKEN)
    if bot_token is None and oauth is None:
        raise _problem("SLACK_BOT_TOKEN", "is not set", "xoxb-1234-5678-abcdef", _WHERE_BOT_TOKEN)
    app_token = _token(env, "SLACK_APP_TOKEN", "xapp", _WHERE_APP_TOKEN)
    if oauth is not None and app_token is not None and require_signing_secret and not http_only:
        raise ConfigError(
            "Rounds cannot start: SLACK_APP_TOKEN is set, but with SLACK_CLIENT_ID, "
            "SLACK_CLIENT_SECRET and ROUNDS_TOKEN_KEY Rounds serves many workspaces over HTTP "
            '("Add to Slack" at /slack/install needs a public URL). Leave SLACK_APP_TOKEN '
            "empty and set SLACK_SIGNING_SECRET."
        )
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
    api_url = _slack_api_url(env)
    port = _positive_int(env, "PORT", DEFAULT_PORT)
    if port > 65535:
        raise ConfigError(f"Rounds cannot start: PORT is {port}; use a port from 1 to 65535.")
    coordinators = _coordinators(env)
    if oauth is not None and coordinators:
        raise ConfigError(
            "Rounds cannot start: ROUNDS_COORDINATORS names users of one workspace, but with "
            "SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and ROUNDS_TOKEN_KEY Rounds serves many, where "
            "the same user ID can belong to someone else. Leave it empty: each workspace's "
            "owners and admins are its coordinators and add others with "
            "`/mentor coordinator add @someone`."
        )
    client_id, client_secret, token_key = oauth or (None, None, None)
    return Settings(
        # In OAuth mode every workspace has its own token; a leftover SLACK_BOT_TOKEN is unused.
        slack_bot_token=None if oauth else bot_token,
        slack_signing_secret=signing_secret,
        slack_app_token=app_token,
        slack_api_url=api_url,
        database_url=normalize_database_url(
            env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
        ),
        port=port,
        coordinators=coordinators,
        scheduler_enabled=_flag(env, "ROUNDS_SCHEDULER", default=True),
        mentor_capacity=_positive_int(env, "ROUNDS_MENTOR_CAPACITY", DEFAULT_MENTOR_CAPACITY),
        holidays=_holidays(env),
        slack_client_id=client_id,
        slack_client_secret=client_secret,
        token_key=token_key,
    )


def _slack_api_url(env: Mapping[str, str]) -> str:
    api_url = env.get("SLACK_API_URL", "").strip() or DEFAULT_SLACK_API_URL
    parts = urlsplit(api_url)
    allowed = parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(parts.hostname))
    if not allowed or not parts.hostname:
        raise ConfigError(
            f"Rounds cannot start: SLACK_API_URL is {api_url!r}. The bot token travels with "
            "every Web API call, so it must be an https:// URL (plain http only for localhost, "
            "as the tests use). Leave it unset for Slack itself."
        )
    return api_url if api_url.endswith("/") else api_url + "/"


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def log_settings_from(env: Mapping[str, str]) -> LogSettings:
    level = env.get("LOG_LEVEL", "").strip().upper() or "INFO"
    if level not in LOG_LEVELS:
        raise ConfigError(
            f"Rounds cannot start: LOG_LEVEL is {level!r}; use one of {', '.join(LOG_LEVELS)}."
        )
    log_format = env.get("LOG_FORMAT", "").strip().lower() or "text"
    if log_format not in LOG_FORMATS:
        raise ConfigError(
            f"Rounds cannot start: LOG_FORMAT is {log_format!r}; use text, or json for one "
            "JSON object per line."
        )
    return LogSettings(level=logging.getLevelName(level), json=log_format == "json")


def load_environment_file() -> None:
    """Read `.env` from the directory Rounds runs in (or the nearest parent that has one), never
    from beside the code: an installed package lives in site-packages. The real environment
    wins over the file."""
    load_dotenv(find_dotenv(usecwd=True))


# Any of these says "I mean real Slack": a half-filled .env gets told what is missing,
# never silently the sandbox.
SLACK_SETTINGS = (
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "ROUNDS_TOKEN_KEY",
)


def slack_is_configured(env: Mapping[str, str] | None = None) -> bool:
    """False when no Slack setting at all is present (environment and `.env`): then
    `python -m bot` starts the sandbox instead of failing on the missing token."""
    if env is None:
        load_environment_file()
        env = os.environ
    return any(env.get(variable, "").strip() for variable in SLACK_SETTINGS)


def database_url_from_environment() -> str:
    """The database URL alone, for tools (Alembic, preview) that need no Slack token."""
    load_environment_file()
    return normalize_database_url(
        os.environ.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    )


def load_settings(*, require_signing_secret: bool = True, http_only: bool = False) -> Settings:
    """Read `.env` (without overriding the real environment), then the environment."""
    load_environment_file()
    return settings_from(
        os.environ, require_signing_secret=require_signing_secret, http_only=http_only
    )
