"""The fake Slack itself, driven through the real slack_sdk clients the app uses."""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.webhook import WebhookClient

from sandbox.fake_slack import FakeSlack, SlackCall

TOKEN = "xoxb-test"
TS_PATTERN = re.compile(r"^\d{10}\.\d{6}$")
METADATA = {"event_type": "round_prompt", "event_payload": {"round_id": 7, "week": "2026-W48"}}
HOME_VIEW = {
    "type": "home",
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}],
}
MODAL = {
    "type": "modal",
    "callback_id": "goal",
    "title": {"type": "plain_text", "text": "Goal"},
    "blocks": [],
}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    server = FakeSlack().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _fresh(fake: FakeSlack) -> None:
    fake.reset()


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token=TOKEN, base_url=fake.api_url)


def slack_error(excinfo: pytest.ExceptionInfo[SlackApiError]) -> Any:
    return excinfo.value.response["error"]


def raw(
    fake: FakeSlack,
    path: str,
    body: bytes | None = None,
    *,
    content_type: str = "application/x-www-form-urlencoded",
    token: str | None = TOKEN,
) -> tuple[int, dict[str, str], bytes]:
    """A request below slack_sdk, for shapes the SDK never sends."""
    request = urllib.request.Request(fake.base_url + path, data=body)
    if body is not None:
        request.add_header("Content-Type", content_type)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


# --- identity and auth -------------------------------------------------------------------


def test_auth_test_describes_the_bot(client: WebClient) -> None:
    response = client.auth_test()
    assert response.data == {
        "ok": True,
        "url": "https://med-school.slack.com/",
        "team": "Med School",
        "user": "rounds",
        "team_id": "T0001",
        "user_id": "UBOT",
        "bot_id": "BBOT",
        "is_enterprise_install": False,
    }


def test_apps_connections_open_hands_out_a_socket_url(fake: FakeSlack) -> None:
    app_client = WebClient(token="xapp-1-A1-1-secret", base_url=fake.api_url)
    assert app_client.apps_connections_open(app_token="xapp-1-A1-1-secret")["url"] == (
        "ws://127.0.0.1:1/"
    )


@pytest.mark.parametrize(
    ("token", "error"),
    [
        (None, "not_authed"),
        ("", "not_authed"),
        ("bogus", "invalid_auth"),
        ("xoxp-1", "invalid_auth"),
    ],
)
def test_bad_tokens_are_refused_but_recorded(
    fake: FakeSlack, token: str | None, error: str
) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        WebClient(token=token, base_url=fake.api_url).auth_test()
    assert slack_error(excinfo) == error
    assert [call.token or None for call in fake.calls_to("auth.test")] == [token or None]


def test_token_may_come_as_a_form_argument(fake: FakeSlack) -> None:
    status, _, body = raw(fake, "/api/auth.test", b"token=xoxb-in-body", token=None)
    assert status == 200
    assert json.loads(body)["ok"] is True
    assert fake.calls_to("auth.test")[0].token == "xoxb-in-body"


