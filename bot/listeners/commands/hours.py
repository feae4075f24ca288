"""`/mentor hours HH:MM-HH:MM`: a person's own working hours; nudges to them stay inside."""

from __future__ import annotations

from bot.blocks import hours as hours_blocks
from bot.blocks.help import usage_for
from bot.domain import pairs
from bot.domain.hours import clash_not_told, hours_of, parse_hours, set_hours
from bot.domain.schedule import replan_same_day
from bot.listeners.hours_notice import hours_clash_notice
from bot.listeners.notify import tell
from bot.listeners.people import actor
from bot.listeners.replies import answer
from bot.listeners.request import SlackRequest
from bot.listeners.zones import moment_for, zoned
from bot.store.models import PairState


def handle_hours(request: SlackRequest, text: str) -> None:
    me = actor(request)
    if not text.strip():
        own = me.work_start is not None
        current = hours_of(me, default=request.hours)
        answer(
            request,
            hours_blocks.your_hours(zoned(me), current.start, current.end, own=own)
            + f"\nChange them with `{usage_for('/mentor', 'hours').example}`.",
        )
        return
    set_hours(me, parse_hours(text))
    lines = []
    for pair in pairs.live_pairs_of(request.session, me):
        if pair.state is PairState.ACTIVE:
            replan_same_day(pair, hours=request.hours)
        if pair.state is PairState.ACTIVE and pair.next_prompt_at is not None:
            other = pairs.other_member(pair, me)
            lines.append(
                f"• With <@{other.slack_user_id}>: next nudge "
                f"{moment_for(pair, pair.next_prompt_at, viewer=me)}"
            )
        if pair.state in (PairState.ACTIVE, PairState.PAUSED):
            notice = hours_clash_notice(pair, default=request.hours, now=request.now)
            if notice:
                channel = pair.checkin_channel_id
                text_ = "Heads-up: your working hours never overlap."
                told = tell(request, channel, text_, notice) if channel else False
                if not told:
                    clash_not_told(pair)
    request.session.commit()
    current = hours_of(me, default=request.hours)
    answer(
        request,
        hours_blocks.your_hours(
            zoned(me), current.start, current.end, own=me.work_start is not None
        )
        + ("\n" + "\n".join(lines) if lines else ""),
    )
