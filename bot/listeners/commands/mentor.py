"""/mentor — pairs: request, pair, list, cadence, pause, resume, end, coordinators."""

from __future__ import annotations

from collections.abc import Callable

from bot.blocks import endings as ending_blocks
from bot.blocks import pairs as pair_blocks
from bot.blocks.help import usage_for
from bot.domain import endings, pairs, people
from bot.domain.cadence import parse_cadence
from bot.domain.errors import UserError
from bot.domain.hours import hours_of
from bot.domain.schedule import cadence_of
from bot.listeners import guard, spaces
from bot.listeners.commands.directory import handle_find, handle_offer
from bot.listeners.commands.dispatch import run_subcommand
from bot.listeners.commands.help import handle_help
from bot.listeners.commands.hours import handle_hours
from bot.listeners.commands.record import handle_record
from bot.listeners.commands.typos import typo_error
from bot.listeners.guard import clear_to_post
from bot.listeners.history import past_lines
from bot.listeners.home import refresh_homes
from bot.listeners.notify import tell
from bot.listeners.overview import overview_for
from bot.listeners.pair_changes import (
    announce_cadence,
    announce_pause,
    announce_resume,
    check_pause_reason,
)
from bot.listeners.parsing import (
    MENTION,
    leading_mention,
    parse_number,
    parse_pause,
    split_pause_reason,
    split_subcommand,
)
from bot.listeners.people import actor, look_up, mentioned
from bot.listeners.presenters import pair_line
from bot.listeners.program import commands as program
from bot.listeners.replies import answer
from bot.listeners.request import SlackRequest
from bot.store.models import Pair, PairState, Person

MAX_NOTE_LENGTH = 1000


def _example(subcommand: str) -> str:
    return usage_for("/mentor", subcommand).example


def handle_request(request: SlackRequest, text: str) -> None:
    example = _example("request")
    mentor_id, note = leading_mention(text, who="the mentor you'd like", example=example)
    if len(note) > MAX_NOTE_LENGTH:
        raise UserError(f"Keep the note under {MAX_NOTE_LENGTH} characters.", example=example)
    look_up(request, [mentor_id])  # while the student's own profile is read
    mentee = actor(request)
    mentor = mentioned(request, mentor_id, example=example)
    if note and not clear_to_post(request, [note], kind=guard.REQUEST, replay=text, verb="Send"):
        return
    pair = pairs.request_mentor(
        request.session,
        mentee=mentee,
        mentor=mentor,
        default_capacity=request.settings.mentor_capacity,
        now=request.now,
    )
    request.session.commit()
    answer(
        request,
        f":outbox_tray: Your request went to <@{mentor_id}>. You'll hear here when they answer.",
    )
    text_, blocks = pair_blocks.request_dm(pair_id=pair.id, mentee=mentee.slack_user_id, note=note)
    if not tell(request, mentor_id, text_, blocks):
        # Nobody would ever see the request: withdraw it so the student can try again.
        request.session.delete(pair)
        request.session.commit()
        answer(
            request,
            f":warning: I couldn't reach <@{mentor_id}> by DM, so the request was withdrawn. "
            "Please try again later, or ask your coordinator to pair you.",
        )


def start_pair(
    request: SlackRequest, pair: Pair, *, intro: str, already_told: Person | None = None
) -> None:
    """After a pair becomes active: check-in space, welcome, both members told — except the
    one who made it happen and already saw it (a mentor who pressed Accept)."""
    spaces.open_with_welcome(request, pair)
    for member in (pair.mentee, pair.mentor):
        if already_told is not None and member.id == already_told.id:
            continue
        other = pairs.other_member(pair, member)
        tell(
            request,
            member.slack_user_id,
            f"{intro} You and <@{other.slack_user_id}> are now paired in Rounds.",
        )
    refresh_homes(request, [pair.mentee, pair.mentor])