def test_unknown_method(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.api_call("rounds.nothing")
    assert slack_error(excinfo) == "unknown_method"


# --- users -------------------------------------------------------------------------------


def test_users_are_created_on_first_sight(client: WebClient) -> None:
    user = client.users_info(user="U123")["user"]
    assert user["id"] == "U123"
    assert user["team_id"] == "T0001"
    assert user["tz"] == "America/New_York"
    assert user["tz_label"] in {"EST", "EDT"}
    assert user["tz_offset"] in {-5 * 3600, -4 * 3600}
    assert user["deleted"] is False
    assert user["is_bot"] is False
    assert user["profile"]["display_name"] == user["name"]


def test_added_users_keep_their_fields(fake: FakeSlack, client: WebClient) -> None:
    # Kolkata has no daylight saving time, so its offset is the same all year.
    fake.add_user("W42", tz="Asia/Kolkata", is_admin=True, is_owner=True, name="Priya")
    fake.add_user("U9", deleted=True)
    user = client.users_info(user="W42")["user"]
    assert (user["tz"], user["tz_offset"]) == ("Asia/Kolkata", 19800)
    assert (user["is_admin"], user["is_owner"], user["name"]) == (True, True, "Priya")
    assert user["profile"]["real_name"] == "Priya"
    assert client.users_info(user="U9")["user"]["deleted"] is True
    assert client.users_info(user="UBOT")["user"]["is_bot"] is True


@pytest.mark.parametrize("user_id", ["X123", "C0GENERAL", "B1"])
def test_users_info_answers_user_not_found(client: WebClient, user_id: str) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.users_info(user=user_id)
    assert slack_error(excinfo) == "user_not_found"


def test_add_user_rejects_unknown_time_zones(fake: FakeSlack) -> None:
    with pytest.raises(ValueError, match="time zone"):
        fake.add_user("U1", tz="Mars/Olympus_Mons")


# --- conversations -----------------------------------------------------------------------


def test_conversations_open_is_stable_per_member_set(client: WebClient) -> None:
    dm = client.conversations_open(users="U1")
    group = client.conversations_open(users=["U1", "U2"])
    again = client.conversations_open(users="U2,U1")
    assert dm["channel"]["id"].startswith("D")
    assert "already_open" not in dm.data
    assert group["channel"]["id"].startswith("G")
    assert again["channel"]["id"] == group["channel"]["id"]
    assert again["already_open"] is True
    info = client.conversations_info(channel=dm["channel"]["id"])["channel"]
    assert (info["is_im"], info["is_mpim"], info["user"]) == (True, False, "U1")
    members = client.conversations_members(channel=group["channel"]["id"])["members"]
    assert sorted(members) == ["U1", "U2", "UBOT"]
    assert client.conversations_info(channel=group["channel"]["id"])["channel"]["is_mpim"]


@pytest.mark.parametrize(
    ("users", "error"),
    [("UGONE", "user_disabled"), ("U1,UGONE", "user_disabled"), ("", "users_list_not_supplied")],
)
def test_conversations_open_errors(
    fake: FakeSlack, client: WebClient, users: str, error: str
) -> None:
    fake.add_user("UGONE", deleted=True)
    with pytest.raises(SlackApiError) as excinfo:
        client.conversations_open(users=users)
    assert slack_error(excinfo) == error


# --- messages ----------------------------------------------------------------------------


def test_post_message_and_history_with_metadata(fake: FakeSlack, client: WebClient) -> None:
    dm = client.conversations_open(users="U1")["channel"]["id"]
    first = client.chat_postMessage(channel=dm, text="plain")
    second = client.chat_postMessage(
        channel=dm,
        text="with metadata",
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}],
        metadata=METADATA,
    )
    assert TS_PATTERN.match(first["ts"])
    assert float(second["ts"]) > float(first["ts"])
    assert second["message"]["user"] == "UBOT"
    assert second["message"]["bot_id"] == "BBOT"
    assert second["message"]["metadata"] == METADATA

    history = client.conversations_history(channel=dm, include_all_metadata=True)
    assert [m["text"] for m in history["messages"]] == ["with metadata", "plain"]
    assert history["messages"][0]["metadata"] == METADATA
    assert "metadata" not in history["messages"][1]
    assert history["has_more"] is False
    assert history["response_metadata"] == {"next_cursor": ""}

    plain = client.conversations_history(channel=dm)
    assert all("metadata" not in m for m in plain["messages"])
    assert [m["metadata"] for m in fake.messages(dm)] == [None, METADATA]


@pytest.mark.parametrize("flag", ["true", "1", True])
def test_include_all_metadata_accepts_slack_truthy_values(
    client: WebClient, flag: str | bool
) -> None:
    client.chat_postMessage(channel="U1", text="x", metadata=METADATA)
    dm = client.conversations_open(users="U1")["channel"]["id"]
    args = {"channel": dm, "include_all_metadata": flag}
    # A boolean only survives as such in a JSON body; a form turns it into "1".
    if flag is True:
        response = client.api_call("conversations.history", json=args)
    else:
        response = client.api_call("conversations.history", params=args)
    assert response["messages"][0]["metadata"] == METADATA


def test_form_encoded_json_values_are_recorded_as_sent(fake: FakeSlack, client: WebClient) -> None:
    blocks = [{"type": "divider"}]
    client.api_call(
        "chat.postMessage",
        params={"channel": "U1", "blocks": json.dumps(blocks), "metadata": json.dumps(METADATA)},
    )
    call = fake.calls_to("chat.postMessage")[0]
    assert isinstance(call.args["blocks"], str)
    assert isinstance(call.args["metadata"], str)
    stored = fake.messages("U1")[0]
    assert (stored["blocks"], stored["metadata"], stored["text"]) == (blocks, METADATA, "")


