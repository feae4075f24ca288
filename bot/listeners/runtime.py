"""How a Bolt listener runs a Rounds handler: one session, one transaction, friendly failures."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_bolt.middleware import Middleware
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import OperationalError

from bot.domain.errors import UserError
from bot.listeners import turns
from bot.listeners.replies import answer_problem
from bot.listeners.request import (
    ACK_BUDGET_SECONDS,
    AnswerAfterAckError,
    OnceAck,
    SlackRequest,
    default_lookups,
)
from bot.store.db import SessionFactory
from bot.store.events import claim_event

log = logging.getLogger("rounds.listeners")

# problem_text() adds the pointer to `/mentor help`.
SLACK_REFUSED = UserError("Slack didn't let me finish that just now; please try again in a minute.")
SORRY = (
    ":warning: Sorry — something went wrong on our side while handling that. "
    "Please try again in a minute; if it keeps happening, tell your program coordinator."
)


Handler = Callable[[SlackRequest], None]


def tell_user_it_failed(
    *, ack: Ack | OnceAck, respond: Respond, body: dict[str, Any], client: WebClient
) -> None:
    """Say sorry on whatever channel this kind of request still has open."""
    once = ack if isinstance(ack, OnceAck) else OnceAck(ack)
    try:
        if body.get("type") == "view_submission":
            once()  # close the modal; the apology follows as a DM below
        elif once(text=SORRY):
            return
        if body.get("response_url") or body.get("response_urls"):
            respond(text=SORRY, response_type="ephemeral", replace_original=False)
        elif body.get("type") in {"view_submission", "block_actions"} and body.get("user"):
            client.chat_postMessage(channel=body["user"]["id"], text=SORRY)
    except Exception:
        log.exception("could not tell the user that their request failed")


ReadOnly = Callable[[dict[str, Any]], bool]


def transactional(handler: Handler, *, reads_only: ReadOnly | None = None) -> Callable[..., None]:
    """Wrap a handler as a Bolt listener that owns a session for the handler's whole run.
    Requests `reads_only` says only read get a read session (no queueing on SQLite)."""

    def listener(
        ack: Ack,
        body: dict[str, Any],
        client: WebClient,
        respond: Respond,
        context: BoltContext,
    ) -> None:
        if reads_only is not None and reads_only(body):
            try:
                _run(handler, context["read_session_factory"], ack, body, client, respond, context)
                return
            except _ReadSessionWroteError:
                if context.get("within_request"):
                    # Not while others wait their turn (turns.py) behind SQLite's writer.
                    raise AnswerAfterAckError from None
                # It had to write after all (a first-time user): once more, as a writer.
        _run(handler, context["session_factory"], ack, body, client, respond, context)

    listener.__name__ = handler.__name__
    listener.__qualname__ = handler.__qualname__
    return listener


class _AnswerInRequest(Middleware):
    """See `in_request`. A Middleware, not a function: Bolt calls it without inspecting its
    arguments, which matters on a path measured in fractions of a millisecond."""

    def __init__(self, listener: Callable[..., None], when: ReadOnly) -> None:
        self.listener = listener
        self.when = when

    def process(
        self,
        *,
        req: BoltRequest,
        resp: BoltResponse,
        next: Callable[[], BoltResponse],  # Bolt passes it by this name
    ) -> BoltResponse | None:
        if not self.when(req.body):
            return next()
        context = req.context
        ack = context.ack
        context["within_request"] = True
        took_turn = not turns.IN_REQUEST.held_here()  # bot.web may have taken it already
        if took_turn:
            turns.IN_REQUEST.take()
        try:
            self.listener(ack, req.body, context.client, context.respond, context)
        except AnswerAfterAckError:
            turns.IN_REQUEST.hand_on()  # it waits for Slack now; the next answer goes ahead
            return next()  # it needs Slack first: to the pool, acknowledged by the deadline
        finally:
            context["within_request"] = False
            if took_turn:
                turns.IN_REQUEST.hand_on()
        if ack.response is None:
            ack()
        return ack.response


def in_request(listener: Callable[..., None], *, when: ReadOnly) -> Middleware:
    """Bolt listener middleware that runs `listener` for the requests `when` picks inside the
    HTTP request and answers with its ack, instead of handing it to the listener pool and
    polling every 10 ms for the ack (Bolt's process_before_response, for those requests only).
    Read-only commands answer in their ack anyway, so Slack hears sooner and nothing waits;
    every other request goes on to the pool and is acknowledged first, as before."""
    return _AnswerInRequest(listener, when)


class _ReadSessionWroteError(Exception):
    """A read session tried to write while SQLite's writer was busy; nothing was acked."""


def _run(
    handler: Handler,
    sessions: SessionFactory,
    ack: Ack,
    body: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    received_at = context.get("received_at") or time.monotonic()
    with sessions() as session:
        request = SlackRequest(
            ack=OnceAck(ack),
            body=body,
            client=client,
            respond=respond,
            session=session,
            settings=context["settings"],
            ack_by=received_at + ACK_BUDGET_SECONDS,
            lookups=context.get("lookups") or default_lookups(),
            within_request=bool(context.get("within_request")),
        )
        deadline = _ack_at_deadline(request)
        try:
            event_id = body.get("event_id")
            # Slack retries events it thinks we missed; the claim commits with the
            # handler's work, so a failed first attempt is processed again, once.
            if event_id and not claim_event(session, event_id=event_id, now=request.now):
                log.info("event %s was already processed; ignoring Slack's retry", event_id)
                return
            handler(request)
            if session.in_transaction():  # an answer read through the driver began none
                session.commit()
        except AnswerAfterAckError:
            session.rollback()
            raise
        except UserError as problem:
            session.rollback()
            answer_problem(request, problem)
        except SlackApiError as error:
            session.rollback()
            log.warning(
                "Slack refused a call in %s: %s", handler.__name__, error.response.get("error")
            )
            answer_problem(request, SLACK_REFUSED)
        except OperationalError as error:
            session.rollback()
            lock_refused = "locked" in str(error) or "busy" in str(error)
            read_session = sessions is context.get("read_session_factory")
            if lock_refused and read_session and not request.ack.done:
                raise _ReadSessionWroteError from error
            log.exception("handler %s failed", handler.__name__)
            tell_user_it_failed(ack=request.ack, respond=respond, body=body, client=client)
        except Exception:
            session.rollback()
            log.exception("handler %s failed", handler.__name__)
            tell_user_it_failed(ack=request.ack, respond=respond, body=body, client=client)
        finally:
            if deadline is not None:
                deadline.cancel()


def _ack_at_deadline(request: SlackRequest) -> threading.Timer | None:
    """Whatever a handler still does before its ack (Slack look-ups, a busy database), Slack
    gets an empty ack by the deadline; the handler's answer then goes through the response_url
    (see replies.answer). A form's submission is left alone: its ack decides if it closes."""
    if request.ack.done or not request.may_answer_later or request.within_request:
        return None  # (within the request, nothing waits on Slack before the answer)
    timer = threading.Timer(max(0.0, request.ack_by - time.monotonic()), _ack_late, [request])
    timer.daemon = True
    timer.start()
    return timer


def _ack_late(request: SlackRequest) -> None:
    if request.ack():
        log.info("acknowledged at the deadline; the answer follows through the response_url")


def report_unhandled_error(
    error: Exception, body: dict[str, Any], ack: Ack, respond: Respond, client: WebClient
) -> None:
    """Bolt's last resort, for errors outside our handlers (middleware, Bolt itself)."""
    log.error("unhandled error for a %s request", body.get("type", "?"), exc_info=error)
    tell_user_it_failed(ack=ack, respond=respond, body=body, client=client)
