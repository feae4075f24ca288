"""Tokens at rest and in time: ROUNDS_TOKEN_KEY (Fernet, rotatable), OAuth mode's settings,
and Slack's token rotation — refreshed before expiry by the web process and the worker
alike, and never twice for one refresh token."""

from __future__ import annotations

import io
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.app import build_app
from bot.config import ConfigError, Settings, settings_from
from bot.http_server import HttpServer
from bot.oauth.setup import installed_workspaces
from bot.service import Database
from bot.store.models import Installation, Pair, Workspace
from bot.tokens import TokenCipher, TokenKeyError, UnreadableTokenError, new_key, parse_keys
from jobs.dispatcher import Dispatcher
from jobs.program import CommandFailedError
from jobs.tick import tick
from jobs.workspaces import run_rekey
from sandbox.fake_slack import FakeSlack
from tests.schools import (
    CLIENT_ID,
    CLIENT_SECRET,
    NEW_TOKEN_KEY,
    TOKEN_KEY,
    every_stored_text,
    install,
    school,
    serve,
)
from tests.test_journey import command_text

SECRET = "8f14e45fceea167a5a36dedd4bea2543"
OAUTH = {
    "SLACK_CLIENT_ID": CLIENT_ID,
    "SLACK_CLIENT_SECRET": CLIENT_SECRET,
    "ROUNDS_TOKEN_KEY": TOKEN_KEY,
    "SLACK_SIGNING_SECRET": SECRET,
}

# --- the key ---------------------------------------------------------------------------------


def test_the_first_key_encrypts_and_every_key_decrypts() -> None:
    old = TokenCipher.from_setting(TOKEN_KEY)
    stored = old.encrypt("xoxb-secret-token")
    assert "xoxb" not in stored and old.decrypt(stored) == "xoxb-secret-token"
    both = TokenCipher.from_setting(f"{NEW_TOKEN_KEY}, {TOKEN_KEY}")
    assert both.decrypt(stored) == "xoxb-secret-token"
    moved = both.reencrypt(stored)
    assert TokenCipher.from_setting(NEW_TOKEN_KEY).decrypt(moved) == "xoxb-secret-token"
    with pytest.raises(UnreadableTokenError):
        TokenCipher.from_setting(NEW_TOKEN_KEY).decrypt(stored)


@pytest.mark.parametrize(
    "raw", ["", " , ", "not-a-key", TOKEN_KEY[:-4], f"{TOKEN_KEY},short", "é" * 44]
)
def test_a_malformed_key_is_refused(raw: str) -> None:
    with pytest.raises(TokenKeyError):
        parse_keys(raw)


def test_a_new_key_is_a_key() -> None:
    assert len(parse_keys(new_key())) == 1


# --- the settings ----------------------------------------------------------------------------


def test_all_three_settings_mean_oauth_mode_without_a_bot_token() -> None:
    settings = settings_from(OAUTH)
    assert settings.oauth_mode and settings.slack_bot_token is None
    assert settings_from(OAUTH | {"SLACK_BOT_TOKEN": "xoxb-1-2-abc"}).slack_bot_token is None
    single = settings_from({"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": SECRET})
    assert not single.oauth_mode and single.slack_bot_token == "xoxb-1-2-abc"
    assert CLIENT_SECRET not in repr(settings) and TOKEN_KEY not in repr(settings)


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ("SLACK_CLIENT_ID", "SLACK_CLIENT_ID"),
        ("SLACK_CLIENT_SECRET", "SLACK_CLIENT_SECRET"),
        ("ROUNDS_TOKEN_KEY", "ROUNDS_TOKEN_KEY"),
    ],
)
def test_half_an_oauth_setup_is_an_error_naming_what_is_missing(missing: str, named: str) -> None:
    env = {key: value for key, value in OAUTH.items() if key != missing}
    env["SLACK_BOT_TOKEN"] = "xoxb-1-2-abc"
    with pytest.raises(ConfigError) as problem:
        settings_from(env)
    assert f"but {named} is not" in str(problem.value)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"SLACK_CLIENT_ID": "abc"}, "SLACK_CLIENT_ID is malformed"),
        ({"SLACK_CLIENT_SECRET": "short"}, "SLACK_CLIENT_SECRET is malformed"),
        ({"ROUNDS_TOKEN_KEY": "hunter2"}, "ROUNDS_TOKEN_KEY is malformed"),
        ({"ROUNDS_TOKEN_KEY": f"{TOKEN_KEY},oops"}, "key 2 of 2"),
        ({"ROUNDS_COORDINATORS": "U012ABCDEF"}, "coordinator add"),
        ({"SLACK_APP_TOKEN": "xapp-1-A1-2-abc"}, "Leave SLACK_APP_TOKEN empty"),
        ({"SLACK_SIGNING_SECRET": ""}, "SLACK_SIGNING_SECRET is not set"),
    ],
)
def test_oauth_mode_refuses_what_cannot_work(change: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigError) as problem:
        settings_from(OAUTH | change)
    assert says in str(problem.value)


