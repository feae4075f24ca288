"""The database schema, as typed SQLAlchemy 2.0 models.

Rounds stores who, when, state, goal texts and cadence — never message text (SPEC, Privacy).
Every timestamp column is timezone-aware and holds UTC.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.store.functions import greatest, least

# Alembic needs stable constraint names to alter them later, on SQLite as on PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out — even on SQLite, which keeps no zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class PairState(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    PAUSED = "paused"
    ALUMNI = "alumni"  # ended, both members keep in touch: a catch-up every 6 months
    ENDED = "ended"
    DECLINED = "declined"


class CadenceUnit(enum.StrEnum):
    WEEK = "week"
    MONTH = "month"


class GoalStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"


class DeliveryKind(enum.StrEnum):
    PROMPT = "prompt"
    FOLLOW_UP = "follow_up"
    GRATITUDE = "gratitude"
    WRAP_UP = "wrap_up"  # to the mentee
    COORDINATOR_ALERT = "coordinator_alert"
    WELCOME = "welcome"  # an imported pair's first message, paced by the worker
    DIGEST = "digest"  # a coordinator's Monday digest; addressed to a person, not a pair
    KICK_OFF = "kick_off"
    MENTOR_WRAP_UP = "mentor_wrap_up"
    CATCH_UP = "catch_up"
    PAY_IT_FORWARD = "pay_it_forward"


class DeliveryStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"


def _enum(kind: type[enum.StrEnum], name: str) -> Enum:
    # Stored as plain strings with a CHECK, so adding a member is a small migration everywhere.
    return Enum(
        kind,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [member.value for member in members],
    )


class Workspace(Base):
    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Enterprise Grid: the org, when Rounds reached this workspace through an org-wide install.
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
    # When Slack said Rounds was uninstalled here (or its token revoked): no nudges from then
    # on, and the workspace's data is deleted 30 days later unless Rounds is installed again.
    uninstalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Person(Base):
    """A Slack user Rounds has met, with what it caches about them."""

    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("workspace_id", "slack_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    slack_user_id: Mapped[str] = mapped_column(String(32))
    tz: Mapped[str | None] = mapped_column(String(64))
    is_slack_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_coordinator: Mapped[bool] = mapped_column(Boolean, default=False)
    profile_refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dm_channel_id: Mapped[str | None] = mapped_column(String(32))
    mentor_capacity: Mapped[int | None] = mapped_column(Integer)
    # Their own working hours (`/mentor hours`), wall-clock in their zone; None: the default.
    work_start: Mapped[time | None] = mapped_column(Time)
    work_end: Mapped[time | None] = mapped_column(Time)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Shown where a mention cannot render (preview, plain-text labels); refreshed with the zone.
    display_name: Mapped[str | None] = mapped_column(String(120))
    digest_off: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    workspace: Mapped[Workspace] = relationship()


def _partial_index(name: str, *columns: str) -> Index:
    """An index over the rows whose last column is set; a query comparing that column with a
    value implies as much, so both databases use it."""
    only_set = text(f"{columns[-1]} IS NOT NULL")
    return Index(name, *columns, sqlite_where=only_set, postgresql_where=only_set)


class Pair(Base):
    """One mentee and one mentor, and the rhythm of their check-ins."""

    __tablename__ = "pairs"
    __table_args__ = (
        Index("ix_pairs_state_next_prompt_at", "state", "next_prompt_at"),
        # Partial: most pairs are neither paused nor waiting for their kick-off, and a pair
        # outside an index costs nothing there when the planner moves its next prompt.
        _partial_index("ix_pairs_state_paused_until", "state", "paused_until"),
        _partial_index("ix_pairs_state_kick_off_at", "state", "kick_off_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    mentee_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    state: Mapped[PairState] = mapped_column(_enum(PairState, "pair_state"))
    cadence_unit: Mapped[CadenceUnit] = mapped_column(
        _enum(CadenceUnit, "cadence_unit"), default=CadenceUnit.WEEK
    )
    cadence_interval: Mapped[int] = mapped_column(Integer, default=2)
    cadence_weekday: Mapped[int] = mapped_column(Integer, default=1)  # Monday is 0
    cadence_time: Mapped[time] = mapped_column(Time, default=time(9, 0))
    checkin_channel_id: Mapped[str | None] = mapped_column(String(32), index=True)
    paused_until: Mapped[date | None] = mapped_column(Date)
    paused_reason: Mapped[str | None] = mapped_column(String(200))
    next_prompt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_complete_checkin_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unanswered_prompts: Mapped[int] = mapped_column(Integer, default=0)
    going_cold: Mapped[bool] = mapped_column(Boolean, default=False)
    # Thank-you notes the mentee sent through Rounds: the thanks the mentor received. A count.
    thanks_sent: Mapped[int] = mapped_column(Integer, default=0)
    last_thanks_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    # When the kick-off is due; cleared once the planner has put it in the outbox.
    kick_off_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who pressed "Keep in touch" on their wrap-up; both → the pair is alumni.
    mentee_keeps_in_touch_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mentor_keeps_in_touch_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When both members were told their working hours never overlap (once, until they do).
    hours_clash_noted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    mentee: Mapped[Person] = relationship(foreign_keys=[mentee_id])
    mentor: Mapped[Person] = relationship(foreign_keys=[mentor_id])
    workspace: Mapped[Workspace] = relationship()


class MentorOffer(Base):
    """A person in the mentor directory, with topics in their own words (shown only inside
    their workspace)."""

    __tablename__ = "mentor_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), unique=True)
    topics: Mapped[str] = mapped_column(Text, default="")
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[Person] = relationship()


# One live pair per two people, whichever of them is the mentor: crossing requests (A asks B
# while B asks A) cannot both stand. Ended and declined pairs are history.
LIVE_PAIR = "state IN ('pending', 'active', 'paused')"
LOWER_MEMBER = least(Pair.mentee_id, Pair.mentor_id)
HIGHER_MEMBER = greatest(Pair.mentee_id, Pair.mentor_id)
Index(
    "uq_pairs_live_members",
    LOWER_MEMBER,
    HIGHER_MEMBER,
    unique=True,
    sqlite_where=text(LIVE_PAIR),
    postgresql_where=text(LIVE_PAIR),
)


class Goal(Base):
    __tablename__ = "goals"
    __table_args__ = (UniqueConstraint("pair_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"), index=True)
    mentee_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # stable, per pair: "goal 3" stays goal 3
    text: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[GoalStatus] = mapped_column(
        _enum(GoalStatus, "goal_status"), default=GoalStatus.OPEN
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    pair: Mapped[Pair] = relationship()


class CheckIn(Base):
    """One round of a pair's conversation: who showed up and when, never what was said."""

    __tablename__ = "checkins"
    __table_args__ = (Index("ix_checkins_pair_id_completed_at", "pair_id", "completed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    mentee_checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mentor_responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    met_on: Mapped[date | None] = mapped_column(Date)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    goals_moved: Mapped[int] = mapped_column(Integer, default=0)

    pair: Mapped[Pair] = relationship()


class CheckInPost(Base):
    """A mentee's check-in post in Slack. A round may have several (a second `/checkin`
    before the mentor answers); a reply in the thread of any of them answers that round."""

    __tablename__ = "checkin_posts"
    __table_args__ = (UniqueConstraint("channel_id", "ts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(
        ForeignKey("checkins.id", ondelete="CASCADE"), index=True
    )
    channel_id: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32))

    checkin: Mapped[CheckIn] = relationship()


class Delivery(Base):
    """The nudge outbox: one row per (pair, kind, period), sent at most once. A few kinds
    (the coordinator digest) go to a person instead: one row per (person, kind, period)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("pair_id", "kind", "period"),
        UniqueConstraint("person_id", "kind", "period"),
        Index("ix_deliveries_status_due_at", "status", "due_at"),
        # Claims whose lease ran out (deliveries.claim_due): without it SQLite scans the
        # outbox. Only claimed rows have a lease, so planning a row adds nothing here.
        _partial_index("ix_deliveries_status_lease_expires_at", "status", "lease_expires_at"),
        Index("ix_deliveries_channel_id_ts", "channel_id", "ts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int | None] = mapped_column(ForeignKey("pairs.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    kind: Mapped[DeliveryKind] = mapped_column(_enum(DeliveryKind, "delivery_kind"))
    period: Mapped[str] = mapped_column(String(40))
    status: Mapped[DeliveryStatus] = mapped_column(
        _enum(DeliveryStatus, "delivery_status"), default=DeliveryStatus.SCHEDULED
    )
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Not to be tried again before this (rate limits, backoff after Slack errors).
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set while a post may have reached Slack without our knowing: a crash or a timeout.
    # The next attempt first looks for its own earlier post.
    in_doubt: Mapped[bool] = mapped_column(Boolean, default=False)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    ts: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A prompt someone acted on ("we met", "snoozed"): its buttons are spent.
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    settled_as: Mapped[str | None] = mapped_column(String(20))
    settled_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))

    pair: Mapped[Pair | None] = relationship()
    person: Mapped[Person | None] = relationship(foreign_keys=[person_id])


class ProcessedEvent(Base):
    """Slack event IDs already handled, so Slack's retries change nothing."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Blackout(Base):
    """A stretch of the academic calendar without nudges: exam weeks, breaks (both days count)."""

    __tablename__ = "blackouts"
    __table_args__ = (
        UniqueConstraint("workspace_id", "starts_on", "ends_on", "name"),
        Index("ix_blackouts_workspace_id_ends_on", "workspace_id", "ends_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(10))  # "manual" or "ics"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImportRun(Base):
    """A checked CSV import: the dry run's plan, kept until the coordinator presses Import.
    Holds Slack user IDs, cadences and goal texts — never the file or anyone's email."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    coordinator_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    file_name: Mapped[str] = mapped_column(String(200))
    plan: Mapped[str] = mapped_column(Text)  # JSON: the lines that would become pairs
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_pairs: Mapped[int] = mapped_column(Integer, default=0)


class Installation(Base):
    """Rounds installed in a workspace, or in a whole Enterprise Grid org ("Add to Slack").

    One row per workspace or org: `installation_key` is the team ID (T…) of a workspace
    install or the enterprise ID (E…) of an org-wide one. Every token is encrypted with
    ROUNDS_TOKEN_KEY (bot.tokens); no column holds a token in plain text."""

    __tablename__ = "installations"

    id: Mapped[int] = mapped_column(primary_key=True)
    installation_key: Mapped[str] = mapped_column(String(32), unique=True)
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
    enterprise_name: Mapped[str | None] = mapped_column(String(200))
    enterprise_url: Mapped[str | None] = mapped_column(String(200))
    team_id: Mapped[str | None] = mapped_column(String(32))
    team_name: Mapped[str | None] = mapped_column(String(200))
    is_enterprise_install: Mapped[bool] = mapped_column(Boolean, default=False)
    app_id: Mapped[str | None] = mapped_column(String(32))
    token_type: Mapped[str | None] = mapped_column(String(20))
    bot_id: Mapped[str | None] = mapped_column(String(32))
    bot_user_id: Mapped[str | None] = mapped_column(String(32))
    bot_scopes: Mapped[str | None] = mapped_column(Text)
    bot_token_encrypted: Mapped[str | None] = mapped_column(Text)
    bot_refresh_token_encrypted: Mapped[str | None] = mapped_column(Text)
    bot_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    installer_user_id: Mapped[str] = mapped_column(String(32))
    user_scopes: Mapped[str | None] = mapped_column(Text)
    user_token_encrypted: Mapped[str | None] = mapped_column(Text)
    user_refresh_token_encrypted: Mapped[str | None] = mapped_column(Text)
    user_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    installed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OAuthState(Base):
    """An "Add to Slack" in progress: the OAuth state handed to the browser, kept as a hash
    until Slack's redirect brings it back (once) or it expires."""

    __tablename__ = "oauth_states"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
