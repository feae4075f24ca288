"""Reading slash command text: Slack's escaped mentions, dates, numbers.

With `should_escape` on (manifest.yml) Slack sends a picked user as `<@U123ABC|name>`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from bot.domain.errors import UserError

MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_LEADING_MENTION = re.compile(r"^\s*<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def split_subcommand(text: str) -> tuple[str, str]:
    """`"request <@U1> hi"` → `("request", "<@U1> hi")`; the subcommand is lower-cased."""
    parts = text.strip().split(maxsplit=1)
    if not parts:
        return "", ""
    return parts[0].lower(), parts[1] if len(parts) > 1 else ""


def leading_mention(text: str, *, who: str, example: str) -> tuple[str, str]:
    """The user ID at the start of `text` and the rest; a clear error otherwise."""
    match = _LEADING_MENTION.match(text)
    if match:
        return match[1], text[match.end() :].strip()
    first = text.split()[0] if text.split() else ""
    if first.startswith("@"):
        problem = (
            f"I couldn't tell who {first} is. Pick {who} from Slack's @ autocomplete list "
            "so the name turns into a mention."
        )
    elif first:
        problem = f"Start with {who} as an @mention; {first!r} isn't one."
    else:
        problem = f"Name {who} with an @mention."
    raise UserError(problem, example=example)


def parse_date(text: str, *, example: str) -> date:
    match = _DATE.match(text.strip())
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    raise UserError(f"{text.strip()!r} is not a date; use YYYY-MM-DD.", example=example)


def parse_number(text: str, *, what: str, example: str) -> int:
    text = text.strip().lstrip("#")
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        shown = text or "nothing"
        raise UserError(f"Give the {what} as a number ({shown!r} isn't one).", example=example)
    return int(text)


@dataclass(frozen=True)
class GoalRequest:
    text: str
    due_on: date | None
    mentor_user_id: str | None


_GOAL_TAIL = re.compile(
    # "by" starts a due date only before something date-shaped: "recommended by Patel" is text.
    r"\s+(?:(?P<by>by\s+\d\S*)|(?P<for>for\s+<@[UW][A-Z0-9]+(?:\|[^>]*)?>))\s*$",
    re.IGNORECASE,
)
GOAL_ADD_EXAMPLE = "/goal add Draft my personal statement by 2027-03-01 for @Dr. Patel"


def parse_goal_add(text: str) -> GoalRequest:
    """`<text> [by YYYY-MM-DD] [for @mentor]`, the two options in either order at the end."""
    rest, due_on, mentor = " " + text.strip(), None, None
    while match := _GOAL_TAIL.search(rest):
        if match["by"]:
            if due_on is not None:
                break
            due_on = parse_date(match["by"].split(None, 1)[1], example=GOAL_ADD_EXAMPLE)
        else:
            if mentor is not None:
                break
            found = MENTION.search(match["for"])
            mentor = found[1] if found else None
        rest = rest[: match.start()]
    return GoalRequest(text=rest.strip(), due_on=due_on, mentor_user_id=mentor)


PAUSE_EXAMPLE = "/mentor pause @Dr. Patel for 3 weeks"
_PAUSE_FOR = re.compile(r"^for\s+(\S+)\s+weeks?$", re.IGNORECASE)
_PAUSE_UNTIL = re.compile(r"^until\s+(\S+)$", re.IGNORECASE)


def parse_pause(text: str, *, today: date) -> date:
    """`until YYYY-MM-DD` or `for N weeks` → the first day nudges may resume."""
    text = " ".join(text.split())
    if match := _PAUSE_UNTIL.match(text):
        return parse_date(match[1], example="/mentor pause @Dr. Patel until 2027-01-15")
    if match := _PAUSE_FOR.match(text):
        weeks = parse_number(match[1], what="number of weeks", example=PAUSE_EXAMPLE)
        if not 1 <= weeks <= 26:
            raise UserError("Pause for 1 to 26 weeks.", example=PAUSE_EXAMPLE)
        return today + timedelta(weeks=weeks)
    raise UserError("Say how long: `until YYYY-MM-DD` or `for N weeks`.", example=PAUSE_EXAMPLE)