def test_the_worker_may_share_an_env_with_an_app_token() -> None:
    env = OAUTH | {"SLACK_APP_TOKEN": "xapp-1-A1-2-abc"}
    assert settings_from(env, require_signing_secret=False).oauth_mode


# --- token rotation --------------------------------------------------------------------------


def expiring_soon(database: Database, team: str) -> None:
    """Time passes: the team's token now has half an hour left."""
    with database.sessions.begin() as session:
        session.execute(
            update(Installation)
            .where(Installation.installation_key == team)
            .values(bot_token_expires_at=datetime.now(UTC) + timedelta(minutes=30))
        )


def refreshes(fake: FakeSlack) -> list[str]:
    return [
        str(call.args["refresh_token"])
        for call in fake.calls_to("oauth.v2.access")
        if call.args.get("grant_type") == "refresh_token"
    ]


@pytest.fixture
def rotating(fake_slack: FakeSlack, oauth_settings: Settings) -> Settings:
    fake_slack.set_oauth_app(CLIENT_ID, CLIENT_SECRET, token_lifetime=12 * 3600)
    return oauth_settings


def test_a_request_refreshes_an_expiring_token_first(
    rotating: Settings, oauth_url: str, fake_slack: FakeSlack, database: Database
) -> None:
    install(oauth_url, fake_slack, team_id="T0SCHOOLA")
    (first,) = fake_slack.tokens_of("T0SCHOOLA")
    slack = school(oauth_url, fake_slack, "T0SCHOOLA")
    command_text(slack, "/mentor", "help", user="U0STUDENT")
    assert refreshes(fake_slack) == []  # twelve hours left: nothing to do
    expiring_soon(database, "T0SCHOOLA")
    command_text(slack, "/mentor", "list", user="U0STUDENT")
    assert len(refreshes(fake_slack)) == 1
    first_token, second = fake_slack.tokens_of("T0SCHOOLA")
    assert first_token == first
    assert fake_slack.calls_to("auth.test")[-1].token == second
    with database.sessions() as session:
        stored = session.execute(select(Installation)).scalar_one()
        expires = stored.bot_token_expires_at
    assert expires is not None and expires > datetime.now(UTC) + timedelta(hours=11)
    raw = every_stored_text(database)
    assert first not in raw and second not in raw and refreshes(fake_slack)[0] not in raw


