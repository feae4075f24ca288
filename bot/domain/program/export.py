"""The program export: one CSV row per pair of one workspace — counts and dates only,
never anything anyone wrote."""

from __future__ import annotations

import bisect
import csv
import io
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from bot.domain.cadence import zone
from bot.domain.schedule import cadence_of
from bot.store import export as export_queries
from bot.store.models import GoalStatus

COLUMNS = (
    "mentee",
    "mentor",
    "state",
    "started",
    "ended",
    "cadence",
    "check-ins completed",
    "last check-in",
    "prompts sent",
    "prompts answered",
    "goals open",
    "goals done",
    "thanks sent",
)


def _day(moment: datetime | None, tz_name: str | None) -> str:
    return moment.astimezone(zone(tz_name)).date().isoformat() if moment is not None else ""


def answered_prompts(prompts: Sequence[datetime], activity: Sequence[datetime]) -> int:
    """Prompts followed by a check-in, reply or "we met" before the next prompt."""
    answered = 0
    for index, sent in enumerate(prompts):
        until = prompts[index + 1] if index + 1 < len(prompts) else None
        first = bisect.bisect_left(activity, sent)
        if first < len(activity) and (until is None or activity[first] < until):
            answered += 1
    return answered


def export_rows(session: Session, *, workspace_id: int) -> list[list[str]]:
    pairs = export_queries.pairs_of_workspace(session, workspace_id=workspace_id)
    completed = export_queries.completed_checkins(session, workspace_id=workspace_id)
    goal_counts = export_queries.goal_counts(session, workspace_id=workspace_id)
    prompts = export_queries.sent_prompt_times(session, workspace_id=workspace_id)
    activity = export_queries.activity_times(session, workspace_id=workspace_id)
    rows = []
    for pair in pairs:
        tz = pair.mentee.tz
        sent = prompts.get(pair.id, [])
        rows.append(
            [
                pair.mentee.slack_user_id,
                pair.mentor.slack_user_id,
                pair.state.value,
                _day(pair.activated_at, tz),
                _day(pair.ended_at, tz),
                cadence_of(pair).describe(),
                str(completed.get(pair.id, 0)),
                _day(pair.last_complete_checkin_at, tz),
                str(len(sent)),
                str(answered_prompts(sent, activity.get(pair.id, []))),
                str(goal_counts.get((pair.id, GoalStatus.OPEN), 0)),
                str(goal_counts.get((pair.id, GoalStatus.DONE), 0)),
                str(pair.thanks_sent),
            ]
        )
    return rows


def export_csv(session: Session, *, workspace_id: int) -> tuple[bytes, int]:
    """The CSV as UTF-8 with a BOM (so Excel reads it right), and its number of pairs."""
    rows = export_rows(session, workspace_id=workspace_id)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8"), len(rows)
