"""Reading slash command text: Slack's escaped mentions, dates, numbers.

With `should_escape` on (manifest.yml) Slack sends a picked user as `<@U123ABC|name>`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from bot.domain.due_dates import looks_like_a_date, parse_due
from bot.domain.errors import UserError
from bot.domain.words import parse_count

MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
FOR_MENTION = re.compile(r"\s+for\s+<@([UW][A-Z0-9]+)(?:\|[^>]*)?>\s*$", re.IGNORECASE)
FOR_TYPED_NAME = re.compile(r"\s+for\s+@([^<>@]+?)\s*$", re.IGNORECASE)
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
    # "for @Dr. Patel" typed without picking from Slack's list: a name to look up.
    mentor_name: str | None = None


_GOAL_OPTION = re.compile(r"\s+(?P<word>by|for)\s+", re.IGNORECASE)
_REAL_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>\s*$")
GOAL_ADD_EXAMPLE = "/goal add Draft my personal statement by Friday for @Dr. Patel"


def _goal_option(word: str, tail: str, *, today: date) -> tuple[str, date | str | None] | None:
    """What an option at the end of `/goal add` says, or None when the words are part of
    the goal ("recommended by Dr. Patel", "prepare for Step 1")."""
    if word == "for":
        if found := _REAL_MENTION.match(tail):
            return "mentor", found[1]
        if tail.startswith("@") and tail.strip("@ .,"):
            return "name", tail.strip().lstrip("@").rstrip(" .,!")
        return None
    if looks_like_a_date(tail):
        return "due", parse_due(tail, today=today)  # refuses what it cannot read
    return None


def parse_goal_add(text: str, *, today: date) -> GoalRequest:
    """`<text> [by <date>] [for @mentor]`, the two options in either order at the end. The
    date may be `2027-03-01`, `Friday`, `next Friday` or `Mar 15` (on the mentee's calendar:
    `today` is their local date)."""
    rest = " " + text.strip()
    found: dict[str, date | str | None] = {}
    while True:
        for match in reversed(list(_GOAL_OPTION.finditer(rest))):
            kind_value = _goal_option(match["word"].lower(), rest[match.end() :], today=today)
            if kind_value is None:
                continue
            kind, value = kind_value
            if kind == "due" and "due" in found:
                raise UserError("Give the goal one due date.", example=GOAL_ADD_EXAMPLE)
            if kind in found or (kind in {"mentor", "name"} and {"mentor", "name"} & set(found)):
                continue
            found[kind] = value
            rest = rest[: match.start()]
            break
        else:
            break
    due = found.get("due")
    mentor, name = found.get("mentor"), found.get("name")
    return GoalRequest(
        text=rest.strip(),
        due_on=due if isinstance(due, date) else None,
        mentor_user_id=mentor if isinstance(mentor, str) else None,
        mentor_name=name if isinstance(name, str) else None,
    )


PAUSE_EXAMPLE = "/mentor pause @Dr. Patel for 3 weeks — ICU nights"
_PAUSE_FOR = re.compile(r"^for\s+(\S+)\s+weeks?$", re.IGNORECASE)
_PAUSE_UNTIL = re.compile(r"^until\s+(\S+)$", re.IGNORECASE)
# "for 2 weeks — ICU nights", "until 2027-02-01: exams", "for two weeks because of nights"
_PAUSE_REASON = re.compile(
    r"^(?P<duration>(?:for\s+\S+\s+weeks?|until\s+[^\s,;:—–]+))"
    r"(?:\s*(?:—|–|:|,|;)\s*|\s+-{1,2}\s+|\s+(?:because(?:\s+of)?|due\s+to)\s+|\s+)"
    r"(?P<reason>.+)$",
    re.IGNORECASE | re.DOTALL,
)
MAX_PAUSE_REASON = 200


def split_pause_reason(text: str) -> tuple[str, str | None]:
    """`for 2 weeks — ICU nights` → (`for 2 weeks`, `ICU nights`): the reason is optional,
    shown to the other member and never stored."""
    text = " ".join(text.split())
    match = _PAUSE_REASON.match(text)
    if not match:
        return text, None
    reason = match["reason"].strip().strip("()").strip()
    if len(reason) > MAX_PAUSE_REASON:
        raise UserError(
            f"Keep the reason under {MAX_PAUSE_REASON} characters; it is a note for your pair.",
            example=PAUSE_EXAMPLE,
        )
    return match["duration"], reason or None


def parse_pause(text: str, *, today: date) -> date:
    """`until YYYY-MM-DD` or `for N weeks` (N may be a word) → the first day nudges may resume."""
    text = " ".join(text.split())
    if match := _PAUSE_UNTIL.match(text):
        return parse_date(match[1], example="/mentor pause @Dr. Patel until 2027-01-15")
    if match := _PAUSE_FOR.match(text):
        weeks = parse_count(match[1])
        if weeks is None:
            parse_number(match[1], what="number of weeks", example=PAUSE_EXAMPLE)  # explains
            raise AssertionError("parse_number refuses what parse_count refused")
        if not 1 <= weeks <= 26:
            raise UserError("Pause for 1 to 26 weeks.", example=PAUSE_EXAMPLE)
        return today + timedelta(weeks=weeks)
    raise UserError("Say how long: `until YYYY-MM-DD` or `for N weeks`.", example=PAUSE_EXAMPLE)