def test_posting_to_a_user_id_lands_in_their_dm(fake: FakeSlack, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="U77", text="hello")
    dm = client.conversations_open(users="U77")
    assert dm["already_open"] is True
    assert posted["channel"] == dm["channel"]["id"]
    assert [m["text"] for m in fake.messages(posted["channel"])] == ["hello"]


# slack_sdk warns about a missing `text` before sending; these cases omit it on purpose.
@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"channel": "C404", "text": "x"}, "channel_not_found"),
        ({"channel": "U1"}, "no_text"),
        ({"channel": "U1", "text": ""}, "no_text"),
        ({"channel": "UGONE", "text": "x"}, "user_disabled"),
        (
            {"channel": "U1", "text": "x", "metadata": {"event_type": "x"}},
            "invalid_metadata_format",
        ),
        ({"channel": "U1", "text": "x", "blocks": "not json"}, "invalid_blocks_format"),
        ({"channel": "U1", "text": "x" * 40_001}, "msg_too_long"),
    ],
)
def test_post_message_errors(
    fake: FakeSlack, client: WebClient, kwargs: dict[str, Any], error: str
) -> None:
    fake.add_user("UGONE", deleted=True)
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(**kwargs)
    assert slack_error(excinfo) == error
    assert fake.messages() == []


def test_registered_channels_accept_posts(fake: FakeSlack, client: WebClient) -> None:
    fake.add_channel("C0GENERAL", members=["U1", "U2"])
    client.chat_postMessage(channel="C0GENERAL", text="hi all")
    info = client.conversations_info(channel="C0GENERAL")["channel"]
    assert (info["is_channel"], info["is_private"], info["num_members"]) == (True, False, 3)
    assert fake.messages("C0GENERAL")[0]["text"] == "hi all"


def test_history_pages_and_windows(client: WebClient) -> None:
    channel = client.conversations_open(users="U1")["channel"]["id"]
    stamps = [client.chat_postMessage(channel=channel, text=str(n))["ts"] for n in range(5)]

    texts: list[str] = []
    cursor = None
    for _ in range(5):
        page = client.conversations_history(channel=channel, limit=2, cursor=cursor)
        texts += [m["text"] for m in page["messages"]]
        cursor = page["response_metadata"]["next_cursor"]
        assert page["has_more"] is bool(cursor)
        if not cursor:
            break
    assert texts == ["4", "3", "2", "1", "0"]

    window = client.conversations_history(channel=channel, oldest=stamps[1], latest=stamps[3])
    assert [m["text"] for m in window["messages"]] == ["2"]
    inclusive = client.conversations_history(
        channel=channel, oldest=stamps[1], latest=stamps[3], inclusive=True
    )
    assert [m["text"] for m in inclusive["messages"]] == ["3", "2", "1"]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"channel": "D0NOTOPEN"}, "channel_not_found"),
        ({"channel": "DOPEN", "oldest": "yesterday"}, "invalid_ts_oldest"),
        ({"channel": "DOPEN", "cursor": "%%%"}, "invalid_cursor"),
    ],
)
def test_history_errors(
    fake: FakeSlack, client: WebClient, kwargs: dict[str, Any], error: str
) -> None:
    fake.add_channel("DOPEN", members=["U1"])
    with pytest.raises(SlackApiError) as excinfo:
        client.conversations_history(**kwargs)
    assert slack_error(excinfo) == error


def test_threaded_replies(fake: FakeSlack, client: WebClient) -> None:
    channel = client.conversations_open(users="U1")["channel"]["id"]
    root = client.chat_postMessage(channel=channel, text="root")["ts"]
    reply = client.chat_postMessage(channel=channel, text="one", thread_ts=root)
    # Replying to a reply continues the thread rather than starting a new one.
    nested = client.chat_postMessage(channel=channel, text="two", thread_ts=reply["ts"])
    assert nested["message"]["thread_ts"] == root
    client.chat_postMessage(channel=channel, text="shout", thread_ts=root, reply_broadcast=True)

    thread = client.conversations_replies(channel=channel, ts=root)["messages"]
    assert [m["text"] for m in thread] == ["root", "one", "two", "shout"]
    assert all(m["thread_ts"] == root for m in thread)

    history = client.conversations_history(channel=channel)["messages"]
    assert [m["text"] for m in history] == ["shout", "root"]
    assert (history[1]["reply_count"], history[1]["latest_reply"]) == (3, thread[-1]["ts"])
    assert history[0]["subtype"] == "thread_broadcast"
    assert [m["thread_ts"] for m in fake.messages(channel)] == [None, root, root, root]

    with pytest.raises(SlackApiError) as excinfo:
        client.conversations_replies(channel=channel, ts="1000000000.000001")
    assert slack_error(excinfo) == "thread_not_found"


