"""/mentor record — a mentor's mentoring record, privately, and as a CSV file in their DM."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.blocks import record as record_blocks
from bot.domain import record
from bot.listeners.people import actor
from bot.listeners.replies import answer
from bot.listeners.request import SlackRequest
from bot.slack_out import upload_to_dm

log = logging.getLogger("rounds.record")


def _names(request: SlackRequest, slack_user_ids: Iterable[str]) -> dict[str, str]:
    """Display names for the file (a CSV cannot show mentions); fetched, never stored."""
    names: dict[str, str] = {}
    for slack_user_id in dict.fromkeys(slack_user_ids):
        try:
            user = request.client.users_info(user=slack_user_id)["user"]
        except SlackApiError:
            continue  # the ID stands in for the name
        profile = user.get("profile") or {}
        names[slack_user_id] = (
            str(user.get("real_name") or profile.get("display_name") or user.get("name") or "")
            or slack_user_id
        )
    return names


def handle_record(request: SlackRequest, text: str) -> None:
    me = actor(request)
    records = record.mentoring_record(request.session, mentor=me, now=request.now)
    sums = record.totals(records)
    lines = [
        record_blocks.RecordLine(
            mentee=item.mentee,
            state=item.state.value,
            started=item.started,
            ended=item.ended,
            months=item.months,
            checkins=item.checkins_completed,
            thanks=item.thanks_received,
        )
        for item in records
    ]
    totals = record_blocks.RecordTotals(
        mentees=sums.mentees,
        current=sums.current,
        months=sums.months,
        checkins=sums.checkins_completed,
        thanks=sums.thanks_received,
    )
    answer(request, *record_blocks.record(lines=lines, totals=totals, file_coming=True))
    # After the answer: Slack has had its acknowledgement, the file can take its time.
    content = record.record_csv(records, names=_names(request, (r.mentee for r in records)))
    today = request.now.date().isoformat()
    try:
        upload_to_dm(
            request.client,
            slack_user_id=me.slack_user_id,
            filename=f"rounds-mentoring-record-{today}.csv",
            content=content.encode(),
            comment=(
                "Your Rounds mentoring record for your dossier: every mentee, dates, months, "
                "check-ins completed and thanks received — counts only."
            ),
        )
    except (SlackApiError, SlackRequestError, OSError) as error:
        log.warning("could not upload a mentoring record: %s", error)
        answer(
            request,
            ":warning: Slack didn't take the CSV file just now; run `/mentor record` again "
            "in a minute to get it.",
        )
