"""Bulk rows for benchmarks: a workspace, people, active pairs, goals and due deliveries."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import Engine, func, insert, select

from bot.store.models import (
    CadenceUnit,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Goal,
    GoalStatus,
    Pair,
    PairState,
    Person,
    Workspace,
)

TEAM_ID = "T0001"
# All inside 09:00-17:00 at 18:00 UTC, when the delivery benchmark's clock says it is.
ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles")
CHUNK = 5_000


def mentee_id(index: int) -> str:
    return f"U1{index:08d}"


def mentor_id(index: int) -> str:
    return f"U2{index:08d}"


def space_id(index: int) -> str:
    return f"G{index:09d}"


def _chunks(rows: list[dict[str, object]]) -> list[list[dict[str, object]]]:
    return [rows[start : start + CHUNK] for start in range(0, len(rows), CHUNK)]


def seed_pairs(
    engine: Engine,
    *,
    count: int,
    now: datetime,
    start: int = 0,
    due_every: int = 0,
    goals_per_pair: int = 0,
    spaces: bool = True,
) -> None:
    """Pairs start..start+count, active, with fresh profiles and cached spaces. Every
    `due_every`-th pair's next prompt is due now; the rest come within two weeks."""
    with engine.begin() as connection:
        workspace = connection.execute(
            select(Workspace.id).where(Workspace.team_id == TEAM_ID)
        ).scalar()
        if workspace is None:
            workspace = connection.execute(
                insert(Workspace).values(team_id=TEAM_ID, created_at=now).returning(Workspace.id)
            ).scalar_one()
        first_person = (
            int(connection.execute(select(func.coalesce(func.max(Person.id), 0))).scalar_one()) + 1
        )
        people = []
        for offset, index in enumerate(range(start, start + count)):
            for slack_id in (mentee_id(index), mentor_id(index)):
                people.append(
                    {
                        "workspace_id": workspace,
                        "slack_user_id": slack_id,
                        "tz": ZONES[index % len(ZONES)],
                        "is_slack_admin": False,
                        "is_coordinator": False,
                        "profile_refreshed_at": now,
                        "created_at": now,
                    }
                )
            del offset
        for chunk in _chunks(people):
            connection.execute(insert(Person), chunk)
        first_pair = (
            int(connection.execute(select(func.coalesce(func.max(Pair.id), 0))).scalar_one()) + 1
        )
        pairs = []
        for offset, index in enumerate(range(start, start + count)):
            due = due_every and index % due_every == 0
            pairs.append(
                {
                    "workspace_id": workspace,
                    "mentee_id": first_person + 2 * offset,
                    "mentor_id": first_person + 2 * offset + 1,
                    "state": PairState.ACTIVE,
                    "cadence_unit": CadenceUnit.WEEK,
                    "cadence_interval": 2,
                    "cadence_weekday": 1,
                    "cadence_time": time(9),
                    "checkin_channel_id": space_id(index) if spaces else None,
                    "next_prompt_at": now - timedelta(minutes=1)
                    if due
                    else now + timedelta(minutes=10 + index % 20_000),
                    "unanswered_prompts": 0,
                    "going_cold": False,
                    "thanks_sent": 0,
                    "requested_at": now,
                    "activated_at": now,
                }
            )
        for chunk in _chunks(pairs):
            connection.execute(insert(Pair), chunk)
        if goals_per_pair:
            goals = [
                {
                    "pair_id": first_pair + offset,
                    "mentee_id": first_person + 2 * offset,
                    "number": number,
                    "text": f"Goal {number}: shadow a clinic and write up one question",
                    "status": GoalStatus.OPEN,
                    "created_at": now,
                }
                for offset in range(count)
                for number in range(1, goals_per_pair + 1)
            ]
            for chunk in _chunks(goals):
                connection.execute(insert(Goal), chunk)


def seed_due_deliveries(
    engine: Engine,
    *,
    now: datetime,
    period: str = "bench",
    kind: DeliveryKind = DeliveryKind.PROMPT,
) -> int:
    """One due prompt (or `kind`) per active pair, as the planner would have left them."""
    with engine.begin() as connection:
        rows = [
            {
                "pair_id": pair_id,
                "kind": kind,
                "period": period,
                "status": DeliveryStatus.SCHEDULED,
                "due_at": now - timedelta(minutes=1),
                "attempts": 0,
                "in_doubt": False,
                "channel_id": channel,
                "created_at": now,
            }
            for pair_id, channel in connection.execute(
                select(Pair.id, Pair.checkin_channel_id).order_by(Pair.id)
            )
        ]
        for chunk in _chunks(rows):
            connection.execute(insert(Delivery), chunk)
    return len(rows)


def seed_history(engine: Engine, *, now: datetime, after_pair_id: int = 0) -> int:
    """One sent prompt per pair after `after_pair_id`, as a program that has run a while
    leaves the outbox: the passes that find nothing due must not read through it."""
    with engine.begin() as connection:
        sent_at = now - timedelta(days=14)
        rows = [
            {
                "pair_id": pair_id,
                "kind": DeliveryKind.PROMPT,
                "period": "history",
                "status": DeliveryStatus.SENT,
                "due_at": sent_at,
                "attempts": 1,
                "in_doubt": False,
                "channel_id": channel,
                "ts": f"{sent_at.timestamp():.6f}",
                "outcome": "sent",
                "created_at": sent_at,
                "finished_at": sent_at,
            }
            for pair_id, channel in connection.execute(
                select(Pair.id, Pair.checkin_channel_id)
                .where(Pair.id > after_pair_id)
                .order_by(Pair.id)
            )
        ]
        for chunk in _chunks(rows):
            connection.execute(insert(Delivery), chunk)
    return len(rows)
