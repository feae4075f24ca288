"""The pretend school the sandbox starts with: a coordinator, three students, three mentors.

They are Slack users of the stand-in workspace, nothing more: Rounds meets them the way it meets
anyone in Slack (users.info when they first appear). The coordinator is a workspace admin,
which is what makes someone a coordinator in Slack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sandbox.fake_slack import FakeSlack


class Role(StrEnum):
    STUDENT = "student"
    MENTOR = "mentor"
    COORDINATOR = "coordinator"


@dataclass(frozen=True)
class Member:
    user_id: str
    name: str
    handle: str
    role: Role
    tz: str

    @property
    def city(self) -> str:
        return self.tz.rsplit("/", 1)[-1].replace("_", " ")


SEED = (
    Member("U0HELEN", "Helen Okafor", "helen", Role.COORDINATOR, "America/New_York"),
    Member("U0MAYA", "Maya Chen", "maya", Role.STUDENT, "America/New_York"),
    Member("U0JORDAN", "Jordan Reyes", "jordan", Role.STUDENT, "America/New_York"),
    Member("U0PRIYA", "Priya Nair", "priya", Role.STUDENT, "America/New_York"),
    Member("U0WHITFIELD", "Dr. Sam Whitfield", "whitfield", Role.MENTOR, "America/New_York"),
    Member("U0HART", "Dr. Amelia Hart", "hart", Role.MENTOR, "Europe/London"),
    Member("U0SEN", "Dr. Arjun Sen", "sen", Role.MENTOR, "Asia/Kolkata"),
)

# Offered on the People page; any IANA zone can be typed instead.
ZONES = (
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Berlin",
    "Africa/Lagos",
    "Africa/Nairobi",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
)

_HANDLE = re.compile(r"^[a-z][a-z0-9._-]{0,20}$")
_MENTION = re.compile(r"(?<![\w<@|])@([A-Za-z][A-Za-z0-9._-]*)")


class SchoolError(ValueError):
    """An edit on the People page that cannot be applied; the message says why."""


class School:
    """The people of the sandbox workspace, kept in step with the fake Slack's users."""

    def __init__(self, fake: FakeSlack, members: tuple[Member, ...] = SEED) -> None:
        self._fake = fake
        self._members: dict[str, Member] = {}
        for member in members:
            self._put(member)

    @property
    def members(self) -> list[Member]:
        return list(self._members.values())

    def get(self, user_id: str) -> Member | None:
        return self._members.get(user_id)

    def by_handle(self, handle: str) -> Member | None:
        handle = handle.lower().rstrip(".")
        return next((m for m in self._members.values() if m.handle == handle), None)

    def name(self, user_id: str) -> str:
        """Display name for mentions; the bot is Rounds; strangers keep their ID."""
        if user_id == self._fake.bot_user_id:
            return "Rounds"
        member = self._members.get(user_id)
        return member.name if member else user_id

    def of_role(self, role: Role) -> list[Member]:
        return [m for m in self._members.values() if m.role is role]

    def edit(self, user_id: str, *, name: str, role: str, tz: str) -> Member:
        member = self._members.get(user_id)
        if member is None:
            raise SchoolError(f"No one with ID {user_id} in this school.")
        updated = replace(member, name=_clean_name(name), role=_role(role), tz=_zone(tz, member.tz))
        self._put(updated)
        return updated

    def add(self, *, name: str, handle: str, role: str, tz: str) -> Member:
        handle = handle.strip().lstrip("@").lower()
        if not _HANDLE.match(handle):
            raise SchoolError(
                f"{handle or 'An empty handle'} won't do as a Slack handle: use lower-case "
                "letters, digits, dots or dashes, starting with a letter (e.g. lee.kim)."
            )
        if self.by_handle(handle) is not None:
            raise SchoolError(f"@{handle} is taken; pick another handle.")
        user_id = "U0" + re.sub(r"[^A-Z0-9]", "", handle.upper())[:9]
        while user_id in self._members:
            user_id += "X"
        return self._put(Member(user_id, _clean_name(name), handle, _role(role), _zone(tz, "")))

    def escape_mentions(self, text: str) -> str:
        """What Slack does to a slash command's text with should_escape: @handle → <@ID|handle>.
        Handles nobody has stay as typed, as in Slack."""

        def swap(match: re.Match[str]) -> str:
            member = self.by_handle(match.group(1))
            if member is None:
                return match.group(0)
            trailing = "." if match.group(1).endswith(".") else ""
            return f"<@{member.user_id}|{member.handle}>{trailing}"

        return _MENTION.sub(swap, text)

    def _put(self, member: Member) -> Member:
        self._members[member.user_id] = member
        self._fake.add_user(
            member.user_id,
            tz=member.tz,
            name=member.name,
            is_admin=member.role is Role.COORDINATOR,
        )
        return member


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > 60:
        raise SchoolError("A name needs 1 to 60 characters.")
    return name


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise SchoolError(f"{role!r} is not a role; pick student, mentor or coordinator.") from None


def _zone(tz: str, current: str) -> str:
    tz = tz.strip() or current
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise SchoolError(
            f"{tz!r} is not a time zone; use an IANA name such as Europe/London."
        ) from None
    return tz
