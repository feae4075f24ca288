"""The mentor directory: people offer to mentor with topics in their own words, students
find mentors with open seats whose topics match, and mentees are invited to pay it forward.

Topics are shown only inside the workspace they were written in.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.domain.cadence import WorkingHours, next_working_moment, zone
from bot.domain.errors import UserError
from bot.domain.hours import hours_of
from bot.domain.pairs import CAPACITY_STATES, LIVE_STATES, mentor_capacity
from bot.store import deliveries
from bot.store import directory as directory_queries
from bot.store.models import DeliveryKind, MentorOffer, Pair, Person

MAX_TOPICS_LENGTH = 300
OFFER_EXAMPLE = "/mentor offer surgery research Match advice"
FIND_EXAMPLE = "/mentor find surgery"
PAY_IT_FORWARD_AFTER = timedelta(days=365)
PAY_IT_FORWARD_PERIOD = "first-checkin"
# Words that say nothing about a topic ("mentors in surgery for research").
IGNORED_WORDS = frozenset(
    {"a", "an", "and", "or", "the", "in", "on", "of", "for", "to", "with", "about", "mentor"}
)
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Listing:
    person: Person
    topics: str
    capacity: int
    mentees: int

    @property
    def open_seats(self) -> int:
        return max(0, self.capacity - self.mentees)


@dataclass(frozen=True)
class Found:
    listings: Sequence[Listing]  # best match first
    words: Sequence[str]  # the words that were searched for


# --- offering ---------------------------------------------------------------------------------


def clean_topics(text: str) -> str:
    # Control characters (NUL above all) are never meant, and PostgreSQL refuses NUL.
    text = "".join(char for char in text if unicodedata.category(char) != "Cc" or char.isspace())
    text = " ".join(text.split())
    if len(text) > MAX_TOPICS_LENGTH:
        raise UserError(
            f"Keep your topics under {MAX_TOPICS_LENGTH} characters (these have {len(text)}).",
            example=OFFER_EXAMPLE,
        )
    return text


def offer(session: Session, *, person: Person, topics: str, now: datetime) -> MentorOffer:
    """Join the directory, or change one's topics."""
    cleaned = clean_topics(topics)
    existing = directory_queries.offer_of(session, person_id=person.id)
    if existing is not None:
        existing.topics = cleaned
        return existing
    created = MentorOffer(person_id=person.id, person=person, topics=cleaned, offered_at=now)
    session.add(created)
    session.flush()
    return created


def withdraw(session: Session, *, person: Person) -> bool:
    """Leave the directory; False when the person was not in it."""
    return directory_queries.remove_offer(session, person_id=person.id)


def offers_mentoring(session: Session, person: Person) -> bool:
    return directory_queries.offer_of(session, person_id=person.id) is not None


def listing_of(session: Session, person: Person, *, default_capacity: int) -> Listing | None:
    found = directory_queries.offer_of(session, person_id=person.id)
    if found is None:
        return None
    return _listings(session, [found], default_capacity=default_capacity)[0]


# --- finding ----------------------------------------------------------------------------------


def words_of(text: str) -> list[str]:
    return [word for word in _WORD.findall(text.casefold()) if word not in IGNORED_WORDS]


def match_score(topics: str, words: Sequence[str]) -> int:
    """How many of the searched words start a word of the topics ("surg" finds "Surgery")."""
    topic_words = _WORD.findall(topics.casefold())
    return sum(any(topic.startswith(word) for topic in topic_words) for word in words)


def _listings(
    session: Session, offers: Sequence[MentorOffer], *, default_capacity: int
) -> list[Listing]:
    counts = directory_queries.mentee_counts(
        session, mentor_ids=[item.person_id for item in offers], states=CAPACITY_STATES
    )
    return [
        Listing(
            person=item.person,
            topics=item.topics,
            capacity=mentor_capacity(item.person, default=default_capacity),
            mentees=counts.get(item.person_id, 0),
        )
        for item in offers
    ]


def pool(session: Session, *, workspace_id: int, default_capacity: int) -> list[Listing]:
    """Everyone in the directory, for coordinators: most open seats first."""
    offers = directory_queries.offers_in_workspace(session, workspace_id=workspace_id)
    listings = _listings(session, offers, default_capacity=default_capacity)
    return sorted(listings, key=lambda listing: -listing.open_seats)


def find(session: Session, *, seeker: Person, text: str, default_capacity: int) -> Found:
    """Mentors in the seeker's workspace with an open seat whose topics match; with no
    words, all of them. Leaves out the seeker and mentors they are already paired with."""
    words = words_of(text)
    if text.strip() and not words:
        raise UserError(
            "Name a topic to look for — a specialty, research, Match advice…", example=FIND_EXAMPLE
        )
    already = directory_queries.partners_of(session, mentee_id=seeker.id, states=LIVE_STATES)
    offers = [
        item
        for item in directory_queries.offers_in_workspace(session, workspace_id=seeker.workspace_id)
        if item.person_id != seeker.id and item.person_id not in already
    ]
    scored = [
        (match_score(listing.topics, words), listing)
        for listing in _listings(session, offers, default_capacity=default_capacity)
        if listing.open_seats > 0
    ]
    if words:
        scored = [(score, listing) for score, listing in scored if score > 0]
    # Best match first; among equals, more open seats, then (a stable sort) who offered first.
    ranked = sorted(scored, key=lambda item: (-item[0], -item[1].open_seats))
    return Found(listings=[listing for _, listing in ranked], words=words)


# --- paying it forward ------------------------------------------------------------------------


def plan_pay_it_forward(
    session: Session, *, pair: Pair, first_checkin_at: datetime, hours: WorkingHours, now: datetime
) -> bool:
    """A year after the mentee's first complete check-in (in a pair), a DM inviting them to
    mentor juniors. Each pair plans one; the first to come is the only one sent."""
    mentee_zone = zone(pair.mentee.tz)
    return deliveries.add_delivery(
        session,
        pair_id=pair.id,
        kind=DeliveryKind.PAY_IT_FORWARD,
        period=PAY_IT_FORWARD_PERIOD,
        due_at=next_working_moment(
            first_checkin_at + PAY_IT_FORWARD_AFTER,
            mentee_zone,
            hours_of(pair.mentee, default=hours),
        ),
        now=now,
    )


def reason_not_to_invite(session: Session, *, pair: Pair, delivery_id: int) -> str | None:
    """Why the invitation should not go out, or None when it should."""
    if offers_mentoring(session, pair.mentee):
        return "already in the directory"
    if directory_queries.invitation_sent_to(
        session, mentee_id=pair.mentee_id, other_than=delivery_id
    ):
        return "already invited"
    return None
