"""The sandbox, in-process and without a browser: the page's forms drive the real Rounds app
through signed requests, and the clock moves Rounds' planner and dispatcher through time."""

from __future__ import annotations

import html
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from sandbox.clock import ClockError
from sandbox.run import Sandbox
from sandbox.slack_side import COMMANDS

STUDENT, MENTOR, COORDINATOR = "U0MAYA", "U0HART", "U0HELEN"


@dataclass
class Page:
    url: str
    text: str

    def values(self, name: str) -> list[str]:
        found = re.findall(rf'name="{re.escape(name)}" value="([^"]*)"', self.text)
        return [html.unescape(value) for value in found]

    def button(self, label: str) -> str:
        """The `_action` value of the button with this label."""
        match = re.search(rf'name="_action"\s+value="([^"]*)"[^>]*>{re.escape(label)}<', self.text)
        assert match, f"no {label!r} button on {self.url}"
        return html.unescape(match.group(1))

    def form_with(self, marker: str) -> str:
        """The <form …>…</form> holding `marker`."""
        index = self.text.index(marker)
        start = self.text.rindex("<form", 0, index)
        return self.text[start : self.text.index("</form>", index)]


class Visitor:
    """A person at the sandbox's page, without a browser."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")

    def get(self, path: str) -> Page:
        with urllib.request.urlopen(self.base + path, timeout=30) as response:
            return Page(response.url, response.read().decode())

    def post(self, path: str, **fields: str) -> Page:
        body = urllib.parse.urlencode(fields).encode()
        with urllib.request.urlopen(self.base + path, data=body, timeout=60) as response:
            return Page(response.url, response.read().decode())

    def dm(self, user: str) -> str:
        return self.get(f"/u/{user}/").url.rsplit("/c/", 1)[1]

    def space(self, user: str) -> str:
        page = self.get(f"/u/{user}/")
        match = re.search(rf'href="/u/{user}/c/(G[A-Z0-9]+)"', page.text)
        assert match, "no check-in space in the sidebar"
        return match.group(1)

    def say(self, user: str, channel: str, text: str) -> Page:
        back = f"/u/{user}/c/{channel}"
        return self.post(f"/u/{user}/say", channel=channel, text=text, back=back)


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    started = Sandbox.start(port=0, database_path=tmp_path / "sandbox.db", env={}, timer=False)
    started.serve_in_thread()
    yield started
    started.close()


@pytest.fixture
def visitor(sandbox: Sandbox) -> Visitor:
    return Visitor(sandbox.url)


def pair_up(visitor: Visitor) -> str:
    """Maya asks Dr. Hart, who accepts; returns their check-in space."""
    page = visitor.say(STUDENT, visitor.dm(STUDENT), "/mentor request @hart Could we meet?")
    assert "Your request went to" in page.text
    assert '<span class="mention">@Dr. Amelia Hart</span>' in page.text
    request = visitor.get(f"/u/{MENTOR}/c/{visitor.dm(MENTOR)}")
    assert "would like you to be their mentor" in request.text
    (ts,) = request.values("ts")[:1]
    accepted = visitor.post(
        f"/u/{MENTOR}/act",
        source="message",
        channel=visitor.dm(MENTOR),
        ts=ts,
        _action=request.button("Accept"),
        back=f"/u/{MENTOR}/c/{visitor.dm(MENTOR)}",
    )
    assert "You accepted" in accepted.text
    assert ">Accept<" not in accepted.text  # the buttons gave way to what happened
    return visitor.space(STUDENT)


def test_a_student_and_a_mentor_pair_check_in_and_get_a_prompt(
    sandbox: Sandbox, visitor: Visitor
) -> None:
    space = pair_up(visitor)
    assert "This is your check-in space" in visitor.get(f"/u/{STUDENT}/c/{space}").text

    posted = visitor.say(STUDENT, space, "/checkin I read the paper and have two questions")
    assert "Check-in from" in posted.text
    mentor_view = visitor.get(f"/u/{MENTOR}/c/{space}")
    post_ts = re.findall(r'data-ts="([0-9.]+)" data-author="UBOT"', mentor_view.text)[-1]
    replied = visitor.post(
        f"/u/{MENTOR}/reply",
        channel=space,
        thread_ts=post_ts,
        text="Good questions — Thursday?",
        back=f"/u/{MENTOR}/c/{space}",
    )
    assert 'data-author="U0HART"' in replied.text
    assert '<span class="reaction">📝 1</span>' in replied.text  # Rounds noted the answer

    started = sandbox.clock.now()
    for _ in range(4):
        page = visitor.post("/clock/next", user=MENTOR, back=f"/u/{MENTOR}/c/{space}")
        if "Time to check in" in page.text:
            break
    assert "Time to check in" in page.text
    assert ">Snooze a week<" in page.text and ">Log a check-in<" in page.text
    assert sandbox.clock.now() - started > timedelta(days=7)
    assert "Rounds sent 1 message" in page.text

    by_role = visitor.get("/messages").text
    spaces = by_role[by_role.index('id="role-spaces"') :]
    assert "Time to check in" in spaces
    students = by_role[by_role.index('id="role-student"') : by_role.index('id="role-mentor"')]
    assert 'You and <span class="mention">@Dr. Amelia Hart</span> are now paired' in students
    mentors = by_role[by_role.index('id="role-mentor"') : by_role.index('id="role-coordinator"')]
    # The request as it was sent, buttons and all, though its buttons gave way on accepting.
    assert "would like you to be their mentor" in mentors and ">Accept<" in mentors


def test_the_check_in_form_is_a_modal_with_slacks_validation(
    sandbox: Sandbox, visitor: Visitor
) -> None:
    space = pair_up(visitor)
    dm = visitor.dm(STUDENT)
    page = visitor.say(STUDENT, dm, "/checkin")
    assert 'id="modal"' in page.text
    modal = page.form_with('id="modal"')
    assert "<h2>Check in</h2>" in modal
    assert 'type="date"' in modal and "<textarea" in modal
    (view_id,) = page.values("view_id")

    # Rounds itself refuses an empty form (response_action: errors); the modal stays open.
    refused = visitor.post(f"/u/{STUDENT}/modal", view_id=view_id, _submit="1", back="/")
    assert "Write something for your mentor" in refused.text
    assert 'id="modal"' in refused.text
    future = visitor.post(
        f"/u/{STUDENT}/modal",
        view_id=view_id,
        _submit="1",
        back="/",
        **{"f:questions:value": "Which elective?", "f:met:value": "2099-01-01"},
    )
    assert "is in the future" in future.text
    assert "Which elective?</textarea>" in future.text  # what was typed is still there
    assert 'value="2099-01-01"' in future.text

    done = visitor.post(
        f"/u/{STUDENT}/modal",
        view_id=view_id,
        _submit="1",
        back=f"/u/{STUDENT}/c/{space}",
        **{"f:mind:value": "Ready for my first rotation?", "f:met:value": ""},
    )
    assert 'id="modal"' not in done.text
    assert "Ready for my first rotation?" in done.text

    cancelled = visitor.say(STUDENT, dm, "/checkin")
    (again,) = cancelled.values("view_id")
    closed = visitor.post(f"/u/{STUDENT}/modal", view_id=again, _close="1", back="/")
    assert 'id="modal"' not in closed.text


def test_the_home_tab_opens_and_its_buttons_work(sandbox: Sandbox, visitor: Visitor) -> None:
    pair_up(visitor)
    home = visitor.get(f"/u/{STUDENT}/home?open=1")
    assert "Your mentorship" in home.text
    view_id = home.values("view_id")[0]
    opened = visitor.post(
        f"/u/{STUDENT}/act",
        source="view",
        view_id=view_id,
        _action=home.button("Add a goal"),
        back=f"/u/{STUDENT}/home",
    )
    assert 'id="modal"' in opened.text


def test_the_clock_runs_every_pass_on_the_way_to_a_date(sandbox: Sandbox, visitor: Visitor) -> None:
    space = pair_up(visitor)
    target = (sandbox.clock.now() + timedelta(weeks=5)).astimezone(UTC)
    page = visitor.post(
        "/clock/to",
        user=STUDENT,
        date=target.date().isoformat(),
        time="12:00",
        back=f"/u/{STUDENT}/c/{space}",
    )
    prompts = [m for m in sandbox.fake.messages(space) if "Time to check in" in m["text"]]
    # Run continuously, the app would have sent each prompt in its week, not one late one.
    assert len(prompts) == 2
    assert "Rounds sent" in page.text

    with pytest.raises(ClockError, match="only moves forward"):
        sandbox.rehearsal.jump_to(sandbox.clock.now() - timedelta(days=1))
    before = sandbox.clock.now()
    refused = visitor.post(
        "/clock/to", user=STUDENT, date="2001-01-01", time="09:00", back=f"/u/{STUDENT}/"
    )
    assert "only moves forward" in refused.text
    assert sandbox.clock.now() - before < timedelta(minutes=1)


def test_next_nudge_with_nothing_planned_says_so(sandbox: Sandbox, visitor: Visitor) -> None:
    before = sandbox.clock.now()
    page = visitor.post("/clock/next", user=STUDENT, back=f"/u/{STUDENT}/")
    assert "Nothing is scheduled yet" in page.text
    assert sandbox.clock.now() - before < timedelta(minutes=5)


def test_the_people_page_edits_the_school(sandbox: Sandbox, visitor: Visitor) -> None:
    page = visitor.post(
        "/people", op="edit", user_id=MENTOR, name="Dr. Amelia Hart", role="mentor", tz="Asia/Tokyo"
    )
    assert "Saved Dr. Amelia Hart" in page.text
    assert any(u["id"] == MENTOR and u["tz"] == "Asia/Tokyo" for u in sandbox.fake.users())
    added = visitor.post(
        "/people", op="add", name="Lee Kim", handle="lee", role="student", tz="Europe/Berlin"
    )
    assert "Added Lee Kim (@lee)" in added.text
    assert sandbox.school.by_handle("lee") is not None
    refused = visitor.post("/people", op="add", name="X", handle="lee", role="student", tz="UTC")
    assert "@lee is taken" in refused.text
    bad_zone = visitor.post(
        "/people", op="edit", user_id=MENTOR, name="Dr. Hart", role="mentor", tz="Mars/Olympus"
    )
    assert "is not a time zone" in bad_zone.text


def test_text_is_escaped_everywhere(sandbox: Sandbox, visitor: Visitor) -> None:
    space = pair_up(visitor)
    page = visitor.say(STUDENT, space, "<script>alert(1)</script> *hello*")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <strong>hello</strong>" in page.text


def test_pages_refuse_other_hosts_and_outside_redirects(sandbox: Sandbox) -> None:
    request = urllib.request.Request(sandbox.url, headers={"Host": "evil.example:80"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 421
    visitor = Visitor(sandbox.url)
    page = visitor.post(f"/u/{STUDENT}/say", channel="D0", text="hi", back="https://evil.example/")
    assert page.url.startswith(sandbox.url)


def test_forms_posted_from_other_sites_are_refused(sandbox: Sandbox) -> None:
    request = urllib.request.Request(
        sandbox.url + f"u/{STUDENT}/say",
        data=b"channel=D0&text=hi",
        headers={"Origin": "https://evil.example"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 421


def test_slack_answers_commands_rounds_does_not_have(visitor: Visitor) -> None:
    page = visitor.say(STUDENT, visitor.dm(STUDENT), "/mentr help")
    assert "/mentr is not a valid command" in page.text


def test_the_sandbox_knows_the_commands_the_manifest_registers() -> None:
    manifest = yaml.safe_load((Path(__file__).parents[1] / "manifest.yml").read_text())
    registered = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert tuple(registered) == COMMANDS


def test_rounds_itself_still_refuses_unsigned_requests(sandbox: Sandbox) -> None:
    body = urllib.parse.urlencode({"command": "/mentor", "text": "help"}).encode()
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(sandbox.url + "slack/events", data=body, timeout=10)
    assert refused.value.code == 401


def test_activity_endpoint_changes_when_rounds_posts(sandbox: Sandbox, visitor: Visitor) -> None:
    def activity() -> int:
        return int(json.loads(visitor.get("/api/activity").text)["activity"])

    before = activity()
    visitor.say(STUDENT, visitor.dm(STUDENT), "/mentor help")
    assert activity() != before


def test_the_sandbox_time_is_the_process_time(sandbox: Sandbox) -> None:
    sandbox.clock.advance_to(datetime.now(UTC) + timedelta(days=30))
    assert datetime.now(UTC) - sandbox.clock.now() < timedelta(seconds=5)