def handle_pair(request: SlackRequest, text: str) -> None:
    example = _example("pair")
    look_up(request, MENTION.findall(text)[:2])  # both at once, while the coordinator's is read
    coordinator = actor(request)
    people.require_coordinator(
        coordinator, configured=request.settings.coordinators, action="pair people directly"
    )
    mentee_id, rest = leading_mention(text, who="the mentee", example=example)
    mentor_id, rest = leading_mention(rest, who="the mentor (after the mentee)", example=example)
    if rest:
        raise UserError(f"I didn't expect {rest!r} after the two names.", example=example)
    mentee = mentioned(request, mentee_id, example=example)
    mentor = mentioned(request, mentor_id, example=example)
    pair = pairs.pair_directly(
        request.session,
        mentee=mentee,
        mentor=mentor,
        default_capacity=request.settings.mentor_capacity,
        hours=request.hours,
        now=request.now,
    )
    request.session.commit()
    answer(
        request, f":white_check_mark: Paired <@{mentee_id}> (mentee) with <@{mentor_id}> (mentor)."
    )
    start_pair(request, pair, intro=f":handshake: <@{coordinator.slack_user_id}> paired you.")


def handle_list(request: SlackRequest, text: str) -> None:
    found = overview_for(
        request, states=(*pairs.LIVE_STATES, *endings.PAST_STATES), with_goals=False
    )
    lines = [
        pair_line(pair, found.person, now=request.now)
        for pair in found.pairs
        if pair.state in pairs.LIVE_STATES
    ]
    past = []
    if any(pair.state in endings.PAST_STATES for pair in found.pairs):
        # History takes more than the one query (records, check-ins): only for those with one.
        past = past_lines(request, actor(request))
    answer(request, *ending_blocks.pair_list_with_past(lines, past))


def _pair_with_mentioned(
    request: SlackRequest, text: str, subcommand: str
) -> tuple[Pair, Person, str]:
    example = _example(subcommand)
    other_id, rest = leading_mention(text, who="the other person in your pair", example=example)
    me = actor(request)
    other = people.person_for(request.session, workspace=me.workspace, slack_user_id=other_id)
    pair = pairs.require_pair_with(request.session, actor=me, other=other, example=example)
    return pair, me, rest


def handle_cadence(request: SlackRequest, text: str) -> None:
    pair, me, rest = _pair_with_mentioned(request, text, "cadence")
    # The rhythm runs on the mentee's clock, so its time must sit in the mentee's hours.
    mentee_hours = hours_of(pair.mentee, default=request.hours)
    cadence = parse_cadence(rest, current=cadence_of(pair), hours=mentee_hours)
    pairs.set_cadence(pair, cadence=cadence, hours=request.hours, now=request.now)
    request.session.commit()
    announce_cadence(request, pair, me)


def handle_pause(request: SlackRequest, text: str) -> None:
    pair, me, rest = _pair_with_mentioned(request, text, "pause")
    duration, reason = split_pause_reason(rest)
    until = parse_pause(duration, today=pairs.pair_today(pair, now=request.now))
    if reason:
        check_pause_reason(reason)
    pairs.pause(pair, until=until, now=request.now)
    request.session.commit()
    announce_pause(request, pair, me, until=until, reason=reason)


def handle_resume(request: SlackRequest, text: str) -> None:
    pair, me, _ = _pair_with_mentioned(request, text, "resume")
    pairs.resume(pair, hours=request.hours, now=request.now)
    request.session.commit()
    announce_resume(request, pair, me)


