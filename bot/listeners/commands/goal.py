"""/goal — a mentee's goals: add, list, done, drop."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import date

from bot.blocks import goals as goal_blocks
from bot.blocks.help import usage_for
from bot.blocks.times import calendar_day
from bot.domain import goals, pairs
from bot.domain.cadence import zone
from bot.domain.errors import UserError
from bot.listeners import guard
from bot.listeners.commands.dispatch import run_subcommand
from bot.listeners.commands.help import handle_help
from bot.listeners.commands.typos import typo_error
from bot.listeners.guard import clear_to_post
from bot.listeners.home import refresh_homes
from bot.listeners.names import person_named
from bot.listeners.overview import overview_for
from bot.listeners.parsing import FOR_MENTION, FOR_TYPED_NAME, parse_goal_add, parse_number
from bot.listeners.people import actor
from bot.listeners.presenters import goal_line
from bot.listeners.replies import answer
from bot.listeners.request import SlackRequest
from bot.store.models import Goal, GoalStatus, Pair, PairState, Person

RUNNING = (PairState.ACTIVE, PairState.PAUSED)


def mentee_pairs(request: SlackRequest, me: Person) -> Sequence[Pair]:
    return [
        pair
        for pair in pairs.live_pairs_of(request.session, me)
        if pair.mentee_id == me.id and pair.state in RUNNING
    ]


def _no_mentor_yet(me: Person, request: SlackRequest, *, verb: str = "add") -> UserError:
    mentees = [
        pair.mentee.slack_user_id
        for pair in pairs.live_pairs_of(request.session, me)
        if pair.mentor_id == me.id
    ]
    if mentees and verb in {"done", "drop"}:
        who = " or ".join(f"<@{mentee}>" for mentee in mentees[:3])
        return UserError(
            f"Goals belong to the mentee, so {who} marks them {verb}: it is their progress "
            "to record. You see their goals with `/goal list`, and can cheer them on in your "
            "check-in space.",
            example="/goal list",
        )
    if mentees:
        return UserError(
            "Goals belong to the mentee: your mentees add theirs, and you see them with "
            "`/goal list`.",
            example="/goal list",
        )
    return UserError(
        "You need a mentor before adding goals. Ask someone with `/mentor request @mentor`.",
        example="/mentor request @Dr. Patel I'd love guidance on research",
    )


def add_to_pair(request: SlackRequest, pair: Pair, text: str, due_on: date | None) -> Goal:
    today = request.now.astimezone(zone(pair.mentee.tz)).date()
    goal = goals.add_goal(
        request.session, pair=pair, text=text, due_on=due_on, today=today, now=request.now
    )
    request.session.commit()
    due = f" (by {calendar_day(goal.due_on)})" if goal.due_on else ""
    answer(
        request,
        f":dart: Goal {goal.number} added{due}: {goal.text}\n"
        f"<@{pair.mentor.slack_user_id}> can see it too. "
        f"`/goal done {goal.number}` when it's done.",
    )
    refresh_homes(request, [pair.mentee, pair.mentor])
    return goal


def handle_add(request: SlackRequest, text: str) -> None:
    example = usage_for("/goal", "add").example
    me = actor(request)
    parsed = parse_goal_add(text, today=request.now.astimezone(zone(me.tz)).date())
    goal_text = goals.check_goal_text(parsed.text)
    candidates = mentee_pairs(request, me)
    if not candidates:
        raise _no_mentor_yet(me, request)
    if parsed.mentor_user_id:
        chosen = [pair for pair in candidates if pair.mentor.slack_user_id == parsed.mentor_user_id]
        if not chosen:
            raise UserError(
                f"<@{parsed.mentor_user_id}> isn't one of your mentors.", example=example
            )
        candidates = chosen
    elif parsed.mentor_name:
        named = person_named(request, parsed.mentor_name, [pair.mentor for pair in candidates])
        if named is None:
            raise UserError(
                f"I couldn't tell which of your mentors @{parsed.mentor_name} is. Pick them "
                "from Slack's @ autocomplete list so the name turns into a mention; nothing "
                "was added.",
                example=example,
            )
        candidates = [pair for pair in candidates if pair.mentor_id == named.id]
    if not clear_to_post(request, [goal_text], kind=guard.GOAL, replay=text, verb="Add"):
        return
    if len(candidates) == 1:
        add_to_pair(request, candidates[0], goal_text, parsed.due_on)
        return
    today = request.now.astimezone(zone(me.tz)).date()
    if parsed.due_on is not None and parsed.due_on < today:
        raise UserError(
            f"{parsed.due_on.isoformat()} has passed; pick a date from today on.", example=example
        )
    payload: dict[str, object] = {
        "text": goal_text,
        "due": parsed.due_on.isoformat() if parsed.due_on else None,
    }
    choices = [(pair.id, pair.mentor.slack_user_id) for pair in candidates]
    once = secrets.token_hex(4)  # a double click adds nothing twice; asking again does
    answer(request, *goal_blocks.choose_pair(choices=choices, payload=payload, once=once))


def handle_list(request: SlackRequest, text: str) -> None:
    found = overview_for(request, states=RUNNING, with_goals=True)
    groups = [
        goal_blocks.PairGoals(
            mentee=pair.mentee.slack_user_id,
            mentor=pair.mentor.slack_user_id,
            viewer_is_mentee=pair.mentee_id == found.person.id,
            open=[goal_line(goal) for goal in pair.goals if goal.status is GoalStatus.OPEN],
            # Only done goals of the last 90 days come with the overview.
            recently_done=[
                goal_line(goal) for goal in pair.goals if goal.status is GoalStatus.DONE
            ],
        )
        for pair in found.pairs
    ]
    # The mentee's own goals first, then those of the people they mentor.
    groups.sort(key=lambda group: not group.viewer_is_mentee)
    answer(request, *goal_blocks.goal_list(groups))


def close_and_tell(request: SlackRequest, goal: Goal, status: GoalStatus) -> None:
    goals.close_goal(goal, status=status, now=request.now)
    request.session.commit()
    if status is GoalStatus.DONE:
        answer(request, f":tada: Goal {goal.number} done: ~{goal.text}~")
    else:
        answer(request, f"Goal {goal.number} dropped: ~{goal.text}~")
    refresh_homes(request, [goal.pair.mentee, goal.pair.mentor])


def _closer(status: GoalStatus) -> Callable[[SlackRequest, str], None]:
    verb = "done" if status is GoalStatus.DONE else "drop"

    def handle(request: SlackRequest, text: str) -> None:
        example = usage_for("/goal", verb).example
        me = actor(request)
        number_text, mentor_id, mentor_name = text, None, None
        if match := FOR_MENTION.search(text):  # "/goal done 2 for @Dr. Patel"
            number_text, mentor_id = text[: match.start()], match[1]
        elif match := FOR_TYPED_NAME.search(text):  # the same, typed as plain text
            number_text, mentor_name = text[: match.start()], match[1].strip()
        number = parse_number(number_text, what="goal number", example=example)
        candidates = mentee_pairs(request, me)
        if not candidates:
            raise _no_mentor_yet(me, request, verb=verb)
        if mentor_name is not None:
            named = person_named(request, mentor_name, [pair.mentor for pair in candidates])
            if named is None:
                raise UserError(
                    f"I couldn't tell which of your mentors @{mentor_name} is; pick them from "
                    "Slack's @ autocomplete list.",
                    example=example,
                )
            mentor_id = named.slack_user_id
        if mentor_id is not None:
            candidates = [pair for pair in candidates if pair.mentor.slack_user_id == mentor_id]
            if not candidates:
                raise UserError(f"<@{mentor_id}> isn't one of your mentors.", example=example)
        found = goals.goals_numbered(request.session, pairs=candidates, number=number)
        goal = goals.pick_goal(found, number=number, verb=verb)
        if goal is None:
            # The same number in several pairs: ask which mentor, with buttons.
            choices = [(item.id, item.pair.mentor.slack_user_id) for item in found]
            answer(request, *goal_blocks.choose_goal(number=number, verb=verb, choices=choices))
            return
        close_and_tell(request, goal, status)

    handle.__name__ = f"handle_{verb}"
    return handle


def handle_unknown(request: SlackRequest, text: str) -> None:
    word = text.split()[0] if text else ""
    if word and (typo := typo_error("/goal", word)):
        raise typo  # a near miss: "Did you mean `/goal list`?"
    problem = f"`/goal {word}` isn't a command." if word else "Say what to do with your goals."
    raise UserError(
        problem + " Use add, list, done or drop; `/mentor help` explains all commands.",
        example=usage_for("/goal", "add").example,
    )


SUBCOMMANDS: dict[str, Callable[[SlackRequest, str], None]] = {
    "add": handle_add,
    "list": handle_list,
    "done": _closer(GoalStatus.DONE),
    "drop": _closer(GoalStatus.DROPPED),
    "help": handle_help,
}


def handle_goal(request: SlackRequest) -> None:
    run_subcommand(request, subcommands=SUBCOMMANDS, default=handle_unknown)
