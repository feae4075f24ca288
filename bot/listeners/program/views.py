"""Form submissions: the import's file, Import itself, and the .ics calendar."""

from __future__ import annotations

import json

from slack_bolt import App

from bot.blocks import program as program_blocks
from bot.domain.cadence import zone
from bot.domain.errors import UserError
from bot.domain.program import calendar, ics
from bot.listeners.program.common import coordinator, show_in_form, submitted_file
from bot.listeners.program.imports import read_upload, run_dry_run, run_import
from bot.listeners.replies import answer
from bot.listeners.request import SlackRequest
from bot.listeners.runtime import transactional


def _refuse(request: SlackRequest, problem: UserError) -> None:
    request.ack(response_action="errors", errors={program_blocks.FILE_BLOCK: problem.message})


def handle_import_form(request: SlackRequest) -> None:
    file = submitted_file(request)
    if file is None:
        request.ack(
            response_action="errors", errors={program_blocks.FILE_BLOCK: "Choose a CSV file."}
        )
        return
    try:
        me = coordinator(request, action="import pairs")
    except UserError as problem:
        _refuse(request, problem)
        return
    # Look-ups take longer than Slack's 3 seconds: say so now, show the dry run when done.
    name = str(file.get("name") or "the file")
    request.ack(
        response_action="update",
        view=program_blocks.working_modal(
            "Import pairs",
            f":hourglass_flowing_sand: Checking {name}: reading it and looking everyone up. "
            "Nothing changes yet.",
        ),
    )
    run_dry_run(request, me, file)


def _run_id(request: SlackRequest) -> int | None:
    try:
        metadata = json.loads(request.body.get("view", {}).get("private_metadata") or "{}")
    except ValueError:
        return None
    run = metadata.get("run") if isinstance(metadata, dict) else None
    return run if isinstance(run, int) else None


def handle_import_confirm_form(request: SlackRequest) -> None:
    me = coordinator(request, action="import pairs")
    run_id = _run_id(request)
    if run_id is None:
        raise UserError("That import form is out of date; run `/mentor import` again.")
    request.ack(
        response_action="update",
        view=program_blocks.working_modal(
            "Import pairs", ":hourglass_flowing_sand: Creating the pairs…"
        ),
    )
    try:
        done = run_import(request, me, run_id)
    except UserError as problem:
        request.session.rollback()
        done = f":warning: {problem.message}"
    if not show_in_form(request, program_blocks.working_modal("Import pairs", done)):
        answer(request, done)


def handle_calendar_form(request: SlackRequest) -> None:
    file = submitted_file(request)
    if file is None:
        request.ack(
            response_action="errors", errors={program_blocks.FILE_BLOCK: "Choose an .ics file."}
        )
        return
    try:
        me = coordinator(request, action="change the academic calendar")
    except UserError as problem:
        _refuse(request, problem)
        return
    request.ack(
        response_action="update",
        view=program_blocks.working_modal(
            "Import calendar", ":hourglass_flowing_sand: Reading the calendar…"
        ),
    )
    try:
        data = read_upload(request, file, max_bytes=ics.MAX_ICS_BYTES, kind="ics")
        found = ics.read_ics(data, today=request.now.astimezone(zone(me.tz)).date())
    except UserError as problem:
        message = f":warning: {problem.message}"
    else:
        added = sum(
            calendar.add_blackout(
                request.session,
                workspace_id=me.workspace_id,
                request=item,
                source="ics",
                now=request.now,
            )
            for item in found.blackouts
        )
        request.session.commit()
        message = ics_summary(found, added)
    if not show_in_form(request, program_blocks.working_modal("Import calendar", message)):
        answer(request, message)


def ics_summary(found: ics.IcsCalendar, added: int) -> str:
    text = (
        f":calendar: Read {len(found.blackouts)} blackout(s) from the calendar; "
        f"{added} new, {len(found.blackouts) - added} already there."
    )
    if found.short_events:
        text += f" Left out {found.short_events} event(s) shorter than a day."
    if found.too_long:
        text += f" Left out {found.too_long} event(s) longer than a year."
    return text + " `/mentor calendar list` shows them."


VIEWS = {
    program_blocks.IMPORT_FORM: handle_import_form,
    program_blocks.IMPORT_CONFIRM_FORM: handle_import_confirm_form,
    program_blocks.CALENDAR_FORM: handle_calendar_form,
}


def register(app: App) -> None:
    for callback_id, handler in VIEWS.items():
        app.view(callback_id)(transactional(handler))
