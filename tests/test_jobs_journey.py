"""The nudge engine as a coordinator meets it: pair people in Slack, preview the semester,
then tick the clock forward with `python -m jobs tick --at` and watch the nudges arrive."""

from __future__ import annotations

import itertools
import json
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.config import Settings
from bot.domain.cadence import add_working_days, local_instant, zone
from bot.service import Database
from bot.store.models import Delivery, DeliveryKind, Pair
from sandbox.fake_slack import FakeSlack
from tests.slack_requests import SlackSender
from tests.test_jobs_cli import run_jobs
from tests.test_journey import command_text

STUDENT, MENTOR, COORDINATOR = "U0STUDENT", "U0MENTOR", "UCOORD"


def test_a_semester_of_nudges_through_the_command_line(
    slack: SlackSender,
    fake_slack: FakeSlack,
    database: Database,
    settings: Settings,
    tmp_path: Path,
) -> None:
    fake_slack.add_user(STUDENT, tz="America/Los_Angeles")
    fake_slack.add_user(MENTOR, tz="America/Los_Angeles")
    assert "Paired" in command_text(
        slack, "/mentor", f"pair <@{STUDENT}> <@{MENTOR}>", user=COORDINATOR
    )
    (welcome,) = fake_slack.wait_for(
        "chat.postMessage", lambda c: "Welcome" in str(c.args.get("text"))
    )
    space = welcome.args["channel"]
    with database.sessions() as session:
        first = session.execute(select(Pair)).scalar_one().next_prompt_at
    local_first = first.astimezone(zone("America/Los_Angeles"))
    assert (local_first.strftime("%A"), local_first.hour) == ("Tuesday", 9)

    preview = run_jobs("preview", "--weeks", "16", settings=settings, cwd=tmp_path)
    assert preview.returncode == 0, preview.stderr
    prompts = [line for line in preview.stdout.splitlines() if "check-in prompt" in line]
    days = [date.fromisoformat(line.split()[0]) for line in prompts]
    assert days[0] == local_first.date()
    assert {later - earlier for earlier, later in itertools.pairwise(days)} == {timedelta(weeks=2)}
    assert len(days) >= 7  # sixteen weeks from today, every two weeks
    assert all("09:00" in line and "America/Los_Angeles" in line for line in prompts)
    posts_before = len(fake_slack.calls_to("chat.postMessage"))

    def tick(instant) -> str:  # type: ignore[no-untyped-def]
        result = run_jobs("tick", "--at", instant.isoformat(), settings=settings, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert "sent 0" in tick(first - timedelta(minutes=1))
    assert "sent 1" in tick(first)
    prompt = fake_slack.calls_to("chat.postMessage")[posts_before]
    assert prompt.args["channel"] == space and "Time to check in" in prompt.args["text"]

    follow_up_at = local_instant(
        add_working_days(local_first.date(), 3),
        local_first.time().replace(tzinfo=None),
        zone("America/Los_Angeles"),
    )
    assert "sent 1" in tick(follow_up_at)
    follow_up = fake_slack.calls_to("chat.postMessage")[-1]
    prompt_ts = next(m["ts"] for m in fake_slack.messages(space) if "Time to check in" in m["text"])
    assert follow_up.args["thread_ts"] == prompt_ts

    for author, words in ((STUDENT, "Sorry, busy week!"), (MENTOR, "No worries — Thursday?")):
        event = {
            "type": "message",
            "channel": space,
            "channel_type": "mpim",
            "user": author,
            "text": words,
            "ts": f"{time.time():.6f}",
            "thread_ts": prompt_ts,
        }
        assert slack.event(event).status == 200
    fake_slack.wait_for("reactions.add", count=2)
    with database.sessions() as session:
        gratitude = session.execute(
            select(Delivery).where(Delivery.kind == DeliveryKind.GRATITUDE)
        ).scalar_one()
    local_gratitude = gratitude.due_at.astimezone(zone("America/Los_Angeles"))
    assert local_gratitude.date() == add_working_days(
        follow_up_at.astimezone(zone("America/Los_Angeles")).date(), 1
    )
    assert local_gratitude.hour == 9
    assert "sent 1" in tick(gratitude.due_at)
    thanks = fake_slack.calls_to("chat.postMessage")[-1]
    assert thanks.args["channel"] == STUDENT
    assert "Send thanks" in json.dumps(thanks.args["blocks"])
