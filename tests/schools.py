"""Rounds in OAuth mode, serving several schools at once, against the fake Slack.

Fixtures (import them into a test module): `oauth_settings`, `oauth_service` and
`oauth_url` (the real WSGI app on a threaded server), `oauth_dispatcher`. `install()` plays a
school's admin clicking "Add to Slack", allowing it on Slack's consent page and coming back
through Slack's redirect, with a browser that keeps cookies.
"""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from html import unescape

import pytest
from slack_bolt import App
from sqlalchemy import inspect, select, text

from bot.app import build_app, make_listener_executor
from bot.config import Settings
from bot.http_server import HttpServer
from bot.service import Database, Service
from bot.web import make_wsgi_app
from jobs.dispatcher import Dispatcher
from jobs.runtime import make_dispatcher
from sandbox.fake_slack import FakeSlack
from tests.slack_requests import SIGNING_SECRET, SlackSender

# A fixed Fernet key (and a second one for key rotation): tests must be repeatable.
TOKEN_KEY = "q3Rn7iM7lX0dNHfR9JqHHmJ3yq1G7C2mX1bK1v7cZ3o="
NEW_TOKEN_KEY = "d1w8Ui0Qb3ZTz9aV6fJ6m3KqgFq2x4Qm3dX3oH7g6vA="
CLIENT_ID, CLIENT_SECRET = "1234567890.9876543210", "0123456789abcdef0123456789abcdef"


@pytest.fixture
def oauth_settings(fake_slack: FakeSlack, database_url: str) -> Settings:
    fake_slack.set_oauth_app(CLIENT_ID, CLIENT_SECRET)
    return Settings(
        slack_bot_token=None,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.api_url,
        database_url=database_url,
        port=0,
        scheduler_enabled=False,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        token_key=TOKEN_KEY,
    )


@pytest.fixture
def oauth_service(oauth_settings: Settings, database: Database) -> Iterator[Service]:
    listeners = make_listener_executor()
    app = build_app(
        oauth_settings,
        database.sessions,
        read_sessions=database.read_sessions,
        listener_executor=listeners,
    )
    yield Service(settings=oauth_settings, database=database, app=app, listeners=listeners)
    listeners.shutdown(wait=True)  # a listener's work after its ack belongs to this test


@pytest.fixture
def oauth_url(oauth_service: Service) -> Iterator[str]:
    server = serve(oauth_service.app, oauth_service.database)
    yield f"http://127.0.0.1:{server.port}"
    server.stop(timeout=5)


def serve(app: App, database: Database) -> HttpServer:
    """The real WSGI app on the server `python -m bot` runs, on an ephemeral port."""
    return HttpServer(make_wsgi_app(app, database.engine), host="127.0.0.1", port=0).start()


@pytest.fixture
def oauth_dispatcher(oauth_settings: Settings, database: Database) -> Dispatcher:
    return make_dispatcher(oauth_settings, database.sessions)


# --- a browser -------------------------------------------------------------------------------


@dataclass
class Page:
    status: int
    body: str
    headers: dict[str, str]  # names in lower case
    cookies_set: list[str] = field(default_factory=list)

    def link(self) -> str:
        """The first link on the page (Bolt's install page has one: "Add to Slack")."""
        found = re.search(r'<a href="([^"]+)"', self.body)
        assert found, self.body
        return unescape(found.group(1))


def _lower(headers: Message) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _page(status: int, body: bytes, headers: Message) -> Page:
    return Page(status, body.decode(), _lower(headers), headers.get_all("Set-Cookie") or [])


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


class Browser:
    """An installer's browser: keeps cookies (as over HTTPS: Bolt marks them Secure), does
    not follow redirects."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}
        self.opener = urllib.request.build_opener(_NoRedirects())

    def get(self, url: str) -> Page:
        request = urllib.request.Request(url)
        if self.cookies:
            request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        try:
            with self.opener.open(request, timeout=10) as response:
                page = _page(response.status, response.read(), response.headers)
        except urllib.error.HTTPError as error:
            page = _page(error.code, error.read(), error.headers)
        for header in page.cookies_set:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "Expires=Thu, 01 Jan 1970" in header:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        return page


def install(
    base_url: str,
    fake: FakeSlack,
    *,
    team_id: str,
    installer: str = "U0INSTALLER",
    enterprise_id: str | None = None,
    org_wide: bool = False,
    browser: Browser | None = None,
) -> Page:
    """ "Add to Slack" → Slack's consent page → "Allow" → Slack's redirect back to Rounds."""
    browser = browser or Browser()
    page = browser.get(base_url + "/slack/install")
    assert page.status == 200, page.body
    back = fake.approve_install(
        page.link(),
        team_id=team_id,
        installer=installer,
        enterprise_id=enterprise_id,
        org_wide=org_wide,
    )
    return browser.get(base_url + "/slack/oauth_redirect?" + urllib.parse.urlencode(back))


def school(base_url: str, fake: FakeSlack, team_id: str, **grid: object) -> SlackSender:
    """Signed requests as Slack sends them from one school's workspace."""
    return SlackSender(base_url, fake, team_id=team_id, bot_user_id=f"UB{team_id[1:]}", **grid)  # type: ignore[arg-type]


def eventually(check: Callable[[], bool], *, within: float = 5.0) -> None:
    """Wait for what a listener does after Bolt's ack (events are answered first)."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("the app did not get there")
        time.sleep(0.02)


def every_stored_text(database: Database) -> str:
    """Every value of every column of every table, as text: what a stolen backup shows."""
    tables = inspect(database.engine).get_table_names()
    with database.engine.connect() as connection:
        rows = [
            repr(tuple(row))
            for table in tables
            for row in connection.execute(select(text("*")).select_from(text(f'"{table}"')))
        ]
    return "\n".join(rows)
