"""The mentor directory: offers, search results with Request buttons, the coordinators' view
of the pool, and the invitation to pay it forward."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.blocks.common import Block, button, context, mention, section

REQUEST = "directory_request"
RESULTS_SHOWN = 15
POOL_SHOWN = 15
Message = tuple[str, list[Block]]


@dataclass(frozen=True)
class Entry:
    person: str  # Slack user ID
    topics: str  # the mentor's own words
    capacity: int
    mentees: int

    @property
    def open_seats(self) -> int:
        return max(0, self.capacity - self.mentees)


def escape(text: str) -> str:
    """Someone's own words, shown as words: no mentions, links or @channel pings."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _seats(entry: Entry) -> str:
    if entry.open_seats == 0:
        return f"full ({entry.mentees} of {entry.capacity} mentees)"
    seats = "seat" if entry.open_seats == 1 else "seats"
    return f"{entry.open_seats} of {entry.capacity} {seats} open"


def _topics(entry: Entry) -> str:
    return f"_{escape(entry.topics)}_" if entry.topics else "_no topics given_"


def offered(*, entry: Entry, changed: bool) -> Message:
    verb = "Your topics are now" if changed else "You're in the mentor directory"
    text = f":raised_hands: {verb}"
    text += f": {_topics(entry)}." if entry.topics else " (no topics yet)."
    details = (
        f"Students find you with `/mentor find`; you have {_seats(entry)} "
        "(`/mentor capacity @you N` changes how many). Change your topics with "
        "`/mentor offer <topics>`; leave with `/mentor offer off`."
    )
    blocks = [section(text), section(details)]
    if entry.open_seats == 0:
        blocks.append(context("You're at capacity, so searches won't show you until a seat opens."))
    if not entry.topics:
        blocks.append(
            context(
                "Topics help students find you, e.g. `/mentor offer surgery research Match advice`."
            )
        )
    return text, blocks


def withdrawn(*, was_listed: bool) -> Message:
    if was_listed:
        text = ":wave: You've left the mentor directory. Your current mentees are not affected."
    else:
        text = "You weren't in the mentor directory. Join with `/mentor offer <topics>`."
    return text, [section(text)]


def _entry_block(entry: Entry, *, with_button: bool) -> Block:
    block = section(f"*{mention(entry.person)}* — {_topics(entry)}\n{_seats(entry)}")
    if with_button:
        block["accessory"] = button("Request", REQUEST, entry.person)
    return block


def found(*, entries: Sequence[Entry], words: Sequence[str]) -> Message:
    looked_for = " ".join(words)
    if not entries:
        if words:
            text = f"No mentor with an open seat matches “{escape(looked_for)}” right now."
            hint = (
                "Try fewer or shorter words (`surg` finds surgery and surgical), "
                "`/mentor find` for everyone with a seat open, or ask your coordinator."
            )
        else:
            text = "No mentor in the directory has an open seat right now."
            hint = "Ask your coordinator, or ask someone directly with `/mentor request @mentor`."
        return text, [section(f"{text} {hint}")]
    about = f" for “{escape(looked_for)}”" if words else " with an open seat"
    text = f"Mentors{about} ({len(entries)})"
    blocks: list[Block] = [section(f"*{text}*")]
    blocks.extend(_entry_block(entry, with_button=True) for entry in entries[:RESULTS_SHOWN])
    if len(entries) > RESULTS_SHOWN:
        blocks.append(
            context(f"…and {len(entries) - RESULTS_SHOWN} more: add a word to narrow it.")
        )
    blocks.append(
        context(
            "*Request* sends them a request with Accept / Decline, like "
            "`/mentor request @mentor [note]` (which also lets you add a note)."
        )
    )
    return text, blocks


def pool(entries: Sequence[Entry]) -> list[Block]:
    """The directory as coordinators see it on their Home tab."""
    open_seats = sum(entry.open_seats for entry in entries)
    title = (
        f"*Mentor directory:* {len(entries)} mentor{'s' if len(entries) != 1 else ''}, "
        f"{open_seats} open seat{'s' if open_seats != 1 else ''}"
    )
    if not entries:
        return [
            section(f"{title}\nNobody has offered yet. Mentors join with `/mentor offer <topics>`.")
        ]
    lines = [
        f"• {mention(entry.person)} — {_topics(entry)} · {_seats(entry)}"
        for entry in entries[:POOL_SHOWN]
    ]
    if len(entries) > POOL_SHOWN:
        lines.append(f"…and {len(entries) - POOL_SHOWN} more")
    return [section(title + "\n" + "\n".join(lines))]


def pay_it_forward(*, mentor: str) -> Message:
    text = (
        f":seedling: A year ago you had your first check-in with {mention(mentor)}. "
        "Ready to pay it forward?"
    )
    return text, [
        section(text),
        section(
            "You know things a first-year student would love to hear — surviving anatomy, "
            "finding a research lab, choosing electives. `/mentor offer <topics>` puts you in "
            "the mentor directory, where students find mentors with `/mentor find`, e.g. "
            "`/mentor offer Step 1 study plans, research`."
        ),
        context(
            "You choose how many mentees you take (`/mentor capacity @you 1`) and can leave "
            "any time with `/mentor offer off`."
        ),
    ]