def test_update_delete_and_ephemeral(fake: FakeSlack, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="U1", text="draft")
    channel, ts = posted["channel"], posted["ts"]
    updated = client.chat_update(channel=channel, ts=ts, text="final", metadata=METADATA)
    assert (updated["channel"], updated["ts"], updated["text"]) == (channel, ts, "final")
    assert fake.messages(channel)[0]["metadata"] == METADATA
    assert client.chat_delete(channel=channel, ts=ts)["ts"] == ts
    assert fake.messages(channel) == []
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_update(channel=channel, ts=ts, text="gone")
    assert slack_error(excinfo) == "message_not_found"

    ephemeral = client.chat_postEphemeral(channel="C0GENERAL", user="U1", text="only you")
    assert TS_PATTERN.match(ephemeral["message_ts"])
    assert fake.messages() == []


def test_reactions(fake: FakeSlack, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="U1", text="react to me")
    target = {"channel": posted["channel"], "timestamp": posted["ts"]}
    assert client.reactions_add(name="white_check_mark", **target)["ok"] is True
    with pytest.raises(SlackApiError) as excinfo:
        client.reactions_add(name=":white_check_mark:", **target)
    assert slack_error(excinfo) == "already_reacted"
    assert fake.messages("U1")[0]["reactions"] == {"white_check_mark": ["UBOT"]}
    history = client.conversations_history(channel=posted["channel"])["messages"]
    assert history[0]["reactions"] == [{"name": "white_check_mark", "users": ["UBOT"], "count": 1}]

    client.reactions_remove(name="white_check_mark", **target)
    with pytest.raises(SlackApiError) as excinfo:
        client.reactions_remove(name="white_check_mark", **target)
    assert slack_error(excinfo) == "no_reaction"
    # Users' messages in channels the fake never saw can still be reacted to.
    client.reactions_add(channel="C0GENERAL", timestamp="1700000000.000100", name="eyes")


# --- views -------------------------------------------------------------------------------


def test_views_open_update_and_push(client: WebClient) -> None:
    opened = client.views_open(trigger_id="1.trigger", view={**MODAL, "external_id": "goal-U1"})
    view = opened["view"]
    assert re.match(r"^V\w+$", view["id"])
    assert (view["callback_id"], view["title"]["text"]) == ("goal", "Goal")
    assert view["state"] == {"values": {}}
    assert view["root_view_id"] == view["id"]

    by_external = client.views_update(external_id="goal-U1", view={**MODAL, "callback_id": "v2"})
    assert by_external["view"]["id"] == view["id"]
    assert by_external["view"]["callback_id"] == "v2"
    with pytest.raises(SlackApiError) as excinfo:
        client.views_update(view_id=view["id"], hash=view["hash"], view=MODAL)
    assert slack_error(excinfo) == "hash_conflict"
    with pytest.raises(SlackApiError) as excinfo:
        client.views_update(view_id="VNOPE", view=MODAL)
    assert slack_error(excinfo) == "not_found"

    pushed = client.views_push(trigger_id="2.trigger", view=MODAL)["view"]
    assert pushed["id"] != view["id"]


@pytest.mark.parametrize("method", ["views.open", "views.push"])
def test_views_need_a_trigger_id(client: WebClient, method: str) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.api_call(method, json={"view": MODAL})
    assert slack_error(excinfo) == "invalid_arguments"


def test_triggers_it_issued_expire_when_told_to(client: WebClient, fake: FakeSlack) -> None:
    trigger_id = fake.new_trigger_id()
    client.views_open(trigger_id=trigger_id, view=MODAL)  # no trigger life: never expires
    fake.trigger_life = 0.0
    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id=trigger_id, view=MODAL)
    assert slack_error(excinfo) == "expired_trigger_id"
    assert fake.calls_to("views.open")[-1].error == "expired_trigger_id"
    client.views_open(trigger_id="9.unknown", view=MODAL)  # one it never issued still works
    fake.reset()
    assert fake.trigger_life is None


