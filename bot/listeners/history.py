"""Past pairs (ended and alumni), as `/mentor list` and the Home tab show them: from rows to
the plain data the builders take."""

from __future__ import annotations

from bot.blocks import endings as ending_blocks
from bot.blocks.common import Block, context, divider, header
from bot.domain import endings
from bot.domain.pairs import other_member
from bot.domain.record import record_of
from bot.listeners.request import SlackRequest
from bot.listeners.zones import zoned
from bot.store.models import Pair, PairState, Person

PAST_ON_HOME = 6


def _past_line(
    request: SlackRequest, pair: Pair, viewer: Person, *, checkins: int, with_goals: bool
) -> ending_blocks.PastLine:
    counted = record_of(pair, checkins_completed=checkins, reader=viewer, now=request.now)
    goals = (
        [
            ending_blocks.PastGoal(goal.number, goal.text, goal.status.value)
            for goal in endings.goals_of(request.session, pair)
        ]
        if with_goals
        else []
    )
    said_yes = endings.keeps_in_touch(pair, viewer)
    still_possible = pair.state is PairState.ENDED and not endings.stopped_keeping_in_touch(pair)
    return ending_blocks.PastLine(
        pair_id=pair.id,
        role="mentor" if pair.mentee_id == viewer.id else "mentee",
        other=other_member(pair, viewer).slack_user_id,
        state=pair.state.value,
        started=counted.started,
        ended=counted.ended,
        together=ending_blocks.Together(
            months=counted.months, checkins=checkins, thanks=pair.thanks_sent
        ),
        next_catch_up=pair.next_prompt_at if pair.state is PairState.ALUMNI else None,
        goals=goals,
        can_keep_in_touch=still_possible and not said_yes,
        waiting_for_other=still_possible and said_yes,
        zones=[zoned(viewer), zoned(other_member(pair, viewer))],
    )


def past_lines(
    request: SlackRequest, person: Person, *, limit: int | None = None, with_goals: bool = False
) -> list[ending_blocks.PastLine]:
    past = list(endings.past_pairs_of(request.session, person))
    shown = past if limit is None else past[:limit]
    counts = endings.completed_checkins(request.session, shown)
    return [
        _past_line(request, pair, person, checkins=counts.get(pair.id, 0), with_goals=with_goals)
        for pair in shown
    ]


def home_history_blocks(request: SlackRequest, person: Person) -> list[Block]:
    """Ended and alumni pairs, with their goals, for the Home tab."""
    past = endings.past_pairs_of(request.session, person)
    if not past:
        return []
    lines = past_lines(request, person, limit=PAST_ON_HOME, with_goals=True)
    blocks: list[Block] = [divider(), header("Past mentorships")]
    for line in lines:
        blocks.extend(ending_blocks.past_pair_blocks(line))
    if len(past) > PAST_ON_HOME:
        blocks.append(context(f"…and {len(past) - PAST_ON_HOME} more: `/mentor list`."))
    return blocks
