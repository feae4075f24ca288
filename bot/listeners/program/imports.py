"""Importing a cohort through Slack: the form's file, the dry run, then Import."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.blocks import program as program_blocks
from bot.domain.errors import UserError
from bot.domain.program import imports
from bot.listeners.home import refresh_homes
from bot.listeners.program.common import show_in_form
from bot.listeners.replies import answer
from bot.listeners.request import SlackRequest
from bot.slack_out import SignInPageError, download_file, look_up_people
from bot.store.models import Person


def _problems(check: imports.ImportCheck) -> list[tuple[int, str]]:
    return [(problem.line, problem.message) for problem in check.sorted_problems()]


def read_upload(request: SlackRequest, file: dict[str, Any], *, max_bytes: int, kind: str) -> bytes:
    """The bytes of a file from a form, or a clear UserError."""
    try:
        downloaded = download_file(request.client, str(file.get("id")), max_bytes=max_bytes)
    except SignInPageError:
        raise UserError(
            "Slack wouldn't hand me the file: the app needs the files:read scope "
            "(reinstall it from the updated manifest)."
        ) from None
    if downloaded.data is None:
        raise UserError(
            f"{downloaded.name} is {downloaded.size / 1024 / 1024:.1f} MB; the limit is "
            f"{max_bytes // 1024 // 1024} MB."
        )
    if not downloaded.name.lower().endswith(f".{kind}") and downloaded.filetype != kind:
        raise UserError(f"{downloaded.name} is not a .{kind} file.")
    return downloaded.data


def run_dry_run(request: SlackRequest, me: Person, file: dict[str, Any]) -> None:
    """After the form said "Checking…": read, look up, check, and show the result."""
    name = str(file.get("name") or "the file")
    try:
        data = read_upload(request, file, max_bytes=imports.MAX_BYTES, kind="csv")
        run, check = imports.dry_run(
            request.session,
            workspace=me.workspace,
            coordinator=me,
            file_name=name,
            data=data,
            look_up=lambda refs: look_up_people(request.client, refs),
            default_capacity=request.settings.mentor_capacity,
            hours=request.hours,
            configured=request.settings.coordinators,
            now=request.now,
        )
    except UserError as problem:
        request.session.rollback()
        message = f":warning: {problem.message}"
        if problem.example:
            message += f"\n_{problem.example}._"
        if not show_in_form(request, program_blocks.working_modal("Import pairs", message)):
            answer(request, message)
        return
    request.session.commit()
    new, already, problems = len(check.new), len(check.already), _problems(check)
    form = program_blocks.dry_run_modal(
        run_id=run.id, file_name=name, new=new, already=already, problems=problems
    )
    if not show_in_form(request, form):
        by_dm = program_blocks.dry_run_message(
            run_id=run.id, file_name=name, new=new, already=already, problems=problems
        )
        answer(request, *by_dm)


def run_import(request: SlackRequest, me: Person, run_id: int) -> str:
    """Create the pairs; returns what to tell the coordinator."""
    result = imports.apply_import(
        request.session,
        run_id=run_id,
        coordinator=me,
        default_capacity=request.settings.mentor_capacity,
        hours=request.hours,
        configured=request.settings.coordinators,
        now=request.now,
    )
    request.session.commit()
    minutes = _minutes(result.first_welcome_at, result.last_welcome_at)
    refresh_homes(request, [me])
    return program_blocks.import_done(
        created=result.created,
        skipped=[(problem.line, problem.message) for problem in result.skipped],
        minutes=minutes,
    )


def _minutes(first: datetime | None, last: datetime | None) -> int:
    if first is None or last is None:
        return 0
    return round((last - first).total_seconds() / 60) + 1
