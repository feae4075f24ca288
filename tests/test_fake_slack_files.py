"""The fake Slack's v2 file upload, driven by slack_sdk's files_upload_v2 as the app uses it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fake_slack import FakeSlack
from tests.test_fake_slack import TOKEN, raw


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


def test_files_upload_v2_shares_the_bytes_in_a_dm(fake: FakeSlack, client: WebClient) -> None:
    dm = client.conversations_open(users="U0MENTOR")["channel"]["id"]
    done = client.files_upload_v2(
        channel=dm,
        content="mentee,months\nU0ANA,6.0\n",
        filename="record.csv",
        title="Record",
        initial_comment="Your record",
    )
    assert done["file"]["name"] == "record.csv"
    (shared,) = fake.files("U0MENTOR")
    assert shared["content"] == b"mentee,months\nU0ANA,6.0\n"
    assert (shared["title"], shared["channels"], shared["initial_comment"]) == (
        "Record",
        [dm],
        "Your record",
    )
    methods = [call.method for call in fake.calls]
    assert methods == [
        "conversations.open",
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    assert fake.files("C0ELSEWHERE") == []


def test_completing_needs_the_bytes_and_a_known_channel(fake: FakeSlack, client: WebClient) -> None:
    started = client.files_getUploadURLExternal(filename="a.csv", length=3)
    listed = [{"id": started["file_id"], "title": "a"}]
    with pytest.raises(SlackApiError) as nothing_uploaded:
        client.files_completeUploadExternal(files=listed)
    assert nothing_uploaded.value.response["error"] == "file_not_found"
    path = started["upload_url"].removeprefix(fake.base_url)
    assert raw(fake, path, b"abc", token=None)[0] == 200
    assert raw(fake, path, b"abc", token=None)[0] == 404  # a URL takes one upload
    with pytest.raises(SlackApiError) as unknown_channel:
        client.files_completeUploadExternal(files=listed, channel_id="C0NOWHERE")
    assert unknown_channel.value.response["error"] == "channel_not_found"
    assert client.files_completeUploadExternal(files=listed)["files"][0]["id"] == started["file_id"]
    assert fake.files()[0]["channels"] == []  # completed, shared nowhere: private


@pytest.mark.parametrize("length", ["0", "-1", "x"])
def test_a_length_must_be_a_positive_number(
    fake: FakeSlack, client: WebClient, length: str
) -> None:
    status, _, body = raw(
        fake, "/api/files.getUploadURLExternal", f"filename=a.csv&length={length}".encode()
    )
    assert status == 200 and json.loads(body)["error"] == "invalid_arguments"


def test_the_declared_length_must_match(fake: FakeSlack, client: WebClient) -> None:
    started = client.files_getUploadURLExternal(filename="a.csv", length=10)
    raw(fake, started["upload_url"].removeprefix(fake.base_url), b"short", token=None)
    with pytest.raises(SlackApiError) as mismatch:
        client.files_completeUploadExternal(files=[{"id": started["file_id"], "title": "a"}])
    assert mismatch.value.response["error"] == "invalid_file_length"
