"""`python -m bot`: one process — Bolt (Socket Mode, or HTTP on $PORT) and the scheduler."""

from __future__ import annotations

import logging
import sys

from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.config import slack_is_configured
from bot.service import build_service, configure_logging, settings_or_exit
from bot.slack_out import make_web_client
from bot.web import SLACK_PATH, make_http_server, make_wsgi_app
from jobs.scheduler import start_scheduler

log = logging.getLogger("rounds")


def main() -> None:
    configure_logging()
    if sys.argv[1:] == ["sandbox"] or not slack_is_configured():
        # No Slack at all: the same app against a local stand-in, with a page to drive it.
        from sandbox.run import run_sandbox

        run_sandbox()
        return
    settings = settings_or_exit()
    service = build_service(settings)
    scheduler = (
        start_scheduler(settings, service.database.sessions) if settings.scheduler_enabled else None
    )
    try:
        if settings.slack_app_token:
            log.info("Rounds is connecting to Slack in Socket Mode")
            SocketModeHandler(
                service.app, settings.slack_app_token, web_client=make_web_client(settings)
            ).start()  # type: ignore[no-untyped-call]
        else:
            server = make_http_server(
                make_wsgi_app(service.app, service.database.engine), port=settings.port
            )
            log.info("Rounds is listening on http://0.0.0.0:%d%s", settings.port, SLACK_PATH)
            server.serve_forever()
    except KeyboardInterrupt:
        log.info("Rounds is stopping")
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


if __name__ == "__main__":
    main()
