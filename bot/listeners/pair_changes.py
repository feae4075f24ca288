"""What both members hear when a pair's rhythm, pause or ending changes — from a slash
command or from a Home tab form alike. Every time is on the reader's own clock."""

from __future__ import annotations

from datetime import date

from bot.blocks.times import calendar_day
from bot.domain import endings, pairs, phi_guard
from bot.domain.errors import UserError
from bot.listeners.home import refresh_homes
from bot.listeners.notify import tell
from bot.listeners.parsing import PAUSE_EXAMPLE
from bot.listeners.replies import answer
from bot.listeners.request import SlackRequest
from bot.listeners.zones import moment_for, rhythm
from bot.store.models import Pair, Person


def _next_nudge(pair: Pair, viewer: Person | None) -> str:
    if pair.next_prompt_at is None:
        return "—"
    return moment_for(pair, pair.next_prompt_at, viewer=viewer)


def announce_cadence(request: SlackRequest, pair: Pair, me: Person) -> None:
    answer(
        request,
        f":calendar: Check-ins are now {rhythm(pair, viewer=me, now=request.now)}. "
        f"Next nudge: {_next_nudge(pair, me)}.",
    )
    if pair.checkin_channel_id:
        tell(
            request,
            pair.checkin_channel_id,
            f"<@{me.slack_user_id}> set your check-in rhythm to "
            f"{rhythm(pair, viewer=None, now=request.now)}. "
            f"Next nudge: {_next_nudge(pair, None)}.",
        )
    refresh_homes(request, [pair.mentee, pair.mentor])


def check_pause_reason(reason: str) -> None:
    """A pause reason is shown to the other member: it must not carry patient information."""
    findings = phi_guard.scan(reason)
    if findings:
        raise UserError(
            f"This may contain patient information ({phi_guard.describe(findings)}). A pause "
            "reason is a note for your pair: leave that out. Nothing was paused.",
            example=PAUSE_EXAMPLE,
        )


def announce_pause(
    request: SlackRequest, pair: Pair, me: Person, *, until: date, reason: str | None
) -> None:
    """The reason goes to the other member and nowhere else: it is not stored."""
    other = pairs.other_member(pair, me)
    shared = f" They'll see your reason: {reason}" if reason else ""
    answer(
        request,
        f":pause_button: No nudges with <@{other.slack_user_id}> until "
        f"{calendar_day(until)}.{shared}",
    )
    why = f" — {reason}" if reason else ""
    tell(
        request,
        other.slack_user_id,
        f":pause_button: <@{me.slack_user_id}> paused your Rounds check-ins until "
        f"{calendar_day(until)}{why}. `/mentor resume <@{me.slack_user_id}>` starts them sooner.",
    )
    refresh_homes(request, [pair.mentee, pair.mentor])


def announce_resume(request: SlackRequest, pair: Pair, me: Person) -> None:
    other = pairs.other_member(pair, me)
    answer(
        request,
        f":arrow_forward: Check-ins with <@{other.slack_user_id}> are back on. "
        f"Next nudge: {_next_nudge(pair, me)}.",
    )
    tell(
        request,
        other.slack_user_id,
        f":arrow_forward: <@{me.slack_user_id}> resumed your Rounds check-ins. "
        f"Next nudge: {_next_nudge(pair, other)}.",
    )
    refresh_homes(request, [pair.mentee, pair.mentor])


def end_pair(request: SlackRequest, pair: Pair, me: Person) -> bool:
    """End the pair (history kept; both wrap-ups planned). False for an alumni pair, whose
    members have been told the catch-ups stopped; else `tell_ended` tells the members."""
    ending = endings.end_pair(
        request.session, pair=pair, actor=me, hours=request.hours, now=request.now
    )
    request.session.commit()
    if ending.was_alumni:
        # listeners.endings reaches this module through /mentor's commands: import late.
        from bot.listeners.endings import tell_catch_ups_stopped

        tell_catch_ups_stopped(request, pair, actor=me)
        return False
    return True


def tell_ended(request: SlackRequest, pair: Pair, me: Person) -> None:
    """Tell the members who did not end it, and refresh both Home tabs."""
    for member in (pair.mentee, pair.mentor):
        if member.id != me.id:
            tell(
                request,
                member.slack_user_id,
                f"<@{me.slack_user_id}> ended the Rounds mentorship pair of "
                f"<@{pair.mentee.slack_user_id}> and <@{pair.mentor.slack_user_id}>. "
                "No more check-in nudges will come.",
            )
    refresh_homes(request, [pair.mentee, pair.mentor])
