"""The mentor directory as `/mentor offer`, `/mentor find` and coordinators' Home tab show
it: from listings to the plain data the builders take."""

from __future__ import annotations

from collections.abc import Sequence

from bot.blocks import directory as directory_blocks
from bot.blocks.common import Block
from bot.domain import directory, people
from bot.listeners.request import SlackRequest
from bot.store.models import Person


def entries(listings: Sequence[directory.Listing]) -> list[directory_blocks.Entry]:
    return [
        directory_blocks.Entry(
            person=listing.person.slack_user_id,
            topics=listing.topics,
            capacity=listing.capacity,
            mentees=listing.mentees,
        )
        for listing in listings
    ]


def coordinator_pool_blocks(request: SlackRequest, person: Person) -> list[Block]:
    """The mentor directory on a coordinator's Home tab; nothing for anyone else."""
    if not people.is_coordinator(person, configured=request.settings.coordinators):
        return []
    listings = directory.pool(
        request.session,
        workspace_id=person.workspace_id,
        default_capacity=request.settings.mentor_capacity,
    )
    return directory_blocks.pool(entries(listings))
