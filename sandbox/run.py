"""Assembling the sandbox: the real Rounds service on its own SQLite file, configured exactly as
for Slack except that its Web API base URL points at the in-process fake, behind one local
HTTP server that also serves the sandbox's pages.

`python -m bot` starts it when no Slack setting is present (or with `python -m bot sandbox`).
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import sys
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from bot.config import SLACK_SETTINGS, ConfigError, settings_from
from bot.http_server import HttpServer
from bot.service import Service, build_service
from bot.web import make_wsgi_app
from jobs.runtime import make_dispatcher
from sandbox.clock import SandboxClock
from sandbox.fake_slack import FakeSlack
from sandbox.pages import Pages
from sandbox.rehearsal import Rehearsal
from sandbox.school import School
from sandbox.slack_side import SlackSide
from sandbox.web import StartResponse, text

log = logging.getLogger("rounds.sandbox")

DEFAULT_PORT = 3000
DATABASE_FILE = "sandbox.db"
HOST = "127.0.0.1"
# Paths that belong to Rounds itself (Slack's requests, health, metrics, OAuth); the rest are
# the sandbox's pages.
_ROUNDS_PATHS = ("/slack/", "/healthz", "/metrics")
# Settings that must not leak from a real .env into the sandbox.
_REPLACED = (*SLACK_SETTINGS, "SLACK_API_URL", "DATABASE_URL", "ROUNDS_COORDINATORS", "PORT")


@dataclass
class Sandbox:
    clock: SandboxClock
    fake: FakeSlack
    school: School
    service: Service
    rehearsal: Rehearsal
    server: HttpServer
    pages: Pages
    _serving: bool = False
    _stopped: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def start(
        cls,
        *,
        port: int,
        database_path: Path,
        env: Mapping[str, str] | None = None,
        timer: bool = True,
    ) -> Sandbox:
        """Everything but serving: call serve_forever() or serve_in_thread() next."""
        clock = SandboxClock().start()
        fake = FakeSlack().start()
        try:
            for stale in (database_path, *(Path(f"{database_path}{s}") for s in ("-wal", "-shm"))):
                stale.unlink(missing_ok=True)  # a fresh school every time
            secret = secrets.token_hex(16)
            base = {k: v for k, v in (os.environ if env is None else env).items()}
            for variable in _REPLACED:
                base.pop(variable, None)
            settings = settings_from(
                {
                    **base,
                    "SLACK_BOT_TOKEN": "xoxb-sandbox-0000",
                    "SLACK_SIGNING_SECRET": secret,
                    "SLACK_API_URL": fake.api_url,
                    "DATABASE_URL": f"sqlite:///{database_path}",
                }
            )
            service = build_service(settings)
            rehearsal = Rehearsal(
                clock=clock,
                sessions=service.database.sessions,
                dispatcher=make_dispatcher(settings, service.database.sessions),
                fake=fake,
            )
            rounds = make_wsgi_app(service.app, service.database.engine)
            holder: dict[str, Pages] = {}

            def application(
                environ: dict[str, Any], start_response: StartResponse
            ) -> Iterable[bytes]:
                path = str(environ.get("PATH_INFO", ""))
                if path.startswith(_ROUNDS_PATHS):
                    return rounds(environ, start_response)
                origin = str(environ.get("HTTP_ORIGIN", ""))
                origin_host = origin.split("://", 1)[-1]
                if not _local_host(str(environ.get("HTTP_HOST", ""))) or (
                    origin and origin != "null" and not _local_host(origin_host)
                ):
                    # The page acts as anyone; only this machine's browser may use it.
                    return text(
                        "421 Misdirected Request", "The sandbox answers on 127.0.0.1 only."
                    )(start_response)
                return holder["pages"](environ, start_response)

            server = HttpServer(application, host=HOST, port=port)
            school = School(fake)
            slack = SlackSide(
                fake=fake,
                school=school,
                app_url=f"http://{HOST}:{server.port}",
                signing_secret=secret,
            )
            pages = Pages(fake=fake, school=school, slack=slack, rehearsal=rehearsal)
            holder["pages"] = pages
        except BaseException:
            fake.stop()
            clock.stop()
            raise
        if timer:
            rehearsal.start_timer()
        return cls(clock, fake, school, service, rehearsal, server, pages)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server.port}/"

    def serve_forever(self) -> None:
        """Serve until `shutdown()` (SIGTERM) is called from another thread or a handler."""
        self.serve_in_thread()
        while not self._stopped.wait(0.5):
            pass

    def serve_in_thread(self) -> Sandbox:
        self.server.start()
        self._serving = True
        return self

    def shutdown(self) -> None:
        self._stopped.set()

    def close(self) -> None:
        self.rehearsal.stop_timer()
        if self._serving:
            self.server.stop(timeout=5)
        self.fake.stop()
        self.service.database.engine.dispose()
        self.clock.stop()


def _local_host(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
    return name in {"127.0.0.1", "localhost", "[::1]"}


def _port(env: Mapping[str, str]) -> int:
    raw = env.get("PORT", "").strip()
    if not raw:
        return DEFAULT_PORT
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ConfigError(f"Rounds cannot start: PORT is {raw!r}; use a port from 1 to 65535.")
    return int(raw)


def run_sandbox() -> None:
    """`python -m bot` without Slack: serve the sandbox until Ctrl-C or SIGTERM."""
    if not os.environ.get("LOG_LEVEL"):
        # One line on start is the contract; Rounds' own warnings still show.
        logging.getLogger().setLevel(logging.WARNING)
    try:
        port = _port(os.environ)
        # Bolt reads some Slack settings from the environment by itself (SLACK_CLIENT_ID and
        # SLACK_CLIENT_SECRET switch it to OAuth even when empty): this process is the
        # sandbox's alone, so none of them may stay.
        for variable in _REPLACED:
            if variable != "PORT":
                os.environ.pop(variable, None)
        sandbox = Sandbox.start(port=port, database_path=Path(DATABASE_FILE))
    except ConfigError as problem:
        print(str(problem), file=sys.stderr)
        raise SystemExit(2) from None
    except OSError as problem:
        print(
            f"Rounds cannot start the sandbox on port {os.environ.get('PORT') or DEFAULT_PORT}: "
            f"{problem.strerror or problem}. Try another port: PORT=3001 make run",
            file=sys.stderr,
        )
        raise SystemExit(2) from None

    def stop(signum: int, _frame: FrameType | None) -> None:
        sandbox.shutdown()

    signal.signal(signal.SIGTERM, stop)
    print(
        f"Rounds sandbox (no Slack token set): open {sandbox.url} to try Rounds as a pretend "
        "school — to connect real Slack, put SLACK_BOT_TOKEN and SLACK_APP_TOKEN in .env "
        "(README: Connect it to Slack).",
        flush=True,
    )
    try:
        sandbox.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.close()
