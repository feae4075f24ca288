"""OAuth mode: "Add to Slack" at /slack/install, Slack's redirect at /slack/oauth_redirect,
installations kept in Rounds' own tables with every token encrypted."""

from __future__ import annotations

import importlib
import json
import sys
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import select, text

from bot.config import Settings
from bot.http_server import HttpServer
from bot.oauth.setup import BOT_SCOPES
from bot.service import Database
from bot.store.migrate import alembic_config, upgrade_to_head
from bot.store.models import Installation, OAuthState, Workspace
from bot.tokens import TokenCipher
from sandbox.fake_slack import FakeSlack
from tests.schools import (
    CLIENT_ID,
    CLIENT_SECRET,
    TOKEN_KEY,
    Browser,
    every_stored_text,
    install,
    school,
)
from tests.slack_requests import SIGNING_SECRET, post
from tests.test_journey import command_text

MANIFEST = yaml.safe_load((Path(__file__).resolve().parents[1] / "manifest.yml").read_text())


def installation(database: Database, key: str) -> Installation | None:
    with database.sessions() as session:
        return session.execute(
            select(Installation).where(Installation.installation_key == key)
        ).scalar_one_or_none()


def test_add_to_slack_asks_for_the_manifest_scopes_with_a_state(
    oauth_url: str, fake_slack: FakeSlack
) -> None:
    browser = Browser()
    page = browser.get(oauth_url + "/slack/install")
    assert page.status == 200
    link = urllib.parse.urlsplit(page.link())
    query = urllib.parse.parse_qs(link.query)
    # Slack's consent page, next to the Web API Rounds talks to (here: the fake).
    assert f"{link.scheme}://{link.netloc}/" == fake_slack.base_url + "/"
    assert link.path == "/oauth/v2/authorize"
    assert query["client_id"] == [CLIENT_ID]
    assert set(query["scope"][0].split(",")) == set(MANIFEST["oauth_config"]["scopes"]["bot"])
    assert query["state"][0] and "slack-app-oauth-state" in page.headers["set-cookie"]


def test_the_bot_scopes_are_the_manifest_scopes() -> None:
    assert sorted(BOT_SCOPES) == sorted(MANIFEST["oauth_config"]["scopes"]["bot"])


def test_a_school_installs_and_its_token_is_stored_encrypted(
    oauth_url: str, fake_slack: FakeSlack, database: Database
) -> None:
    page = install(oauth_url, fake_slack, team_id="T0SCHOOLA", installer="U0ADMIN")
    assert page.status == 200, page.body
    (exchange,) = fake_slack.calls_to("oauth.v2.access")
    assert exchange.args["client_id"] == CLIENT_ID
    (token,) = fake_slack.tokens_of("T0SCHOOLA")
    stored = installation(database, "T0SCHOOLA")
    assert stored is not None
    assert (stored.team_id, stored.bot_user_id, stored.installer_user_id) == (
        "T0SCHOOLA",
        "UB0SCHOOLA",
        "U0ADMIN",
    )
    assert stored.bot_token_encrypted != token
    assert TokenCipher.from_setting(TOKEN_KEY).decrypt(stored.bot_token_encrypted or "") == token
    # Read raw, the database holds the token nowhere, nor any piece of it.
    raw = every_stored_text(database)
    assert token not in raw and token.split("-")[-1] not in raw
    assert "T0SCHOOLA" in raw  # the check above reads the right database


def test_an_installed_school_is_answered_with_its_own_token(
    oauth_url: str, fake_slack: FakeSlack
) -> None:
    install(oauth_url, fake_slack, team_id="T0SCHOOLA")
    (token,) = fake_slack.tokens_of("T0SCHOOLA")
    slack = school(oauth_url, fake_slack, "T0SCHOOLA")
    assert "/mentor request" in command_text(slack, "/mentor", "help", user="U0STUDENT")
    assert {call.token for call in fake_slack.calls_to("auth.test")} == {token}


def test_a_workspace_without_an_installation_is_told_to_add_rounds(
    oauth_url: str, fake_slack: FakeSlack
) -> None:
    slack = school(oauth_url, fake_slack, "T0NEVER")
    reply, response_url = slack.command("/mentor", "help", user="U0STUDENT")
    assert reply.status == 200
    shown = json.dumps(reply.json if reply.body else fake_slack.wait_for_response(response_url))
    assert "not installed" in shown
    assert fake_slack.calls_to("chat.postMessage") == []


def test_the_redirect_needs_the_state_it_was_given_once(
    oauth_url: str, fake_slack: FakeSlack, database: Database
) -> None:
    browser = Browser()
    page = browser.get(oauth_url + "/slack/install")
    back = fake_slack.approve_install(page.link(), team_id="T0SCHOOLA")
    forged = {**back, "state": "not-the-state-we-issued"}
    refused = browser.get(oauth_url + "/slack/oauth_redirect?" + urllib.parse.urlencode(forged))
    assert refused.status in (400, 401)
    assert installation(database, "T0SCHOOLA") is None

    stranger = Browser()  # the right state, but not from the browser that started
    refused = stranger.get(oauth_url + "/slack/oauth_redirect?" + urllib.parse.urlencode(back))
    assert refused.status == 400
    assert installation(database, "T0SCHOOLA") is None


