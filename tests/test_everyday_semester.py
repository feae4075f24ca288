"""A semester replayed against the fake Slack, as a tired student, a surgeon on call and a
mentor in Kolkata would live it. At the end: every time shown carries its zone, no nudge
went out outside each person's own hours, no typo was posted, no patient identifier was
posted without confirmation, and no prompt that someone acted on still has live buttons."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.domain.cadence import WorkingHours
from bot.domain.hours import in_hours, member
from bot.domain.phi_guard import scan
from bot.service import Database
from bot.store.models import Delivery, DeliveryKind, DeliveryStatus, Pair, PairState
from jobs.dispatcher import Dispatcher
from jobs.tick import tick
from sandbox.fake_slack import FakeSlack, SlackCall
from tests.slack_requests import SlackSender, block_action_payload

COORDINATOR = "UCOORD"
ANA, RAO = "U0ANA", "U0RAO"  # New York student, Kolkata mentor: their days never meet
BEN, SURGEON = "U0BEN", "U0SURGEON"  # Chicago student, New York surgeon on 06:00-14:00
CLEO, MAX = "U0CLEO", "U0MAX"  # London student on night float (16:00-20:00), London mentor
ZONES = {
    ANA: "America/New_York",
    RAO: "Asia/Kolkata",
    BEN: "America/Chicago",
    SURGEON: "America/New_York",
    CLEO: "Europe/London",
    MAX: "Europe/London",
    COORDINATOR: "America/New_York",
}
SEMESTER = timedelta(weeks=16)
DEFAULT = WorkingHours()
CLOCK = re.compile(r"\b\d{2}:\d{2}\b")


def unlabelled_clocks(text: str) -> list[str]:
    """Every HH:MM not followed by whose clock it is ("your time", "for @x", a zone). Code
    spans are commands and examples (`/mentor hours 07:00-15:00`), not times shown."""
    text = re.sub(r"`[^`]*`", "`…`", text)
    found = []
    for match in CLOCK.finditer(text):
        after = text[match.end() : match.end() + 40]
        labelled = (
            r"(?: your time| [A-Za-z ]*time| for <@[A-Z0-9]+>| \([A-Z][\w/+-]+\)|–\d{2}:\d{2})"
        )
        if re.match(labelled, after):
            continue
        found.append(text[max(0, match.start() - 40) : match.end() + 20])
    return found


@dataclass
class Said:
    """What someone was shown, to check every time in it."""

    who: str
    what: str
    text: str


class Semester:
    def __init__(self, slack: SlackSender, fake: FakeSlack, database: Database) -> None:
        self.slack, self.fake, self.database = slack, fake, database
        self.shown: list[Said] = []

    def command(self, user: str, command: str, text: str) -> str:
        reply, response_url = self.slack.command(command, text, user=user)
        assert reply.status == 200
        body = reply.json if reply.body else self.fake.wait_for_response(response_url)[-1]
        shown = json.dumps(body, ensure_ascii=False)
        self.shown.append(Said(user, f"{command} {text}", shown))
        return shown

    def home(self, user: str) -> str:
        def for_user(call: SlackCall) -> bool:
            return call.args["user_id"] == user

        before = len([c for c in self.fake.calls_to("views.publish") if for_user(c)])
        self.slack.event({"type": "app_home_opened", "user": user, "channel": "D0X", "tab": "home"})
        view = self.fake.wait_for("views.publish", for_user, count=before + 1)[-1].args["view"]
        shown = json.dumps(view, ensure_ascii=False)
        self.shown.append(Said(user, "Home tab", shown))
        return shown

    def press_on(self, user: str, channel: str, message: dict[str, Any], action_id: str) -> str:
        value = next(
            element["value"]
            for block in message["blocks"]
            for element in block.get("elements", [])
            if element.get("action_id") == action_id
        )
        response_url = self.fake.new_response_url()
        payload = block_action_payload(
            user=user,
            action_id=action_id,
            value=value,
            response_url=response_url,
            container={"type": "message", "channel_id": channel, "message_ts": message["ts"]},
        )
        payload["message"] = {k: message[k] for k in ("ts", "text", "blocks")}
        assert self.slack.interaction(payload).status == 200
        answer = self.fake.wait_for_response(response_url)[-1]
        shown = json.dumps(answer, ensure_ascii=False)
        self.shown.append(Said(user, action_id, shown))
        return shown

    def spaces(self) -> dict[int, str]:
        with self.database.sessions() as session:
            return {pair.id: str(pair.checkin_channel_id) for pair in session.scalars(select(Pair))}

    def next_moment(self, after: datetime) -> datetime:
        """When the next thing is due: a planned prompt or a delivery in the outbox."""
        with self.database.sessions() as session:
            moments = [
                max(d.due_at, d.not_before or d.due_at)
                for d in session.scalars(
                    select(Delivery).where(Delivery.status == DeliveryStatus.SCHEDULED)
                )
            ]
            moments += [
                pair.next_prompt_at
                for pair in session.scalars(select(Pair).where(Pair.state == PairState.ACTIVE))
                if pair.next_prompt_at is not None
            ]
        return max(min(moments), after + timedelta(seconds=1))

    def prompts(self, channel: str) -> list[dict[str, Any]]:
        return [m for m in self.fake.messages(channel) if "Time to check in" in m["text"]]


def test_a_semester_of_everyday_details(
    slack: SlackSender, fake_slack: FakeSlack, database: Database, dispatcher: Dispatcher
) -> None:
    for user, tz in ZONES.items():
        fake_slack.add_user(user, tz=tz)
    term = Semester(slack, fake_slack, database)
    start = datetime.now(UTC)

    # --- week 0: pairing, hours, rhythm ------------------------------------------------------
    for mentee, mentor in ((ANA, RAO), (BEN, SURGEON), (CLEO, MAX)):
        assert "Paired" in term.command(COORDINATOR, "/mentor", f"pair <@{mentee}> <@{mentor}>")
    fake_slack.wait_for("chat.postMessage", lambda c: "Welcome" in str(c.args), count=3)
    fake_slack.wait_for("chat.postMessage", lambda c: c.args.get("channel") == MAX)
    assert "06:00–14:00 your time" in term.command(SURGEON, "/mentor", "hours 6am-2pm")
    assert "16:00–20:00 your time" in term.command(CLEO, "/mentor", "hours 4pm-8pm")
    term.command(BEN, "/mentor", f"cadence <@{SURGEON}> every two weeks on Thursday at 4pm")
    for person in ZONES:
        term.command(person, "/mentor", "list")
        term.command(person, "/checkin", "status")
        term.home(person)

    # Typos and patient identifiers, typed the way tired people type.
    assert "Did you mean `/checkin status`?" in term.command(ANA, "/checkin", "statsu")
    assert "Did you mean `/mentor list`?" in term.command(RAO, "/mentor", "lsit")
    assert "Did you mean `/goal help`?" in term.command(BEN, "/goal", "hlep")
    warned = term.command(BEN, "/checkin", "Pt Morales in room 214 asked about advance directives")
    assert "This may contain patient information" in warned
    assert "Posted" in term.command(BEN, "/checkin", "A patient asked me about advance directives")
    term.command(ANA, "/goal", "add Draft my personal statement by next Friday")

    # --- the semester, one due moment at a time ------------------------------------------------
    spaces = term.spaces()
    with database.sessions() as session:
        pair_of = {pair.mentee.slack_user_id: pair.id for pair in session.scalars(select(Pair))}
    acted: dict[str, dict[str, Any]] = {}  # the prompt as it looked when pressed
    moment = start
    ticks = 0
    while moment < start + SEMESTER:
        moment = term.next_moment(moment)
        if moment >= start + SEMESTER:
            break
        tick(database.sessions, dispatcher, now=moment)
        ticks += 1
        # Each pair's first prompt meets a different person.
        for mentee, (who, action_id) in {
            ANA: (RAO, "checkin_we_met"),
            BEN: (BEN, "checkin_snooze"),
        }.items():
            channel = spaces[pair_of[mentee]]
            prompts = term.prompts(channel)
            if prompts and mentee not in acted:
                acted[mentee] = prompts[0]
                term.press_on(who, channel, prompts[0], action_id)
        assert ticks < 200, "the replay should settle into a rhythm"

    # The old prompt, still on a phone's screen with its buttons, pressed again much later,
    # answers instead of acting twice.
    ana_channel = spaces[pair_of[ANA]]
    assert "already handled" in term.press_on(ANA, ana_channel, acted[ANA], "checkin_snooze")
    for person in ZONES:
        term.command(person, "/mentor", "list")
        term.home(person)

    # --- every time shown says whose clock it is --------------------------------------------------
    everything = [said.text for said in term.shown] + [
        json.dumps(message, ensure_ascii=False) for message in fake_slack.messages()
    ]
    for text in everything:
        assert "<!date^" not in text
        assert unlabelled_clocks(text) == [], text[:300]
    rao_list = next(s.text for s in term.shown if s.who == RAO and s.what == "/mentor list")
    assert "your time (Tuesday at 09:00 for <@U0ANA>)" in rao_list

    # --- no nudge outside each person's own hours ---------------------------------------------
    with database.sessions() as session:
        sent = session.scalars(select(Delivery).where(Delivery.status == DeliveryStatus.SENT)).all()
        assert len([d for d in sent if d.kind is DeliveryKind.PROMPT]) >= 12
        for delivery in sent:
            pair = delivery.pair
            assert delivery.finished_at is not None
            readers = (
                [pair.mentee]
                if delivery.kind in (DeliveryKind.GRATITUDE, DeliveryKind.WRAP_UP)
                else [pair.mentee, pair.mentor]
            )
            if pair.hours_clash_noted_at is not None:
                readers = [pair.mentee]  # told once: prompts follow the mentee's hours
            for reader in readers:
                assert in_hours(delivery.finished_at, member(reader, default=DEFAULT)), (
                    delivery.kind,
                    reader.slack_user_id,
                    delivery.finished_at,
                )
        clashing = [pair for pair in session.scalars(select(Pair)) if pair.hours_clash_noted_at]
        assert [pair.mentee.slack_user_id for pair in clashing] == [ANA]
    for channel in spaces.values():
        notices = [m for m in fake_slack.messages(channel) if "never overlap" in json.dumps(m)]
        assert len(notices) == (1 if channel == ana_channel else 0)

    # --- no typo posted, no patient identifier posted unconfirmed ---------------------------
    posted = [m for channel in spaces.values() for m in fake_slack.messages(channel)]
    assert not any("statsu" in m["text"] for m in posted)
    for message in fake_slack.messages():
        assert scan(json.dumps(message.get("blocks") or message["text"])) == [], message["text"]

    # --- no live button on a prompt someone acted on ---------------------------------------------
    with database.sessions() as session:
        settled = session.scalars(select(Delivery).where(Delivery.settled_at.is_not(None))).all()
        assert {d.settled_as for d in settled} == {"met", "snoozed"}
        for delivery in settled:
            (message,) = [
                m for m in fake_slack.messages(str(delivery.channel_id)) if m["ts"] == delivery.ts
            ]
            assert not any(b.get("type") == "actions" for b in message["blocks"])
            assert "marked by" in json.dumps(message, ensure_ascii=False)
