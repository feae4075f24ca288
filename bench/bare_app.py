"""`gunicorn bench.bare_app:app`: a Bolt app that only acks — the floor Rounds is compared to."""

from __future__ import annotations

import os

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

bolt = App(
    client=WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]),
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
)


def _ack_only(ack: Ack) -> None:
    ack(text="ok")


for _command in ("/checkin", "/goal", "/mentor"):
    bolt.command(_command)(_ack_only)

app = SlackRequestHandler(bolt)
