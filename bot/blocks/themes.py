"""What a check-in prompt says, per theme (see bot.domain.themes for the rotation)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.blocks.common import mention


@dataclass(frozen=True)
class ThemeText:
    title: str  # short, for the notification text
    body: str  # mrkdwn with {mentee} and {mentor} to fill in

    def render(self, *, mentee: str, mentor: str) -> str:
        return self.body.format(mentee=mention(mentee), mentor=mention(mentor))


THEMES = {
    "prepared": ThemeText(
        "come prepared",
        "{mentee}, come prepared: one question, one idea you're chewing on, or one challenge "
        "you'd like help with. Post it here with `/checkin <update>` (or *Log a check-in*), "
        "and {mentor} can answer in the thread.",
    ),
    "feedback": ThemeText(
        "ask for honest feedback",
        "*This round: ask for one piece of honest feedback.* {mentee}, pick one thing — a case "
        "presentation, a draft, how a hard conversation went — and ask {mentor} what to do "
        "differently. *Log a check-in* has a box for it: _What I'd like feedback on_. "
        "{mentor}, one specific, kind and candid point helps more than praise.",
    ),
    "goals": ThemeText(
        "review your goals",
        "*This round: review your goals.* {mentee}, which goal moved, which stalled, and does "
        "any need changing? Tell {mentor} here with `/checkin <update>`; `/goal done <n>` marks "
        "one done and `/goal add …` adds the next.",
    ),
    "next_steps": ThemeText(
        "plan next steps",
        "*This round: plan next steps.* {mentee}, what will you do before your next check-in, "
        "and what do you need from {mentor} to do it? Agree on one or two concrete steps and "
        "post them here with `/checkin <update>`.",
    ),
}
DEFAULT_THEME = "prepared"


def theme_text(theme: str) -> ThemeText:
    return THEMES.get(theme, THEMES[DEFAULT_THEME])
