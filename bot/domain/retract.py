"""Taking back a check-in: the author may delete their post while nobody has answered it."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from bot.domain.errors import UserError
from bot.store import checkins as checkin_queries
from bot.store import pairs as pair_queries
from bot.store.models import CheckInPost, Pair


def unanswered_post(session: Session, *, pairs: Sequence[Pair]) -> CheckInPost:
    """The mentee's newest check-in post whose round is still unanswered, or a clear refusal."""
    for pair in pairs:
        pair_queries.lock(session, pair)
    found = checkin_queries.latest_unanswered_post(session, pair_ids=[pair.id for pair in pairs])
    if found is None:
        raise UserError(
            "You have no unanswered check-in to delete. Once your mentor has replied, or one "
            "of you pressed *We met*, the post stays: it is part of your conversation.",
            example="/checkin status",
        )
    return found


def forget(session: Session, post: CheckInPost) -> None:
    """The post is gone. A round with no other post never had the mentee's check-in, and it
    held nothing else (`unanswered_post` returns only rounds without an answer or a
    meeting): it goes too."""
    if checkin_queries.other_posts_of_round(session, post=post) == 0:
        session.delete(post.checkin)
    else:
        session.delete(post)
    session.flush()
