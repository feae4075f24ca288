"""Program tools on Slack's surfaces: needs attention, digest, import and calendar forms."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date

from bot.blocks.common import (
    Block,
    actions,
    button,
    context,
    divider,
    header,
    mention,
    modal,
    plain,
    section,
)
from bot.blocks.pairs import slack_date
from bot.blocks.times import Zoned, day
from bot.domain.program.attention import Attention, AttentionItem, Reason

NUDGE = "attention_nudge"
END = "attention_end"
OPEN_IMPORT = "program_open_import"
OPEN_CALENDAR_IMPORT = "program_open_calendar_import"
EXPORT = "program_export"
IMPORT_FORM = "import_form"
IMPORT_CONFIRM_FORM = "import_confirm_form"
IMPORT_CONFIRM = "import_confirm"
CALENDAR_FORM = "calendar_import_form"
FILE_BLOCK = "file"
PROBLEMS_SHOWN = 25

REASON_TITLES = {
    Reason.PAUSED_BY_ERROR: ":no_entry: Paused by a delivery error",
    Reason.GOING_COLD: ":snowflake: Going cold",
    Reason.DECLINED: ":broken_heart: Declined, no mentor yet",
    Reason.WAITING_CONSENT: ":hourglass: Waiting for consent 3+ working days",
}


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _item_text(item: AttentionItem, viewer: Zoned | None = None) -> str:
    if item.last_checkin is None:
        last = "none yet"
    elif viewer is not None:
        last = day(item.last_checkin, viewer)  # the date where the coordinator is
    else:
        last = slack_date(item.last_checkin, with_time=False)
    if item.reason is Reason.PAUSED_BY_ERROR:
        what = f"paused {_plural(item.days, 'day')} ago: Slack said `{item.detail}`"
    elif item.reason is Reason.GOING_COLD:
        what = f"two prompts unanswered; quiet for {_plural(item.days, 'day')}"
    elif item.reason is Reason.DECLINED:
        what = f"declined {_plural(item.days, 'day')} ago; no active mentor"
    else:
        what = f"asked {_plural(item.days, 'working day')} ago; no answer yet"
    return (
        f"{REASON_TITLES[item.reason].split(' ', 1)[0]} {mention(item.mentee)} with "
        f"{mention(item.mentor)} — {what}. Last check-in: {last}"
    )


def _item_blocks(item: AttentionItem, viewer: Zoned | None = None) -> list[Block]:
    value = json.dumps({"pair": item.pair_id, "reason": item.reason.value})
    buttons = [button("Nudge", NUDGE, value)]
    if item.live:
        buttons.append(button("End", END, value, style="danger"))
    return [
        section(_item_text(item, viewer)),
        actions(*buttons, block_id=f"attention_{item.pair_id}"),
    ]


def counts_line(attention: Attention) -> str:
    parts = [
        f"{REASON_TITLES[reason].split(' ', 1)[0]} {REASON_TITLES[reason].split(' ', 1)[1]}: "
        f"*{count}*"
        for reason, count in attention.counts.items()
    ]
    return "\n".join(parts)


def attention_blocks(
    attention: Attention, *, budget: int, viewer: Zoned | None = None
) -> list[Block]:
    """The "needs attention" list in at most `budget` blocks: counts, then the most urgent
    items, then how many more there are."""
    if not attention:
        return [section("*Needs attention*\nNothing right now — every pair is moving. :seedling:")]
    blocks: list[Block] = [
        section(f"*Needs attention* ({attention.total:,})\n{counts_line(attention)}")
    ]
    room = max(0, (budget - len(blocks) - 1) // 2)
    shown = attention.items[:room]
    for item in shown:
        blocks.extend(_item_blocks(item, viewer))
    more = attention.total - len(shown)
    if more > 0:
        blocks.append(context(f"…and {more:,} more. The most urgent come first."))
    return blocks


def tools_blocks() -> list[Block]:
    return [
        actions(
            button("Import pairs", OPEN_IMPORT, "import"),
            button("Export CSV", EXPORT, "export"),
            button("Import calendar (.ics)", OPEN_CALENDAR_IMPORT, "calendar"),
            block_id="program_tools",
        ),
        context(
            "`/mentor import` · `/mentor export` · `/mentor calendar add|list|remove` · "
            "`/mentor digest off|on`"
        ),
    ]


def digest(attention: Attention, *, viewer: Zoned | None = None) -> tuple[str, list[Block]]:
    """Monday's DM: fits chat.postMessage's 50 blocks at any program size."""
    text = (
        f":clipboard: Rounds weekly digest: {_plural(attention.total, 'pair')} need your attention"
    )
    blocks: list[Block] = [header("Rounds weekly digest")]
    blocks.extend(attention_blocks(attention, budget=40, viewer=viewer))
    blocks.append(context("Your Home tab has the same list. `/mentor digest off` stops this DM."))
    return text, blocks


# --- import -----------------------------------------------------------------------------------


def _file_input(filetypes: Sequence[str], label: str, hint: str) -> Block:
    return {
        "type": "input",
        "block_id": FILE_BLOCK,
        "label": plain(label),
        "hint": plain(hint),
        "element": {
            "type": "file_input",
            "action_id": "value",
            "filetypes": list(filetypes),
            "max_files": 1,
        },
    }


def import_modal() -> dict[str, object]:
    return modal(
        callback_id=IMPORT_FORM,
        title="Import pairs",
        submit="Check the file",
        metadata={},
        blocks=[
            section(
                "Upload a CSV with a header row `mentee,mentor` and optional `cadence,goal`. "
                "People by e-mail or Slack user ID, one pair per line, e.g.\n"
                "```mentee,mentor,cadence,goal\n"
                "sam.lee@med.example,dr.patel@med.example,every 2 weeks,Plan my research year```"
            ),
            _file_input(["csv"], "CSV file", "Up to 2 MB and 5,000 lines. Nothing changes yet."),
            context("First a dry run: you see what would happen, line by line, then Import."),
        ],
    )


def working_modal(title: str, message: str) -> dict[str, object]:
    return {
        "type": "modal",
        "title": plain(title[:24]),
        "close": plain("Close"),
        "blocks": [section(message)],
    }


def problem_lines(problems: Sequence[tuple[int, str]]) -> str:
    lines = [f"• line {line}: {message}" for line, message in problems[:PROBLEMS_SHOWN]]
    if len(problems) > PROBLEMS_SHOWN:
        lines.append(f"…and {len(problems) - PROBLEMS_SHOWN} more problem lines")
    return "\n".join(lines)


def dry_run_summary(
    *, file_name: str, new: int, already: int, problems: Sequence[tuple[int, str]]
) -> str:
    summary = (
        f"*Dry run of {file_name}*\n"
        f"• New pairs: *{new:,}*\n• Already paired: *{already:,}*\n"
        f"• Problem lines (skipped): *{len(problems):,}*"
    )
    if problems:
        summary += "\n\n*Problems*\n" + problem_lines(problems)
    return summary


def dry_run_modal(
    *, run_id: int, file_name: str, new: int, already: int, problems: Sequence[tuple[int, str]]
) -> dict[str, object]:
    summary = dry_run_summary(file_name=file_name, new=new, already=already, problems=problems)
    blocks: list[Block] = [section(summary)]
    if new == 0:
        blocks.append(context("Nothing to import. Fix the file and upload it again."))
        return {**working_modal("Import pairs", summary), "blocks": blocks}
    blocks.append(
        context(
            f"Import creates {_plural(new, 'pair')} as active, skipping the problem lines. "
            "Each pair gets its check-in space and a welcome, paced to Slack's limits "
            f"(about {max(1, new // 40)} min)."
        )
    )
    return modal(
        callback_id=IMPORT_CONFIRM_FORM,
        title="Import pairs",
        submit=f"Import {new:,} pairs"[:24],
        metadata={"run": run_id},
        blocks=blocks,
    )


def dry_run_message(
    *, run_id: int, file_name: str, new: int, already: int, problems: Sequence[tuple[int, str]]
) -> tuple[str, list[Block]]:
    """The dry run by DM, when the form was closed before it finished."""
    summary = dry_run_summary(file_name=file_name, new=new, already=already, problems=problems)
    blocks: list[Block] = [section(summary)]
    if new:
        blocks.append(
            actions(
                button(f"Import {new:,} pairs", IMPORT_CONFIRM, str(run_id), style="primary"),
                block_id=f"import_{run_id}",
            )
        )
    return f"Dry run of {file_name}: {new} new pairs", blocks


def import_done(*, created: int, skipped: Sequence[tuple[int, str]], minutes: int) -> str:
    text = f":white_check_mark: Imported *{_plural(created, 'pair')}*, active now."
    if created:
        text += f" Their check-in spaces open with a welcome over the next ~{max(1, minutes)} min."
    if skipped:
        text += "\nSkipped because something changed since the dry run:\n" + problem_lines(skipped)
    return text


# --- calendar ---------------------------------------------------------------------------------


def calendar_modal() -> dict[str, object]:
    return modal(
        callback_id=CALENDAR_FORM,
        title="Import calendar",
        submit="Import",
        metadata={},
        blocks=[
            section(
                "Upload the school's calendar as an `.ics` file. All-day events (exam weeks, "
                "breaks, holidays) become blackouts: no nudges on those days. Recurring events "
                "are expanded; events shorter than a day are left out."
            ),
            _file_input(["ics"], ".ics file", "Up to 2 MB. The same file twice adds nothing."),
        ],
    )


def calendar_list(
    *,
    blackouts: Sequence[tuple[int, date, date, str]],
    holidays: Sequence[tuple[date, str]],
    country: str | None,
) -> tuple[str, list[Block]]:
    def span(first: date, last: date) -> str:
        if first == last:
            return f"{first:%a %Y-%m-%d}"
        return f"{first:%a %Y-%m-%d} – {last:%a %Y-%m-%d}"

    if blackouts:
        lines = [
            f"{number}. {span(first, last)} — {name}" for number, first, last, name in blackouts
        ]
        text = "*Blackouts* (no nudges on these days)\n" + "\n".join(lines[:60])
        if len(lines) > 60:
            text += f"\n…and {len(lines) - 60} more"
    else:
        text = (
            "*Blackouts*\nNone yet. Add exam weeks and breaks with "
            "`/mentor calendar add YYYY-MM-DD..YYYY-MM-DD <name>`."
        )
    blocks: list[Block] = [section(text)]
    if country:
        shown = "\n".join(f"{day:%a %Y-%m-%d} — {name}" for day, name in holidays[:20])
        blocks.append(
            section(f"*Public holidays ({country})*, next four months\n{shown or 'none'}")
        )
    blocks.append(context("`/mentor calendar remove <n>` removes blackout n."))
    return "Academic calendar", [*blocks, divider()][:-1]


def coordinator_note(*, reason: Reason, coordinator: str, mentee: str, mentor: str) -> str:
    """The friendly note behind a "Nudge" button, in the words that fit the situation."""
    if reason is Reason.WAITING_CONSENT:
        return (
            f":wave: Hi {mention(mentor)} — {mention(coordinator)} here, from the mentorship "
            f"program. {mention(mentee)} asked you to be their mentor and is waiting for your "
            "answer: the request with Accept / Decline is in your messages with Rounds. "
            "Either answer is fine — a quick one helps them plan."
        )
    if reason is Reason.DECLINED:
        return (
            f":wave: Hi {mention(mentee)} — {mention(coordinator)} here, from the mentorship "
            "program. Your last request didn't work out; that happens with busy schedules. "
            "Try another mentor with `/mentor request @mentor`, or reply here and I'll help "
            "you find one."
        )
    return (
        f":wave: A friendly note from {mention(coordinator)}: how is your mentorship going, "
        f"{mention(mentee)} and {mention(mentor)}? A short check-in keeps it alive — "
        '`/checkin <update>`, or press *We met* if you talked. "Busy month" counts too.'
    )
