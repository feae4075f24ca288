"""`gunicorn bot.wsgi:app` — HTTP only; the scheduler runs in `python -m jobs`.

This process serves Slack over HTTP whatever else is set: an app token in a `.env` shared
with the worker changes nothing, and a missing signing secret stops it before it listens."""

from __future__ import annotations

import sys

from bot.config import ConfigError, load_settings
from bot.service import CONFIG_ERROR_EXIT_STATUS, build_service, configure_logging
from bot.web import make_wsgi_app

# gunicorn boots a worker that exits with any other status again, once a second, forever;
# its "app failed to load" status stops the whole server instead.
GUNICORN_APP_LOAD_ERROR = 4

configure_logging()
try:
    _settings = load_settings(http_only=True)
except ConfigError as problem:
    print(str(problem), file=sys.stderr)
    under_gunicorn = "gunicorn.arbiter" in sys.modules
    raise SystemExit(
        GUNICORN_APP_LOAD_ERROR if under_gunicorn else CONFIG_ERROR_EXIT_STATUS
    ) from None
_service = build_service(_settings)
app = make_wsgi_app(_service.app, _service.database.engine)
