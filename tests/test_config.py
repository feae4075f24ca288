"""Settings come from the environment; a bad one stops Rounds with one clear paragraph."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, log_settings_from, normalize_database_url, settings_from

GOOD = {
    "SLACK_BOT_TOKEN": "xoxb-1-2-abc",
    "SLACK_SIGNING_SECRET": "8f14e45fceea167a5a36dedd4bea2543",
}
REPO = Path(__file__).resolve().parents[1]


def test_defaults_follow_the_runtime_contract() -> None:
    settings = settings_from(GOOD)
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.database_url == "sqlite:///rounds.db"
    assert settings.port == 3000
    assert settings.coordinators == frozenset()
    assert settings.scheduler_enabled is True
    assert settings.socket_mode is False


def test_every_variable_is_read() -> None:
    settings = settings_from(
        GOOD
        | {
            "SLACK_APP_TOKEN": "xapp-1-A1-2-abc",
            "SLACK_API_URL": "http://127.0.0.1:9/api",
            "DATABASE_URL": "postgres://u@h/db",
            "PORT": "8080",
            "ROUNDS_COORDINATORS": "U012ABCDEF, W034GHIJKL",
            "ROUNDS_SCHEDULER": "off",
        }
    )
    assert settings.socket_mode is True
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.port == 8080
    assert settings.coordinators == {"U012ABCDEF", "W034GHIJKL"}
    assert settings.scheduler_enabled is False


@pytest.mark.parametrize(
    ("env", "variable", "looks_like"),
    [
        ({}, "SLACK_BOT_TOKEN", "xoxb-"),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token"}, "SLACK_BOT_TOKEN", "xoxb-"),
        ({"SLACK_BOT_TOKEN": "xoxb-1-2 abc"}, "SLACK_BOT_TOKEN", "xoxb-"),
        ({"SLACK_BOT_TOKEN": "xoxb-1-2-abc"}, "SLACK_SIGNING_SECRET", "32 letters"),
        (GOOD | {"SLACK_SIGNING_SECRET": "not a secret"}, "SLACK_SIGNING_SECRET", "32 letters"),
        (GOOD | {"SLACK_APP_TOKEN": "xoxb-wrong-kind"}, "SLACK_APP_TOKEN", "xapp-"),
        (GOOD | {"ROUNDS_COORDINATORS": "@alex"}, "ROUNDS_COORDINATORS", "U012ABCDEF"),
        (GOOD | {"PORT": "http"}, "PORT", "whole number"),
        (GOOD | {"ROUNDS_SCHEDULER": "maybe"}, "ROUNDS_SCHEDULER", "on or off"),
    ],
)
def test_bad_settings_name_the_variable_and_its_shape(
    env: dict[str, str], variable: str, looks_like: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        settings_from(env)
    assert variable in str(raised.value)
    assert looks_like in str(raised.value)


def test_socket_mode_needs_no_signing_secret() -> None:
    settings = settings_from({"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_APP_TOKEN": "xapp-1-2-c"})
    assert settings.slack_signing_secret is None


def test_serving_http_needs_a_signing_secret_even_with_an_app_token() -> None:
    env = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_APP_TOKEN": "xapp-1-2-c"}
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET is not set"):
        settings_from(env, http_only=True)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_postgres_urls_use_psycopg_3(url: str, expected: str) -> None:
    assert normalize_database_url(url) == expected


def _clean_environment() -> dict[str, str]:
    keep = {"PATH", "HOME", "LANG", "SYSTEMROOT"}
    return {key: value for key, value in os.environ.items() if key in keep}


@pytest.mark.parametrize(
    ("module", "partial"),
    [
        # With no Slack setting at all `python -m bot` starts the sandbox instead
        # (tests/test_sandbox_start.py); a half-filled .env gets the paragraph.
        ("bot", {"SLACK_SIGNING_SECRET": "8f14e45fceea167a5a36dedd4bea2543"}),
        ("jobs", {}),
    ],
)
def test_starting_without_a_token_explains_and_exits_2(
    module: str, partial: dict[str, str], tmp_path: Path
) -> None:
    """A new user who runs Rounds before creating .env gets a paragraph, not a traceback."""
    env = _clean_environment() | {"PYTHONPATH": str(REPO)} | partial
    result = subprocess.run(
        [sys.executable, "-m", module],
        cwd=tmp_path,  # no .env here
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" in result.stderr
    assert "xoxb-" in result.stderr
    assert "api.slack.com/apps" in result.stderr
    assert "Traceback" not in result.stderr


def test_settings_never_show_their_secrets() -> None:
    settings = settings_from(
        GOOD
        | {
            "SLACK_APP_TOKEN": "xapp-1-A1-2-appsecret",
            "DATABASE_URL": "postgresql://rounds:db-password@db.example.org/rounds",
        }
    )
    shown = repr(settings) + str(settings) + f"{settings}"
    for secret in ("xoxb-1-2-abc", GOOD["SLACK_SIGNING_SECRET"], "appsecret", "db-password"):
        assert secret not in shown
    assert "db.example.org" in shown  # the rest stays readable
    assert "port=3000" in shown


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://slack.com/api/", True),
        ("https://slack.example.org/api", True),
        ("http://localhost:8080/api/", True),
        ("http://127.0.0.1:9/api/", True),
        ("http://[::1]:9/api/", True),
        ("http://slack.com/api/", False),  # the token would cross the network in the clear
        ("http://10.0.0.5/api/", False),
        ("ftp://slack.com/api/", False),
        ("slack.com/api", False),
    ],
)
def test_the_web_api_url_is_https_except_on_this_machine(url: str, allowed: bool) -> None:
    env = GOOD | {"SLACK_API_URL": url}
    if allowed:
        assert settings_from(env).slack_api_url.rstrip("/") == url.rstrip("/")
    else:
        with pytest.raises(ConfigError, match="SLACK_API_URL"):
            settings_from(env)


@pytest.mark.parametrize(
    ("env", "level", "json_format"),
    [
        ({}, logging.INFO, False),
        ({"LOG_LEVEL": "debug", "LOG_FORMAT": "JSON"}, logging.DEBUG, True),
        ({"LOG_LEVEL": "WARNING", "LOG_FORMAT": "text"}, logging.WARNING, False),
    ],
)
def test_log_settings(env: dict[str, str], level: int, json_format: bool) -> None:
    settings = log_settings_from(env)
    assert (settings.level, settings.json) == (level, json_format)


@pytest.mark.parametrize(
    ("env", "variable"),
    [({"LOG_LEVEL": "loud"}, "LOG_LEVEL"), ({"LOG_FORMAT": "xml"}, "LOG_FORMAT")],
)
def test_bad_log_settings_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        log_settings_from(env)


def test_env_file_is_read_from_the_working_directory_not_beside_the_code(tmp_path: Path) -> None:
    """An installed Rounds lives in site-packages; its .env lives where it is run."""
    (tmp_path / ".env").write_text(
        "SLACK_BOT_TOKEN=xoxb-from-dotenv\nDATABASE_URL=sqlite:///x.db\n"
    )
    code = (
        "from bot.config import load_settings; "
        "print(load_settings(require_signing_secret=False).database_url)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=_clean_environment() | {"PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "sqlite:///x.db"
