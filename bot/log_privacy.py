"""Keeps what people type out of the logs, even at DEBUG.

slack_sdk and Bolt log whole request and response bodies at DEBUG: check-in updates, goals,
thank-you notes and the patient-information guard's echo of flagged text among them. This
filter cuts those records at the body, so turning on DEBUG never writes them to a log.
"""

from __future__ import annotations

import logging
import re

# Loggers whose DEBUG records carry message bodies (Bolt logs through Rounds' own logger).
BODY_LOGGERS = ("rounds.bolt", "slack_sdk.web.base_client", "slack_sdk.socket_mode")
_BODY = re.compile(r"(body(?:_params)?|json_body|payload|Received the following response)", re.I)


class RedactBodies(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.DEBUG:
            return True
        message = record.getMessage()
        found = _BODY.search(message)
        if found:
            record.msg = (
                message[: found.start()] + "… (body not logged: it may hold what people typed)"
            )
            record.args = ()
        return True


def keep_bodies_out_of_logs() -> None:
    """Install the filter on every logger known to log bodies (idempotent)."""
    for name in BODY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RedactBodies) for existing in logger.filters):
            logger.addFilter(RedactBodies())
