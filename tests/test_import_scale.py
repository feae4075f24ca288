"""An import of a cohort asks Slack about its people with a few calls: from DIRECTORY_FROM
e-mail addresses on, the workspace's directory is read a page at a time (users.list) and only
the addresses not in it are looked up one by one."""

from __future__ import annotations

from bot.config import Settings
from bot.slack_out import DIRECTORY_FROM, DIRECTORY_PAGE, look_up_people, make_web_client
from sandbox.fake_slack import FakeSlack


def _people(fake_slack: FakeSlack, count: int) -> list[str]:
    emails = []
    for index in range(count):
        fake_slack.add_user(
            f"U7{index:07d}", email=f"Student{index}@School.example", tz="Europe/Berlin"
        )
        emails.append(f"student{index}@school.example")
    return emails


def test_a_cohort_is_found_in_the_directory_and_only_the_rest_one_by_one(
    fake_slack: FakeSlack, settings: Settings
) -> None:
    count = DIRECTORY_PAGE + DIRECTORY_FROM  # more than one page
    emails = _people(fake_slack, count)
    fake_slack.add_user("U0GONE", email="left@school.example", deleted=True)
    refs = [*emails, "left@school.example", "typo@school.example", "U0BYID"]
    found = look_up_people(make_web_client(settings), refs)
    assert set(found) == set(refs)
    assert found["student7@school.example"].slack_user_id == "U70000007"
    assert found["student7@school.example"].tz == "Europe/Berlin"
    assert found["left@school.example"].deleted
    assert found["typo@school.example"].slack_user_id is None
    assert found["U0BYID"].slack_user_id == "U0BYID"
    pages = fake_slack.calls_to("users.list")
    assert len(pages) == 2 and all(int(c.args["limit"]) == DIRECTORY_PAGE for c in pages)
    # Only what the directory did not have: the typo (to be sure), and the user ID.
    assert [c.args["email"] for c in fake_slack.calls_to("users.lookupByEmail")] == [
        "typo@school.example"
    ]
    assert len(fake_slack.calls_to("users.info")) == 1


def test_a_few_addresses_are_looked_up_one_by_one(
    fake_slack: FakeSlack, settings: Settings
) -> None:
    emails = _people(fake_slack, DIRECTORY_FROM - 1)
    found = look_up_people(make_web_client(settings), emails)
    assert all(found[email].slack_user_id for email in emails)
    assert fake_slack.calls_to("users.list") == []
    assert len(fake_slack.calls_to("users.lookupByEmail")) == len(emails)


def test_the_directory_waits_out_a_rate_limit(fake_slack: FakeSlack, settings: Settings) -> None:
    emails = _people(fake_slack, DIRECTORY_FROM)
    fake_slack.fail_next("users.list", status=429, retry_after=1)
    client = make_web_client(settings, rate_limit_retries=0)
    found = look_up_people(client, emails)
    assert all(found[email].slack_user_id for email in emails)
    assert len(fake_slack.calls_to("users.list")) == 2
    assert fake_slack.calls_to("users.lookupByEmail") == []
