"""Program tools on Slack: /mentor import|export|calendar|digest, their buttons and forms."""

from __future__ import annotations

from slack_bolt import App


def register(app: App) -> None:
    # Imported here: /mentor's dispatch table imports this package's commands, and the
    # buttons reuse the general button helpers, which import /mentor.
    from bot.listeners.program import actions, views

    actions.register(app)
    views.register(app)
