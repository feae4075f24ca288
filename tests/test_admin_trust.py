"""A Slack admin flag is privilege, so it fails closed: trusted for a day after Slack last
confirmed it, dropped when Slack cannot be asked, and back as soon as Slack says so again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.config import Settings
from bot.domain import people
from bot.service import Database
from bot.slack_out import make_web_client
from bot.store.models import Person, Workspace
from jobs.profiles import refresh_stale_profiles
from sandbox.fake_slack import FakeSlack
from tests.factories import make_pair, make_person
from tests.slack_requests import SlackSender
from tests.test_journey import command_text
from tests.test_nudges import HOURS

STUDENT, MENTOR, ADMIN = "U0STUDENT", "U0MENTOR", "U0ADMIN"
REFUSED = "Only program coordinators"
ASKED = "End the mentorship pair with"


def cached_admin(database: Database, *, confirmed: timedelta) -> int:
    """ADMIN as Rounds last saw them: a Slack admin, confirmed by Slack `confirmed` ago."""
    with database.sessions.begin() as session:
        person = make_person(
            session,
            ADMIN,
            is_slack_admin=True,
            profile_refreshed_at=datetime.now(UTC) - confirmed,
        )
        return person.workspace_id


def end_as_admin(slack: SlackSender) -> str:
    return command_text(slack, "/mentor", f"end <@{STUDENT}> <@{MENTOR}>", user=ADMIN)


def test_a_demoted_admin_is_no_coordinator_while_slack_cannot_confirm_the_flag(
    slack: SlackSender, fake_slack: FakeSlack, database: Database
) -> None:
    make_pair(database, mentee=STUDENT, mentor=MENTOR)
    cached_admin(database, confirmed=timedelta(days=2))
    fake_slack.add_user(ADMIN, is_admin=False)  # demoted in Slack since
    fake_slack.fail_next("users.info", status=503, times=5)
    assert REFUSED in end_as_admin(slack)


def test_a_recently_confirmed_admin_is_trusted_without_asking_slack(
    slack: SlackSender, fake_slack: FakeSlack, database: Database
) -> None:
    make_pair(database, mentee=STUDENT, mentor=MENTOR)
    cached_admin(database, confirmed=timedelta(hours=1))
    fake_slack.fail_next("users.info", status=503, times=5)
    assert ASKED in end_as_admin(slack)
    assert fake_slack.calls_to("users.info") == []


def test_a_real_admin_is_a_coordinator_again_as_soon_as_slack_answers(
    slack: SlackSender, fake_slack: FakeSlack, database: Database
) -> None:
    make_pair(database, mentee=STUDENT, mentor=MENTOR)
    cached_admin(database, confirmed=timedelta(days=2))
    fake_slack.add_user(ADMIN, is_admin=True)
    fake_slack.fail_next("users.info", status=503)
    assert REFUSED in end_as_admin(slack)
    assert ASKED in end_as_admin(slack)


@pytest.mark.parametrize("slack_says", ["demoted", "nothing"])
def test_the_profile_refresher_keeps_no_admin_flag_slack_does_not_confirm(
    settings: Settings, fake_slack: FakeSlack, database: Database, slack_says: str
) -> None:
    # Not in any pair, and never acting: only the refresher looks at them.
    workspace_id = cached_admin(database, confirmed=timedelta(days=2))
    fake_slack.add_user(ADMIN, is_admin=False)
    if slack_says == "nothing":
        fake_slack.fail_next("users.info", status=503)
    client = make_web_client(settings, server_error_retries=0)
    refresh_stale_profiles(database.sessions, client, hours=HOURS, now=datetime.now(UTC))
    with database.sessions() as session:
        workspace = session.get(Workspace, workspace_id)
        assert workspace is not None
        told = people.coordinators(session, workspace=workspace, configured=frozenset())
        assert [person.slack_user_id for person in told] == []  # no coordinator alerts
        (admin,) = [p for p in session.query(Person) if p.slack_user_id == ADMIN]
        # Unanswered, it is asked again on the next pass or action, not a week later.
        assert people.profile_is_stale(admin, now=datetime.now(UTC)) is (slack_says == "nothing")
