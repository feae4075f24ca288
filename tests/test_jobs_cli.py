"""`python -m jobs` entry points, run as a coordinator or a platform would run them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings

REPO = Path(__file__).resolve().parents[1]


def run_jobs(*args: str, settings: Settings, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO),
        "SLACK_BOT_TOKEN": settings.slack_bot_token,
        "SLACK_API_URL": settings.slack_api_url,
        "DATABASE_URL": settings.database_url,
    }
    return subprocess.run(
        [sys.executable, "-m", "jobs", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_tick_at_an_instant_exits_0(settings: Settings, tmp_path: Path) -> None:
    result = run_jobs("tick", "--at", "2027-01-05T14:00:00Z", settings=settings, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "tick at 2027-01-05T14:00:00+00:00" in result.stdout


@pytest.mark.parametrize(
    ("at", "complaint"),
    [("next tuesday", "not an ISO-8601 time"), ("2027-01-05T14:00:00", "has no time zone")],
)
def test_tick_rejects_an_ambiguous_instant(
    settings: Settings, tmp_path: Path, at: str, complaint: str
) -> None:
    result = run_jobs("tick", "--at", at, settings=settings, cwd=tmp_path)
    assert result.returncode == 2
    assert complaint in result.stderr
    assert "Traceback" not in result.stderr


def test_the_embedded_scheduler_is_only_a_timer(settings: Settings, database_url: str) -> None:
    from bot.service import open_database
    from jobs.scheduler import start_scheduler

    scheduler = start_scheduler(settings, open_database(database_url, migrate=False).sessions)
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {"planner", "dispatcher", "profiles"}
        assert all(job.coalesce and job.max_instances == 1 for job in jobs.values())
        assert all(job.misfire_grace_time is None for job in jobs.values())  # never dropped
    finally:
        scheduler.shutdown(wait=False)