def test_views_publish_keeps_one_home_per_user(client: WebClient) -> None:
    first = client.views_publish(user_id="U1", view=HOME_VIEW)["view"]
    # The same call as a form with the view JSON-encoded, as older clients send it.
    form = {"user_id": "U1", "view": json.dumps(HOME_VIEW)}
    second = client.api_call("views.publish", params=form)["view"]
    other = client.views_publish(user_id="U2", view=HOME_VIEW)["view"]
    assert first["type"] == "home"
    assert second["id"] == first["id"]
    assert other["id"] != first["id"]


# --- response_url ------------------------------------------------------------------------


def test_response_url_posts_are_recorded(fake: FakeSlack) -> None:
    url = fake.new_response_url()
    other = fake.new_response_url()
    assert url.startswith(fake.base_url + "/commands/T0001/")
    response = WebhookClient(url).send(text="Saved.", response_type="ephemeral")
    assert (response.status_code, json.loads(response.body)) == (200, {"ok": True})
    WebhookClient(other).send(text="elsewhere")
    assert fake.response_url_posts(url) == [{"text": "Saved.", "response_type": "ephemeral"}]
    assert len(fake.response_url_posts()) == 2


def test_wait_for_response_blocks_until_the_post_arrives(fake: FakeSlack) -> None:
    url = fake.new_response_url()
    timer = threading.Timer(0.1, lambda: WebhookClient(url).send(text="later"))
    timer.start()
    try:
        assert fake.wait_for_response(url, timeout=5) == [{"text": "later"}]
    finally:
        timer.join()
    with pytest.raises(AssertionError, match="waiting for 2 post"):
        fake.wait_for_response(url, count=2, timeout=0.05)


def test_response_url_refuses_strangers_and_garbage(fake: FakeSlack) -> None:
    unknown = WebhookClient(fake.base_url + "/commands/T0001/1/nope").send(text="x")
    assert unknown.status_code == 404
    url = fake.new_response_url()
    status, _, _ = raw(fake, url[len(fake.base_url) :], b"{oops", content_type="application/json")
    assert status == 400
    assert fake.response_url_posts(url) == []


# --- fault injection ---------------------------------------------------------------------