def handle_end(request: SlackRequest, text: str) -> None:
    me = actor(request)
    mentions = MENTION.findall(text)
    if len(mentions) == 2:
        # A coordinator ends someone else's pair: /mentor end @mentee @mentor
        people.require_coordinator(
            me, configured=request.settings.coordinators, action="end other people's pairs"
        )
        first, second = (
            people.person_for(request.session, workspace=me.workspace, slack_user_id=uid)
            for uid in mentions
        )
        pair = endings.endable_pair_between(request.session, a=first, b=second)
        if pair is None:
            raise UserError(
                f"<@{mentions[0]}> and <@{mentions[1]}> are not paired.",
                example="/mentor end @Sam Lee @Dr. Patel",
            )
        label = f"<@{pair.mentee.slack_user_id}> and <@{pair.mentor.slack_user_id}>"
    else:
        other_id, _ = leading_mention(
            text, who="the other person in your pair", example=_example("end")
        )
        other = people.person_for(request.session, workspace=me.workspace, slack_user_id=other_id)
        pair = endings.endable_pair_between(request.session, a=me, b=other)
        if pair is None:
            raise UserError(
                f"You and <@{other_id}> are not paired in Rounds. `/mentor list` shows your pairs.",
                example=_example("end"),
            )
        label = f"<@{other_id}>"
    if pair.state is PairState.ALUMNI:
        answer(request, *ending_blocks.stop_catch_ups_confirmation(pair_id=pair.id, label=label))
        return
    text_, blocks = pair_blocks.end_confirmation(pair_id=pair.id, label=label)
    answer(request, text_, blocks)


def handle_capacity(request: SlackRequest, text: str) -> None:
    example = _example("capacity")
    user_id, rest = leading_mention(text, who="the mentor", example=example)
    capacity = parse_number(rest, what="number of mentees", example=example)
    if user_id != request.user_id:
        look_up(request, [user_id])
    me = actor(request)
    mentor = me if user_id == me.slack_user_id else mentioned(request, user_id, example=example)
    people.set_capacity(
        actor=me, mentor=mentor, capacity=capacity, configured=request.settings.coordinators
    )
    request.session.commit()
    whose = "You take" if mentor.id == me.id else f"<@{user_id}> takes"
    answer(request, f":busts_in_silhouette: {whose} up to {capacity} active mentees.")


def handle_coordinator(request: SlackRequest, text: str) -> None:
    example = _example("coordinator")
    verb, rest = split_subcommand(text)
    if verb != "add":
        raise UserError("The only coordinator command is `add`.", example=example)
    look_up(request, MENTION.findall(rest)[:1])
    me = actor(request)
    people.require_coordinator(
        me, configured=request.settings.coordinators, action="add coordinators"
    )
    user_id, _ = leading_mention(rest, who="the new coordinator", example=example)
    target = mentioned(request, user_id, example=example)
    added = people.add_coordinator(
        request.session, actor=me, target=target, configured=request.settings.coordinators
    )
    request.session.commit()
    if not added:
        answer(request, f"<@{user_id}> is already a coordinator.")
        return
    answer(request, f":white_check_mark: <@{user_id}> is now a program coordinator.")
    tell(
        request,
        user_id,
        f"<@{me.slack_user_id}> made you a Rounds program coordinator. Your Home tab now shows "
        "the program summary, and `/mentor pair @mentee @mentor` pairs people directly.",
    )
    refresh_homes(request, [target])


def handle_unknown(request: SlackRequest, text: str) -> None:
    if not text:
        handle_help(request)
        return
    if typo := typo_error("/mentor", text.split()[0]):
        raise typo  # a near miss: "Did you mean `/mentor list`?"
    raise UserError(
        f"`/mentor {text.split()[0]}` isn't a command; `/mentor help` lists them all.",
        example=_example("request"),
    )


SUBCOMMANDS: dict[str, Callable[[SlackRequest, str], None]] = {
    "help": handle_help,
    "request": handle_request,
    "pair": handle_pair,
    "list": handle_list,
    "cadence": handle_cadence,
    "pause": handle_pause,
    "resume": handle_resume,
    "end": handle_end,
    "capacity": handle_capacity,
    "coordinator": handle_coordinator,
    "import": program.handle_import,
    "export": program.handle_export,
    "calendar": program.handle_calendar,
    "digest": program.handle_digest,
    "offer": handle_offer,
    "find": handle_find,
    "record": handle_record,
    "hours": handle_hours,
}


def handle_mentor(request: SlackRequest) -> None:
    run_subcommand(request, subcommands=SUBCOMMANDS, default=handle_unknown)
