"""`python -m bot` picks the sandbox only when no Slack setting is present at all."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import bot.__main__ as entry
import bot.config
import sandbox.run
from bot.config import SLACK_SETTINGS, slack_is_configured


@pytest.mark.parametrize("variable", SLACK_SETTINGS)
def test_any_slack_setting_means_real_slack(variable: str) -> None:
    assert slack_is_configured({variable: "something"})


def test_empty_or_missing_settings_mean_the_sandbox() -> None:
    assert not slack_is_configured({})
    assert not slack_is_configured({name: "  " for name in SLACK_SETTINGS})
    assert not slack_is_configured({"DATABASE_URL": "sqlite:///x.db", "PORT": "3001"})


@pytest.fixture
def clean_start(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """No Slack settings in the environment; records what main() chose."""
    monkeypatch.chdir(tmp_path)
    # A developer's own .env must not decide these tests.
    monkeypatch.setattr(bot.config, "load_dotenv", lambda *_args, **_kwargs: False)
    for variable in SLACK_SETTINGS:
        monkeypatch.delenv(variable, raising=False)
    chosen: list[str] = []
    monkeypatch.setattr(sandbox.run, "run_sandbox", lambda: chosen.append("sandbox"))
    monkeypatch.setattr(entry, "settings_or_exit", lambda: chosen.append("slack") or sys.exit(9))
    return chosen


def test_no_token_starts_the_sandbox(
    clean_start: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["bot"])
    entry.main()
    assert clean_start == ["sandbox"]


def test_a_token_starts_rounds_for_slack(
    clean_start: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1-2-abc")
    monkeypatch.setattr(sys, "argv", ["bot"])
    with pytest.raises(SystemExit):
        entry.main()
    assert clean_start == ["slack"]


def test_sandbox_argument_starts_the_sandbox_even_with_a_token(
    clean_start: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1-2-abc")
    monkeypatch.setattr(sys, "argv", ["bot", "sandbox"])
    entry.main()
    assert clean_start == ["sandbox"]


def test_a_real_env_does_not_leak_into_the_sandbox(tmp_path: Path) -> None:
    started = sandbox.run.Sandbox.start(
        port=0,
        database_path=tmp_path / "sandbox.db",
        env={
            "SLACK_BOT_TOKEN": "xoxb-real-token",
            "SLACK_API_URL": "https://slack.com/api/",
            "DATABASE_URL": "postgresql://prod/rounds",
            "ROUNDS_COORDINATORS": "not-an-id",
        },
        timer=False,
    )
    try:
        settings = started.service.settings
        assert settings.slack_bot_token != "xoxb-real-token"
        assert settings.slack_api_url == started.fake.api_url
        assert settings.database_url == f"sqlite:///{tmp_path / 'sandbox.db'}"
        assert not settings.socket_mode
    finally:
        started.close()