def test_the_worker_refreshes_too_and_sends_with_the_new_token(
    rotating: Settings,
    oauth_url: str,
    fake_slack: FakeSlack,
    database: Database,
    oauth_dispatcher: Dispatcher,
) -> None:
    install(oauth_url, fake_slack, team_id="T0SCHOOLA", installer="U0ADMIN")
    fake_slack.add_user("U0ADMIN", is_admin=True, team="T0SCHOOLA")
    slack = school(oauth_url, fake_slack, "T0SCHOOLA")
    assert "Paired" in command_text(
        slack, "/mentor", "pair <@U0STUDENT> <@U0MENTOR>", user="U0ADMIN"
    )
    # The pairing goes on after its answer (space, welcome, both Home tabs) in a transaction
    # that holds the pair's row; a tick before it commits would skip the locked pair.
    fake_slack.wait_for("views.publish", count=2)
    settled = time.monotonic() + 5
    while time.monotonic() < settled:
        with database.sessions() as session:
            if session.execute(select(Pair.checkin_channel_id)).scalar_one():
                break
        time.sleep(0.02)
    expiring_soon(database, "T0SCHOOLA")
    with database.sessions() as session:
        first = session.execute(select(Pair.next_prompt_at)).scalar_one()
    tick(database.sessions, oauth_dispatcher, now=first)
    assert len(refreshes(fake_slack)) == 1
    newest = fake_slack.tokens_of("T0SCHOOLA")[-1]
    (prompt,) = [
        call
        for call in fake_slack.calls_to("chat.postMessage")
        if "Time to check in" in str(call.args.get("text"))
    ]
    assert prompt.token == newest


def test_two_processes_refreshing_at_once_spend_the_refresh_token_once(
    rotating: Settings, oauth_url: str, fake_slack: FakeSlack, database: Database
) -> None:
    install(oauth_url, fake_slack, team_id="T0SCHOOLA")
    expiring_soon(database, "T0SCHOOLA")
    with database.sessions.begin() as session:
        session.add(Workspace(team_id="T0SCHOOLA"))
    with database.sessions() as session:
        workspace = session.execute(select(Workspace)).scalar_one()
    workers = [installed_workspaces(rotating, database.sessions) for _ in range(2)]
    # Slack is slow to refresh: the second process reads the expiring token meanwhile.
    fake_slack.delay("oauth.v2.access", 0.5)
    with ThreadPoolExecutor(max_workers=2) as pool:
        clients = list(pool.map(lambda worker: worker.client_for(workspace), workers))
    assert len(refreshes(fake_slack)) == 1
    newest = fake_slack.tokens_of("T0SCHOOLA")[-1]
    assert [client.token if client else None for client in clients] == [newest, newest]


# --- key rotation ----------------------------------------------------------------------------


def served(settings: Settings, database: Database) -> HttpServer:
    app = build_app(settings, database.sessions, read_sessions=database.read_sessions)
    return serve(app, database)


def test_a_new_key_first_an_old_key_after_then_rekey(
    oauth_settings: Settings, oauth_url: str, fake_slack: FakeSlack, database: Database
) -> None:
    install(oauth_url, fake_slack, team_id="T0SCHOOLA")
    (token,) = fake_slack.tokens_of("T0SCHOOLA")
    both = replace(oauth_settings, token_key=f"{NEW_TOKEN_KEY},{TOKEN_KEY}")
    only_new = replace(oauth_settings, token_key=NEW_TOKEN_KEY)

    def answered(settings: Settings) -> str:
        server = served(settings, database)
        try:
            url = f"http://127.0.0.1:{server.port}"
            return command_text(school(url, fake_slack, "T0SCHOOLA"), "/mentor", "help", user="U0A")
        finally:
            server.stop(timeout=5)

    assert "/mentor request" in answered(both)  # the old key still decrypts
    assert "not installed" in answered(only_new)  # dropped too soon: unreadable
    with pytest.raises(CommandFailedError):
        run_rekey(settings=only_new, out=io.StringIO())  # cannot decrypt: changes nothing
    out = io.StringIO()
    assert run_rekey(settings=both, out=out) == 0
    assert "1 installations" in out.getvalue()
    assert "/mentor request" in answered(only_new)  # the old key can go now
    with database.sessions() as session:
        stored = session.execute(select(Installation)).scalar_one().bot_token_encrypted
    assert TokenCipher.from_setting(NEW_TOKEN_KEY).decrypt(stored or "") == token
