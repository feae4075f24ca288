"""What the fake Slack does in Slack's place for the sandbox: people's own messages, ephemeral
answers, response URLs acting on the message they came from, modals by trigger, files."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from sandbox.fake_slack import FakeSlack

TOKEN = "xoxb-test"
MODAL = {
    "type": "modal",
    "callback_id": "goal",
    "title": {"type": "plain_text", "text": "Goal"},
    "blocks": [],
}
BUTTONS = [{"type": "actions", "elements": [{"type": "button", "action_id": "a", "text": {}}]}]


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


def test_a_persons_message_is_theirs_not_the_bots(fake: FakeSlack, client: WebClient) -> None:
    space = client.conversations_open(users="U1,U2")["channel"]["id"]
    root = client.chat_postMessage(channel=space, text="Time to check in")["ts"]
    reply = fake.post_as("U2", space, "See you Tuesday", thread_ts=root)
    assert reply["user"] == "U2"
    assert reply["thread_ts"] == root
    (history_reply,) = [
        m
        for m in client.conversations_replies(channel=space, ts=root)["messages"]
        if m["ts"] != root
    ]
    assert history_reply["user"] == "U2"
    assert "bot_id" not in history_reply  # how apps tell a person from a bot
    assert fake.messages(space)[0]["user"] == fake.bot_user_id


def test_post_as_refuses_strangers_and_missing_threads(fake: FakeSlack, client: WebClient) -> None:
    space = client.conversations_open(users="U1,U2")["channel"]["id"]
    with pytest.raises(ValueError, match="not in conversation"):
        fake.post_as("U3", space, "hi")
    with pytest.raises(ValueError, match="no message"):
        fake.post_as("U1", space, "hi", thread_ts="1.000001")


def test_a_user_id_means_their_dm_with_the_bot(fake: FakeSlack, client: WebClient) -> None:
    dm = fake.dm_channel("U1")
    assert client.conversations_open(users="U1")["channel"]["id"] == dm
    fake.post_as("U1", "U1", "hello")
    assert [m["text"] for m in fake.messages(dm)] == ["hello"]


def test_ephemerals_are_kept_for_the_person_who_sees_them(
    fake: FakeSlack, client: WebClient
) -> None:
    client.chat_postEphemeral(channel="G1", user="U1", text="only you")
    fake.add_ephemeral("U2", "G1", "answer to your command")
    assert [e["text"] for e in fake.ephemerals("U1")] == ["only you"]
    assert [e["text"] for e in fake.ephemerals("U2")] == ["answer to your command"]
    assert len(fake.ephemerals()) == 2


def test_replace_original_replaces_the_message_the_button_was_in(
    fake: FakeSlack, client: WebClient
) -> None:
    dm = fake.dm_channel("U1")
    ts = client.chat_postMessage(channel=dm, text="Accept?", blocks=BUTTONS)["ts"]
    url = fake.new_response_url(user="U1", channel=dm, message_ts=ts)
    WebhookClient(url).send(text="Accepted", blocks=[], replace_original=True)
    (message,) = fake.messages(dm)
    assert (message["ts"], message["text"], message["blocks"]) == (ts, "Accepted", [])
    assert fake.response_url_posts(url)[0]["text"] == "Accepted"  # still recorded, as before


def test_a_response_without_replace_is_a_new_ephemeral(fake: FakeSlack, client: WebClient) -> None:
    dm = fake.dm_channel("U1")
    ts = client.chat_postMessage(channel=dm, text="Accept?")["ts"]
    url = fake.new_response_url(user="U1", channel=dm, message_ts=ts)
    WebhookClient(url).send(text="That button is out of date", replace_original=False)
    assert fake.messages(dm)[0]["text"] == "Accept?"
    assert [e["text"] for e in fake.ephemerals("U1")] == ["That button is out of date"]


def test_responses_replace_and_delete_ephemerals(fake: FakeSlack) -> None:
    first = fake.add_ephemeral("U1", "D1", "Which pair?")
    url = fake.new_response_url(user="U1", channel="D1", ephemeral_id=first["id"])
    WebhookClient(url).send(text="Posting to your pair…", replace_original=True)
    assert [e["text"] for e in fake.ephemerals("U1")] == ["Posting to your pair…"]
    WebhookClient(url).send(text="", delete_original=True)
    assert fake.ephemerals("U1") == []


def test_in_channel_responses_are_messages(fake: FakeSlack, client: WebClient) -> None:
    space = client.conversations_open(users="U1,U2")["channel"]["id"]
    url = fake.new_response_url(user="U1", channel=space)
    WebhookClient(url).send(text="for everyone", response_type="in_channel")
    assert [m["text"] for m in fake.messages(space)] == ["for everyone"]


def test_response_urls_without_a_source_only_record(fake: FakeSlack) -> None:
    url = fake.new_response_url()
    WebhookClient(url).send(text="hi", replace_original=True)
    assert fake.response_url_posts(url) == [{"text": "hi", "replace_original": True}]
    assert fake.ephemerals() == [] and fake.messages() == []


def test_views_are_found_by_the_trigger_that_opened_them(
    fake: FakeSlack, client: WebClient
) -> None:
    opened = client.views_open(trigger_id="T1", view=MODAL)["view"]
    pushed = client.views_push(trigger_id="T1", view={**MODAL, "callback_id": "second"})["view"]
    client.views_update(view_id=opened["id"], view={**MODAL, "callback_id": "updated"})
    found = fake.views_opened_with("T1")
    assert [v["id"] for v in found] == [opened["id"], pushed["id"]]
    assert found[0]["callback_id"] == "updated"
    assert fake.views_opened_with("T2") == []
    assert fake.view(opened["id"])["callback_id"] == "updated"  # type: ignore[index]


def test_put_view_updates_and_pushes_like_a_response_action(
    fake: FakeSlack, client: WebClient
) -> None:
    opened = client.views_open(trigger_id="T1", view=MODAL)["view"]
    updated = fake.put_view({**MODAL, "callback_id": "step2"}, view_id=opened["id"])
    assert (updated["id"], updated["callback_id"]) == (opened["id"], "step2")
    pushed = fake.put_view({**MODAL, "callback_id": "step3"}, previous_view_id=opened["id"])
    assert pushed["id"] != opened["id"]
    assert pushed["previous_view_id"] == opened["id"]


def test_home_view_is_the_last_published(fake: FakeSlack, client: WebClient) -> None:
    assert fake.home_view("U1") is None
    client.views_publish(user_id="U1", view={"type": "home", "blocks": []})
    client.views_publish(user_id="U1", view={"type": "home", "blocks": [{"type": "divider"}]})
    assert fake.home_view("U1")["blocks"] == [{"type": "divider"}]  # type: ignore[index]


def test_uploaded_files_are_served_to_the_bot(fake: FakeSlack, client: WebClient) -> None:
    file = fake.add_file("pairs.csv", b"mentee,mentor\n", user="U1")
    info = client.files_info(file=file["id"])["file"]
    assert (info["name"], info["size"], info["user"]) == ("pairs.csv", 14, "U1")
    request = urllib.request.Request(
        info["url_private_download"], headers={"Authorization": f"Bearer {TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.read() == b"mentee,mentor\n"
    with urllib.request.urlopen(info["url_private"], timeout=5) as response:
        assert b"Sign in" in response.read()  # no token: Slack's sign-in page, not the file
    with pytest.raises(SlackApiError) as excinfo:
        client.files_info(file="F404")
    assert excinfo.value.response["error"] == "file_not_found"


def test_activity_changes_with_traffic_and_world(fake: FakeSlack, client: WebClient) -> None:
    before = fake.activity()
    client.auth_test()
    after_call = fake.activity()
    fake.add_ephemeral("U1", "D1", "hi")
    assert before < after_call < fake.activity()


def test_users_and_conversations_are_listed(fake: FakeSlack, client: WebClient) -> None:
    fake.add_user("U1", name="Maya Chen", tz="Europe/London")
    space = client.conversations_open(users="U1,U2")["channel"]["id"]
    assert any(u["id"] == "U1" and u["tz"] == "Europe/London" for u in fake.users())
    (listed,) = fake.conversations_of("U1")
    assert listed["id"] == space
    assert listed["is_mpim"] and set(listed["members"]) == {"U1", "U2", fake.bot_user_id}


def test_calls_keep_what_the_method_answered(fake: FakeSlack, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="U1", text="hello")
    fake.fail_next("chat.postMessage", status=429)
    with pytest.raises(SlackApiError):
        WebClient(token=TOKEN, base_url=fake.api_url, retry_handlers=[]).chat_postMessage(
            channel="U1", text="again"
        )
    first, refused = fake.calls_to("chat.postMessage")
    assert first.answer is not None and first.answer["ts"] == posted["ts"]
    assert refused.answer is None  # the injected 429 answered, not the method