def test_rate_limited_call_is_retried_by_the_sdk(fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage", status=429)
    client = WebClient(
        token=TOKEN,
        base_url=fake.api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    started = time.monotonic()
    assert client.chat_postMessage(channel="U1", text="hi")["ok"] is True
    assert time.monotonic() - started >= 1.0  # the SDK honoured Retry-After: 1
    assert [call.answered_ok for call in fake.calls_to("chat.postMessage")] == [False, True]
    assert len(fake.messages()) == 1


def test_rate_limit_fault_without_retries(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("users.info", status=429, retry_after=7)
    with pytest.raises(SlackApiError) as excinfo:
        client.users_info(user="U1")
    assert excinfo.value.response.status_code == 429
    assert excinfo.value.response.headers["Retry-After"] == "7"
    assert slack_error(excinfo) == "ratelimited"


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retried_by_the_sdk(fake: FakeSlack, status: int) -> None:
    fake.fail_next("conversations.open", status=status)
    client = WebClient(
        token=TOKEN,
        base_url=fake.api_url,
        retry_handlers=[
            ServerErrorRetryHandler(
                max_retry_count=1, interval_calculator=FixedValueRetryIntervalCalculator(0.01)
            )
        ],
    )
    assert client.conversations_open(users="U1")["channel"]["id"].startswith("D")
    assert [call.answered_ok for call in fake.calls_to("conversations.open")] == [False, True]


def test_server_error_body_is_html(fake: FakeSlack) -> None:
    fake.fail_next("auth.test", status=502)
    status, headers, body = raw(fake, "/api/auth.test", b"")
    assert status == 502
    assert headers["Content-Type"].startswith("text/html")
    assert b"502 Bad Gateway" in body


def test_fail_next_with_an_error_code(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("chat.postMessage", error="channel_not_found", times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as excinfo:
            client.chat_postMessage(channel="U1", text="hi")
        assert slack_error(excinfo) == "channel_not_found"
        assert excinfo.value.response.status_code == 200
    assert client.chat_postMessage(channel="U1", text="hi")["ok"] is True
    assert [c.answered_ok for c in fake.calls_to("chat.postMessage")] == [False, False, True]
    assert len(fake.messages()) == 1


def test_delay_beyond_the_client_timeout(fake: FakeSlack, client: WebClient) -> None:
    fake.delay("auth.test", 2)
    impatient = WebClient(token=TOKEN, base_url=fake.api_url, timeout=1, retry_handlers=[])
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        impatient.auth_test()
    # The slow answer is still pending in its own thread; everything else keeps working.
    assert client.auth_test()["ok"] is True
    assert len(fake.calls_to("auth.test")) == 2


def test_delay_is_applied_without_blocking_other_calls(fake: FakeSlack, client: WebClient) -> None:
    fake.delay("users.info", 0.3)
    slow: dict[str, float] = {}

    def call_slowly() -> None:
        started = time.monotonic()
        client.users_info(user="U1")
        slow["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=call_slowly)
    thread.start()
    fake.wait_for("users.info")
    started = time.monotonic()
    client.auth_test()
    assert time.monotonic() - started < 0.25
    thread.join()
    assert slow["seconds"] >= 0.3


def test_rate_limit_per_channel(fake: FakeSlack, client: WebClient) -> None:
    fake.add_channel("C1")
    fake.add_channel("C2")
    fake.set_rate_limit(per_channel_per_second=1)
    client.chat_postMessage(channel="C1", text="first")
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C1", text="too soon")
    assert excinfo.value.response.status_code == 429
    assert excinfo.value.response.headers["Retry-After"] == "1"
    client.chat_postMessage(channel="C2", text="other channel")
    assert [c.answered_ok for c in fake.calls_to("chat.postMessage")] == [True, False, True]
    assert [m["text"] for m in fake.messages()] == ["first", "other channel"]


def test_rate_limit_refills(fake: FakeSlack, client: WebClient) -> None:
    fake.add_channel("C1")
    fake.set_rate_limit(per_channel_per_second=5)
    for n in range(5):
        client.chat_postMessage(channel="C1", text=str(n))
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C1", text="burst spent")
    time.sleep(0.25)
    assert client.chat_postMessage(channel="C1", text="refilled")["ok"] is True


def test_rate_limit_per_workspace(fake: FakeSlack, client: WebClient) -> None:
    fake.set_rate_limit(workspace_per_minute=2)
    client.chat_postMessage(channel="U1", text="1")
    client.chat_postMessage(channel="U2", text="2")
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="U3", text="3")
    assert excinfo.value.response.headers["Retry-After"] == "30"
    fake.set_rate_limit()
    assert client.chat_postMessage(channel="U3", text="3")["ok"] is True


# --- recording, robustness, reset --------------------------------------------------------


def test_concurrent_posts_are_all_recorded(fake: FakeSlack, client: WebClient) -> None:
    threads = [
        threading.Thread(target=client.chat_postMessage, kwargs={"channel": f"U{n}", "text": "x"})
        for n in range(20)
    ]
    for thread in threads:
        thread.start()
    calls = fake.wait_for("chat.postMessage", count=20)
    for thread in threads:
        thread.join()
    assert len(calls) == 20
    assert len({m["ts"] for m in fake.messages()}) == 20
    assert all(isinstance(call, SlackCall) and call.token == TOKEN for call in calls)


def test_wait_for_with_a_predicate(fake: FakeSlack, client: WebClient) -> None:
    timer = threading.Timer(0.1, lambda: client.chat_postMessage(channel="U2", text="b"))
    client.chat_postMessage(channel="U1", text="a")
    timer.start()
    try:
        (call,) = fake.wait_for("chat.postMessage", lambda c: c.args["channel"] == "U2")
    finally:
        timer.join()
    assert call.args["text"] == "b"
    with pytest.raises(AssertionError, match=r"(?s)0 matched.*chat\.postMessage"):
        fake.wait_for("chat.postMessage", lambda c: c.args["text"] == "never", timeout=0.05)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"[1, 2]", "application/json"),
        (b"\xff\xfe", "application/json"),
        (b"channel=U1&text=%ff", "application/x-www-form-urlencoded"),
        (b"garbage", "multipart/form-data; boundary=xyz"),
    ],
)
def test_malformed_bodies_get_invalid_arguments(
    fake: FakeSlack, body: bytes, content_type: str
) -> None:
    status, _, reply = raw(fake, "/api/chat.postMessage", body, content_type=content_type)
    assert (status, json.loads(reply)) == (200, {"ok": False, "error": "invalid_arguments"})
    assert len(fake.calls_to("chat.postMessage")) == 1
    assert fake.messages() == []


def test_get_with_query_parameters(fake: FakeSlack) -> None:
    status, _, body = raw(fake, "/api/users.info?user=U5&include_locale=true")
    assert status == 200
    assert json.loads(body)["user"]["id"] == "U5"
    assert fake.calls_to("users.info")[0].args == {"user": "U5", "include_locale": "true"}


def test_multipart_bodies_are_parsed(fake: FakeSlack, client: WebClient) -> None:
    response = client.api_call("api.test", params={"foo": "bar"}, files={"file": b"abc"})
    assert response["args"] == {"foo": "bar"}
    assert fake.calls_to("api.test")[0].args["file"] == b"abc"


def test_reset_forgets_everything(fake: FakeSlack, client: WebClient) -> None:
    url = fake.new_response_url()
    WebhookClient(url).send(text="x")
    client.chat_postMessage(channel="U1", text="x")
    fake.add_user("U1", deleted=True)
    fake.fail_next("auth.test", error="invalid_auth")
    fake.set_rate_limit(workspace_per_minute=1)

    fake.reset()

    assert (fake.calls, fake.messages(), fake.response_url_posts()) == ([], [], [])
    assert client.auth_test()["ok"] is True
    assert client.users_info(user="U1")["user"]["deleted"] is False
    assert client.chat_postMessage(channel="U1", text="a")["ok"] is True
    assert client.chat_postMessage(channel="U1", text="b")["ok"] is True
    assert WebhookClient(url).send(text="x").status_code == 404


# --- program tools: e-mail look-ups and files ------------------------------------------------


def test_users_lookup_by_email_finds_only_users_given_that_email(
    fake: FakeSlack, client: WebClient
) -> None:
    fake.add_user("U0PATEL", email="Patel@Med.example", tz="America/Chicago")
    user = client.users_lookupByEmail(email="patel@med.example")["user"]
    assert (user["id"], user["tz"], user["profile"]["email"]) == (
        "U0PATEL",
        "America/Chicago",
        "Patel@Med.example",
    )
    with pytest.raises(SlackApiError) as excinfo:
        client.users_lookupByEmail(email="nobody@med.example")
    assert slack_error(excinfo) == "users_not_found"


def test_a_users_file_downloads_only_with_the_bot_token(fake: FakeSlack, client: WebClient) -> None:
    shown = fake.add_file("cohort.csv", b"mentee,mentor\n")
    info = client.files_info(file=shown["id"])["file"]
    assert (info["name"], info["filetype"], info["size"]) == ("cohort.csv", "csv", 14)
    request = urllib.request.Request(info["url_private_download"])
    with urllib.request.urlopen(request, timeout=5) as response:
        assert b"Sign in" in response.read()  # Slack's login page, not the file
    request.add_header("Authorization", f"Bearer {TOKEN}")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.read() == b"mentee,mentor\n"
    with pytest.raises(SlackApiError) as excinfo:
        client.files_info(file="F0NOSUCHFILE")
    assert slack_error(excinfo) == "file_not_found"


def test_files_upload_v2_shares_the_bytes_in_the_channel(
    fake: FakeSlack, client: WebClient
) -> None:
    dm = client.conversations_open(users="U0COORD")["channel"]["id"]
    client.files_upload_v2(
        channel=dm, content=b"a,b\n1,2\n", filename="export.csv", initial_comment="Here"
    )
    (shared,) = fake.uploaded_files("U0COORD")
    assert (shared["name"], shared["content"], shared["initial_comment"]) == (
        "export.csv",
        b"a,b\n1,2\n",
        "Here",
    )
    methods = [call.method for call in fake.calls]
    assert methods[-2:] == ["files.getUploadURLExternal", "files.completeUploadExternal"]


def test_views_refuse_more_than_100_blocks(fake: FakeSlack, client: WebClient) -> None:
    block = {"type": "divider"}
    client.views_publish(user_id="U0A", view={"type": "home", "blocks": [block] * 100})
    with pytest.raises(SlackApiError) as excinfo:
        client.views_publish(user_id="U0A", view={"type": "home", "blocks": [block] * 101})
    assert slack_error(excinfo) == "invalid_arguments"
