"""The fake Slack as several workspaces: installs through oauth.v2.access, tokens that act in
their own team only, token rotation and revocation, and rate limits per team."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from sandbox.fake_slack import FakeSlack

CLIENT_ID, SECRET = "111.222", "s3cr3ts3cr3ts3cr3t"
CONSENT = "http://slack.invalid/oauth/v2/authorize?" + urllib.parse.urlencode(
    {"client_id": CLIENT_ID, "scope": "chat:write,im:write", "state": "st4te"}
)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    server = FakeSlack().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _fresh(fake: FakeSlack) -> None:
    fake.reset()
    fake.set_oauth_app(CLIENT_ID, SECRET)


def installed(fake: FakeSlack, team: str, **kwargs: object) -> WebClient:
    back = fake.approve_install(CONSENT, team_id=team, **kwargs)  # type: ignore[arg-type]
    assert back["state"] == "st4te"
    answer = WebClient(base_url=fake.api_url).oauth_v2_access(
        client_id=CLIENT_ID, client_secret=SECRET, code=back["code"]
    )
    return WebClient(token=answer["access_token"], base_url=fake.api_url)


def error_of(call: object) -> str:
    with pytest.raises(SlackApiError) as failed:
        call()  # type: ignore[operator]
    return str(failed.value.response["error"])


def test_a_code_becomes_a_token_of_its_team_once(fake: FakeSlack) -> None:
    back = fake.approve_install(CONSENT, team_id="T0A", installer="U0BOSS")
    anonymous = WebClient(base_url=fake.api_url)
    answer = anonymous.oauth_v2_access(client_id=CLIENT_ID, client_secret=SECRET, code=back["code"])
    assert answer["team"]["id"] == "T0A" and answer["authed_user"]["id"] == "U0BOSS"
    assert answer["scope"] == "chat:write,im:write" and answer["token_type"] == "bot"
    assert "refresh_token" not in answer.data  # type: ignore[operator]
    assert fake.installed_scopes("T0A") == ["chat:write", "im:write"]
    code = back["code"]
    assert (
        error_of(
            lambda: anonymous.oauth_v2_access(client_id=CLIENT_ID, client_secret=SECRET, code=code)
        )
        == "invalid_code"
    )
    assert (
        error_of(
            lambda: anonymous.oauth_v2_access(client_id=CLIENT_ID, client_secret="no", code="x")
        )
        == "bad_client_secret"
    )
    who = WebClient(token=answer["access_token"], base_url=fake.api_url).auth_test()
    assert (who["team_id"], who["user_id"]) == ("T0A", "UB0A")


def test_each_team_has_its_own_conversations_and_users(fake: FakeSlack) -> None:
    a, b = installed(fake, "T0A"), installed(fake, "T0B")
    fake.add_user("U1", tz="Europe/London", team="T0A")
    assert a.users_info(user="U1")["user"]["tz"] == "Europe/London"
    assert b.users_info(user="U1")["user"]["tz"] == "America/New_York"  # another U1
    space_a = a.conversations_open(users="U1,U2")["channel"]["id"]
    space_b = b.conversations_open(users="U1,U2")["channel"]["id"]
    assert space_a != space_b
    a.chat_postMessage(channel=space_a, text="hello A")
    assert error_of(lambda: b.chat_postMessage(channel=space_a, text="peek")) == "channel_not_found"
    assert error_of(lambda: b.conversations_history(channel=space_a)) == "channel_not_found"
    assert [m["text"] for m in fake.messages(space_a)] == ["hello A"]
    b.chat_postMessage(channel="U1", text="DM in B")
    assert [m["text"] for m in fake.messages("U1", team="T0B")] == ["DM in B"]
    assert fake.messages("U1", team="T0A") == []
    # The home team's IDs and tokens are as they always were.
    home = WebClient(token="xoxb-anything", base_url=fake.api_url)
    assert home.auth_test()["team_id"] == "T0001"
    assert home.conversations_open(users="U1,U2")["channel"]["id"] not in (space_a, space_b)


def test_an_uninstalled_teams_tokens_are_revoked(fake: FakeSlack) -> None:
    a, b = installed(fake, "T0A"), installed(fake, "T0B")
    fake.uninstall("T0A")
    assert error_of(a.auth_test) == "token_revoked"
    assert b.auth_test()["team_id"] == "T0B"
    home = WebClient(token="xoxb-anything", base_url=fake.api_url)
    fake.uninstall("T0001")
    assert error_of(home.auth_test) == "token_revoked"
    fake.reinstall("T0001")
    assert home.auth_test()["ok"]


def test_rotating_tokens_expire_and_refresh_tokens_work_once(fake: FakeSlack) -> None:
    fake.set_oauth_app(CLIENT_ID, SECRET, token_lifetime=-1)  # expired on arrival
    back = fake.approve_install(CONSENT, team_id="T0A")
    anonymous = WebClient(base_url=fake.api_url)
    answer = anonymous.oauth_v2_access(client_id=CLIENT_ID, client_secret=SECRET, code=back["code"])
    assert answer["expires_in"] == -1 and answer["refresh_token"].startswith("xoxe-")
    expired = WebClient(token=answer["access_token"], base_url=fake.api_url)
    assert error_of(expired.auth_test) == "token_expired"
    fake.set_oauth_app(CLIENT_ID, SECRET, token_lifetime=43200)
    refresh = answer["refresh_token"]
    fresh = anonymous.oauth_v2_access(
        client_id=CLIENT_ID, client_secret=SECRET, grant_type="refresh_token", refresh_token=refresh
    )
    assert WebClient(token=fresh["access_token"], base_url=fake.api_url).auth_test()["ok"]
    assert (
        error_of(
            lambda: anonymous.oauth_v2_access(
                client_id=CLIENT_ID,
                client_secret=SECRET,
                grant_type="refresh_token",
                refresh_token=refresh,
            )
        )
        == "invalid_refresh_token"
    )


def test_an_org_wide_install_acts_as_the_org(fake: FakeSlack) -> None:
    org = installed(fake, "T0NORTH", enterprise_id="E0HEALTH", org_wide=True)
    who = org.auth_test()
    assert who["is_enterprise_install"] and who["enterprise_id"] == "E0HEALTH"


def test_rate_limits_and_faults_can_hit_one_team_only(fake: FakeSlack) -> None:
    a, b = installed(fake, "T0A"), installed(fake, "T0B")
    fake.set_rate_limit(workspace_per_minute=1, team="T0A")
    a.chat_postMessage(channel="U1", text="1")
    assert error_of(lambda: a.chat_postMessage(channel="U1", text="2")) == "ratelimited"
    for text in "123":
        b.chat_postMessage(channel="U1", text=text)  # B's budget is its own (and unlimited)
    fake.fail_next("auth.test", error="internal_error", team="T0B")
    assert a.auth_test()["ok"]
    assert error_of(b.auth_test) == "internal_error"
