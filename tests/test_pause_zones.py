"""A pause is validated and computed in one zone: the pair's (the mentee's), whoever asks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.service import Database
from bot.store.models import Pair, PairState
from sandbox.fake_slack import FakeSlack
from tests.factories import make_pair
from tests.slack_requests import SlackSender
from tests.test_journey import command_text

STUDENT, MENTOR = "U0STUDENT", "U0MENTOR"
# 25 hours apart: the mentor's date is always one or two days ahead of the student's.
AHEAD, BEHIND = "Pacific/Kiritimati", "Pacific/Pago_Pago"


def today_in(tz: str) -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(tz)).date()


def test_the_longest_pause_works_from_a_zone_ahead_of_the_mentees(
    slack: SlackSender, fake_slack: FakeSlack, database: Database
) -> None:
    fake_slack.add_user(STUDENT, tz=BEHIND)
    fake_slack.add_user(MENTOR, tz=AHEAD)
    pair_id = make_pair(database, mentee=STUDENT, mentor=MENTOR, mentee_tz=BEHIND, mentor_tz=AHEAD)
    before = today_in(BEHIND)
    shown = command_text(slack, "/mentor", f"pause <@{STUDENT}> for 26 weeks", user=MENTOR)
    after = today_in(BEHIND)
    assert "No nudges" in shown, shown
    with database.sessions() as session:
        pair = session.get_one(Pair, pair_id)
        assert pair.state is PairState.PAUSED
        # Counted from the student's today, the zone nudges and the pause's end follow.
        assert pair.paused_until in {day + timedelta(weeks=26) for day in (before, after)}
