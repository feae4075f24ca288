"""/mentor import · export · calendar · digest — coordinators only."""

from __future__ import annotations

from bot.blocks import program as program_blocks
from bot.domain.cadence import zone
from bot.domain.errors import UserError
from bot.domain.program import calendar, digest
from bot.domain.program.export import export_csv
from bot.listeners.parsing import parse_number, split_subcommand
from bot.listeners.program.common import coordinator, open_modal
from bot.listeners.replies import answer
from bot.listeners.request import SlackRequest
from bot.slack_out import upload_to_dm

CALENDAR_USAGE = (
    "`/mentor calendar add YYYY-MM-DD[..YYYY-MM-DD] <name>`, `/mentor calendar list`, "
    "`/mentor calendar remove <n>` or `/mentor calendar import`"
)


def handle_import(request: SlackRequest, _text: str = "") -> None:
    coordinator(request, action="import pairs")
    open_modal(request, program_blocks.import_modal())


def handle_export(request: SlackRequest, _text: str = "") -> None:
    me = coordinator(request, action="export the program")
    answer(request, ":hourglass_flowing_sand: Preparing the export; it arrives here as a CSV file.")
    content, count = export_csv(request.session, workspace_id=me.workspace_id)
    today = request.now.astimezone(zone(me.tz)).date()
    upload_to_dm(
        request.client,
        slack_user_id=me.slack_user_id,
        filename=f"rounds-pairs-{today.isoformat()}.csv",
        content=content,
        comment=(
            f":bar_chart: The Rounds export: {count:,} pairs, one per row — counts and dates "
            "only, never what anyone wrote."
        ),
    )


def _calendar_add(request: SlackRequest, rest: str) -> None:
    me = coordinator(request, action="change the academic calendar")
    wanted = calendar.parse_blackout(rest)
    added = calendar.add_blackout(
        request.session,
        workspace_id=me.workspace_id,
        request=wanted,
        source="manual",
        now=request.now,
    )
    request.session.commit()
    span = wanted.starts_on.isoformat()
    if wanted.ends_on != wanted.starts_on:
        span += f" to {wanted.ends_on.isoformat()}"
    if not added:
        answer(request, f"{wanted.name} ({span}) is already on the calendar.")
        return
    answer(
        request,
        f":calendar: Added *{wanted.name}* ({span}): no nudges on those days; a prompt that "
        "falls in it moves to the first working day after.",
    )


def _calendar_list(request: SlackRequest, _rest: str) -> None:
    me = coordinator(request, action="see the academic calendar")
    today = request.now.astimezone(zone(me.tz)).date()
    listed = calendar.current_blackouts(request.session, workspace_id=me.workspace_id, today=today)
    text, blocks = program_blocks.calendar_list(
        blackouts=[
            (number, item.starts_on, item.ends_on, item.name)
            for number, item in enumerate(listed, start=1)
        ],
        holidays=calendar.upcoming_holidays(request.settings.holidays, today=today),
        country=request.settings.holidays,
    )
    answer(request, text, blocks)


def _calendar_remove(request: SlackRequest, rest: str) -> None:
    me = coordinator(request, action="change the academic calendar")
    number = parse_number(rest, what="blackout number", example="/mentor calendar remove 2")
    today = request.now.astimezone(zone(me.tz)).date()
    removed = calendar.remove_blackout(
        request.session, workspace_id=me.workspace_id, number=number, today=today
    )
    request.session.commit()
    answer(request, f"Removed *{removed.name}*: nudges go out on those days again.")


def _calendar_import(request: SlackRequest, _rest: str) -> None:
    coordinator(request, action="change the academic calendar")
    open_modal(request, program_blocks.calendar_modal())


CALENDAR = {
    "add": _calendar_add,
    "list": _calendar_list,
    "remove": _calendar_remove,
    "import": _calendar_import,
}


def handle_calendar(request: SlackRequest, text: str) -> None:
    word, rest = split_subcommand(text)
    handler = CALENDAR.get(word)
    if handler is None:
        coordinator(request, action="change the academic calendar")
        raise UserError(f"Use {CALENDAR_USAGE}.", example=calendar.CALENDAR_EXAMPLE)
    handler(request, rest)


def handle_digest(request: SlackRequest, text: str) -> None:
    me = coordinator(request, action="get the weekly digest")
    on = digest.parse_digest_switch(text)
    changed = digest.set_digest(me, on=on, configured=request.settings.coordinators)
    request.session.commit()
    if on:
        state = "on" if changed else "already on"
        answer(
            request,
            f":clipboard: The weekly digest is {state}: Monday 09:00 your time, when something "
            "needs your attention.",
        )
    else:
        state = "off" if changed else "already off"
        answer(request, f"The weekly digest is {state}. The Home tab still shows the list.")
