"""/mentor offer and /mentor find — the mentor directory."""

from __future__ import annotations

from bot.blocks import directory as directory_blocks
from bot.domain import directory
from bot.listeners.people import actor
from bot.listeners.pool import entries
from bot.listeners.replies import answer
from bot.listeners.request import SlackRequest

LEAVE_WORDS = frozenset({"off", "stop", "leave"})


def handle_offer(request: SlackRequest, text: str) -> None:
    """`/mentor offer [topics]` joins the directory (or changes the topics);
    `/mentor offer off` leaves it."""
    me = actor(request)
    if text.strip().lower() in LEAVE_WORDS:
        was_listed = directory.withdraw(request.session, person=me)
        request.session.commit()
        answer(request, *directory_blocks.withdrawn(was_listed=was_listed))
        return
    changed = directory.offers_mentoring(request.session, me)
    directory.offer(request.session, person=me, topics=text, now=request.now)
    request.session.commit()
    listing = directory.listing_of(
        request.session, me, default_capacity=request.settings.mentor_capacity
    )
    assert listing is not None
    (entry,) = entries([listing])
    answer(request, *directory_blocks.offered(entry=entry, changed=changed))


def handle_find(request: SlackRequest, text: str) -> None:
    """`/mentor find [words]`: mentors with an open seat whose topics match, each with a
    Request button."""
    me = actor(request)
    found = directory.find(
        request.session, seeker=me, text=text, default_capacity=request.settings.mentor_capacity
    )
    answer(request, *directory_blocks.found(entries=entries(found.listings), words=found.words))
