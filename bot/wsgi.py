"""`gunicorn bot.wsgi:app` — HTTP only; the scheduler runs in `python -m jobs`."""

from __future__ import annotations

from bot.service import build_service, configure_logging, settings_or_exit
from bot.web import make_wsgi_app

configure_logging()
_service = build_service(settings_or_exit())
app = make_wsgi_app(_service.app, _service.database.engine)