def test_a_state_works_once_and_is_kept_only_as_a_hash(
    oauth_url: str, fake_slack: FakeSlack, database: Database
) -> None:
    browser = Browser()
    page = browser.get(oauth_url + "/slack/install")
    state = urllib.parse.parse_qs(urllib.parse.urlsplit(page.link()).query)["state"][0]
    assert state not in every_stored_text(database)
    with database.sessions() as session:
        assert len(session.execute(select(OAuthState)).scalars().all()) == 1
    back = fake_slack.approve_install(page.link(), team_id="T0SCHOOLA")
    query = urllib.parse.urlencode(back)
    assert browser.get(oauth_url + "/slack/oauth_redirect?" + query).status == 200
    # Replayed with the very same cookie and state, the state is spent: refused.
    replay = Browser()
    replay.cookies["slack-app-oauth-state"] = state
    assert replay.get(oauth_url + "/slack/oauth_redirect?" + query).status == 401
    with database.sessions() as session:
        assert session.execute(select(OAuthState)).scalars().all() == []


def test_a_code_slack_refuses_stores_nothing(
    oauth_url: str, fake_slack: FakeSlack, database: Database
) -> None:
    browser = Browser()
    page = browser.get(oauth_url + "/slack/install")
    back = fake_slack.approve_install(page.link(), team_id="T0SCHOOLA")
    back["code"] = "code-that-slack-never-issued"
    failed = browser.get(oauth_url + "/slack/oauth_redirect?" + urllib.parse.urlencode(back))
    assert failed.status == 401
    assert installation(database, "T0SCHOOLA") is None


def test_installing_again_replaces_the_token(
    oauth_url: str, fake_slack: FakeSlack, database: Database
) -> None:
    install(oauth_url, fake_slack, team_id="T0SCHOOLA")
    install(oauth_url, fake_slack, team_id="T0SCHOOLA")
    _first, second = fake_slack.tokens_of("T0SCHOOLA")
    stored = installation(database, "T0SCHOOLA")
    assert stored is not None
    assert TokenCipher.from_setting(TOKEN_KEY).decrypt(stored.bot_token_encrypted or "") == second
    with database.sessions() as session:
        assert len(session.execute(select(Installation)).scalars().all()) == 1


def test_an_enterprise_grid_org_installs_once_for_all_its_workspaces(
    oauth_url: str, fake_slack: FakeSlack, database: Database, oauth_settings: Settings
) -> None:
    page = install(
        oauth_url, fake_slack, team_id="T0CAMPUS", enterprise_id="E0HEALTH", org_wide=True
    )
    assert page.status == 200, page.body
    stored = installation(database, "E0HEALTH")
    assert stored is not None and stored.is_enterprise_install and stored.team_id is None
    (org_token,) = fake_slack.tokens_of("E0HEALTH")
    # A workspace of the org uses Rounds: answered with the org's token, and remembered as
    # the org's, so the worker finds the token for it too.
    campus = school(oauth_url, fake_slack, "T0CAMPUS", enterprise_id="E0HEALTH", org_wide=True)
    assert "/mentor request" in command_text(campus, "/mentor", "help", user="W0STUDENT")
    assert {call.token for call in fake_slack.calls_to("auth.test")} == {org_token}
    with database.sessions() as session:
        workspace = session.execute(
            select(Workspace).where(Workspace.team_id == "T0CAMPUS")
        ).scalar_one()
        assert workspace.enterprise_id == "E0HEALTH"


def test_the_install_pages_answer_get_only_and_only_in_oauth_mode(
    oauth_url: str, http_url: str
) -> None:
    assert post(oauth_url + "/slack/install", b"", content_type="text/plain").status == 405
    assert post(oauth_url + "/slack/oauth_redirect", b"", content_type="text/plain").status == 405
    # Single-token mode has nothing to install.
    assert Browser().get(http_url + "/slack/install").status == 404
    assert Browser().get(http_url + "/slack/oauth_redirect?code=x&state=y").status == 404


def test_upgrading_a_database_with_schools_in_it_keeps_every_row(database: Database) -> None:
    config = alembic_config(database.engine)
    before_oauth = ScriptDirectory.from_config(config).get_revision("j0001").down_revision
    command.downgrade(config, str(before_oauth))
    try:
        with database.sessions.begin() as session:
            now = datetime.now(UTC)
            session.execute(
                text("INSERT INTO workspaces (id, team_id, created_at) VALUES (1, 'T0', :now)"),
                {"now": now},
            )
            session.execute(
                text(
                    "INSERT INTO people (id, workspace_id, slack_user_id, is_slack_admin, "
                    "is_coordinator, created_at, digest_off) VALUES "
                    "(1, 1, 'U1', false, false, :now, false)"
                ),
                {"now": now},
            )
    finally:
        upgrade_to_head(database.engine)
    with database.sessions() as session:
        workspace = session.execute(select(Workspace)).scalar_one()
        assert workspace.uninstalled_at is None and workspace.enterprise_id is None
        assert session.execute(text("SELECT count(*) FROM people")).scalar_one() == 1


def test_gunicorns_app_runs_oauth_mode_from_the_environment(
    database_url: str, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`bot.wsgi:app`, imported as gunicorn does, with the three settings and no bot token."""
    fake_slack.set_oauth_app(CLIENT_ID, CLIENT_SECRET)
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    monkeypatch.delenv("ROUNDS_COORDINATORS", raising=False)
    for name, value in {
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "ROUNDS_TOKEN_KEY": TOKEN_KEY,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.api_url,
        "DATABASE_URL": database_url,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delitem(sys.modules, "bot.wsgi", raising=False)
    wsgi: Any = importlib.import_module("bot.wsgi")
    server = HttpServer(wsgi.app, host="127.0.0.1", port=0).start()
    try:
        assert fake_slack.calls == []  # no token to check at start-up
        url = f"http://127.0.0.1:{server.port}"
        assert install(url, fake_slack, team_id="T0SCHOOLA").status == 200
        slack = school(url, fake_slack, "T0SCHOOLA")
        assert "/mentor request" in command_text(slack, "/mentor", "help", user="U0A")
    finally:
        server.stop(timeout=5)
        sys.modules.pop("bot.wsgi", None)
